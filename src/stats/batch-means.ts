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
 *
 * A window's figure is a ratio (its joules over its queries) and the headline is the ratio of
 * the sums, so `ratioInterval95` gives that estimator's interval: the standard error of a ratio
 * of totals over clusters (Cochran, Sampling Techniques, 1977, §6.4), from the residuals
 * (numerator − R × denominator) / mean denominator, taken over windows and over batches of
 * windows alike. A window stalled by another process holds few queries, and weighs as little
 * in the interval as in the headline. With equal denominators it is the interval of the mean.
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
  return tInterval(values.length, stddev(values) / Math.sqrt(values.length), centre, batchSize);
}

function tInterval(count: number, standardError: number, centre: number, batchSize: number): MeanInterval {
  const degreesOfFreedom = count - 1;
  return {
    mean: centre,
    halfWidth: studentTQuantile(0.975, degreesOfFreedom) * standardError,
    standardError,
    degreesOfFreedom,
    method: batchSize === 1 ? 'independent' : 'batch-means',
    batchSize,
    batches: count,
  };
}

/** The standard error of Σ numerators / Σ denominators, from the linearised residuals. */
function ratioStandardError(numerators: readonly number[], denominators: readonly number[]): number {
  const count = numerators.length;
  const ratio = sum(numerators) / sum(denominators);
  const meanDenominator = sum(denominators) / count;
  let squares = 0;
  for (let i = 0; i < count; i++)
    squares += ((numerators[i]! - ratio * denominators[i]!) / meanDenominator) ** 2;
  return Math.sqrt(squares / (count * (count - 1)));
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Sums of consecutive batches of `batchSize` values; the first values that fill no batch are dropped. */
function batchSums(values: readonly number[], batchSize: number): number[] {
  return batchMeans(values, batchSize).map((m) => m * batchSize);
}

/**
 * The 95 % interval of Σ numerators / Σ denominators (energy over queries) from consecutive
 * windows: the wider of batch means and the independent interval, as `meanInterval95`. Null for
 * fewer than two windows.
 */
export function ratioInterval95(
  numerators: readonly number[],
  denominators: readonly number[],
): MeanInterval | null {
  if (numerators.length !== denominators.length) {
    throw new RangeError(`${numerators.length} numerators and ${denominators.length} denominators`);
  }
  if (!denominators.every((d) => d > 0)) throw new RangeError('every denominator must be above 0');
  const count = numerators.length;
  if (count < 2) return null;
  const centre = sum(numerators) / sum(denominators);
  const independent = tInterval(count, ratioStandardError(numerators, denominators), centre, 1);
  const { batchSize, batches } = batchLayout(count);
  if (batchSize === 1) return independent;
  const batched = tInterval(
    batches,
    ratioStandardError(batchSums(numerators, batchSize), batchSums(denominators, batchSize)),
    centre,
    batchSize,
  );
  return batched.halfWidth > independent.halfWidth ? batched : independent;
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

/**
 * The 95 % interval of energy per query from the windows' figures, allowing for windows that
 * are not independent (batch means: src/stats/batch-means.ts). With each window's queries it is
 * the interval of the headline, the windows' energy over their queries; without, of the mean of
 * the windows' figures. Null until there are two windows.
 */
export function perQueryInterval(
  perQueryJ: readonly number[],
  queries?: readonly number[],
): MeanInterval | null {
  if (queries === undefined || queries.length !== perQueryJ.length) return meanInterval95(perQueryJ);
  return ratioInterval95(
    perQueryJ.map((j, i) => j * queries[i]!),
    queries,
  );
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
