/** Number formatting shared by every output. */

/** Significant digits, without exponent notation for the ranges energy figures take. */
export function formatSig(value: number, digits: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toFixed(Math.min(decimals, 12));
}
