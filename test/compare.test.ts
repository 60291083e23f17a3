/**
 * `energy-score compare`: ratios of energy per query (with a 95 % interval) and of throughput
 * (without one), the text, JSON and Markdown reports, and bad input through the built CLI.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { compareDocuments, ratioPhrase, type CompareReport } from '../src/gate/compare.js';
import { renderCompareMarkdown } from '../src/export/compare-report.js';
import { runCheck } from '../src/gate/check.js';
import { estimateFromTrials, ratioOfMeans, welchTwoSided } from '../src/gate/welch.js';
import type { EnergyMeasured, RunDocument } from '../src/result/schema.js';
import { assertExit, cli, cliEnv, REPO_ROOT } from './helpers/cli.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'results', 'encoder-tiny-cpu.json');
const FP32_B1 = 'encoder-tiny/fp32/b1/cpu';
const ENV = cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-compare-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function load(): RunDocument {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as RunDocument;
}

/** Every trial × factor, and throughput × qpsFactor. */
function scaled(factor: number, qpsFactor = 1): RunDocument {
  const document = load();
  for (const r of document.results) {
    const e = r.energy as EnergyMeasured;
    e.perTrialJ = e.perTrialJ!.map((v) => v * factor);
    e.perQueryJ *= factor;
    e.whPer1k *= factor;
    e.ci95PerQueryJ = e.ci95PerQueryJ! * factor;
    r.throughputQps = r.throughputQps! * qpsFactor;
  }
  return document;
}

function write(name: string, content: RunDocument | string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function compare(a: RunDocument, b: RunDocument): CompareReport {
  return compareDocuments({ name: 'a.json', document: a }, { name: 'b.json', document: b });
}

describe('ratio of means', () => {
  test('delta-method interval matches the hand computation', () => {
    // a = [1.0, 1.2, 1.1]: mean 1.1, squared s.e. 0.0033333; b = [1.3, 1.5, 1.4, 1.6]: 1.45, 0.0041667.
    // R = 1.45 / 1.1 = 1.318182; relative variances 0.0041667 / 1.45² = 0.0019818 and
    // 0.0033333 / 1.1² = 0.0027548, sum 0.0047366; df = 0.0047366² / (0.0019818² / 3 +
    // 0.0027548² / 2) = 4.395924; half-width = t(0.975; 4.395924) × R × sqrt(0.0047366)
    // = 2.680535 × 1.318182 × 0.068823 = 0.243183.
    const r = ratioOfMeans(estimateFromTrials([1.3, 1.5, 1.4, 1.6]), estimateFromTrials([1.0, 1.2, 1.1]));
    assert.ok(Math.abs(r.ratio - 1.318182) < 1e-6, `ratio ${r.ratio}`);
    assert.ok(Math.abs(r.df - 4.395924) < 1e-5, `df ${r.df}`);
    assert.ok(Math.abs(r.ci95 - 0.2431825) < 1e-6, `ci95 ${r.ci95}`);
  });

  test('phrases: more, less (the inverse and its half-width), throughput', () => {
    assert.equal(ratioPhrase(1.32, 0.04, 'energy per query'), '1.32 ± 0.04 × more energy per query');
    // 1 / 0.75 = 1.33; 0.0225 / 0.75² = 0.04.
    assert.equal(ratioPhrase(0.75, 0.0225, 'energy per query'), '1.33 ± 0.04 × less energy per query');
    assert.equal(ratioPhrase(0.8, null, 'throughput'), '1.25 × lower throughput');
    assert.equal(ratioPhrase(1.1, null, 'throughput'), '1.10 × higher throughput');
  });
});

describe('compare', () => {
  test('a result against itself: ratio 1, within noise', () => {
    const report = compare(load(), load());
    assert.equal(report.rows.length, 6);
    const row = report.rows[0]!;
    assert.equal(row.config, FP32_B1);
    assert.equal(row.energy!.ratio, 1);
    assert.equal(row.energy!.significant, false);
    assert.equal(row.energy!.source, 'trials');
    assert.equal(row.energy!.text, '1.00 ± 0.06 × more energy per query (within noise)');
    assert.equal(row.energy!.p, 1);
    assert.equal(
      row.energy!.test,
      "Welch's t-test on 3 trials (a) and 3 (b), per-trial figures: two-sided p = 1.0 ≥ 0.05: within noise",
    );
    assert.equal(row.throughput!.text, '1.00 × higher throughput (no interval)');
  });

  test('identical trials with no spread: the same figures are within noise, p = 1, not p = 0', () => {
    const flat = (value: number) => {
      const document = load();
      document.results = document.results.slice(0, 1);
      const e = document.results[0]!.energy as EnergyMeasured;
      e.perTrialJ = [value, value, value];
      e.perQueryJ = value;
      e.whPer1k = (value * 1000) / 3600;
      e.ci95PerQueryJ = 0;
      return document;
    };
    const same = compare(flat(0.005), flat(0.005)).rows[0]!.energy!;
    assert.equal(same.p, 1);
    assert.equal(same.significant, false);
    assert.equal(same.text, '1.00 ± 0.00 × more energy per query (within noise)');
    const up = compare(flat(0.005), flat(0.0051)).rows[0]!.energy!;
    assert.equal(up.p, 0);
    assert.equal(up.significant, true);
  });

  test("Welch's test decides, not the interval: +6 % with p = 0.048 is a real difference", () => {
    // Every trial × 1.06: the delta-method interval, 1.06 ± 0.0607, just includes 1, but
    // scipy.stats.ttest_ind(b, a, equal_var=False) gives t = 2.822557, df = 3.986495, p = 0.047890.
    const e = compare(load(), scaled(1.06)).rows[0]!.energy!;
    assert.ok(Math.abs(e.ci95! - 0.0607130689) < 1e-9, `ci95 ${e.ci95}`);
    assert.ok(Math.abs(e.p! - 0.0478903988) < 1e-9, `p ${e.p}`);
    assert.equal(e.significant, true);
    assert.equal(e.text, '1.06 ± 0.06 × more energy per query');
    assert.equal(
      e.test,
      "Welch's t-test on 3 trials (a) and 3 (b), per-trial figures: two-sided p = 0.048 < 0.05: a real difference",
    );
    // The same estimator and test as check: its one-sided p (--max-regression 0) is half of it.
    const report = runCheck({
      result: { name: 'b.json', document: scaled(1.06) },
      baseline: { name: 'a.json', document: load() },
      limits: { maxRegressionPct: 0 },
    });
    const verdict = report.outcomes.find((o) => o.config === FP32_B1)!.regression!;
    assert.equal(verdict.method, 'welch');
    assert.ok(verdict.method === 'welch' && Math.abs(verdict.welch.p * 2 - e.p!) < 1e-12);
  });

  test('two-sided Welch matches scipy on the docs/ci.md example', () => {
    // scipy.stats.ttest_ind([1.3, 1.5, 1.4, 1.6], [1.0, 1.2, 1.1], equal_var=False): p = 0.0100769.
    const w = welchTwoSided(estimateFromTrials([1.3, 1.5, 1.4, 1.6]), estimateFromTrials([1.0, 1.2, 1.1]));
    assert.ok(Math.abs(w.t - 4.0414519) < 1e-6);
    assert.ok(Math.abs(w.p - 0.0100769433) < 1e-9, `p ${w.p}`);
  });

  test('one trial and no interval: the ratio is shown, untested, and says why', () => {
    const single = (document: RunDocument) => {
      for (const r of document.results) {
        const e = r.energy as EnergyMeasured;
        delete e.perTrialJ;
        e.ci95PerQueryJ = null;
        e.trials = 1;
      }
      return document;
    };
    const e = compare(load(), single(scaled(1.005))).rows[0]!.energy!;
    assert.equal(e.p, null);
    assert.equal(e.significant, null);
    assert.equal(e.source, 'none');
    assert.equal(e.text, '1.00 × more energy per query (not tested)');
    assert.equal(
      e.test,
      'cannot test whether the change is real: b.json has one trial and no interval; bench with at least 2 trials (--max-trials)',
    );
  });

  test('a configuration with no usable energy figure gets no ratio, and its row says why', () => {
    const zero = load();
    const e = zero.results[0]!.energy as EnergyMeasured;
    e.perQueryJ = 0;
    e.whPer1k = 0;
    const report = compare(zero, load());
    const row = report.rows[0]!;
    assert.equal(row.energy, null);
    assert.equal(
      row.noEnergy,
      'a.json has no usable energy figure: perQueryJ is 0, not above 0; whPer1k is 0, not above 0',
    );
    assert.ok(
      renderCompareMarkdown(report).includes(
        '| encoder-tiny/fp32/b1/cpu | – | a.json has no usable energy figure: perQueryJ is 0, not above 0; whPer1k is 0, not above 0 | 2834.9 → 2834.9 | 1.00 × higher throughput (no interval) | – |',
      ),
    );
  });

  test('30 % more energy and 20 % less throughput', () => {
    const report = compare(load(), scaled(1.3, 0.8));
    const row = report.rows.find((r) => r.config === FP32_B1)!;
    assert.ok(Math.abs(row.energy!.ratio - 1.3) < 1e-12);
    // Both sides have the same relative spread: half-width = 1.3 × t(0.975; 4) × sqrt(2) × s.e./mean.
    assert.ok(Math.abs(row.energy!.ci95! - 0.0744594) < 1e-6, `ci95 ${row.energy!.ci95}`);
    assert.ok(Math.abs(row.energy!.p! - 0.0003359) < 1e-6, `p ${row.energy!.p}`);
    assert.equal(row.energy!.text, '1.30 ± 0.07 × more energy per query');
    assert.equal(row.energy!.estimated, true);
    assert.ok(Math.abs(row.throughput!.ratio - 0.8) < 1e-12);
    assert.equal(row.throughput!.ci95, null);
    assert.equal(row.throughput!.text, '1.25 × lower throughput (no interval)');
  });

  test('less energy reads as "× less"', () => {
    const row = compare(load(), scaled(0.75)).rows[0]!;
    // 1 / 0.75 = 1.33; half-width 0.042957 / 0.75² = 0.0764.
    assert.equal(row.energy!.text, '1.33 ± 0.08 × less energy per query');
  });

  test('without per-trial figures the recorded intervals give the uncertainty', () => {
    const strip = (d: RunDocument) => {
      for (const r of d.results) delete (r.energy as EnergyMeasured).perTrialJ;
      return d;
    };
    const row = compare(strip(load()), strip(scaled(1.3))).rows[0]!;
    assert.equal(row.energy!.source, 'intervals');
    assert.equal(row.energy!.significant, true);
    assert.match(row.energy!.text, /^1\.30 ± 0\.\d\d × more energy per query$/);
    assert.match(
      row.energy!.test,
      /^Welch's t-test on 3 trials \(a\) and 3 \(b\), standard errors from the recorded 95 % intervals: two-sided p = /,
    );
  });

  test('configurations in one result only are listed', () => {
    const a = load();
    a.results = a.results.slice(1);
    const b = load();
    b.results = b.results.slice(0, 5);
    const report = compare(a, b);
    assert.equal(report.rows.length, 4);
    assert.deepEqual(report.onlyInA, ['encoder-tiny/q8/b8/cpu']);
    assert.deepEqual(report.onlyInB, [FP32_B1]);
    const markdown = renderCompareMarkdown(report);
    assert.ok(markdown.includes('- only in `a.json`: encoder-tiny/q8/b8/cpu'));
    assert.ok(markdown.includes('- only in `b.json`: encoder-tiny/fp32/b1/cpu'));
  });

  test('Markdown table row', () => {
    const markdown = renderCompareMarkdown(compare(load(), scaled(1.3, 0.8)));
    assert.match(markdown, /^## energy-score compare\n/);
    assert.ok(
      markdown.includes(
        "| encoder-tiny/fp32/b1/cpu | 0.00527 → 0.00686 (trial means, estimated) | 1.30 ± 0.07 × more energy per query | 2834.9 → 2267.9 | 1.25 × lower throughput (no interval) | Welch's t-test on 3 trials (a) and 3 (b), per-trial figures: two-sided p = 0.00034 \\< 0.05: a real difference |",
      ),
      markdown,
    );
  });
});

describe('compare: the CLI', () => {
  test('text to stdout, exit 0', async () => {
    const run = await cli(['compare', FIXTURE, write('b.json', scaled(1.3, 0.8))], ENV);
    assertExit(run, 0);
    assert.ok(
      run.stdout.includes(
        "  energy:     0.00527 → 0.00686 J/query (trial means, estimated): 1.30 ± 0.07 × more energy per query; Welch's t-test on 3 trials (a) and 3 (b), per-trial figures: two-sided p = 0.00034 < 0.05: a real difference\n",
      ),
      run.stdout,
    );
  });

  test('--json - and --markdown -', async () => {
    const b = write('b2.json', scaled(1.3));
    const json = await cli(['compare', FIXTURE, b, '--json', '-'], ENV);
    assertExit(json, 0);
    const report = JSON.parse(json.stdout) as CompareReport;
    assert.equal(report.rows.length, 6);
    assert.equal(report.rows[0]!.energy!.text, '1.30 ± 0.07 × more energy per query');
    assert.match(json.stderr, /^energy-score compare: /);
    const md = await cli(['compare', FIXTURE, b, '--markdown', '-'], ENV);
    assertExit(md, 0);
    assert.match(md.stdout, /^## energy-score compare\n/);
    const both = await cli(['compare', FIXTURE, b, '--markdown', '-', '--json', '-'], ENV);
    assertExit(both, 2);
  });

  test('exit 2 for another model, no common configuration, or an unreadable file', async () => {
    const other = load();
    for (const r of other.results) r.model = { ...r.model, name: 'other-model', sha256: null };
    const otherBatch = load();
    for (const r of otherBatch.results) r.batchSize = 32;
    const cases: [string[], RegExp][] = [
      [['compare', FIXTURE, write('other.json', other)], /the model differs/],
      [
        ['compare', FIXTURE, write('b32.json', otherBatch)],
        /the batch size differs \(.*b32\.json: 32; .*: 1, 8\)/,
      ],
      [['compare', FIXTURE, write('empty.json', '')], /empty\.json is empty/],
      [['compare', FIXTURE], /missing required argument/],
    ];
    for (const [args, pattern] of cases) {
      const run = await cli(args, ENV);
      assertExit(run, 2);
      assert.match(run.stderr, pattern);
    }
  });

  test('--help shows examples', async () => {
    const run = await cli(['compare', '--help'], ENV);
    assertExit(run, 0);
    assert.match(run.stdout, /Examples:\n {2}energy-score compare main\.json pr\.json/);
    assert.match(run.stdout, /--json \[file\|-\]/);
    assert.match(run.stdout, /--markdown \[file\|-\]/);
  });
});
