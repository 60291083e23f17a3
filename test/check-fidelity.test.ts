import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { runCheck, type CheckLimits, type CheckReport } from '../src/gate/check.js';
import { limitsText } from '../src/export/check-report.js';
import type { Fidelity, RunDocument } from '../src/result/schema.js';
import { recordedDocument } from './helpers/documents.js';

const REFERENCE = 'encoder-tiny/fp32/b1/cpu';

function fidelity(value: number, extra: Partial<Fidelity> = {}): Fidelity {
  return {
    reference: REFERENCE,
    relation: 'same-model',
    metric: 'top1-agreement',
    value,
    threshold: 0.99,
    pass: value >= 0.99,
    queries: 100,
    figures: [
      {
        metric: 'top1-agreement',
        value,
        threshold: 0.99,
        bound: 'min',
        pass: value >= 0.99,
        output: 'logits',
      },
      {
        metric: 'max-abs-logit-delta',
        value: 0.5,
        threshold: null,
        bound: 'max',
        pass: null,
        output: 'logits',
      },
    ],
    inputs: 'bundled:text',
    ...extra,
  };
}

/** The recorded run with fidelity on every configuration but the reference: agreement by id. */
function withFidelity(values: Record<string, number | undefined>): RunDocument {
  const document = recordedDocument();
  for (const result of document.results) {
    const value = values[result.id];
    if (value !== undefined) result.fidelity = fidelity(value);
  }
  return document;
}

const ALL = {
  'encoder-tiny/fp32/b8/cpu': 1,
  'encoder-tiny/fp16/b1/cpu': 1,
  'encoder-tiny/fp16/b8/cpu': 0.995,
  'encoder-tiny/q8/b1/cpu': 0.98,
  'encoder-tiny/q8/b8/cpu': 0.97,
};

const check = (document: RunDocument, limits: CheckLimits): CheckReport =>
  runCheck({ result: { name: 'r.json', document }, limits });

const lines = (report: CheckReport, passed: boolean) =>
  report.outcomes
    .filter((o) => o.check === 'fidelity' && o.passed === passed)
    .map((o) => `${o.config}: ${o.message}`);

describe('check: fidelity', () => {
  test('the recorded thresholds: configurations below them fail, each with a clear line', () => {
    const report = check(withFidelity(ALL), { fidelity: { overrides: {} } });
    assert.equal(report.passed, false);
    assert.equal(report.checkedConfigs, 5);
    assert.equal(report.failedConfigs, 2);
    assert.deepEqual(lines(report, false), [
      'encoder-tiny/q8/b1/cpu: top1-agreement of logits 0.98 is below the recorded threshold 0.99 (against encoder-tiny/fp32/b1/cpu on 100 queries)',
      'encoder-tiny/q8/b8/cpu: top1-agreement of logits 0.97 is below the recorded threshold 0.99 (against encoder-tiny/fp32/b1/cpu on 100 queries)',
    ]);
    assert.deepEqual(report.notChecked, [
      { config: REFERENCE, reason: 'the fidelity reference of other configurations' },
    ]);
    const q8 = report.outcomes.find((o) => o.config === 'encoder-tiny/q8/b8/cpu' && o.check === 'fidelity')!;
    assert.equal(q8.figure, 0.97);
    assert.equal(q8.limit, 0.99);
  });

  test('--min-agreement overrides the recorded threshold, both ways', () => {
    const looser = check(withFidelity(ALL), { fidelity: { overrides: { minAgreement: 0.97 } } });
    assert.equal(looser.passed, true);
    assert.deepEqual(lines(looser, true).slice(-1), [
      'encoder-tiny/q8/b8/cpu: top1-agreement of logits 0.97 meets --min-agreement 0.97 (against encoder-tiny/fp32/b1/cpu on 100 queries)',
    ]);
    const stricter = check(withFidelity(ALL), { fidelity: { overrides: { minAgreement: 0.999 } } });
    assert.equal(stricter.failedConfigs, 3);
    assert.equal(
      lines(stricter, false)[0],
      'encoder-tiny/fp16/b8/cpu: top1-agreement of logits 0.995 is below --min-agreement 0.999 (against encoder-tiny/fp32/b1/cpu on 100 queries)',
    );
    // A limit for another metric leaves these figures to their recorded thresholds.
    const other = check(withFidelity(ALL), { fidelity: { overrides: { minCosine: 0.5 } } });
    assert.equal(other.failedConfigs, 2);
  });

  test('a configuration without a record fails, saying why; the default reference does not', () => {
    const document = withFidelity({ ...ALL, 'encoder-tiny/q8/b8/cpu': undefined });
    document.results
      .find((r) => r.id === 'encoder-tiny/q8/b8/cpu')!
      .warnings.push("fidelity not computed: 'logits' has shape [3] per query against the reference's [2]");
    for (const r of document.results) if (r.id !== 'encoder-tiny/q8/b8/cpu') delete r.fidelity;
    const report = check(document, { fidelity: { overrides: {} } });
    assert.deepEqual(lines(report, false), [
      'encoder-tiny/fp32/b8/cpu: no fidelity record (bench without --fidelity-queries 0, with a reference the run can load)',
      'encoder-tiny/fp16/b1/cpu: no fidelity record (bench without --fidelity-queries 0, with a reference the run can load)',
      'encoder-tiny/fp16/b8/cpu: no fidelity record (bench without --fidelity-queries 0, with a reference the run can load)',
      'encoder-tiny/q8/b1/cpu: no fidelity record (bench without --fidelity-queries 0, with a reference the run can load)',
      "encoder-tiny/q8/b8/cpu: no fidelity record: 'logits' has shape [3] per query against the reference's [2]",
    ]);
    assert.deepEqual(report.notChecked, [
      { config: REFERENCE, reason: 'fp32 at batch 1: the default fidelity reference' },
    ]);
  });

  test('agreement with another model says so; a max-bound figure fails above its limit', () => {
    const document = withFidelity({ 'encoder-tiny/q8/b1/cpu': 1 });
    const q8 = document.results.find((r) => r.id === 'encoder-tiny/q8/b1/cpu')!;
    q8.fidelity = fidelity(1, {
      relation: 'other-model',
      reference: 'encoder-small/fp32/b1/cpu',
      metric: 'relative-error-mean',
      figures: [
        {
          metric: 'relative-error-mean',
          value: 0.06,
          threshold: 0.05,
          bound: 'max',
          pass: false,
          output: 'boxes',
        },
        {
          metric: 'relative-error-max',
          value: 0.2,
          threshold: null,
          bound: 'max',
          pass: null,
          output: 'boxes',
        },
      ],
    });
    const report = check(document, { fidelity: { overrides: {} } });
    assert.deepEqual(
      report.outcomes.filter((o) => o.config === 'encoder-tiny/q8/b1/cpu').map((o) => o.message),
      [
        'relative-error-mean of boxes 0.06 is above the recorded threshold 0.05 (agreement with another model, against encoder-small/fp32/b1/cpu on 100 queries)',
      ],
    );
    const relaxed = check(document, { fidelity: { overrides: { maxRelativeError: 0.1 } } });
    assert.equal(
      relaxed.outcomes.find((o) => o.config === 'encoder-tiny/q8/b1/cpu')!.message,
      'relative-error-mean of boxes 0.06 is within --max-relative-error 0.1 (agreement with another model, against encoder-small/fp32/b1/cpu on 100 queries)',
    );
  });

  test('the limits line names the overrides', () => {
    assert.equal(limitsText({ fidelity: { overrides: {} } }), 'fidelity (the recorded thresholds)');
    assert.equal(
      limitsText({ fidelity: { overrides: { minAgreement: 0.995, maxKl: 0.01 } } }),
      'fidelity (--min-agreement 0.995, --max-kl 0.01, else the recorded thresholds)',
    );
  });
});
