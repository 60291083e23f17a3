/**
 * The energy figures `check` and `compare` rely on, and the one estimator both use for a test
 * between two results: each side's mean energy per query and its standard error, from the
 * per-trial figures or else from the recorded 95 % interval.
 */
import type { ConfigResult, EnergyMeasured } from '../result/schema.js';
import { energyProblems } from '../result/validate.js';
import { estimateFromInterval, estimateFromTrials, type MeanEstimate } from './welch.js';

export type EnergyFigures =
  | { kind: 'usable'; energy: EnergyMeasured }
  | { kind: 'not-measured'; reason: string }
  /** `problems`: what is wrong, e.g. "perQueryJ is null, not a finite number; whPer1k is 0, not above 0". */
  | { kind: 'unusable'; problems: string };

/**
 * A configuration's energy as `check` and `compare` may use it. A figure that is not a finite
 * number (bench writes NaN as null), or a headline or trial energy of 0 or less, makes it
 * unusable: it never passes a limit.
 */
export function energyFigures(config: ConfigResult): EnergyFigures {
  const energy = config.energy;
  if (energy.status === 'not-measured') return { kind: 'not-measured', reason: energy.reason };
  const problems = energyProblems(energy);
  if (problems.length > 0) return { kind: 'unusable', problems: problems.join('; ') };
  return { kind: 'usable', energy };
}

/** Where a side's standard error came from. */
export type ErrorSource = 'trials' | 'interval';

export interface SideEstimate extends MeanEstimate {
  source: ErrorSource;
}

/**
 * A side's mean energy per query and its standard error: the mean and standard error of the
 * per-trial figures when there are at least two; else the headline figure with the standard
 * error its recorded 95 % interval implies (half-width / t(0.975, trials - 1)); else null: with
 * one trial and no interval, nothing says how noisy the figure is.
 */
export function sideEstimate(energy: EnergyMeasured): SideEstimate | null {
  const trials = energy.perTrialJ;
  if (trials && trials.length >= 2) return { ...estimateFromTrials(trials), source: 'trials' };
  if (energy.ci95PerQueryJ !== null && Number.isInteger(energy.trials) && energy.trials >= 2) {
    return {
      ...estimateFromInterval(energy.perQueryJ, energy.ci95PerQueryJ, energy.trials),
      source: 'interval',
    };
  }
  return null;
}

/**
 * Why `sideEstimate` gave null for these sides, naming the files, and what to do: "cannot test
 * whether the change is real: new.json has one trial and no interval; bench with at least 2
 * trials (--max-trials)".
 */
export function untestableMessage(sides: { name: string; energy: EnergyMeasured }[]): string {
  const lacks = sides.map(({ energy }) =>
    (energy.perTrialJ?.length ?? energy.trials) >= 2
      ? 'no per-trial figures and no interval'
      : 'one trial and no interval',
  );
  const which =
    sides.length === 2 && lacks[0] === lacks[1]
      ? `${sides[0]!.name} and ${sides[1]!.name} each have ${lacks[0]}`
      : sides.map((side, i) => `${side.name} has ${lacks[i]}`).join(', and ');
  return `cannot test whether the change is real: ${which}; bench with at least 2 trials (--max-trials)`;
}

/**
 * Why a difference cannot be called real because a side's package energy was measured while other
 * processes loaded the CPU (their energy is in its figure); null when neither side was.
 */
export function loadedMessage(sides: { name: string; energy: EnergyMeasured }[]): string | null {
  const loaded = sides.filter((s) => s.energy.otherCpu?.loaded);
  if (loaded.length === 0) return null;
  const which = loaded
    .map(
      (s) =>
        `${s.name} was measured while other processes used up to ${s.energy.otherCpu!.maxCores.toFixed(2)} cores`,
    )
    .join(', and ');
  return `cannot call the change real: ${which} (more than ${loaded[0]!.energy.otherCpu!.limitCores} of a core), and the package meter counts their energy too; measure on a quiet machine`;
}

/** Where a test's standard errors came from, for the line that names the test. */
export function errorSources(
  aName: string,
  a: { source: ErrorSource },
  bName: string,
  b: { source: ErrorSource },
): string {
  if (a.source === b.source) {
    return a.source === 'trials' ? 'per-trial figures' : 'standard errors from the recorded 95 % intervals';
  }
  const of = (name: string, side: { source: ErrorSource }) =>
    side.source === 'trials' ? `the per-trial figures of ${name}` : `the recorded 95 % interval of ${name}`;
  return `standard errors from ${of(aName, a)} and ${of(bName, b)}`;
}
