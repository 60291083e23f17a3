/**
 * `--max-regression PCT`: a configuration regresses when its energy per query is more than PCT %
 * above the baseline's, and that is statistically real. The test asks whether
 * H0: new ≤ (1 + PCT/100) × baseline can be rejected at 95 % one-sided, by Welch's t-test on each
 * side's mean and standard error (see energy.ts: the per-trial figures, else the recorded 95 %
 * interval). When a side has neither (one trial, no interval) the change cannot be tested, and
 * the configuration fails: a gate does not pass, or fail, on a figure whose noise is unknown.
 */
import type { EnergyMeasured } from '../result/schema.js';
import { loadedMessage, sideEstimate, untestableMessage, type ErrorSource } from './energy.js';
import { welchGreater, type WelchResult } from './welch.js';

export interface RegressionSide {
  /** The name the messages use: the file. */
  name: string;
  /** The mean the test used: of the per-trial figures (source trials) or the headline (interval). */
  perQueryJ: number;
  standardError: number;
  /** Trials behind it: the degrees of freedom are count - 1. */
  count: number;
  source: ErrorSource;
}

export type RegressionVerdict =
  | {
      method: 'welch';
      regressed: boolean;
      baseline: RegressionSide;
      current: RegressionSide;
      /** (current / baseline - 1) × 100, of the means the test used. */
      changePct: number;
      /** One-sided, of H0: current ≤ (1 + PCT/100) × baseline. */
      welch: WelchResult;
    }
  | {
      method: 'untestable';
      regressed: null;
      /** Why: which file has one trial and no interval, and what to do. */
      reason: string;
      /** The headline figures, shown for context only. */
      baselinePerQueryJ: number;
      currentPerQueryJ: number;
      changePct: number;
    };

export const REGRESSION_ALPHA = 0.05;

export function testRegression(
  baseline: { name: string; energy: EnergyMeasured },
  current: { name: string; energy: EnergyMeasured },
  maxRegressionPct: number,
): RegressionVerdict {
  const factor = 1 + maxRegressionPct / 100;
  const a = sideEstimate(baseline.energy);
  const b = sideEstimate(current.energy);
  const loaded = loadedMessage([current, baseline]);
  if (!a || !b || loaded) {
    const untestable = [...(b ? [] : [current]), ...(a ? [] : [baseline])];
    return {
      method: 'untestable',
      regressed: null,
      reason: loaded ?? untestableMessage(untestable),
      baselinePerQueryJ: baseline.energy.perQueryJ,
      currentPerQueryJ: current.energy.perQueryJ,
      changePct: (current.energy.perQueryJ / baseline.energy.perQueryJ - 1) * 100,
    };
  }
  const welch = welchGreater(b, a, factor);
  const side = (name: string, e: typeof a): RegressionSide => ({
    name,
    perQueryJ: e.mean,
    standardError: e.standardError,
    count: e.count,
    source: e.source,
  });
  return {
    method: 'welch',
    regressed: welch.p < REGRESSION_ALPHA,
    baseline: side(baseline.name, a),
    current: side(current.name, b),
    changePct: (b.mean / a.mean - 1) * 100,
    welch,
  };
}
