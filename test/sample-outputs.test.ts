import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

import { inspectModel } from '../src/model/inspect.js';
import { splitOutputs, stackedFeeds } from '../src/runner/sample-outputs.js';
import { float16BitsToFloat32 as halfToFloat } from '../src/util/float16.js';
import { OrtWorkload } from '../src/runner/ort-workload.js';
import type { SampledTensor } from '../src/runner/workload.js';
import { planBatches } from '../src/workload/batches.js';
import { planInputs } from '../src/workload/input-plan.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { suiteQuerySizes } from '../src/workload/query-sizes.js';
import { getTask } from '../src/workload/tasks.js';

const ZOO = fileURLToPath(new URL('../../fixtures/zoo/', import.meta.url));
const ENCODER = path.join(ZOO, 'encoder-tiny', 'model.onnx');

describe('float16 outputs read as float32 (util/float16)', () => {
  test('normal, subnormal and special values', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x0000), 0);
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.equal(halfToFloat(0xfc00), -Infinity);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  });
});

describe('splitOutputs', () => {
  test('cuts along the batch, reads float16 and int64 as float32, names what it cannot split', () => {
    const outputs = {
      logits: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
      half: new ort.Tensor('float16', Uint16Array.from([0x3c00, 0xc000]), [2]),
      labels: new ort.Tensor('int64', BigInt64Array.from([7n, 9n]), [2, 1]),
      boxes: new ort.Tensor('float32', new Float32Array(12), [3, 4]),
    };
    const { queries, unsplit } = splitOutputs(outputs, 2);
    assert.deepEqual(unsplit, ['boxes']);
    assert.deepEqual(
      queries.map((q) => Object.fromEntries(Object.entries(q).map(([k, v]) => [k, [v.dims, [...v.data]]]))),
      [
        { logits: [[3], [1, 2, 3]], half: [[], [1]], labels: [[1], [7]] },
        { logits: [[3], [4, 5, 6]], half: [[], [-2]], labels: [[1], [9]] },
      ],
    );
  });

  test('at batch 1 an output without a batch dim is kept whole', () => {
    const { queries, unsplit } = splitOutputs(
      { boxes: new ort.Tensor('float32', new Float32Array(8), [2, 4]) },
      1,
    );
    assert.deepEqual(unsplit, []);
    assert.deepEqual(queries[0]!.boxes!.dims, [2, 4]);
  });
});

describe('the fidelity sample of a one-pass model', () => {
  test("a synthetic query's inputs are the same at every batch size", async () => {
    const model = await inspectModel(ENCODER);
    const task = getTask('text-classification');
    const plan = planInputs(model, task, NO_OVERRIDES);
    const sizes = suiteQuerySizes(plan, task, 4, 0);
    const [batch4] = planBatches(plan, sizes, 4);
    const singles = planBatches(plan, sizes, 1);
    const stacked = stackedFeeds(plan, batch4!, 0, 0);
    const ids = stacked.input_ids!;
    const tokens = batch4!.tokens;
    assert.deepEqual(ids.dims, [4, tokens]);
    for (let q = 0; q < 4; q++) {
      const alone = stackedFeeds(plan, singles[q]!, q, 0).input_ids!;
      const length = sizes[q]!.tokens!;
      const row = [...(ids.data as BigInt64Array).slice(q * tokens, q * tokens + length)];
      assert.deepEqual(row, [...(alone.data as BigInt64Array).slice(0, length)], `query ${q}`);
      // Past the query's tokens the row is padding.
      assert.ok(
        [...(ids.data as BigInt64Array).slice(q * tokens + length, (q + 1) * tokens)].every((v) => v === 0n),
      );
    }
  });

  test('OrtWorkload gives the first queries, split per query, the same at batch 1 and 4', async () => {
    const model = await inspectModel(ENCODER);
    const sample = async (batchSize: number) => {
      const workload = new OrtWorkload({
        modelName: 'encoder-tiny',
        precision: 'fp32',
        model,
        task: getTask('text-classification'),
        device: 'cpu',
        batchSize,
        threads: 1,
        queries: 6,
        warmup: 1,
        seed: 0,
        overrides: NO_OVERRIDES,
      });
      try {
        assert.equal((await workload.prepare()).status, 'ready');
        return await workload.sampleOutputs(5);
      } finally {
        await workload.release();
      }
    };
    const [one, four] = [await sample(1), await sample(4)];
    assert.equal(one.kind, 'tensors');
    assert.equal(four.kind, 'tensors');
    if (one.kind !== 'tensors' || four.kind !== 'tensors') return;
    assert.equal(one.queries.length, 5);
    assert.equal(four.queries.length, 5, 'two batches of 4, cut at 5 queries');
    for (let q = 0; q < 5; q++) {
      const a: SampledTensor = one.queries[q]!.logits!;
      const b: SampledTensor = four.queries[q]!.logits!;
      assert.deepEqual(a.dims, [2]);
      assert.deepEqual(b.dims, [2]);
      for (let i = 0; i < 2; i++)
        assert.ok(Math.abs(a.data[i]! - b.data[i]!) < 1e-4, `query ${q}: ${a.data[i]} vs ${b.data[i]}`);
    }
  });
});
