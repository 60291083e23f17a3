/**
 * `check`: holds a result document to limits and, optionally, to a baseline. Every limit is a
 * check of each configuration; a configuration that cannot be checked (no usable energy, no
 * rating, failed, missing from the run) fails rather than passes, and a check that evaluates
 * nothing at all is a usage error.
 */
import { usageError } from '../errors.js';
import type { ConfigResult, EnergyMeasured, RunDocument } from '../result/schema.js';
import { fidelityOutcome, type FidelityCheck } from './fidelity.js';
import { energyFigures, errorSources } from './energy.js';
import { estimatedSuffix, figureWithBands, modelBandPct } from '../render/energy-text.js';
import { formatP, formatPct, formatSig } from '../render/numbers.js';
import { matchConfigurations, type ConfigPair } from './match.js';
import { testRegression, type RegressionSide, type RegressionVerdict } from './regression.js';

export interface CheckLimits {
  minStars?: number;
  maxWhPer1k?: number;
  maxJPerQuery?: number;
  /** Needs a baseline. */
  maxRegressionPct?: number;
  requireMeasured?: boolean;
  /**
   * Hold each configuration's recorded fidelity to its thresholds, or to these where given
   * (--require-fidelity, --min-agreement…): one that does not pass, or has no record, fails.
   */
  fidelity?: FidelityCheck;
  /**
   * Not a limit: with a baseline, a configuration the baseline measured but this run lacks (or
   * skipped) is a note instead of a failure.
   */
  allowMissing?: boolean;
}

/**
 * The flag behind each check. `status`, `complete` and `energy` (the energy figures are usable
 * numbers) are checked whatever the flags.
 */
export type CheckName =
  | 'status'
  | 'complete'
  | 'energy'
  | '--min-stars'
  | '--max-wh-per-1k'
  | '--max-j-per-query'
  | '--max-regression'
  | '--require-measured'
  | 'fidelity';

export interface CheckOutcome {
  /** Configuration id; the whole run for `complete`. */
  config: string;
  check: CheckName;
  passed: boolean;
  /** The line a person reads: figure, limit, and by how much. */
  message: string;
  /**
   * The figure held to the limit: Wh/1k (--max-wh-per-1k) or J/query (--max-j-per-query) of the
   * headline figure; stars (--min-stars); for --max-regression the change in % of the baseline.
   */
  figure: number | null;
  /** The limit as given: Wh/1k, J/query, stars, or % for --max-regression. */
  limit: number | null;
  /** --max-wh-per-1k, --max-j-per-query: (figure / limit - 1) × 100, in % of the limit; negative: below it. */
  excessPercentOfLimit: number | null;
  /** --max-regression: change % - PCT, in percentage points; negative: within it. */
  excessPoints: number | null;
  /** --min-stars: minimum - stars; negative: above it. */
  starsShort: number | null;
  /** --max-regression only: which test decided, and its numbers. */
  regression?: RegressionVerdict;
}

export interface NotChecked {
  config: string;
  reason: string;
}

export interface CheckReport {
  result: string;
  baseline: string | null;
  limits: CheckLimits;
  passed: boolean;
  /** Configurations with at least one check (those missing from the run included). */
  checkedConfigs: number;
  failedConfigs: number;
  outcomes: CheckOutcome[];
  notChecked: NotChecked[];
  notes: string[];
}

export interface CheckInput {
  result: { name: string; document: RunDocument };
  baseline?: { name: string; document: RunDocument };
  limits: CheckLimits;
}

/** The `config` of an outcome about the whole run rather than one configuration. */
export const RUN = '(run)';

/** An outcome's fields that only some checks fill. */
const NO_FIGURES = {
  figure: null,
  limit: null,
  excessPercentOfLimit: null,
  excessPoints: null,
  starsShort: null,
} as const;

export function hasAnyLimit(limits: CheckLimits): boolean {
  return (
    limits.minStars !== undefined ||
    limits.maxWhPer1k !== undefined ||
    limits.maxJPerQuery !== undefined ||
    limits.maxRegressionPct !== undefined ||
    limits.requireMeasured === true ||
    limits.fidelity !== undefined
  );
}

export function runCheck(input: CheckInput): CheckReport {
  const { result, baseline, limits } = input;
  if ((limits.maxRegressionPct === undefined) !== (baseline === undefined)) {
    throw usageError(
      baseline ? '--baseline needs --max-regression' : '--max-regression needs --baseline',
      'for example --baseline main.json --max-regression 5',
    );
  }
  if (limits.allowMissing && !baseline) {
    throw usageError('--allow-missing needs --baseline', 'it lets configurations of the baseline be missing');
  }
  if (!hasAnyLimit(limits)) {
    throw usageError(
      'check needs at least one limit',
      'give --min-stars, --max-wh-per-1k, --max-j-per-query, --require-measured, --require-fidelity (or --min-agreement…) or --baseline with --max-regression',
    );
  }
  if (result.document.results.length === 0) {
    throw usageError(`${result.name} has no configurations`, 'its run measured nothing; run bench again');
  }
  const outcomes: CheckOutcome[] = [];
  const notChecked: NotChecked[] = [];
  const notes: string[] = [];

  if (!result.document.complete) {
    outcomes.push({
      ...NO_FIGURES,
      config: RUN,
      check: 'complete',
      passed: false,
      message: `${result.name} is from a run that did not finish (${result.document.interrupted ? 'interrupted' : 'killed or crashed'}): configurations may be missing`,
    });
  }

  let pairs = new Map<ConfigResult, ConfigPair>();
  let names = { result: result.name, baseline: '' };
  let onlyInBase: ConfigResult[] = [];
  if (baseline && limits.maxRegressionPct !== undefined) {
    names = { result: result.name, baseline: baseline.name };
    const matching = matchConfigurations(baseline, result);
    pairs = new Map(matching.pairs.map((p) => [p.current, p]));
    onlyInBase = matching.onlyInBase;
    if (!baseline.document.complete)
      notes.push(`the baseline ${baseline.name} is from a run that did not finish`);
    const machines = [baseline.document, result.document].map((d) => d.environment.cpu);
    if (machines[0] !== machines[1]) {
      notes.push(
        `the baseline ran on ${machines[0]}, this run on ${machines[1]}: a difference may be the machine's`,
      );
    }
  }

  // A configuration others are compared with has no fidelity of its own: it is not a failure.
  const references = new Set(
    result.document.results.flatMap((r) => (r.fidelity ? [r.fidelity.reference] : [])),
  );
  for (const config of result.document.results) {
    outcomes.push(...checkConfig(config, limits, pairs.get(config), names, notChecked, notes));
    if (limits.fidelity && config.status === 'ok') {
      const outcome = fidelityOutcome(config, limits.fidelity, references);
      if ('reason' in outcome) notChecked.push({ config: config.id, reason: outcome.reason });
      else outcomes.push({ ...NO_FIGURES, config: config.id, check: 'fidelity', ...outcome });
    }
  }
  // A configuration the baseline measured but this run lacks would otherwise pass unseen.
  for (const c of onlyInBase) {
    if (c.status === 'skipped') notes.push(`${c.id}: in the baseline only, skipped there`);
    else if (limits.allowMissing) notes.push(`${c.id}: in the baseline, not in this run (--allow-missing)`);
    else outcomes.push(missingOutcome(c.id, 'in the baseline, not in this run'));
  }
  const checked = new Set(outcomes.map((o) => o.config).filter((c) => c !== RUN));
  if (checked.size === 0) {
    const why = notChecked.map((n) => `${n.config}: ${n.reason}`).join('; ');
    throw usageError(
      `nothing to check in ${result.name}: no configuration could be held to the limits given (${why})`,
      'a check that evaluates nothing never passes; bench the configurations first',
    );
  }
  const failed = new Set(outcomes.filter((o) => !o.passed).map((o) => o.config));
  return {
    result: result.name,
    baseline: baseline?.name ?? null,
    limits,
    passed: failed.size === 0,
    checkedConfigs: checked.size,
    failedConfigs: [...failed].filter((c) => c !== RUN).length,
    outcomes,
    notChecked,
    notes,
  };
}

function missingOutcome(config: string, what: string): CheckOutcome {
  return {
    ...NO_FIGURES,
    config,
    check: '--max-regression',
    passed: false,
    message: `${what}: bench it too, or pass --allow-missing`,
  };
}

function checkConfig(
  config: ConfigResult,
  limits: CheckLimits,
  pair: ConfigPair | undefined,
  names: { result: string; baseline: string },
  notChecked: NotChecked[],
  notes: string[],
): CheckOutcome[] {
  const base = { ...NO_FIGURES, config: config.id };
  if (config.status === 'skipped') {
    const why = `skipped: ${config.reason ?? 'no reason given'}`;
    if (pair && pair.base.status !== 'skipped' && !limits.allowMissing) {
      return [missingOutcome(config.id, `${why}; the baseline has it (${pair.base.status})`)];
    }
    notChecked.push({ config: config.id, reason: why });
    return [];
  }
  if (config.status !== 'ok') {
    const why =
      config.reason ?? (config.status === 'interrupted' ? 'not measured in full' : 'no reason given');
    return [{ ...base, check: 'status', passed: false, message: `${config.status}: ${why}` }];
  }
  const figures = energyFigures(config);
  const outcomes: CheckOutcome[] = [];
  if (figures.kind === 'unusable') {
    // Whatever the limits: a figure that is not a number, or is 0 or less, is a broken measurement.
    outcomes.push({
      ...base,
      check: 'energy',
      passed: false,
      message: `no usable energy figure: ${figures.problems}`,
    });
  }
  const usable = figures.kind !== 'unusable';
  if (limits.requireMeasured && usable) outcomes.push(checkMeasured(config));
  if (limits.minStars !== undefined) outcomes.push(checkStars(config, limits.minStars));
  if (limits.maxWhPer1k !== undefined && usable) {
    outcomes.push(checkMax(config, '--max-wh-per-1k', limits.maxWhPer1k, (e) => e.whPer1k, 'Wh/1k'));
  }
  if (limits.maxJPerQuery !== undefined && usable) {
    outcomes.push(checkMax(config, '--max-j-per-query', limits.maxJPerQuery, (e) => e.perQueryJ, 'J/query'));
  }
  if (limits.maxRegressionPct !== undefined && usable) {
    if (pair) {
      outcomes.push(checkRegression(pair, limits.maxRegressionPct, names));
      if (pair.modelChanged) notes.push(`${config.id}: the model file differs from the baseline's (sha256)`);
      if (pair.base.energy.status !== config.energy.status && config.energy.status !== 'not-measured') {
        notes.push(
          `${config.id}: the baseline's energy is ${pair.base.energy.status}, this run's ${config.energy.status}: the comparison mixes methods`,
        );
      }
    } else {
      notChecked.push({ config: config.id, reason: 'not in the baseline: no regression check' });
    }
  }
  return outcomes;
}

function checkMeasured(config: ConfigResult): CheckOutcome {
  const energy = config.energy;
  const base = { ...NO_FIGURES, config: config.id, check: '--require-measured' as const };
  if (energy.status === 'not-measured') {
    return {
      ...base,
      passed: false,
      message: `energy was not measured (${energy.reason}), and --require-measured is set`,
    };
  }
  if (energy.status === 'measured') return { ...base, passed: true, message: 'energy is measured' };
  const message = `energy is estimated, not measured (${[...new Set(energy.meters.map((m) => m.name))].join(', ')}), and --require-measured is set`;
  return { ...base, passed: false, message };
}

function checkStars(config: ConfigResult, minStars: number): CheckOutcome {
  const rating = config.rating;
  const base = { ...NO_FIGURES, config: config.id, check: '--min-stars' as const, limit: minStars };
  if (rating.status === 'unrated') {
    return { ...base, passed: false, message: `unrated: ${rating.reason}` };
  }
  const stars = rating.stars;
  const noun = (n: number) => `${n} star${n === 1 ? '' : 's'}`;
  const passed = stars >= minStars;
  return {
    ...base,
    passed,
    figure: stars,
    starsShort: minStars - stars,
    message: passed
      ? `${noun(stars)} meets --min-stars ${minStars}`
      : `${noun(stars)} is below --min-stars ${minStars} by ${noun(minStars - stars)}`,
  };
}

function checkMax(
  config: ConfigResult,
  check: '--max-wh-per-1k' | '--max-j-per-query',
  limit: number,
  figureOf: (e: EnergyMeasured) => number,
  unit: string,
): CheckOutcome {
  const base = { ...NO_FIGURES, config: config.id, check, limit };
  if (config.energy.status === 'not-measured') {
    return {
      ...base,
      passed: false,
      message: `no energy figure to hold to ${check} ${limit}: ${config.energy.reason}`,
    };
  }
  const figure = figureOf(config.energy);
  const excess = (figure / limit - 1) * 100;
  // An estimate with a model band shows both its uncertainties: the band dwarfs the interval.
  const shown =
    modelBandPct(config) !== null
      ? figureWithBands(config, figure, unit)
      : `${formatSig(figure, 3)} ${unit}${estimatedSuffix(config)}`;
  const passed = figure <= limit;
  return {
    ...base,
    passed,
    figure,
    excessPercentOfLimit: excess,
    message: passed
      ? `${shown} is within ${check} ${limit} (${formatPct(-excess)} % below)`
      : `${shown} is above ${check} ${limit} by ${formatPct(excess)} %`,
  };
}

function checkRegression(
  pair: ConfigPair,
  maxRegressionPct: number,
  names: { result: string; baseline: string },
): CheckOutcome {
  const base = {
    ...NO_FIGURES,
    config: pair.current.id,
    check: '--max-regression' as const,
    limit: maxRegressionPct,
  };
  if (pair.base.status !== 'ok') {
    return {
      ...base,
      passed: false,
      message: `the baseline's configuration has status ${pair.base.status}: no figure to test for a regression`,
    };
  }
  const fail = (message: string): CheckOutcome => ({ ...base, passed: false, message });
  const currentEnergy = pair.current.energy;
  if (currentEnergy.status === 'not-measured') {
    return fail(`no energy figure in this run (${currentEnergy.reason}) to test for a regression`);
  }
  const baseFigures = energyFigures(pair.base);
  if (baseFigures.kind === 'not-measured') {
    return fail(`no energy figure in the baseline (${baseFigures.reason}) to test for a regression`);
  }
  if (baseFigures.kind === 'unusable') {
    return fail(`no usable energy figure in the baseline ${names.baseline}: ${baseFigures.problems}`);
  }
  const verdict = testRegression(
    { name: names.baseline, energy: baseFigures.energy },
    { name: names.result, energy: currentEnergy },
    maxRegressionPct,
  );
  return {
    ...base,
    passed: verdict.regressed === false,
    figure: verdict.changePct,
    excessPoints: verdict.changePct - maxRegressionPct,
    regression: verdict,
    message: regressionMessage(
      verdict,
      maxRegressionPct,
      estimatedSuffix(pair.current),
      estimatedSuffix(pair.base),
    ),
  };
}

function regressionMessage(
  v: RegressionVerdict,
  maxPct: number,
  currentEst: string,
  baseEst: string,
): string {
  const direction = v.changePct >= 0 ? 'above' : 'below';
  const change = `${formatPct(Math.abs(v.changePct))} % ${direction}`;
  if (v.method === 'untestable') {
    return `${formatSig(v.currentPerQueryJ, 3)} J/query${currentEst} is ${change} the baseline's ${formatSig(v.baselinePerQueryJ, 3)} J/query${baseEst}: ${v.reason}`;
  }
  // The test compares means of the per-trial figures where there are some: say so, since the
  // headline figure (total energy / total queries, what the limits use) differs slightly.
  const figure = (side: RegressionSide, est: string) =>
    `${side.source === 'trials' ? 'trial mean ' : ''}${formatSig(side.perQueryJ, 3)} J/query${est}`;
  const figures = `${figure(v.current, currentEst)} is ${change} the baseline's ${figure(v.baseline, baseEst)}`;
  const how = testDescription(v);
  if (v.regressed) {
    return `${figures}: a real regression, above --max-regression ${maxPct} % by ${formatPct(v.changePct - maxPct)} points (${how})`;
  }
  const verdict =
    v.changePct > maxPct
      ? `more than --max-regression ${maxPct} %, but not significantly (${how}): within noise`
      : `within --max-regression ${maxPct} % (${how})`;
  return `${figures}: ${verdict}`;
}

/** Which test decided, and with what numbers. */
export function testDescription(v: Extract<RegressionVerdict, { method: 'welch' }>): string {
  const w = v.welch;
  const sources = errorSources(v.current.name, v.current, v.baseline.name, v.baseline);
  return `Welch's t-test on ${v.current.count} trials (this run) and ${v.baseline.count} (the baseline), ${sources}: t = ${w.t.toFixed(2)}, df = ${w.df.toFixed(1)}, one-sided p = ${formatP(w.p)}`;
}
