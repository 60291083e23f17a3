/**
 * `energy-score check`: every limit passing and failing, the regression rule (noisy-but-equal
 * passes, a clear regression fails, and which test decided), bad input, and the exit codes of the
 * built CLI. Variants are edited copies of a recorded result (test/fixtures/results/).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
import { runCheck, type CheckLimits, type CheckOutcome, type CheckReport } from '../src/gate/check.js';
import type { RegressionVerdict } from '../src/gate/regression.js';
import { estimateFromTrials, welchGreater } from '../src/gate/welch.js';
import { parseRunDocument, readRunDocument } from '../src/result/read.js';
import type { ConfigResult, EnergyMeasured, RunDocument } from '../src/result/schema.js';
import { assertExit, cli, cliEnv, REPO_ROOT } from './helpers/cli.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'results', 'encoder-tiny-cpu.json');
const FP32_B1 = 'encoder-tiny/fp32/b1/cpu';
/** Outside GitHub Actions, whatever the machine running the tests says. */
const ENV = cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-check-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function load(): RunDocument {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as RunDocument;
}

function measured(config: ConfigResult): EnergyMeasured {
  assert.notEqual(config.energy.status, 'not-measured');
  return config.energy as EnergyMeasured;
}

/** Multiplies each trial of every configuration by its factor (one factor: all trials). */
function scaleTrials(document: RunDocument, factors: number | number[]): RunDocument {
  for (const config of document.results) {
    const energy = measured(config);
    const trials = energy.perTrialJ!;
    const next = trials.map((v, i) => v * (typeof factors === 'number' ? factors : factors[i]!));
    const meanFactor = next.reduce((s, v) => s + v, 0) / trials.reduce((s, v) => s + v, 0);
    energy.perTrialJ = next;
    energy.perQueryJ *= meanFactor;
    energy.whPer1k *= meanFactor;
    if (energy.ci95PerQueryJ !== null) energy.ci95PerQueryJ *= meanFactor;
  }
  return document;
}

function write(name: string, content: RunDocument | string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function check(document: RunDocument, limits: CheckLimits, baseline?: RunDocument): CheckReport {
  return runCheck({
    result: { name: 'new.json', document },
    baseline: baseline ? { name: 'main.json', document: baseline } : undefined,
    limits,
  });
}

function outcome(report: CheckReport, config: string, check: string) {
  const found = report.outcomes.find((o) => o.config === config && o.check === check);
  assert.ok(found, `no ${check} outcome for ${config}`);
  return found;
}

/** The outcome's verdict, which Welch's test decided. */
function welchOf(o: CheckOutcome): Extract<RegressionVerdict, { method: 'welch' }> {
  assert.equal(o.regression?.method, 'welch', o.message);
  return o.regression as Extract<RegressionVerdict, { method: 'welch' }>;
}

/** No per-trial figures (results written before they were recorded): the intervals give the noise. */
function stripTrials(document: RunDocument): RunDocument {
  for (const r of document.results) delete measured(r).perTrialJ;
  return document;
}

/** One trial, no interval: nothing says how noisy the figure is. */
function singleTrial(document: RunDocument): RunDocument {
  for (const r of document.results) {
    const e = measured(r);
    delete e.perTrialJ;
    e.ci95PerQueryJ = null;
    e.ci95Relative = null;
    e.trials = 1;
  }
  return document;
}

function failures(report: CheckReport): string[] {
  return report.outcomes.filter((o) => !o.passed).map((o) => `${o.config}: ${o.message}`);
}

function usage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("Welch's t-test", () => {
  // a = [1.0, 1.2, 1.1]: mean 1.1, variance 0.01, squared standard error 0.01 / 3 = 0.0033333.
  // b = [1.3, 1.5, 1.4, 1.6]: mean 1.45, variance 0.05 / 3 = 0.016667, squared s.e. 0.0041667.
  // t = (1.45 - 1.1) / sqrt(0.0041667 + 0.0033333) = 0.35 / 0.0866025 = 4.04145
  // df = 0.0075² / (0.0041667² / 3 + 0.0033333² / 2) = 5.625e-5 / 1.13426e-5 = 4.95918
  // p = 1 - T(4.04145; 4.95918) = 0.0050385 (as scipy.stats.ttest_ind(b, a, equal_var=False,
  // alternative='greater') gives).
  const a = estimateFromTrials([1.0, 1.2, 1.1]);
  const b = estimateFromTrials([1.3, 1.5, 1.4, 1.6]);

  test('matches the hand-computed statistic, degrees of freedom and one-sided p', () => {
    const w = welchGreater(b, a);
    assert.ok(Math.abs(w.t - 4.041452) < 1e-5, `t ${w.t}`);
    assert.ok(Math.abs(w.df - 4.959184) < 1e-5, `df ${w.df}`);
    assert.ok(Math.abs(w.p - 0.0050385) < 1e-6, `p ${w.p}`);
  });

  test('the worked example of docs/ci.md: more than 5 % up, significantly', () => {
    // b vs 1.05 a: t = (1.45 - 1.155) / sqrt(0.0041667 + 1.1025 × 0.0033333) = 0.295 / 0.088553.
    const w = welchGreater(b, a, 1.05);
    assert.ok(Math.abs(w.t - 3.331331) < 1e-5, `t ${w.t}`);
    assert.ok(Math.abs(w.df - 4.903706) < 1e-5, `df ${w.df}`);
    assert.ok(Math.abs(w.p - 0.0106834) < 1e-6, `p ${w.p}`);
  });

  test('a factor tests H0: b <= factor × a (the baseline scaled with its standard error)', () => {
    // b vs 1.25 a: t = (1.45 - 1.375) / sqrt(0.0041667 + 1.5625 × 0.0033333) = 0.774597.
    const w = welchGreater(b, a, 1.25);
    assert.ok(Math.abs(w.t - 0.774597) < 1e-5, `t ${w.t}`);
    assert.ok(Math.abs(w.df - 4.542056) < 1e-5, `df ${w.df}`);
    assert.ok(Math.abs(w.p - 0.2384694) < 1e-6, `p ${w.p}`);
  });

  test('per-trial figures from back-to-back windows: the standard error of their batch means', () => {
    // 1…9 drift: batch means 2, 5, 8 (standard error √3, 3 batches) are wider than the
    // independent interval (standard error √7.5 / 3), so the test uses them.
    const drifting = estimateFromTrials([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(drifting.mean, 5);
    assert.ok(Math.abs(drifting.standardError - Math.sqrt(3)) < 1e-15);
    assert.equal(drifting.count, 3);
  });

  test('identical trials: any increase is certain, none is not', () => {
    const flat = estimateFromTrials([2, 2, 2]);
    assert.equal(welchGreater(estimateFromTrials([3, 3]), flat).p, 0);
    assert.equal(welchGreater(flat, flat).p, 1);
  });
});

describe('check: limits', () => {
  test('--max-wh-per-1k fails the configurations above it, with figure, limit and by how much', () => {
    const report = check(load(), { maxWhPer1k: 0.003 });
    assert.equal(report.passed, false);
    assert.equal(report.failedConfigs, 2);
    assert.equal(report.checkedConfigs, 6);
    assert.deepEqual(failures(report), [
      'encoder-tiny/fp16/b8/cpu: 0.00355 Wh/1k (estimated) is above --max-wh-per-1k 0.003 by 18 %',
      'encoder-tiny/q8/b8/cpu: 0.00327 Wh/1k (estimated) is above --max-wh-per-1k 0.003 by 9.0 %',
    ]);
    const fp16 = outcome(report, 'encoder-tiny/fp16/b8/cpu', '--max-wh-per-1k');
    assert.equal(fp16.figure, 0.003552370817297987);
    assert.equal(fp16.limit, 0.003);
    assert.ok(Math.abs(fp16.excessPercentOfLimit! - 18.4123605766) < 1e-6);
  });

  test('--max-wh-per-1k passes every configuration at or under it', () => {
    const report = check(load(), { maxWhPer1k: 0.004 });
    assert.equal(report.passed, true);
    assert.equal(
      outcome(report, FP32_B1, '--max-wh-per-1k').message,
      '0.00146 Wh/1k (estimated) is within --max-wh-per-1k 0.004 (63 % below)',
    );
  });

  test('--max-j-per-query passes and fails', () => {
    assert.equal(check(load(), { maxJPerQuery: 0.013 }).passed, true);
    const report = check(load(), { maxJPerQuery: 0.011 });
    assert.deepEqual(failures(report), [
      'encoder-tiny/fp16/b8/cpu: 0.0128 J/query (estimated) is above --max-j-per-query 0.011 by 16 %',
      'encoder-tiny/q8/b8/cpu: 0.0118 J/query (estimated) is above --max-j-per-query 0.011 by 7.1 %',
    ]);
  });

  test('an energy limit fails a configuration with no energy figure', () => {
    const document = load();
    document.results[0]!.energy = {
      status: 'not-measured',
      reason: '--meter none: no energy meter was used',
      perQueryJ: null,
      whPer1k: null,
      queriesPerJ: null,
    };
    const report = check(document, { maxWhPer1k: 1 });
    assert.deepEqual(failures(report), [
      `${FP32_B1}: no energy figure to hold to --max-wh-per-1k 1: --meter none: no energy meter was used`,
    ]);
  });

  test('--min-stars fails unrated configurations, never passes them', () => {
    const report = check(load(), { minStars: 1 });
    assert.equal(report.failedConfigs, 6);
    assert.equal(
      outcome(report, FP32_B1, '--min-stars').message,
      'unrated: ratings need measured energy and a cohort',
    );
  });

  test('--min-stars passes a rating at or above it and fails one below, by how many stars', () => {
    const document = load();
    document.results = document.results.slice(0, 1);
    document.results[0]!.rating = {
      status: 'rated',
      stars: 4,
      band: 1,
      scale: 'aies',
      clamped: null,
      singleton: false,
      energyKwhPer1k: 0.0000014643,
      energyStatus: 'estimated',
      cohort: {
        kind: 'reference',
        source: 'test',
        task: 'text-classification',
        hardware: 'test',
        sizeClass: null,
        size: 10,
        rangeKwhPer1k: [0.000001, 0.00001],
      },
    };
    assert.equal(
      outcome(check(document, { minStars: 4 }), FP32_B1, '--min-stars').message,
      '4 stars meets --min-stars 4',
    );
    const report = check(document, { minStars: 5 });
    assert.deepEqual(failures(report), [`${FP32_B1}: 4 stars is below --min-stars 5 by 1 star`]);
    assert.equal(outcome(report, FP32_B1, '--min-stars').starsShort, 1);
  });

  test('--require-measured fails estimated and unmeasured energy and passes measured', () => {
    const document = load();
    document.results = document.results.slice(0, 2);
    measured(document.results[0]!).status = 'measured';
    assert.deepEqual(failures(check(document, { requireMeasured: true })), [
      'encoder-tiny/fp32/b8/cpu: energy is estimated, not measured (cpu-estimate), and --require-measured is set',
    ]);
    assert.equal(
      outcome(check(document, { requireMeasured: true }), FP32_B1, '--require-measured').passed,
      true,
    );
  });

  test('a failed configuration fails; a skipped one is listed as not checked', () => {
    const document = load();
    document.results[0]!.status = 'failed';
    document.results[0]!.reason = 'onnxruntime: out of memory';
    document.results[1]!.status = 'skipped';
    document.results[1]!.reason = 'no fp16 kernels on this device';
    const report = check(document, { maxWhPer1k: 1 });
    assert.deepEqual(failures(report), [`${FP32_B1}: failed: onnxruntime: out of memory`]);
    assert.deepEqual(report.notChecked, [
      { config: 'encoder-tiny/fp32/b8/cpu', reason: 'skipped: no fp16 kernels on this device' },
    ]);
    assert.equal(report.checkedConfigs, 5);
  });

  test('a run that did not finish fails', () => {
    const document = load();
    document.complete = false;
    document.interrupted = true;
    const report = check(document, { maxWhPer1k: 1 });
    assert.equal(report.passed, false);
    assert.equal(report.failedConfigs, 0);
    assert.deepEqual(failures(report), [
      '(run): new.json is from a run that did not finish (interrupted): configurations may be missing',
    ]);
  });

  test('a check that evaluates no configuration is a usage error, not a pass', () => {
    const document = load();
    for (const r of document.results) {
      r.status = 'skipped';
      r.reason = 'not on this machine';
    }
    usage(() => check(document, { maxWhPer1k: 1 }), /^nothing to check in new\.json/);
  });

  test('no limit, or --baseline and --max-regression apart, are usage errors', () => {
    usage(() => check(load(), {}), /at least one limit/);
    usage(() => check(load(), { maxRegressionPct: 5 }), /--max-regression needs --baseline/);
    usage(() => check(load(), { maxWhPer1k: 1 }, load()), /--baseline needs --max-regression/);
  });
});

describe('check: --max-regression', () => {
  test('the same result passes, decided by Welch on the trials', () => {
    const report = check(load(), { maxRegressionPct: 5 }, load());
    assert.equal(report.passed, true);
    const o = outcome(report, FP32_B1, '--max-regression');
    assert.equal(welchOf(o).current.source, 'trials');
    assert.equal(
      o.message,
      "trial mean 0.00527 J/query (estimated) is 0 % above the baseline's trial mean 0.00527 J/query (estimated): within --max-regression 5 % (Welch's t-test on 3 trials (this run) and 3 (the baseline), per-trial figures: t = -2.36, df = 4.0, one-sided p = 0.96)",
    );
  });

  test('noisy but equal (each trial ±6 %, the mean +1.7 %) passes', () => {
    const report = check(scaleTrials(load(), [1.06, 0.97, 1.02]), { maxRegressionPct: 5 }, load());
    assert.equal(report.passed, true);
    const w = welchOf(outcome(report, FP32_B1, '--max-regression')).welch;
    // scipy.stats.ttest_ind(new, 1.05 × base, equal_var=False, alternative='greater')
    assert.ok(Math.abs(w.t - -0.7503965) < 1e-5);
    assert.ok(Math.abs(w.df - 2.5567319) < 1e-5);
    assert.ok(Math.abs(w.p - 0.7419932) < 1e-5);
  });

  test('noisy and above the limit, but not significantly: passes, and says so', () => {
    // Trials × 1.12, 1.00, 1.05: the mean is 5.8 % up, but p = 0.448 for "more than 5 % up".
    const report = check(scaleTrials(load(), [1.12, 1.0, 1.05]), { maxRegressionPct: 5 }, load());
    const o = outcome(report, FP32_B1, '--max-regression');
    assert.equal(o.passed, true);
    assert.ok(Math.abs(welchOf(o).welch.p - 0.4477754) < 1e-5);
    assert.match(
      o.message,
      /5\.8 % above .*more than --max-regression 5 %, but not significantly .*: within noise$/,
    );
  });

  test('a clear regression (every trial × 1.3) fails, naming the test and the trial means', () => {
    const report = check(scaleTrials(load(), 1.3), { maxRegressionPct: 5 }, load());
    assert.equal(report.passed, false);
    assert.equal(report.failedConfigs, 6);
    const o = outcome(report, FP32_B1, '--max-regression');
    assert.equal(
      o.message,
      "trial mean 0.00686 J/query (estimated) is 30 % above the baseline's trial mean 0.00527 J/query (estimated): a real regression, above --max-regression 5 % by 25 points (Welch's t-test on 3 trials (this run) and 3 (the baseline), per-trial figures: t = 10.26, df = 3.8, one-sided p = 0.00032)",
    );
    assert.ok(Math.abs(o.figure! - 30) < 1e-9);
    // Percentage points above PCT, not % of anything: 30 - 5.
    assert.ok(Math.abs(o.excessPoints! - 25) < 1e-9);
    assert.equal(o.excessPercentOfLimit, null);
  });

  test('a real increase below the limit passes: the rule tests "more than PCT % up"', () => {
    const report = check(scaleTrials(load(), 1.3), { maxRegressionPct: 40 }, load());
    assert.equal(report.passed, true);
  });

  test('without per-trial figures: Welch on the standard errors the 95 % intervals imply', () => {
    // s.e. = ci95 / t(0.975, 2) = 0.000330991 / 4.302653 = 7.6927e-5 (× 1.3 for the new run);
    // t = (0.0068530 - 1.05 × 0.0052715) / sqrt(1.0000540e-4² + (1.05 × 7.6927e-5)²) = 10.251742,
    // df = 3.830457, one-sided p = 0.00031754 (scipy.stats.t.sf). The intervals' non-overlap rule
    // this replaces needed p ≈ 0.002 with three trials, and compare used Welch: now both do.
    const regressed = check(
      stripTrials(scaleTrials(load(), 1.3)),
      { maxRegressionPct: 5 },
      stripTrials(load()),
    );
    const o = outcome(regressed, FP32_B1, '--max-regression');
    assert.equal(o.passed, false);
    const v = welchOf(o);
    assert.equal(v.current.source, 'interval');
    assert.equal(v.baseline.source, 'interval');
    assert.ok(Math.abs(v.baseline.standardError - 7.692723225e-5) < 1e-12);
    assert.ok(Math.abs(v.welch.t - 10.2517417) < 1e-6, `t ${v.welch.t}`);
    assert.ok(Math.abs(v.welch.df - 3.830457) < 1e-6, `df ${v.welch.df}`);
    assert.ok(Math.abs(v.welch.p - 0.00031753577) < 1e-9, `p ${v.welch.p}`);
    assert.equal(
      o.message,
      "0.00685 J/query (estimated) is 30 % above the baseline's 0.00527 J/query (estimated): a real regression, above --max-regression 5 % by 25 points (Welch's t-test on 3 trials (this run) and 3 (the baseline), standard errors from the recorded 95 % intervals: t = 10.25, df = 3.8, one-sided p = 0.00032)",
    );
    const equal = check(stripTrials(scaleTrials(load(), 1.02)), { maxRegressionPct: 5 }, stripTrials(load()));
    assert.equal(equal.passed, true);
  });

  test('per-trial figures on one side and an interval on the other: Welch on both', () => {
    // New trials × 1.1 (mean 0.0058005, s.e. from the trials) against the baseline's headline
    // 0.0052715 and its interval's s.e.: t = 2.269019, df = 3.991404, p = 0.042982 (scipy).
    const report = check(scaleTrials(load(), 1.1), { maxRegressionPct: 5 }, stripTrials(load()));
    const o = outcome(report, FP32_B1, '--max-regression');
    assert.equal(o.passed, false);
    const v = welchOf(o);
    assert.ok(Math.abs(v.welch.t - 2.2690189) < 1e-6, `t ${v.welch.t}`);
    assert.ok(Math.abs(v.welch.df - 3.9914045) < 1e-6, `df ${v.welch.df}`);
    assert.ok(Math.abs(v.welch.p - 0.0429820855) < 1e-9, `p ${v.welch.p}`);
    assert.equal(
      o.message,
      "trial mean 0.00580 J/query (estimated) is 10 % above the baseline's 0.00527 J/query (estimated): a real regression, above --max-regression 5 % by 5.0 points (Welch's t-test on 3 trials (this run) and 3 (the baseline), standard errors from the per-trial figures of new.json and the recorded 95 % interval of main.json: t = 2.27, df = 4.0, one-sided p = 0.043)",
    );
  });

  test('one trial and no interval: the change cannot be tested, and the configuration fails', () => {
    // +0.5 %: far inside the limit, but with one trial nothing says whether it is noise.
    const report = check(
      singleTrial(scaleTrials(load(), 1.005)),
      { maxRegressionPct: 5 },
      singleTrial(load()),
    );
    assert.equal(report.passed, false);
    assert.equal(report.failedConfigs, 6);
    const o = outcome(report, FP32_B1, '--max-regression');
    assert.equal(o.regression?.method, 'untestable');
    assert.equal(o.regression?.regressed, null);
    assert.equal(
      o.message,
      "0.00530 J/query (estimated) is 0.50 % above the baseline's 0.00527 J/query (estimated): cannot test whether the change is real: new.json and main.json each have one trial and no interval; bench with at least 2 trials (--max-trials)",
    );
    for (const line of failures(report)) assert.doesNotMatch(line, /real regression/);
  });

  test('one side with one trial and no interval is untestable even when the other has trials', () => {
    // A single trial's noise is unknown: taking it as exact would overstate the certainty.
    const down = outcome(
      check(singleTrial(scaleTrials(load(), 0.8)), { maxRegressionPct: 5 }, load()),
      FP32_B1,
      '--max-regression',
    );
    assert.equal(down.passed, false);
    assert.equal(
      down.message,
      "0.00422 J/query (estimated) is 20 % below the baseline's 0.00527 J/query (estimated): cannot test whether the change is real: new.json has one trial and no interval; bench with at least 2 trials (--max-trials)",
    );
    const baseSingle = outcome(
      check(load(), { maxRegressionPct: 5 }, singleTrial(load())),
      FP32_B1,
      '--max-regression',
    );
    assert.equal(baseSingle.passed, false);
    assert.match(
      baseSingle.message,
      /: main\.json has one trial and no interval; bench with at least 2 trials/,
    );
  });

  test('a configuration of the baseline missing from this run fails; --allow-missing makes it a note', () => {
    const current = load();
    const baseline = load();
    baseline.results = baseline.results.slice(1);
    current.results = current.results.slice(0, 5);
    const report = check(current, { maxRegressionPct: 5 }, baseline);
    assert.equal(report.passed, false);
    assert.equal(report.failedConfigs, 1);
    assert.equal(report.checkedConfigs, 5);
    assert.deepEqual(failures(report), [
      'encoder-tiny/q8/b8/cpu: in the baseline, not in this run: bench it too, or pass --allow-missing',
    ]);
    // Only in this run: nothing to regress against, listed, not failed.
    assert.deepEqual(report.notChecked, [
      { config: FP32_B1, reason: 'not in the baseline: no regression check' },
    ]);
    const allowed = check(current, { maxRegressionPct: 5, allowMissing: true }, baseline);
    assert.equal(allowed.passed, true);
    assert.equal(allowed.checkedConfigs, 4);
    assert.ok(
      allowed.notes.includes('encoder-tiny/q8/b8/cpu: in the baseline, not in this run (--allow-missing)'),
    );
  });

  test('skipped in this run but measured in the baseline fails; skipped in the baseline is a note', () => {
    const current = load();
    current.results[1]!.status = 'skipped';
    current.results[1]!.reason = 'no such device';
    const report = check(current, { maxRegressionPct: 5 }, load());
    assert.deepEqual(failures(report), [
      'encoder-tiny/fp32/b8/cpu: skipped: no such device; the baseline has it (ok): bench it too, or pass --allow-missing',
    ]);
    assert.equal(check(current, { maxRegressionPct: 5, allowMissing: true }, load()).passed, true);
    const baseline = load();
    baseline.results[5]!.status = 'skipped';
    const current2 = load();
    current2.results = current2.results.slice(0, 5);
    const skippedThere = check(current2, { maxRegressionPct: 5 }, baseline);
    assert.equal(skippedThere.passed, true);
    assert.ok(skippedThere.notes.includes('encoder-tiny/q8/b8/cpu: in the baseline only, skipped there'));
  });

  test('--allow-missing without --baseline is a usage error', () => {
    usage(() => check(load(), { maxWhPer1k: 1, allowMissing: true }), /^--allow-missing needs --baseline$/);
  });

  test('a changed model file still matches by name, and says so', () => {
    const current = load();
    for (const r of current.results) r.model.sha256 = 'f'.repeat(64);
    const report = check(current, { maxRegressionPct: 5 }, load());
    assert.equal(report.checkedConfigs, 6);
    assert.ok(report.notes.includes(`${FP32_B1}: the model file differs from the baseline's (sha256)`));
  });

  test('a baseline of another model or task is a usage error naming what differs', () => {
    const otherModel = load();
    for (const r of otherModel.results) r.model = { ...r.model, name: 'other-model', sha256: null };
    usage(
      () => check(load(), { maxRegressionPct: 5 }, otherModel),
      /the model differs \(new\.json: encoder-tiny; main\.json: other-model\)/,
    );
    const otherTask = load();
    for (const r of otherTask.results) r.task = 'image-classification';
    usage(
      () => check(load(), { maxRegressionPct: 5 }, otherTask),
      /^no configuration of new\.json matches one of main\.json: the task differs \(new\.json: text-classification; main\.json: image-classification\)$/,
    );
  });

  test('a baseline that shares one configuration is no usage error: the rest of it must be in this run', () => {
    // Matching is per configuration: exit 2 only when none matches at all.
    const baseline = load();
    for (const r of baseline.results.slice(1)) r.model = { ...r.model, name: 'other-model', sha256: null };
    const report = check(load(), { maxRegressionPct: 5 }, baseline);
    assert.equal(report.failedConfigs, 5);
    assert.equal(outcome(report, FP32_B1, '--max-regression').passed, true);
  });
});

describe('check: unusable energy figures never pass', () => {
  function withEnergy(edit: (e: EnergyMeasured) => void, document = load()): RunDocument {
    document.results = document.results.slice(0, 1);
    edit(measured(document.results[0]!));
    return document;
  }

  test('a missing (null) figure fails a limit it would have passed', () => {
    // bench writes a NaN as null; null <= 1 is true in JavaScript.
    const document = withEnergy((e) => {
      (e as unknown as Record<string, unknown>).perQueryJ = null;
      (e as unknown as Record<string, unknown>).whPer1k = null;
    });
    const report = check(document, { maxJPerQuery: 1, maxWhPer1k: 1 });
    assert.equal(report.passed, false);
    assert.deepEqual(failures(report), [
      `${FP32_B1}: no usable energy figure: perQueryJ is null, not a finite number; whPer1k is null, not a finite number`,
    ]);
    assert.equal(report.outcomes[0]!.check, 'energy');
  });

  test('zero and negative energies, and a null trial, fail', () => {
    const zero = withEnergy((e) => {
      e.perQueryJ = 0;
      e.whPer1k = 0;
    });
    assert.deepEqual(failures(check(zero, { maxJPerQuery: 1 })), [
      `${FP32_B1}: no usable energy figure: perQueryJ is 0, not above 0; whPer1k is 0, not above 0`,
    ]);
    const negative = withEnergy((e) => {
      e.perQueryJ = -0.005;
    });
    assert.deepEqual(failures(check(negative, { minStars: 1 })), [
      `${FP32_B1}: no usable energy figure: perQueryJ is -0.005, not above 0`,
      `${FP32_B1}: unrated: ratings need measured energy and a cohort`,
    ]);
    const nullTrial = withEnergy((e) => {
      (e.perTrialJ as unknown[])[1] = null;
      (e as unknown as Record<string, unknown>).ci95PerQueryJ = 'wide';
    });
    assert.deepEqual(failures(check(nullTrial, { maxWhPer1k: 1 })), [
      `${FP32_B1}: no usable energy figure: perTrialJ is [0.00541776145483382,null,0.005246426786258873], not all finite numbers above 0; ci95PerQueryJ is "wide", not a finite number`,
    ]);
  });

  test('a zero baseline fails the regression check instead of "Infinity % above"', () => {
    const zeroBase = withEnergy((e) => {
      e.perQueryJ = 0;
      e.whPer1k = 0;
      e.perTrialJ = [0, 0, 0];
      e.ci95PerQueryJ = 0;
    });
    const current = load();
    current.results = current.results.slice(0, 1);
    const report = check(current, { maxRegressionPct: 5 }, zeroBase);
    assert.deepEqual(failures(report), [
      `${FP32_B1}: no usable energy figure in the baseline main.json: perQueryJ is 0, not above 0; whPer1k is 0, not above 0; perTrialJ is [0,0,0], not all finite numbers above 0`,
    ]);
  });

  test('a result with no configurations says so', () => {
    const empty = load();
    empty.results = [];
    usage(() => check(empty, { maxJPerQuery: 1 }), /^new\.json has no configurations$/);
  });
});

describe('reading result files', () => {
  test('bad files are usage errors with clear messages', async () => {
    const cases: [string, string, RegExp][] = [
      ['empty.json', '  \n', /empty\.json is empty$/],
      ['corrupt.json', '{"schemaVersion": 1, "tool": ', /corrupt\.json is not valid JSON/],
      ['other.json', '{"name": "not ours"}', /other\.json is not an energy-score result document$/],
      ['array.json', '[]', /array\.json is not an energy-score result document$/],
      [
        'v2.json',
        JSON.stringify({ ...load(), schemaVersion: 2 }),
        /v2\.json has schema version 2, but this version of energy-score reads version 1$/,
      ],
      [
        'noresults.json',
        JSON.stringify({ ...load(), results: {} }),
        /noresults\.json is not a valid result document: results is \{\}, not a list$/,
      ],
    ];
    for (const [name, text, pattern] of cases) {
      await assert.rejects(readRunDocument(write(name, text)), (err: unknown) => {
        assert.ok(err instanceof EnergyScoreError, name);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, pattern);
        assert.ok(err.hint, `${name} has a hint`);
        return true;
      });
    }
    await assert.rejects(readRunDocument(path.join(tmp, 'missing.json')), /missing\.json: no such file$/);
    await assert.rejects(readRunDocument(tmp), /it is a folder$/);
  });

  test('the recorded fixture reads as it parses', async () => {
    const document = await readRunDocument(FIXTURE);
    assert.deepEqual(document, parseRunDocument(fs.readFileSync(FIXTURE, 'utf8'), 'x'));
    assert.equal(document.results.length, 6);
  });
});

describe('check: the CLI', () => {
  test('exit 0 when every configuration passes', async () => {
    const run = await cli(['check', FIXTURE, '--max-wh-per-1k', '0.004'], ENV);
    assertExit(run, 0);
    assert.match(run.stdout, /^energy-score check: passed: 6 configuration\(s\) of .* within every limit$/m);
    assert.doesNotMatch(run.stdout, /::error/);
  });

  test('exit 1 with each failure listed', async () => {
    const run = await cli(['check', FIXTURE, '--max-wh-per-1k', '0.003'], ENV);
    assertExit(run, 1);
    assert.match(run.stdout, /energy-score check: FAILED: 2 of 6 configuration\(s\) fail/);
    assert.ok(
      run.stdout.includes(
        '  FAIL  encoder-tiny/fp16/b8/cpu: 0.00355 Wh/1k (estimated) is above --max-wh-per-1k 0.003 by 18 %\n',
      ),
    );
    assert.equal(run.stderr, '');
  });

  test('exit 1 for a baseline configuration missing from the run, 0 with --allow-missing', async () => {
    const fewer = load();
    fewer.results = fewer.results.slice(0, 5);
    const file = write('fewer.json', fewer);
    const fail = await cli(['check', file, '--baseline', FIXTURE, '--max-regression', '5'], ENV);
    assertExit(fail, 1);
    assert.ok(
      fail.stdout.includes(
        '  FAIL  encoder-tiny/q8/b8/cpu: in the baseline, not in this run: bench it too, or pass --allow-missing\n',
      ),
      fail.stdout,
    );
    const allowed = await cli(
      ['check', file, '--baseline', FIXTURE, '--max-regression', '5', '--allow-missing'],
      ENV,
    );
    assertExit(allowed, 0);
    assert.match(
      allowed.stdout,
      /^note: encoder-tiny\/q8\/b8\/cpu: in the baseline, not in this run \(--allow-missing\)$/m,
    );
  });

  test('exit 1 for a null or zero energy figure under a limit it would pass', async () => {
    // null <= 1 is true in JavaScript: a NaN that bench wrote as null must not pass.
    const nullHeadline = load();
    (nullHeadline.results[0]!.energy as unknown as Record<string, unknown>).perQueryJ = null;
    const run = await cli(['check', write('null.json', nullHeadline), '--max-j-per-query', '1'], ENV);
    assertExit(run, 1);
    assert.match(run.stdout, /^ {2}FAIL {2}encoder-tiny\/fp32\/b1\/cpu: no /m);
    const nullTrial = load();
    (measured(nullTrial.results[0]!).perTrialJ as unknown[])[2] = null;
    const trial = await cli(['check', write('null-trial.json', nullTrial), '--max-j-per-query', '1'], ENV);
    assertExit(trial, 1);
    assert.ok(
      trial.stdout.includes(
        `  FAIL  ${FP32_B1}: no usable energy figure: perTrialJ is [0.00541776145483382,0.005155360086552664,null], not all finite numbers above 0\n`,
      ),
      trial.stdout,
    );
  });

  test('exit 1 for a clear regression, 0 for noisy-but-equal', async () => {
    const regressed = write('regressed.json', scaleTrials(load(), 1.3));
    const noisy = write('noisy.json', scaleTrials(load(), [1.06, 0.97, 1.02]));
    const fail = await cli(['check', regressed, '--baseline', FIXTURE, '--max-regression', '5%'], ENV);
    assertExit(fail, 1);
    assert.match(fail.stdout, /a real regression, above --max-regression 5 % by 25 points \(Welch's t-test/);
    assertExit(await cli(['check', noisy, '--baseline', FIXTURE, '--max-regression', '5'], ENV), 0);
  });

  test('exit 2 for bad input, never a pass', async () => {
    const otherModel = load();
    for (const r of otherModel.results) r.model = { ...r.model, name: 'other-model', sha256: null };
    const otherTask = load();
    for (const r of otherTask.results) r.task = 'image-classification';
    const cases: [string[], RegExp][] = [
      [['check', FIXTURE, '--max-wh-per-1k', 'abc'], /--max-wh-per-1k 'abc' is not a number of 0 or more/],
      [['check', FIXTURE, '--max-j-per-query', '0'], /--max-j-per-query must be above 0/],
      [['check', FIXTURE, '--min-stars', '6'], /--min-stars '6' is not a whole number from 1 to 5/],
      [
        ['check', FIXTURE, '--max-regression', 'lots', '--baseline', FIXTURE],
        /--max-regression 'lots' is not a percentage/,
      ],
      [['check', FIXTURE], /check needs at least one limit/],
      [['check', FIXTURE, '--baseline', FIXTURE], /--baseline needs --max-regression/],
      [['check', FIXTURE, '--max-wh-per-1k', '1', '--allow-missing'], /--allow-missing needs --baseline/],
      [
        ['check', write('no-configs.json', { ...load(), results: [] }), '--max-wh-per-1k', '1'],
        /no-configs\.json has no configurations\n/,
      ],
      [['check', write('empty-cli.json', ''), '--max-wh-per-1k', '1'], /empty-cli\.json is empty/],
      [['check', write('corrupt-cli.json', '{oops'), '--max-wh-per-1k', '1'], /is not valid JSON/],
      [
        [
          'check',
          write('v2-cli.json', { ...load(), schemaVersion: 2 } as unknown as RunDocument),
          '--max-wh-per-1k',
          '1',
        ],
        /has schema version 2/,
      ],
      [
        ['check', FIXTURE, '--baseline', write('other-model.json', otherModel), '--max-regression', '5'],
        /the model differs/,
      ],
      [
        ['check', FIXTURE, '--baseline', write('other-task.json', otherTask), '--max-regression', '5'],
        /the task differs/,
      ],
      [['check', path.join(tmp, 'nope.json'), '--max-wh-per-1k', '1'], /nope\.json: no such file/],
    ];
    for (const [args, pattern] of cases) {
      const run = await cli(args, ENV);
      assertExit(run, 2);
      assert.match(run.stderr, pattern);
      assert.doesNotMatch(run.stdout, /passed/);
    }
  });

  test('--json - puts the report on stdout and the text on stderr; --markdown writes a file', async () => {
    const md = path.join(tmp, 'report.md');
    const run = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.003', '--json', '-', '--markdown', md],
      ENV,
    );
    assertExit(run, 1);
    const report = JSON.parse(run.stdout) as CheckReport;
    assert.equal(report.passed, false);
    assert.equal(report.failedConfigs, 2);
    // Each excess is named for its unit: no field that means % of the limit here and points there.
    const fp16 = report.outcomes.find((o) => o.config === 'encoder-tiny/fp16/b8/cpu')!;
    assert.deepEqual(Object.keys(fp16).sort(), [
      'check',
      'config',
      'excessPercentOfLimit',
      'excessPoints',
      'figure',
      'limit',
      'message',
      'passed',
      'starsShort',
    ]);
    assert.ok(Math.abs(fp16.excessPercentOfLimit! - 18.4123605766) < 1e-6);
    assert.match(run.stderr, /FAILED: 2 of 6/);
    const markdown = fs.readFileSync(md, 'utf8');
    assert.match(markdown, /^## energy-score check: ❌ failed\n/);
    assert.ok(
      markdown.includes(
        '| encoder-tiny/fp16/b8/cpu | --max-wh-per-1k | ❌ fail | 0.00355 Wh/1k (estimated) is above --max-wh-per-1k 0.003 by 18 % |',
      ),
    );
  });

  test('--help shows examples and exit codes', async () => {
    const run = await cli(['check', '--help'], ENV);
    assertExit(run, 0);
    assert.match(run.stdout, /Examples:\n {2}energy-score check result\.json/);
    assert.match(run.stdout, /Exit codes: 0 every configuration passes, 1 any fails, 2 a usage error/);
    for (const flag of [
      '--min-stars',
      '--max-wh-per-1k',
      '--max-j-per-query',
      '--baseline',
      '--max-regression',
      '--require-measured',
      '--allow-missing',
      '--json',
      '--markdown',
    ]) {
      assert.ok(run.stdout.includes(flag), flag);
    }
  });
});
