/**
 * How many interleaved rounds a bench runs (runner/turns.ts). Taking turns keeps every
 * configuration's session open for the whole run, so the default interleaves only when the
 * sessions fit comfortably in free memory; otherwise the configurations run one after another.
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import { DEFAULT_ROUNDS } from '../runner/protocol.js';
import type { ConfigSpec } from '../runner/run-config.js';
import { formatBytes } from '../workload/memory-fit.js';

/** An open session holds about this many times its model files (weights, the arena's copies). */
const SESSION_BYTES_PER_FILE_BYTE = 2;

/** The largest share of free memory all sessions together may take for the default to interleave. */
const MAX_SESSIONS_SHARE_OF_FREE = 0.5;

export interface RoundsPlan {
  rounds: number;
  /** What the run should say about it (why it does not interleave, or that it may not fit); null when nothing. */
  note: string | null;
}

/** The model files one configuration's sessions load: the model, or a generative layout's graphs. */
async function sessionFileBytes(spec: ConfigSpec): Promise<number> {
  const layout = spec.generation?.layout;
  if (!layout) return spec.model.fileSizeBytes;
  const paths = new Set([
    layout.first.path,
    layout.next.path,
    ...(layout.encoder ? [layout.encoder.path] : []),
  ]);
  let bytes = 0;
  for (const p of paths)
    bytes += await stat(p).then(
      (s) => s.size,
      () => 0,
    );
  return bytes;
}

/**
 * The rounds of a run: `asked` (--rounds) when given, else DEFAULT_ROUNDS where two or more
 * configurations are measured with meters and their sessions fit, else 1.
 */
export async function planRounds(
  asked: number | undefined,
  specs: readonly ConfigSpec[],
  metered: boolean,
  freeBytes: number = os.freemem(),
): Promise<RoundsPlan> {
  if (!metered || specs.length < 2) return { rounds: asked ?? 1, note: null };
  const wanted = asked ?? DEFAULT_ROUNDS;
  if (wanted <= 1) return { rounds: 1, note: null };
  let fileBytes = 0;
  for (const spec of specs) fileBytes += await sessionFileBytes(spec);
  const needBytes = fileBytes * SESSION_BYTES_PER_FILE_BYTE;
  if (needBytes <= freeBytes * MAX_SESSIONS_SHARE_OF_FREE) return { rounds: wanted, note: null };
  const held = `the ${specs.length} configurations' sessions, open together, would take about ${formatBytes(needBytes)} of ${formatBytes(freeBytes)} free`;
  if (asked === undefined) {
    return {
      rounds: 1,
      note: `configurations measured one after another, not in interleaved rounds: ${held} (--rounds N interleaves anyway)`,
    };
  }
  return { rounds: wanted, note: `--rounds ${wanted}: ${held}` };
}
