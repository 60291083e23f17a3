import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { generationFidelity, klDivergence } from '../src/fidelity/generation.js';
import type { FidelityFigure } from '../src/result/schema.js';
import { inspectModel } from '../src/model/inspect.js';
import { GenerationWorkload } from '../src/runner/generation-workload.js';
import type { OutputSample } from '../src/runner/workload.js';
import type { GenerationLayout } from '../src/workload/generation-layout.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';
import { layoutOf } from './helpers/generation.js';

type Sample = Extract<OutputSample, { kind: 'generation' }>;
const LIMITS = { minTokenAgreement: 0.95, maxKl: 0.02 };

/** A log-probability row from probabilities. */
const row = (...p: number[]) => Float32Array.from(p, Math.log);
const sample = (...queries: { tokens: number[]; logProbs: Float32Array[] }[]): Sample => ({
  kind: 'generation',
  queries,
});
const byMetric = (figures: FidelityFigure[]) => Object.fromEntries(figures.map((f) => [f.metric, f]));
/** float32 storage of ln p carries a relative error near 6e-8. */
const near = (actual: number, expected: number, tolerance = 1e-7) =>
  assert.ok(Math.abs(actual - expected) < tolerance, `${actual} ≠ ${expected}`);

describe('klDivergence', () => {
  test('KL of known distributions', () => {
    near(klDivergence(row(0.5, 0.5), row(0.25, 0.75)), 0.5 * Math.log(4 / 3));
    near(
      klDivergence(row(0.25, 0.25, 0.25, 0.25), row(0.7, 0.1, 0.1, 0.1)),
      0.25 * (Math.log(0.25 / 0.7) + 3 * Math.log(2.5)),
    );
    // Not symmetric: KL(q ‖ p) of the same pair.
    near(klDivergence(row(0.25, 0.75), row(0.5, 0.5)), 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5));
    assert.equal(klDivergence(row(0.1, 0.2, 0.7), row(0.1, 0.2, 0.7)), 0);
  });

  test('rows off by a constant (unnormalised) are renormalised; p = 0 adds nothing', () => {
    const logits = Float32Array.from([1, 2, 3]);
    const shifted = Float32Array.from([11, 12, 13]);
    assert.equal(klDivergence(logits, shifted), 0);
    near(klDivergence(Float32Array.from([0, -Infinity]), row(0.5, 0.5)), Math.log(2));
  });
});

describe('generationFidelity on hand-made samples', () => {
  const r = [row(0.5, 0.3, 0.2), row(0.1, 0.6, 0.3)];
  const reference = sample(
    { tokens: [1, 2, 3, 4], logProbs: [r[0]!, r[1]!, r[0]!, r[1]!] },
    { tokens: [5, 6, 7, 8], logProbs: [r[0]!, r[1]!, r[0]!, r[1]!] },
  );

  test('against itself: agreement 1 and KL 0 exactly, both passing', () => {
    assert.deepEqual(generationFidelity(reference, reference, LIMITS), [
      { metric: 'token-agreement', value: 1, threshold: 0.95, bound: 'min', pass: true },
      { metric: 'kl-mean', value: 0, threshold: 0.02, bound: 'max', pass: true },
      { metric: 'top1-agreement-forced', value: 1, threshold: null, bound: 'min', pass: null },
      { metric: 'kl-max', value: 0, threshold: null, bound: 'max', pass: null },
      { metric: 'exact-match', value: 1, threshold: null, bound: 'min', pass: null },
      { metric: 'first-divergence-mean', value: 4, threshold: null, bound: 'min', pass: null },
    ]);
  });

  test('agreement counts positions; KL is the mean over every step of every query', () => {
    // Query 0 differs at position 2 only; query 1 at 1 and 3. Step 1 of query 1 moves its top-1.
    const q0 = [row(0.5, 0.3, 0.2), row(0.1, 0.6, 0.3), row(0.4, 0.4, 0.2), row(0.1, 0.6, 0.3)];
    const q1 = [row(0.5, 0.3, 0.2), row(0.6, 0.1, 0.3), row(0.5, 0.3, 0.2), row(0.1, 0.6, 0.3)];
    const candidate = sample({ tokens: [1, 2, 9, 4], logProbs: q0 }, { tokens: [5, 0, 7, 0], logProbs: q1 });
    const figures = byMetric(generationFidelity(reference, candidate, LIMITS));
    assert.equal(figures['token-agreement']!.value, 5 / 8);
    assert.equal(figures['token-agreement']!.pass, false);
    const kl1 = 0.5 * Math.log(0.5 / 0.4) + 0.3 * Math.log(0.3 / 0.4); // q0 step 2
    const kl2 = 0.1 * Math.log(0.1 / 0.6) + 0.6 * Math.log(0.6 / 0.1); // q1 step 1
    near(figures['kl-mean']!.value, (kl1 + kl2) / 8);
    assert.equal(figures['kl-mean']!.pass, false);
    near(figures['kl-max']!.value, kl2);
    // 0.4 = 0.4: the tie goes to the lower index, token 0, as the reference's top-1.
    assert.equal(figures['top1-agreement-forced']!.value, 7 / 8);
    assert.equal(figures['exact-match']!.value, 0);
    assert.equal(figures['first-divergence-mean']!.value, (2 + 1) / 2);
  });

  test('limits decide pass at their bounds, inclusive', () => {
    const candidate = sample(
      { tokens: [1, 2, 3, 0], logProbs: reference.queries[0]!.logProbs },
      reference.queries[1]!,
    );
    const figures = byMetric(
      generationFidelity(reference, candidate, { minTokenAgreement: 7 / 8, maxKl: 0 }),
    );
    assert.equal(figures['token-agreement']!.pass, true);
    assert.equal(figures['kl-mean']!.pass, true);
    assert.equal(
      byMetric(generationFidelity(reference, candidate, { minTokenAgreement: 0.9, maxKl: 0 }))[
        'token-agreement'
      ]!.pass,
      false,
    );
  });

  test('samples that do not pair up are refused, naming the query', () => {
    const one = sample(reference.queries[0]!);
    assert.throws(
      () => generationFidelity(reference, one, LIMITS),
      /the reference has 2 queries and the candidate 1/,
    );
    assert.throws(() => generationFidelity(sample(), sample(), LIMITS), /at least one query/);
    const shorter = sample(reference.queries[0]!, {
      tokens: [5, 6, 7],
      logProbs: reference.queries[1]!.logProbs,
    });
    assert.throws(
      () => generationFidelity(reference, shorter, LIMITS),
      /query 1: the reference has 4 new tokens and the candidate 3/,
    );
    const fewerSteps = sample(reference.queries[0]!, { tokens: [5, 6, 7, 8], logProbs: r });
    assert.throws(
      () => generationFidelity(reference, fewerSteps, LIMITS),
      /query 1: 4 reference and 2 candidate log-probability steps for 4 new tokens/,
    );
    const wider = sample(reference.queries[0]!, {
      tokens: [5, 6, 7, 8],
      logProbs: [r[0]!, r[1]!, r[0]!, row(0.25, 0.25, 0.25, 0.25)],
    });
    assert.throws(
      () => generationFidelity(reference, wider, LIMITS),
      /query 1 step 3: a vocabulary of 3 in the reference and 4 in the candidate/,
    );
    const nan = sample(reference.queries[0]!, {
      tokens: [5, 6, 7, 8],
      logProbs: [r[0]!, r[1]!, r[0]!, Float32Array.from([NaN, 0, 0])],
    });
    assert.throws(
      () => generationFidelity(reference, nan, LIMITS),
      /query 1 step 3: a log-probability is not finite/,
    );
    assert.throws(
      () => generationFidelity(reference, reference, { minTokenAgreement: 95, maxKl: 0.02 }),
      RangeError,
    );
    assert.throws(
      () => generationFidelity(reference, reference, { minTokenAgreement: 0.95, maxKl: -1 }),
      RangeError,
    );
  });
});

describe('gpt-tiny: model_fp16.onnx against model.onnx', () => {
  async function workload(layout: GenerationLayout, precision: string, batchSize: number) {
    const w = new GenerationWorkload(
      {
        modelName: 'gpt-tiny',
        precision,
        model: await inspectModel(layout.first.path),
        task: getTask('text-generation'),
        device: 'cpu',
        batchSize,
        threads: 1,
        queries: 8,
        warmup: 1,
        seed: 0,
        overrides: NO_OVERRIDES,
      },
      { layout, maxNewTokens: 10 },
    );
    assert.equal((await w.prepare()).status, 'ready');
    return w;
  }
  const take = async (w: GenerationWorkload, forced?: number[][]): Promise<Sample> => {
    const out = await w.sampleOutputs(8, forced);
    if (out.kind !== 'generation') throw new Error('a generation sample');
    return out;
  };

  test('fp16 at batch 4 holds against fp32 at batch 1; fp32 against itself is exact', async () => {
    const fp32 = await workload(await layoutOf('gpt-tiny'), 'fp32', 1);
    const fp16 = await workload(await layoutOf('gpt-tiny', 'model_fp16.onnx'), 'fp16', 4);
    try {
      const reference = await take(fp32);
      const tokens = reference.queries.map((q) => q.tokens);
      const self = generationFidelity(reference, await take(fp32, tokens), LIMITS);
      assert.deepEqual(
        self.map((f) => [f.metric, f.value, f.pass]),
        [
          ['token-agreement', 1, true],
          ['kl-mean', 0, true],
          ['top1-agreement-forced', 1, null],
          ['kl-max', 0, null],
          ['exact-match', 1, null],
          ['first-divergence-mean', 10, null],
        ],
      );
      const half = byMetric(generationFidelity(reference, await take(fp16, tokens), LIMITS));
      assert.ok(half['token-agreement']!.value >= 0.95, JSON.stringify(half));
      assert.ok(half['kl-mean']!.value > 0, 'fp16 is not bit-identical to fp32');
      assert.ok(half['kl-mean']!.value < 1e-3, JSON.stringify(half));
      assert.ok(half['top1-agreement-forced']!.value >= 0.95);
      assert.equal(half['token-agreement']!.pass, true);
      assert.equal(half['kl-mean']!.pass, true);
    } finally {
      await fp32.release();
      await fp16.release();
    }
  });
});
