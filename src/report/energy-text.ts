/** Words for how a run's energy was obtained, shared by the table and the Markdown report. */
import type { ConfigResult, RunDocument } from './result.js';

export function energySummary(document: RunDocument): string {
  const measured = document.results.find((r) => r.energy.status !== 'not-measured');
  if (!measured || measured.energy.status === 'not-measured') {
    const reason = document.results.find((r) => r.energy.status === 'not-measured')?.energy;
    return reason && reason.status === 'not-measured' ? `not measured (${reason.reason})` : 'not measured';
  }
  const e = measured.energy;
  const meters = e.meters.map((m) => `${m.name} (${m.domain}, ${m.method})`).join(', ');
  const basis = e.basis.domains.join('+') || 'none';
  const idle = e.idleSeconds > 0 ? `; net figures subtract idle power measured over ${e.idleSeconds} s` : '';
  const label = e.status === 'estimated' ? 'ESTIMATED, not measured' : 'measured';
  return `${label} with ${meters}; headline = gross ${basis} energy${idle}`;
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

/** Significant digits, without exponent notation for the ranges energy figures take. */
export function formatSig(value: number, digits: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toFixed(Math.min(decimals, 12));
}
