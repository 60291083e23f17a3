/**
 * `--max-regression PCT`: a configuration regresses when its energy per query is more than PCT %
 * above the baseline's, and that is statistically real. The test asks whether
 * H0: new ≤ (1 + PCT/100) × baseline can be rejected at 95 % one-sided:
 *
 * - Welch's t-test on each side's per-trial J/query, when both have at least two trials;
 * - else the 95 % intervals: it regresses when the new interval lies wholly above the baseline's
 *   upper bound × (1 + PCT/100) (results written before perTrialJ existed);
 * - else (a single trial, no interval) the point estimates, taken at face value.
 */
import type { EnergyMeasured } from '../report/result.js';
import { estimateFromTrials, welchGreater, type WelchResult } from './welch.js';

export type RegressionMethod = 'welch' | 'intervals' | 'point';

export interface RegressionVerdict {
  method: RegressionMethod;
  regressed: boolean;
  /** The J/query figures the test compared (trial means for Welch, headline figures otherwise). */
  baselinePerQueryJ: number;
  currentPerQueryJ: number;
  /** (current / baseline - 1) × 100. */
  changePct: number;
  /** Welch only. */
  welch: (WelchResult & { baselineTrials: number; currentTrials: number }) | null;
  /** Intervals only: the 95 % half-widths. */
  baselineCi95J: number | null;
  currentCi95J: number | null;
}

export const REGRESSION_ALPHA = 0.05;

function trialsOf(energy: EnergyMeasured): number[] | null {
  const trials = energy.perTrialJ?.filter((v) => Number.isFinite(v));
  return trials && trials.length >= 2 ? trials : null;
}

function intervalOf(energy: EnergyMeasured): number | null {
  return energy.ci95PerQueryJ !== null && Number.isFinite(energy.ci95PerQueryJ) ? energy.ci95PerQueryJ : null;
}

export function testRegression(
  baseline: EnergyMeasured,
  current: EnergyMeasured,
  maxRegressionPct: number,
): RegressionVerdict {
  const factor = 1 + maxRegressionPct / 100;
  const baseTrials = trialsOf(baseline);
  const currentTrials = trialsOf(current);
  if (baseTrials && currentTrials) {
    const a = estimateFromTrials(baseTrials);
    const b = estimateFromTrials(currentTrials);
    const welch = welchGreater(b, a, factor);
    return {
      method: 'welch',
      regressed: welch.p < REGRESSION_ALPHA,
      baselinePerQueryJ: a.mean,
      currentPerQueryJ: b.mean,
      changePct: (b.mean / a.mean - 1) * 100,
      welch: { ...welch, baselineTrials: a.count, currentTrials: b.count },
      baselineCi95J: null,
      currentCi95J: null,
    };
  }
  const changePct = (current.perQueryJ / baseline.perQueryJ - 1) * 100;
  const baseCi = intervalOf(baseline);
  const currentCi = intervalOf(current);
  if (baseCi !== null && currentCi !== null) {
    return {
      method: 'intervals',
      regressed: current.perQueryJ - currentCi > factor * (baseline.perQueryJ + baseCi),
      baselinePerQueryJ: baseline.perQueryJ,
      currentPerQueryJ: current.perQueryJ,
      changePct,
      welch: null,
      baselineCi95J: baseCi,
      currentCi95J: currentCi,
    };
  }
  return {
    method: 'point',
    regressed: current.perQueryJ > factor * baseline.perQueryJ,
    baselinePerQueryJ: baseline.perQueryJ,
    currentPerQueryJ: current.perQueryJ,
    changePct,
    welch: null,
    baselineCi95J: null,
    currentCi95J: null,
  };
}
