/**
 * Welch's t-test and a ratio of means with its interval: the statistics behind `check
 * --max-regression` and `compare`. Student's t takes fractional degrees of freedom here, because
 * the Welch–Satterthwaite degrees of freedom are not whole numbers.
 */
import { studentTQuantile, studentTSurvival } from '../stats/student-t.js';
import { meanInterval95 } from '../stats/batch-means.js';
import { mean } from '../stats/summary.js';

/** A sample mean and its standard error; `count` gives its degrees of freedom (count - 1). */
export interface MeanEstimate {
  mean: number;
  /** Standard error of the mean. */
  standardError: number;
  count: number;
}

/**
 * From per-trial figures: their mean, and the standard error and degrees of freedom of the same
 * interval bench reports (batch means where they are the wider: back-to-back windows are not
 * independent). `count` is then the number of batches.
 */
export function estimateFromTrials(values: readonly number[]): MeanEstimate {
  const interval = meanInterval95(values);
  if (interval === null) return { mean: mean(values), standardError: 0, count: values.length };
  return {
    mean: interval.mean,
    standardError: interval.standardError,
    count: interval.degreesOfFreedom + 1,
  };
}

/** Undoes a Student's t 95 % half-width: standard error = half-width / t(0.975, n - 1). */
export function estimateFromInterval(meanValue: number, ci95HalfWidth: number, count: number): MeanEstimate {
  return { mean: meanValue, standardError: ci95HalfWidth / studentTQuantile(0.975, count - 1), count };
}

export interface WelchResult {
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** welchGreater: one-sided p of H0: mean(b) <= factor × mean(a); welchTwoSided: two-sided p of mean(b) = mean(a). */
  p: number;
}

/**
 * Welch's test of H0: mean(b) <= factor × mean(a) against H1: mean(b) > factor × mean(a).
 * factor 1 is the ordinary one-sided test; factor 1.05 asks whether b is more than 5 % above a.
 * Scaling a by the factor scales its standard error too.
 */
export function welchGreater(b: MeanEstimate, a: MeanEstimate, factor = 1): WelchResult {
  const varB = b.standardError ** 2;
  const varA = (factor * a.standardError) ** 2;
  const variance = varB + varA;
  const difference = b.mean - factor * a.mean;
  if (variance === 0) {
    // Identical trials on both sides: any difference at all is certain.
    const t = difference > 0 ? Infinity : difference < 0 ? -Infinity : 0;
    return { t, df: b.count + a.count - 2, p: difference > 0 ? 0 : 1 };
  }
  const t = difference / Math.sqrt(variance);
  const df = variance ** 2 / (varB ** 2 / (b.count - 1) + varA ** 2 / (a.count - 1));
  return { t, df, p: studentTSurvival(t, df) };
}

/**
 * Welch's two-sided test of H0: mean(b) = mean(a): p = 2 × P(T > |t|). Identical trials on both
 * sides (no variance) give p = 0 for any difference and p = 1 for none.
 */
export function welchTwoSided(b: MeanEstimate, a: MeanEstimate): WelchResult {
  const oneSided = welchGreater(b, a);
  if (!Number.isFinite(oneSided.t)) return { ...oneSided, p: 0 };
  if (oneSided.t === 0) return { ...oneSided, p: 1 };
  return { ...oneSided, p: Math.min(1, 2 * studentTSurvival(Math.abs(oneSided.t), oneSided.df)) };
}

export interface RatioInterval {
  /** mean(b) / mean(a). */
  ratio: number;
  /** Half-width of the 95 % interval of the ratio. */
  ci95: number;
  df: number;
}

/**
 * mean(b) / mean(a) with a 95 % interval by the delta method: the ratio's relative standard
 * error is the root sum of squares of the two relative standard errors, with Welch–Satterthwaite
 * degrees of freedom on those terms. Good while each mean's relative error is small (under
 * ~10 %); energy per query over a few trials usually is.
 */
export function ratioOfMeans(b: MeanEstimate, a: MeanEstimate): RatioInterval {
  const ratio = b.mean / a.mean;
  const relB = (b.standardError / b.mean) ** 2;
  const relA = (a.standardError / a.mean) ** 2;
  const rel = relB + relA;
  if (rel === 0) return { ratio, ci95: 0, df: b.count + a.count - 2 };
  const df = rel ** 2 / (relB ** 2 / (b.count - 1) + relA ** 2 / (a.count - 1));
  return { ratio, ci95: studentTQuantile(0.975, df) * Math.abs(ratio) * Math.sqrt(rel), df };
}
