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
  /** The smallest GPU's memory, where CUDA configurations run and nvidia-smi reported it. */
  gpuBytes: number | null = null,
): Promise<RoundsPlan> {
  if (!metered || specs.length < 2) return { rounds: asked ?? 1, note: null };
  const wanted = asked ?? DEFAULT_ROUNDS;
  if (wanted <= 1) return { rounds: 1, note: null };
  let hostBytes = 0;
  let cudaBytes = 0;
  for (const spec of specs) {
    const bytes = (await sessionFileBytes(spec)) * SESSION_BYTES_PER_FILE_BYTE;
    if (spec.device === 'cuda') cudaBytes += bytes;
    else hostBytes += bytes;
  }
  // A CUDA session holds its weights on the GPU; its size there is not known without one.
  const cudaFits =
    cudaBytes === 0 || (gpuBytes !== null && cudaBytes <= gpuBytes * MAX_SESSIONS_SHARE_OF_FREE);
  const hostFits = hostBytes <= freeBytes * MAX_SESSIONS_SHARE_OF_FREE;
  if (cudaFits && hostFits) return { rounds: wanted, note: null };
  const held = !hostFits
    ? `the ${specs.length} configurations' sessions, open together, would take about ${formatBytes(hostBytes)} of ${formatBytes(freeBytes)} free`
    : gpuBytes === null
      ? `the CUDA sessions, open together, would take about ${formatBytes(cudaBytes)} of a GPU memory nvidia-smi did not report`
      : `the CUDA sessions, open together, would take about ${formatBytes(cudaBytes)} of the GPU's ${formatBytes(gpuBytes)}`;
  if (asked === undefined) {
    return {
      rounds: 1,
      note: `configurations measured one after another, not in interleaved rounds: ${held} (--rounds N interleaves anyway)`,
    };
  }
  return { rounds: wanted, note: `--rounds ${wanted}: ${held}` };
}
