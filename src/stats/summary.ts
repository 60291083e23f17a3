/** Descriptive statistics for timing and energy samples. */
import { studentTQuantile } from './student-t.js';

export interface Summary {
  count: number;
  mean: number;
  median: number;
  stddev: number;
  min: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
  /** Half-width of the 95 % confidence interval of the mean (Student's t). */
  ci95: number;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function stddev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let sq = 0;
  for (const v of values) sq += (v - m) * (v - m);
  return Math.sqrt(sq / (values.length - 1));
}

/**
 * Percentile with linear interpolation between closest ranks (numpy's default, R type 7).
 * `sorted` must be ascending.
 */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  if (p <= 0) return sorted[0]!;
  if (p >= 100) return sorted[sorted.length - 1]!;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const frac = rank - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

export function percentile(values: readonly number[], p: number): number {
  return percentileSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Half-width of the 95 % confidence interval of the mean; NaN for fewer than two values. */
export function ci95HalfWidth(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  return (studentTQuantile(0.975, values.length - 1) * stddev(values)) / Math.sqrt(values.length);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: values.length,
    mean: mean(values),
    median: percentileSorted(sorted, 50),
    stddev: stddev(values),
    min: sorted.length ? sorted[0]! : NaN,
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    ci95: ci95HalfWidth(values),
  };
}

/**
 * Modified z-scores (Iglewicz and Hoaglin), robust to the outliers they look for:
 * 0.6745 (x - median) / MAD. All zero when the MAD is zero.
 */
export function modifiedZScores(values: readonly number[]): number[] {
  const med = median(values);
  const mad = median(values.map((v) => Math.abs(v - med)));
  if (mad === 0) return values.map(() => 0);
  return values.map((v) => (0.6745 * (v - med)) / mad);
}

/** Hyperfine's threshold: samples beyond it are reported as outliers. */
export const OUTLIER_Z_THRESHOLD = 14;

export function countOutliers(values: readonly number[], threshold = OUTLIER_Z_THRESHOLD): number {
  return modifiedZScores(values).filter((z) => Math.abs(z) > threshold).length;
}
