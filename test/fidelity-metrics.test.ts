import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  argmax,
  classificationFigures,
  cosine,
  cosineFigures,
  relativeErrorFigures,
  spanFigures,
} from '../src/fidelity/metrics.js';
import { compareSamples, fidelityRecord, nonFiniteIn } from '../src/fidelity/compare.js';
import { DEFAULT_LIMITS } from '../src/fidelity/thresholds.js';
import type { OutputSample, SampledTensor } from '../src/runner/workload.js';

const t = (dims: number[], values: number[]): SampledTensor => ({ dims, data: Float32Array.from(values) });

function figures(comparison: ReturnType<typeof classificationFigures>) {
  assert.ok(comparison.ok, comparison.ok ? '' : comparison.problem);
  return comparison.figures;
}

describe('classification', () => {
  test('top-1 agreement over queries and the largest logit delta', () => {
    const reference = [t([3], [1, 2, 3]), t([3], [5, 0, 0]), t([3], [0, 1, 0]), t([3], [0, 0, 1])];
    // Query 2 flips to class 0; query 3 keeps class 2 with a delta of 0.5.
    const candidate = [t([3], [1, 2, 3]), t([3], [5, 0, 0]), t([3], [2, 1, 0]), t([3], [0, 0, 1.5])];
    const [top1, delta] = figures(classificationFigures('logits', reference, candidate, 0.99));
    assert.deepEqual(top1, {
      metric: 'top1-agreement',
      value: 0.75,
      threshold: 0.99,
      bound: 'min',
      pass: false,
      output: 'logits',
    });
    assert.deepEqual(delta, {
      metric: 'max-abs-logit-delta',
      value: 2,
      threshold: null,
      bound: 'max',
      pass: null,
      output: 'logits',
    });
  });

  test('rows of the last dim count one by one, and only the rows both sides have', () => {
    // A token classifier: the reference has 2 tokens, the padded candidate 3; the third is not compared.
    const reference = [t([2, 2], [1, 0, 0, 1])];
    const candidate = [t([3, 2], [1, 0, 1, 0, 9, 0])];
    const [top1, delta] = figures(classificationFigures('logits', reference, candidate, 0.5));
    assert.equal(top1!.value, 0.5);
    assert.equal(top1!.pass, true);
    assert.equal(delta!.value, 1);
  });

  test('a different number of classes cannot be compared', () => {
    const comparison = classificationFigures('logits', [t([2], [0, 1])], [t([3], [0, 1, 2])], 0.99);
    assert.deepEqual(comparison, {
      ok: false,
      problem: "'logits' has shape [3] per query against the reference's [2]",
    });
  });

  test('argmax takes the first on ties', () => {
    assert.equal(argmax(Float32Array.from([1, 3, 3]), 0, 3), 1);
    assert.equal(argmax(Float32Array.from([9, 1, 3, 3]), 1, 3), 1);
  });
});

describe('cosine', () => {
  test('exact values, zero rows', () => {
    assert.equal(cosine(Float32Array.from([1, 0]), Float32Array.from([2, 0]), 0, 2), 1);
    assert.equal(cosine(Float32Array.from([1, 0]), Float32Array.from([0, 3]), 0, 2), 0);
    assert.equal(cosine(Float32Array.from([0, 0]), Float32Array.from([0, 0]), 0, 2), 1);
    assert.equal(cosine(Float32Array.from([0, 0]), Float32Array.from([1, 0]), 0, 2), 0);
    assert.ok(
      Math.abs(cosine(Float32Array.from([1, 0]), Float32Array.from([1, 1]), 0, 2) - Math.SQRT1_2) < 1e-15,
    );
  });

  test('mean and min over pooled vectors', () => {
    const reference = [t([2], [1, 0]), t([2], [0, 1])];
    const candidate = [t([2], [3, 0]), t([2], [1, 1])];
    const [mean, min] = figures(cosineFigures('sentence_embedding', reference, candidate, 0.99));
    assert.ok(Math.abs(mean!.value - (1 + Math.SQRT1_2) / 2) < 1e-12);
    assert.equal(mean!.pass, false);
    assert.equal(mean!.bound, 'min');
    assert.ok(Math.abs(min!.value - Math.SQRT1_2) < 1e-12);
    assert.equal(min!.threshold, null);
    assert.equal(min!.pass, null);
  });

  test('per-token rows: padding rows past the reference are left out', () => {
    const reference = [t([1, 2], [1, 0])];
    const candidate = [t([2, 2], [1, 0, 0, 1])];
    const [mean, min] = figures(cosineFigures('last_hidden_state', reference, candidate, 0.99));
    assert.equal(mean!.value, 1);
    assert.equal(min!.value, 1);
    assert.equal(mean!.pass, true);
  });
});

describe('span agreement', () => {
  test('both argmaxes must match', () => {
    const ref = {
      start: [t([3], [0, 5, 0]), t([3], [5, 0, 0])],
      end: [t([3], [0, 0, 5]), t([3], [0, 5, 0])],
    };
    const cand = {
      start: [t([3], [0, 5, 0]), t([3], [5, 0, 0])],
      end: [t([3], [0, 0, 5]), t([3], [0, 4, 6])],
    };
    const [span, delta] = figures(spanFigures({ start: 'start_logits', end: 'end_logits' }, ref, cand, 0.99));
    assert.equal(span!.metric, 'span-agreement');
    assert.equal(span!.value, 0.5);
    assert.equal(span!.pass, false);
    assert.equal(span!.output, 'start_logits+end_logits');
    assert.equal(delta!.value, 6);
  });

  test('padded positions beyond the reference do not count', () => {
    const ref = { start: [t([2], [1, 0])], end: [t([2], [0, 1])] };
    const cand = { start: [t([4], [1, 0, 9, 9])], end: [t([4], [0, 1, 9, 9])] };
    const [span] = figures(spanFigures({ start: 's', end: 'e' }, ref, cand, 0.99));
    assert.equal(span!.value, 1);
  });
});

describe('relative error', () => {
  test('normwise per query: mean held, max reported', () => {
    const reference = [t([2], [3, 4]), t([2], [1, 0])];
    // ‖(0, 0.5)‖ / 5 = 0.1; ‖(0, 0)‖ / 1 = 0.
    const candidate = [t([2], [3, 4.5]), t([2], [1, 0])];
    const [mean, max] = figures(relativeErrorFigures('boxes', reference, candidate, 0.05));
    assert.ok(Math.abs(mean!.value - 0.05) < 1e-12);
    assert.equal(mean!.bound, 'max');
    assert.equal(mean!.pass, true);
    assert.ok(Math.abs(max!.value - 0.1) < 1e-12);
    assert.equal(max!.pass, null);
  });

  test('shapes must match exactly', () => {
    const comparison = relativeErrorFigures(
      'boxes',
      [t([2, 4], new Array(8).fill(1))],
      [t([3, 4], new Array(12).fill(1))],
      0.05,
    );
    assert.equal(comparison.ok, false);
  });
});

const tensors = (queries: Record<string, SampledTensor>[]): OutputSample => ({ kind: 'tensors', queries });

describe('compareSamples picks the metric by task and output', () => {
  test('a classifier: top-1 agreement of logits', () => {
    const sample = tensors([{ logits: t([2], [0, 1]) }]);
    const comparison = compareSamples('text-classification', sample, sample, DEFAULT_LIMITS);
    assert.ok(comparison.ok);
    assert.deepEqual(
      comparison.figures.map((f) => [f.metric, f.value, f.threshold]),
      [
        ['top1-agreement', 1, 0.99],
        ['max-abs-logit-delta', 0, null],
      ],
    );
    assert.equal(comparison.queries, 1);
  });

  test('question answering: span agreement', () => {
    const sample = tensors([{ start_logits: t([2], [0, 1]), end_logits: t([2], [1, 0]) }]);
    const comparison = compareSamples('question-answering', sample, sample, DEFAULT_LIMITS);
    assert.ok(comparison.ok);
    assert.equal(comparison.figures[0]!.metric, 'span-agreement');
  });

  test('sentence similarity prefers the pooled output over hidden states', () => {
    const sample = tensors([{ last_hidden_state: t([1, 2], [1, 0]), sentence_embedding: t([2], [0, 1]) }]);
    const comparison = compareSamples('sentence-similarity', sample, sample, DEFAULT_LIMITS);
    assert.ok(comparison.ok);
    assert.equal(comparison.figures[0]!.metric, 'cosine-mean');
    assert.equal(comparison.figures[0]!.output, 'sentence_embedding');
  });

  test('an encoder of any task: cosine of its hidden states', () => {
    const sample = tensors([{ last_hidden_state: t([1, 2], [1, 0]) }]);
    const comparison = compareSamples('automatic-speech-recognition', sample, sample, DEFAULT_LIMITS);
    assert.ok(comparison.ok);
    assert.equal(comparison.figures[0]!.metric, 'cosine-mean');
  });

  test('detection: relative error per output, the worst output first', () => {
    const reference = tensors([{ scores: t([2], [1, 0]), boxes: t([2], [1, 0]) }]);
    const candidate = tensors([{ scores: t([2], [1, 0]), boxes: t([2], [1, 0.5]) }]);
    const comparison = compareSamples('object-detection', reference, candidate, DEFAULT_LIMITS);
    assert.ok(comparison.ok);
    assert.deepEqual(
      comparison.figures.map((f) => [f.metric, f.output, f.value]),
      [
        ['relative-error-mean', 'boxes', 0.5],
        ['relative-error-max', 'boxes', 0.5],
        ['relative-error-mean', 'scores', 0],
        ['relative-error-max', 'scores', 0],
      ],
    );
    const record = fidelityRecord(
      { reference: 'm/fp32/b1/cpu', relation: 'same-model', inputs: 'synthetic' },
      comparison,
    );
    assert.equal(record.metric, 'relative-error-mean');
    assert.equal(record.value, 0.5);
    assert.equal(record.threshold, 0.05);
    assert.equal(record.pass, false);
  });

  test('no common output is a problem, not a figure', () => {
    const comparison = compareSamples(
      'custom',
      tensors([{ a: t([1], [1]) }]),
      tensors([{ b: t([1], [1]) }]),
      DEFAULT_LIMITS,
    );
    assert.deepEqual(comparison, {
      ok: false,
      problem: 'the reference and this configuration have no output in common to compare',
    });
  });

  test('the record passes only when every held figure does', () => {
    const reference = tensors([{ logits: t([2], [0, 1]) }, { logits: t([2], [1, 0]) }]);
    const candidate = tensors([{ logits: t([2], [0, 1]) }, { logits: t([2], [0, 1]) }]);
    const comparison = compareSamples('image-classification', reference, candidate, {
      ...DEFAULT_LIMITS,
      minAgreement: 0.5,
    });
    assert.ok(comparison.ok);
    const record = fidelityRecord(
      { reference: 'r', relation: 'other-model', inputs: 'bundled:x' },
      comparison,
    );
    assert.deepEqual(
      {
        metric: record.metric,
        value: record.value,
        threshold: record.threshold,
        pass: record.pass,
        queries: record.queries,
      },
      { metric: 'top1-agreement', value: 0.5, threshold: 0.5, pass: true, queries: 2 },
    );
  });
});

describe('nonFiniteIn', () => {
  test('names the output and the query', () => {
    assert.equal(nonFiniteIn(tensors([{ logits: t([2], [0, 1]) }])), undefined);
    assert.equal(
      nonFiniteIn(tensors([{ logits: t([2], [0, 1]) }, { logits: t([2], [NaN, 1]) }])),
      "output 'logits' holds NaN for query 2 of the fidelity sample",
    );
    assert.equal(
      nonFiniteIn(tensors([{ logits: t([2], [Infinity, 1]) }])),
      "output 'logits' holds infinity for query 1 of the fidelity sample",
    );
  });

  test('a log-probability of minus infinity is a zero probability, not a fault', () => {
    const sample: OutputSample = {
      kind: 'generation',
      queries: [{ tokens: [1], logProbs: [Float32Array.from([0, -Infinity])] }],
    };
    assert.equal(nonFiniteIn(sample), undefined);
  });
});
