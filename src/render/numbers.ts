/** Number formatting shared by every output. */

/** Significant digits, without exponent notation for the ranges energy figures take. */
export function formatSig(value: number, digits: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toFixed(Math.min(decimals, 12));
}

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
