/** Words for how a run's energy was obtained, shared by the table, the Markdown report and the check. */
import type { ConfigResult, RunDocument } from '../result/schema.js';
import { formatSig } from './numbers.js';

export function energySummary(document: RunDocument): string {
  const kinds = new Map<string, number>();
  for (const r of document.results) {
    if (r.status !== 'ok') continue;
    const key = describeEnergy(r);
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  if (kinds.size === 0) return 'not measured';
  if (kinds.size === 1) return [...kinds.keys()][0]!;
  // Rows measured differently (another device, a meter dropped) are never summarised as one.
  return `mixed: ${[...kinds].map(([text, n]) => `${n} row(s) ${text}`).join('; ')}`;
}

/** How one configuration's energy was obtained. */
export function describeEnergy(result: ConfigResult): string {
  const e = result.energy;
  if (e.status === 'not-measured') return `not measured: ${e.reason}`;
  const meters = e.meters.map((m) => `${m.name} (${m.domain}, ${m.method})`).join(', ');
  const idle = e.idleSeconds > 0 ? `; net figures subtract idle power measured over ${e.idleSeconds} s` : '';
  const label = e.status === 'estimated' ? 'ESTIMATED (not measured)' : 'measured';
  return `${label}: ${meters}; headline = gross ${e.basis.domains.join('+')} energy${idle}`;
}

/** Energy warnings that every measured row shares (said once), and the rest by row. */
export function energyWarnings(results: readonly ConfigResult[]): {
  shared: string[];
  byRow: [string, string][];
} {
  const measured = results.filter((r) => r.energy.status !== 'not-measured');
  const lists = measured.map((r) => (r.energy.status === 'not-measured' ? [] : r.energy.warnings));
  const shared = (lists[0] ?? []).filter((w) => lists.every((l) => l.includes(w)));
  const byRow: [string, string][] = [];
  measured.forEach((r, i) => {
    for (const w of lists[i]!) if (!shared.includes(w)) byRow.push([r.id, w]);
  });
  return { shared, byRow };
}

/** "0.123 J" or "0.123 J (est.)": estimated figures never appear without their label. */
export function energyCell(
  result: ConfigResult,
  value: (r: ConfigResult) => number | null,
  digits: number,
): string {
  if (result.energy.status === 'not-measured') return '–';
  const v = value(result);
  if (v === null) return '–';
  return result.energy.status === 'estimated' ? `${formatSig(v, digits)} est.` : formatSig(v, digits);
}

/** The model band of an estimated figure as a percentage, "±36 %"; null when measured or unknown. */
export function modelBandPct(result: ConfigResult): string | null {
  const e = result.energy;
  if (e.status !== 'estimated' || !e.modelBand) return null;
  return `±${Math.round(e.modelBand.relative * 100)} %`;
}

/** The 95 % interval as a percentage, "±2.1 %"; null without one. */
export function ci95Pct(result: ConfigResult): string | null {
  const e = result.energy;
  if (e.status === 'not-measured' || e.ci95Relative === null) return null;
  return `±${(e.ci95Relative * 100).toFixed(1)} %`;
}

/** Energy figures never appear without saying when they are estimated, and with what model band. */
export function estimatedSuffix(result: ConfigResult): string {
  if (result.energy.status !== 'estimated') return '';
  const band = modelBandPct(result);
  return band ? ` (estimated, ${band} model)` : ' (estimated)';
}

/**
 * A figure with both its uncertainties: "0.0123 J/query est. ±36 % (model), ±2.1 % (95 % CI)";
 * measured, "0.0123 J/query ±2.1 % (95 % CI)".
 */
export function figureWithBands(result: ConfigResult, value: number, unit: string, digits = 3): string {
  const parts: string[] = [];
  const band = modelBandPct(result);
  if (band) parts.push(`${band} (model)`);
  const ci = ci95Pct(result);
  if (ci) parts.push(`${ci} (95 % CI)`);
  const est = result.energy.status === 'estimated' ? ' est.' : '';
  return `${formatSig(value, digits)} ${unit}${est}${parts.length ? ` ${parts.join(', ')}` : ''}`;
}
