import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { GPT_TINY } from '../fixtures/build-generative.js';
import { inspectModel } from '../src/model/inspect.js';
import { GenerationWorkload, sampleQueryLimit } from '../src/runner/generation-workload.js';
import type { OrtWorkloadSpec } from '../src/runner/ort-workload.js';
import type { OutputSample } from '../src/runner/workload.js';
import type { GenerationLayout } from '../src/workload/generation-layout.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';
import { layoutOf } from './helpers/generation.js';

type Queries = Extract<OutputSample, { kind: 'generation' }>['queries'];

async function specFor(
  layout: GenerationLayout,
  options: { batchSize: number; queries?: number },
): Promise<OrtWorkloadSpec> {
  return {
    modelName: 'gpt-tiny',
    precision: 'fp32',
    model: await inspectModel(layout.first.path),
    task: getTask(layout.encoder?.features ? 'automatic-speech-recognition' : 'text-generation'),
    device: 'cpu',
    batchSize: options.batchSize,
    threads: 1,
    queries: options.queries ?? 5,
    warmup: 1,
    seed: 0,
    overrides: NO_OVERRIDES,
  };
}

async function workload(
  layout: GenerationLayout,
  options: { batchSize: number; queries?: number; maxNewTokens?: number; sampleFloatsMax?: number },
): Promise<GenerationWorkload> {
  const w = new GenerationWorkload(
    await specFor(layout, options),
    { layout, maxNewTokens: options.maxNewTokens ?? 4 },
    undefined,
    options.sampleFloatsMax,
  );
  const preparation = await w.prepare();
  assert.equal(preparation.status, 'ready', JSON.stringify(preparation));
  return w;
}

async function sample(w: GenerationWorkload, count: number, forced?: number[][]): Promise<Queries> {
  const out = await w.sampleOutputs(count, forced);
  assert.equal(out.kind, 'generation');
  if (out.kind !== 'generation') throw new Error('unreachable');
  return out.queries;
}

function maxAbsDelta(a: Queries, b: Queries): number {
  let max = 0;
  for (const [q, query] of a.entries())
    for (const [s, row] of query.logProbs.entries())
      for (let v = 0; v < row.length; v++) max = Math.max(max, Math.abs(row[v]! - b[q]!.logProbs[s]![v]!));
  return max;
}

describe('sampleQueryLimit', () => {
  test('queries × steps × vocab floats within the cap, at least one query', () => {
    assert.equal(sampleQueryLimit(10, 10, 50257), 10);
    assert.equal(sampleQueryLimit(1000, 10, 50257), 133);
    assert.equal(sampleQueryLimit(1000, 10, 128256), 52);
    assert.equal(sampleQueryLimit(5, 1, 2 ** 27), 1);
    assert.equal(sampleQueryLimit(5, 4, 256, 2 * 4 * 256), 2);
    assert.equal(sampleQueryLimit(5, 4, 256, 2 * 4 * 256 - 1), 1);
  });
});

describe('GenerationWorkload.sampleOutputs', () => {
  test('the first queries: greedy tokens and log-probs along them, alike at any batch size', async () => {
    const layout = await layoutOf('gpt-tiny');
    const batched = await workload(layout, { batchSize: 2 });
    const single = await workload(layout, { batchSize: 1 });
    try {
      const own = await sample(batched, 3);
      assert.equal(own.length, 3);
      for (const query of own) {
        assert.equal(query.tokens.length, 4);
        assert.ok(!query.tokens.includes(GPT_TINY.eosTokenId), 'end-of-sequence is suppressed');
        assert.equal(query.logProbs.length, 4);
        assert.ok(query.logProbs.every((row) => row.length === GPT_TINY.vocab));
      }
      const alone = await sample(single, 3);
      assert.deepEqual(
        alone.map((q) => q.tokens),
        own.map((q) => q.tokens),
      );
      assert.ok(maxAbsDelta(alone, own) < 1e-4);

      // Forced along its own tokens: the same sample, exactly.
      const forcedOwn = await sample(
        batched,
        3,
        own.map((q) => q.tokens),
      );
      assert.deepEqual(forcedOwn, own);

      // Forced along other tokens: the tokens stay free-running, the log-probs follow the forcing.
      const other = [
        [10, 20, 30, 40],
        [11, 21, 31, 41],
        [12, 22, 32, 42],
      ];
      const forced = await sample(batched, 3, other);
      assert.deepEqual(
        forced.map((q) => q.tokens),
        own.map((q) => q.tokens),
      );
      for (const [q, query] of forced.entries()) {
        assert.deepEqual(query.logProbs[0], own[q]!.logProbs[0], 'the first step sees only the prompt');
        assert.notDeepEqual(query.logProbs[1], own[q]!.logProbs[1]);
      }
      // A forced continuation of another length sets the number of steps.
      const longer = await sample(
        batched,
        2,
        other.map((row) => [...row, 50]),
      );
      assert.ok(longer.every((q) => q.tokens.length === 4 && q.logProbs.length === 5));

      assert.equal((await sample(batched, 50)).length, 5, 'no more than the suite holds');
      await assert.rejects(batched.sampleOutputs(0), /a sample of 0 queries/);
      await assert.rejects(
        new GenerationWorkload(await specFor(layout, { batchSize: 2 }), {
          layout,
          maxNewTokens: 4,
        }).sampleOutputs(1),
        /ran before a successful prepare/,
      );
      await assert.rejects(
        batched.sampleOutputs(3, other.slice(0, 2)),
        /2 forced continuations for a sample of 3/,
      );
      await assert.rejects(
        batched.sampleOutputs(2, [[1, 2], [1]]),
        /the forced continuations must all hold the same number of tokens/,
      );
      assert.deepEqual(
        batched.warnings().filter((w) => w.startsWith('fidelity')),
        [],
      );
    } finally {
      await batched.release();
      await single.release();
    }
  });

  test('the cap on log-probabilities keeps fewer queries and says so, the vocabulary known or not', async () => {
    const layout = await layoutOf('gpt-tiny');
    for (const vocabSize of [GPT_TINY.vocab, null]) {
      const w = await workload(
        { ...layout, vocabSize },
        { batchSize: 2, sampleFloatsMax: 2 * 4 * GPT_TINY.vocab },
      );
      try {
        assert.equal((await sample(w, 4)).length, 2);
        assert.equal((await sample(w, 2)).length, 2);
        assert.deepEqual(
          w.warnings().filter((line) => line.startsWith('fidelity')),
          [
            'fidelity compares 2 of 4 queries: their next-token log-probabilities (4 steps × 256 tokens each) are capped at 0.00781 MiB',
          ],
        );
      } finally {
        await w.release();
      }
    }
  });

  test('whisper-tiny: each query gets the same audio features at any batch size', async () => {
    const layout = await layoutOf('whisper-tiny');
    const batched = await workload(layout, { batchSize: 2, queries: 3, maxNewTokens: 3 });
    const single = await workload(layout, { batchSize: 1, queries: 3, maxNewTokens: 3 });
    try {
      const a = await sample(batched, 3);
      const b = await sample(single, 3);
      assert.deepEqual(
        a.map((q) => q.tokens),
        b.map((q) => q.tokens),
      );
      assert.notDeepEqual(a[0]!.logProbs[0], a[1]!.logProbs[0], 'different audio, different distributions');
      assert.ok(maxAbsDelta(a, b) < 1e-4);
    } finally {
      await batched.release();
      await single.release();
    }
  });
});
