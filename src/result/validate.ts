/**
 * The one check of a result's energy figures, shared by every command that reads results: the
 * headline must be a finite number above 0 J (a NaN that JSON wrote as null, or a file edited by
 * hand, must never read as 0 J), whPer1k must be perQueryJ in other units, and the per-trial
 * figures and the interval must be usable numbers where present.
 */
import type { EnergyMeasured } from './schema.js';

const J_PER_WH = 3600;

/** Equal to about 1 part in a million: the two figures are written with full precision. */
function sameFigure(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
}

const shown = (value: unknown) => (value === undefined ? 'missing' : JSON.stringify(value));

/** What is wrong with the headline figures (perQueryJ and whPer1k); empty when they are usable. */
export function headlineProblems(energy: EnergyMeasured): string[] {
  const problems: string[] = [];
  const positive = (name: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      problems.push(`${name} is ${shown(value)}, not a finite number`);
    } else if (value <= 0) {
      problems.push(`${name} is ${value}, not above 0`);
    }
  };
  positive('perQueryJ', energy.perQueryJ);
  positive('whPer1k', energy.whPer1k);
  // The two headline figures are one number in two units; a file where they disagree was edited.
  const whPer1k = (energy.perQueryJ * 1000) / J_PER_WH;
  if (problems.length === 0 && !sameFigure(energy.whPer1k, whPer1k)) {
    problems.push(
      `whPer1k is ${energy.whPer1k}, but perQueryJ ${energy.perQueryJ} is ${whPer1k} Wh per 1,000 queries`,
    );
  }
  return problems;
}

/** Why a measured or estimated energy block holds no usable figure; empty when it is usable. */
export function energyProblems(energy: EnergyMeasured): string[] {
  const problems = headlineProblems(energy);
  const trials: unknown = energy.perTrialJ;
  if (trials !== undefined) {
    const good = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;
    if (!Array.isArray(trials)) problems.push(`perTrialJ is ${shown(trials)}, not a list`);
    else if (!trials.every(good)) {
      problems.push(`perTrialJ is ${JSON.stringify(trials)}, not all finite numbers above 0`);
    }
  }
  const ci: unknown = energy.ci95PerQueryJ;
  if (ci !== null && ci !== undefined) {
    if (typeof ci !== 'number' || !Number.isFinite(ci)) {
      problems.push(`ci95PerQueryJ is ${shown(ci)}, not a finite number`);
    } else if (ci < 0) {
      problems.push(`ci95PerQueryJ is ${ci}, below 0`);
    }
  }
  return problems;
}

/**
 * The headline's problems in one line, or null when it is usable: what turns a stored energy
 * into "not measured" for every reader, so that no command shows, rates or gates it.
 */
export function headlineEnergyProblem(energy: EnergyMeasured): string | null {
  const problems = headlineProblems(energy);
  return problems.length ? `energy figures are unusable: ${problems.join('; ')}` : null;
}
