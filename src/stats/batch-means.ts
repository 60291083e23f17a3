/**
 * The 95 % interval of a mean from a series of back-to-back measurements, which are not
 * independent: a co-tenant's load or a clock's drift lasts longer than one window, so
 * neighbouring windows agree more than distant ones, and the textbook interval (standard
 * deviation over √n) is too narrow by the square root of the sum of the autocorrelations.
 *
 * Non-overlapping batch means (Flegal and Jones, "Batch means and spectral variance estimators
 * in Markov chain Monte Carlo", 2010): cut the series into b batches of m consecutive values,
 * so that batch means lie far enough apart to be nearly independent, and take Student's t over
 * the b batch means. m = ⌊√n⌋ (at most n/3, so there are at least 3 batches), the earliest
 * leftover values dropped. With few values the batches are short and few, and the interval is
 * wide, as it should be. The interval reported is the wider of this one and the independent
 * one: batch means can be narrower by chance with few batches, or when neighbours anticorrelate
 * (windows that split a suite of mixed query sizes), and then the independent interval is the
 * honest one.
 */
import { studentTQuantile } from './student-t.js';
import { mean, stddev } from './summary.js';

export interface MeanInterval {
  mean: number;
  /** Half-width of the 95 % interval. */
  halfWidth: number;
  standardError: number;
  /** Of the Student's t the half-width used. */
  degreesOfFreedom: number;
  /** Which interval was the wider: batch means, or values taken as independent. */
  method: 'batch-means' | 'independent';
  /** Values per batch (1 for independent), and batches. */
  batchSize: number;
  batches: number;
}

/** Batch size ⌊√n⌋, at most ⌊n / 3⌋, at least 1; and the batches that makes. */
export function batchLayout(count: number): { batchSize: number; batches: number } {
  const batchSize = Math.max(1, Math.min(Math.floor(Math.sqrt(count)), Math.floor(count / 3)));
  return { batchSize, batches: Math.floor(count / batchSize) };
}

/** Means of consecutive batches of `batchSize` values; the first values that fill no batch are dropped. */
export function batchMeans(values: readonly number[], batchSize: number): number[] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError(`a batch holds at least one value, not ${batchSize}`);
  }
  const batches = Math.floor(values.length / batchSize);
  const skip = values.length - batches * batchSize;
  const means: number[] = [];
  for (let b = 0; b < batches; b++) {
    means.push(mean(values.slice(skip + b * batchSize, skip + (b + 1) * batchSize)));
  }
  return means;
}

function studentInterval(values: readonly number[], centre: number, batchSize: number): MeanInterval {
  const degreesOfFreedom = values.length - 1;
  const standardError = stddev(values) / Math.sqrt(values.length);
  return {
    mean: centre,
    halfWidth: studentTQuantile(0.975, degreesOfFreedom) * standardError,
    standardError,
    degreesOfFreedom,
    method: batchSize === 1 ? 'independent' : 'batch-means',
    batchSize,
    batches: values.length,
  };
}

/**
 * The 95 % interval of the mean of an autocorrelated series: the wider of batch means and the
 * independent interval. Null for fewer than two values.
 */
export function meanInterval95(values: readonly number[]): MeanInterval | null {
  if (values.length < 2) return null;
  const centre = mean(values);
  const independent = studentInterval(values, centre, 1);
  const { batchSize } = batchLayout(values.length);
  if (batchSize === 1) return independent;
  const batched = studentInterval(batchMeans(values, batchSize), centre, batchSize);
  return batched.halfWidth > independent.halfWidth ? batched : independent;
}

/** Lag-1 sample autocorrelation, Σ(xₜ − x̄)(xₜ₊₁ − x̄) / Σ(xₜ − x̄)²; NaN below 3 values or without spread. */
export function lag1Autocorrelation(values: readonly number[]): number {
  if (values.length < 3) return NaN;
  const m = mean(values);
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - m;
    denominator += d * d;
    if (i + 1 < values.length) numerator += d * (values[i + 1]! - m);
  }
  return denominator === 0 ? NaN : numerator / denominator;
}
