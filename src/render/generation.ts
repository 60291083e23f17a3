/**
 * Words and cells for generative configurations, shared by the table, Markdown, CSV, HTML and
 * the label: energy per token, the prefill/decode split, tokens per second, and what each token
 * budget costs. Estimated figures carry their label, as every energy figure does.
 */
import type { ConfigResult, GenerationFigures } from '../result/schema.js';
import { displayName } from '../util/text-safety.js';
import { formatSig } from './numbers.js';

/** Whether any configuration of the run generated tokens: then the per-token columns show. */
export function anyGeneration(results: readonly ConfigResult[]): boolean {
  return results.some((r) => r.generation !== undefined);
}

/** A per-token energy figure, "est." when estimated, "–" when there is none. */
export function generationEnergyCell(
  result: ConfigResult,
  value: (g: GenerationFigures) => number | null,
  digits = 3,
): string {
  const g = result.generation;
  if (!g || g.energyStatus === 'not-measured') return '–';
  const v = value(g);
  if (v === null) return '–';
  return g.energyStatus === 'estimated' ? `${formatSig(v, digits)} est.` : formatSig(v, digits);
}

export function generationNumberCell(
  result: ConfigResult,
  value: (g: GenerationFigures) => number | null,
  digits: number,
): string {
  const g = result.generation;
  const v = g ? value(g) : null;
  return v === null || v === undefined ? '–' : v.toFixed(digits);
}

/** The identity of a configuration in a sentence, its budget included where it has one. */
export function configLabel(r: ConfigResult): string {
  const budget = r.generation ? `, ${r.generation.newTokensPerQuery} new tokens` : '';
  // Threads are named where they are part of the configuration (its id ends in /tN).
  const threads =
    r.threads !== null && r.id.endsWith(`/t${r.threads}`)
      ? ` with ${r.threads} thread${r.threads === 1 ? '' : 's'}`
      : '';
  return `${displayName(r.model.name)} ${r.precision} at batch ${r.batchSize}${threads}${r.device === 'cpu' ? '' : ` on ${r.device}`}${budget}`;
}

const thousands = (n: number) => n.toLocaleString('en-US');

/**
 * What each extra token budget costs, per model, precision, batch and device with several
 * budgets measured: "gpt-tiny fp32 at batch 1: 100 new tokens cost 8.7× the energy of 10 per
 * query". Undefined when no configuration was run at two budgets.
 */
export function budgetVerdict(results: readonly ConfigResult[]): string | undefined {
  const groups = new Map<string, ConfigResult[]>();
  for (const r of results) {
    if (r.status !== 'ok' || !r.generation || r.energy.status === 'not-measured' || !(r.energy.perQueryJ > 0))
      continue;
    const key = `${r.model.name}|${r.model.sha256}|${r.precision}|${r.batchSize}|${r.threads}|${r.device}|${r.task}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const parts: string[] = [];
  for (const group of groups.values()) {
    const byBudget = [...group].sort(
      (a, b) => a.generation!.newTokensPerQuery - b.generation!.newTokensPerQuery,
    );
    if (byBudget.length < 2) continue;
    const base = byBudget[0]!;
    const baseJ = base.energy.perQueryJ!;
    const costs = byBudget
      .slice(1)
      .map(
        (r) =>
          `${thousands(r.generation!.newTokensPerQuery)} new tokens cost ${formatSig(r.energy.perQueryJ! / baseJ, 3)}× the energy of ${thousands(base.generation!.newTokensPerQuery)} per query`,
      );
    const estimated = byBudget.some((r) => r.energy.status === 'estimated') ? ' (estimated energy)' : '';
    const first = base;
    parts.push(
      `${displayName(first.model.name)} ${first.precision} at batch ${first.batchSize}${first.device === 'cpu' ? '' : ` on ${first.device}`}: ${costs.join(', ')}${estimated}`,
    );
  }
  return parts.length ? parts.join('; ') : undefined;
}
