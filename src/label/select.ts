/** Which configuration of a run a label is for: the one asked for, else the best-rated one. */
import { usageError } from '../errors.js';
import type { ConfigResult, RunDocument } from '../result/schema.js';
import { displayName } from '../util/text-safety.js';

/**
 * `id` picks a configuration by its id; without it, the best of those that ran to the end and
 * whose answers held (a failed fidelity check is left out unless nothing else ran): most stars
 * (unrated counts as none), then least energy per query (not measured counts as most), then the
 * run's order. `source` names the document in messages.
 */
export function selectConfig(document: RunDocument, source: string, id?: string): ConfigResult {
  const results = document.results;
  if (results.length === 0) {
    throw usageError(
      `${source} has no results`,
      'it holds no configuration: bench a model with `energy-score bench model.onnx --json result.json`',
    );
  }
  if (id !== undefined) {
    const found = results.find((r) => r.id === id);
    if (!found) {
      throw usageError(`no configuration '${id}' in ${source}`, `use one of: ${idList(results)}`);
    }
    if (found.status !== 'ok') {
      const why = found.reason ? `: ${found.reason}` : '';
      throw usageError(
        `configuration '${id}' in ${source} did not run to the end (${found.status}${why})`,
        `a label needs a configuration with status ok: ${idList(results.filter((r) => r.status === 'ok'))}`,
      );
    }
    return found;
  }
  const ok = results.filter((r) => r.status === 'ok');
  if (ok.length === 0) {
    throw usageError(
      `${source} has no configuration that ran to the end (every one was skipped, failed or interrupted)`,
      'bench the model again, and see each configuration’s reason in the result file',
    );
  }
  // A configuration whose answers did not hold is no one's pick for a label.
  const held = ok.filter((r) => r.fidelity?.pass !== false);
  // Array.prototype.sort is stable, so ties keep the run's order.
  return [...(held.length ? held : ok)].sort((a, b) => starsOf(b) - starsOf(a) || compareEnergy(a, b))[0]!;
}

function starsOf(result: ConfigResult): number {
  return result.rating.status === 'rated' ? result.rating.stars : 0;
}

/** Least energy first; not measured last (Infinity - Infinity would be NaN, hence the equality test). */
function compareEnergy(a: ConfigResult, b: ConfigResult): number {
  const x = a.energy.whPer1k ?? Number.POSITIVE_INFINITY;
  const y = b.energy.whPer1k ?? Number.POSITIVE_INFINITY;
  return x === y ? 0 : x - y;
}

/** Ids named in a hint, at most; a run with more says how many it leaves out. */
const MAX_LISTED_IDS = 10;

function idList(results: readonly ConfigResult[]): string {
  if (results.length === 0) return '(none)';
  const listed = results.slice(0, MAX_LISTED_IDS).map((r) => displayName(r.id));
  const more = results.length - listed.length;
  return listed.join(', ') + (more > 0 ? `, and ${more} more` : '');
}
