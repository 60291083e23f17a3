/** Number formatting shared by the check and compare reports. */
import { formatSig } from '../render/numbers.js';
import type { ConfigResult } from '../result/schema.js';

export { formatSig };

/** A percentage without a false precision: "46", "4.6", "0.46". */
export function formatPct(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 10) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(1);
  return formatSig(value, 2);
}

/** A p-value: "0.0012", "< 0.0001". */
export function formatP(p: number): string {
  if (p < 0.0001) return '< 0.0001';
  return formatSig(p, 2);
}

/** Energy figures never appear without saying when they are estimated. */
export function estimatedSuffix(result: ConfigResult): string {
  return result.energy.status === 'estimated' ? ' (estimated)' : '';
}
