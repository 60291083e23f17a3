import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

import * as ort from 'onnxruntime-node';

import { EnergyScoreError } from '../src/errors.js';
import { inspectModel, type ModelInfo } from '../src/model/inspect.js';
import { NO_OVERRIDES, parseOverrides, type InputOverrides } from '../src/workload/overrides.js';
import { planInputs, type SynthesisPlan } from '../src/workload/input-plan.js';
import { parseConstant } from '../src/workload/fill-constant.js';
import { dimsForQueries, suiteQuerySizes } from '../src/workload/query-sizes.js';
import { planBatches, type BatchShape } from '../src/workload/batches.js';
import { batchBytes, checkBatchFits, formatBytes } from '../src/workload/memory-fit.js';
import { buildBatch } from '../src/workload/tensors.js';
import { getTask, type QuerySize } from '../src/workload/tasks.js';
import { float16BitsToFloat32 } from '../src/util/float16.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (relative: string) => path.join(repoRoot, 'fixtures', ...relative.split('/'));

function isUsageError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError, `EnergyScoreError, got ${String(err)}`);
    assert.equal(err.kind, 'usage');
    assert.match(err.message, pattern);
    return true;
  };
}

const overrides = (o: { dim?: string[]; shape?: string[]; fill?: string[] }): InputOverrides =>
  parseOverrides(o);

/** Row r of a [rows, cols] tensor as numbers. */
function row(tensor: ort.Tensor, r: number): number[] {
  const cols = tensor.dims[1]!;
  return Array.from(tensor.data as BigInt64Array, Number).slice(r * cols, (r + 1) * cols);
}

const textClassification = getTask('text-classification');
const custom = getTask('custom');

describe('encoder-tiny with text-classification', () => {
  let model: ModelInfo;
  let plan: SynthesisPlan;
  const querySizes: QuerySize[] = [5, 40, 17, 1, 8, 33, 12, 2, 60, 9].map((tokens) => ({ tokens }));

  before(async () => {
    model = await inspectModel(fixture('zoo/encoder-tiny/model.onnx'));
    plan = planInputs(model, textClassification, NO_OVERRIDES);
  });

  test('planInputs: batch and tokens roles, token ids from the vocabulary, an attention mask', () => {
    assert.deepEqual(plan.inputs, [
      {
        name: 'input_ids',
        dtype: 'int64',
        dims: [
          { role: 'batch', value: 0, name: 'batch_size' },
          { role: 'tokens', value: 0, name: 'sequence_length' },
        ],
        fill: { kind: 'token-ids', vocab: 1000 },
        padding: 'tokens',
      },
      {
        name: 'attention_mask',
        dtype: 'int64',
        dims: [
          { role: 'batch', value: 0, name: 'batch_size' },
          { role: 'tokens', value: 0, name: 'sequence_length' },
        ],
        fill: { kind: 'attention-mask' },
        padding: 'tokens',
      },
    ]);
    assert.equal(plan.fixedBatch, undefined);
    assert.equal(plan.maxTokens, undefined);
    assert.ok(!('fixedTokens' in plan), 'no dead fixedTokens field');
    assert.equal(plan.fixedAudioSamples, undefined);
    assert.deepEqual(plan.dimsUsed, {
      batch_size: '<batch>',
      sequence_length: 'per batch: longest query (8-512 tokens, mean 157)',
    });
  });

  test('the quantized encoder plans the same (vocab read through the int8 table)', async () => {
    const quantized = await inspectModel(fixture('zoo/encoder-tiny/model_quantized.onnx'));
    assert.deepEqual(planInputs(quantized, textClassification, NO_OVERRIDES), plan);
  });

  test('planBatches: 10 queries at batch 4 → 4, 4, 2, each as wide as its longest query', () => {
    assert.deepEqual(planBatches(plan, querySizes, 4), [
      {
        queries: 4,
        tokens: 40,
        audioSamples: 0,
        queryTokens: [5, 40, 17, 1],
        queryAudioSamples: [0, 0, 0, 0],
      },
      {
        queries: 4,
        tokens: 33,
        audioSamples: 0,
        queryTokens: [8, 33, 12, 2],
        queryAudioSamples: [0, 0, 0, 0],
      },
      { queries: 2, tokens: 60, audioSamples: 0, queryTokens: [60, 9], queryAudioSamples: [0, 0] },
    ]);
    assert.deepEqual(
      planBatches(plan, querySizes, 1).map((b) => b.tokens),
      [5, 40, 17, 1, 8, 33, 12, 2, 60, 9],
    );
    assert.equal(planBatches(plan, querySizes, 100).length, 1);
    assert.deepEqual(planBatches(plan, [], 4), []);
  });

  test('planBatches rejects a batch size below 1 instead of looping forever', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => planBatches(plan, querySizes, size), isUsageError(/batch size/), String(size));
    }
  });

  test('planBatches on the suite: 10 queries of seed 0', () => {
    const sizes = suiteQuerySizes(plan, textClassification, 10, 0);
    const batches = planBatches(plan, sizes, 4);
    assert.deepEqual(
      batches.map((b) => [b.queries, b.tokens]),
      [
        [4, 239],
        [4, 148],
        [2, 169],
      ],
    );
    for (const b of batches) assert.equal(b.tokens, Math.max(...b.queryTokens));
  });

  test('buildBatch: ids in [1, 999] on real tokens and 0 on padding, masks matching each query', () => {
    const [first, , last] = planBatches(plan, querySizes, 4);
    for (const shape of [first!, last!]) {
      const batch = buildBatch(plan, shape, 42);
      assert.equal(batch.queries, shape.queries);
      assert.deepEqual(Object.keys(batch.feeds), ['input_ids', 'attention_mask']);
      const ids = batch.feeds.input_ids!;
      const mask = batch.feeds.attention_mask!;
      for (const t of [ids, mask]) {
        assert.equal(t.type, 'int64');
        assert.ok(t.data instanceof BigInt64Array);
        assert.deepEqual(t.dims, [shape.queries, shape.tokens]);
      }
      shape.queryTokens.forEach((length, r) => {
        const idRow = row(ids, r);
        const maskRow = row(mask, r);
        assert.deepEqual(
          maskRow,
          Array.from({ length: shape.tokens }, (_, i) => (i < length ? 1 : 0)),
          `mask row ${r}`,
        );
        idRow.forEach((id, i) => {
          if (i < length) assert.ok(id >= 1 && id <= 999, `id ${id} at ${r},${i}`);
          else assert.equal(id, 0, `padding at ${r},${i}`);
        });
      });
      // Two int64 tensors of queries x tokens.
      assert.equal(batch.bytes, 2 * 8 * shape.queries * shape.tokens);
      assert.equal(batch.bytes, batchBytes(plan, shape));
    }
  });

  test('buildBatch: ids spread over the vocabulary', () => {
    const shape = planBatches(
      plan,
      [{ tokens: 512 }, { tokens: 512 }, { tokens: 512 }, { tokens: 512 }],
      4,
    )[0]!;
    const ids = Array.from(buildBatch(plan, shape, 1).feeds.input_ids!.data as BigInt64Array, Number);
    assert.ok(ids.every((id) => id >= 1 && id <= 999));
    assert.ok(new Set(ids).size > 800, 'most of the vocabulary appears in 2048 draws');
    assert.ok(Math.min(...ids) < 10 && Math.max(...ids) > 990);
  });

  test('buildBatch is deterministic: same seed identical, another seed different ids', () => {
    const shape = planBatches(plan, querySizes, 4)[0]!;
    const a = buildBatch(plan, shape, 7);
    const b = buildBatch(plan, shape, 7);
    const c = buildBatch(plan, shape, 8);
    assert.deepEqual(a.feeds.input_ids!.data, b.feeds.input_ids!.data);
    assert.deepEqual(a.feeds.attention_mask!.data, b.feeds.attention_mask!.data);
    assert.notDeepEqual(a.feeds.input_ids!.data, c.feeds.input_ids!.data);
    assert.deepEqual(a.feeds.attention_mask!.data, c.feeds.attention_mask!.data);
  });

  test('the batch runs through the model', async () => {
    const session = await ort.InferenceSession.create(fixture('zoo/encoder-tiny/model.onnx'));
    try {
      for (const shape of planBatches(plan, querySizes, 4)) {
        const out = await session.run(buildBatch(plan, shape, 3).feeds);
        assert.deepEqual(out.logits?.dims, [shape.queries, 2]);
        assert.ok(Array.from(out.logits!.data as Float32Array).every(Number.isFinite));
      }
    } finally {
      await session.release();
    }
  });

  test('--dim sequence_length=16 pins every batch at 16 tokens; masks still follow each query', () => {
    const pinned = planInputs(model, textClassification, overrides({ dim: ['sequence_length=16'] }));
    for (const input of pinned.inputs) {
      assert.deepEqual(input.dims[1], { role: 'pinned', value: 16, name: 'sequence_length' });
    }
    assert.equal(pinned.maxTokens, 16);
    assert.deepEqual(pinned.dimsUsed, { batch_size: '<batch>', sequence_length: 16 });

    // The suite's queries are capped at 16.
    const suite = suiteQuerySizes(pinned, textClassification, 200, 0);
    assert.ok(suite.every((q) => q.tokens! >= 8 && q.tokens! <= 16));
    assert.ok(planBatches(pinned, suite, 8).every((b) => b.tokens === 16));

    const batches = planBatches(pinned, querySizes, 4);
    assert.deepEqual(
      batches.map((b) => [b.tokens, b.queryTokens]),
      [
        [16, [5, 16, 16, 1]],
        [16, [8, 16, 12, 2]],
        [16, [16, 9]],
      ],
    );
    const feeds = buildBatch(pinned, batches[0]!, 0).feeds;
    assert.deepEqual(feeds.input_ids!.dims, [4, 16]);
    assert.deepEqual(
      [0, 1, 2, 3].map((r) => row(feeds.attention_mask!, r).reduce((a, b) => a + b, 0)),
      [5, 16, 16, 1],
    );
    assert.deepEqual(row(feeds.input_ids!, 0).slice(5), new Array(11).fill(0));
    assert.ok(
      row(feeds.input_ids!, 0)
        .slice(0, 5)
        .every((id) => id >= 1),
    );
  });

  test('checkBatchFits: the largest batch in bytes, or a usage error when memory is short', () => {
    const batches = planBatches(plan, querySizes, 4);
    // Largest: 4 x 40 tokens x 2 inputs x 8 bytes = 2,560 (the 2 x 60 batch is 1,920).
    assert.equal(checkBatchFits(plan, batches, 1 << 30), 2560);
    assert.equal(checkBatchFits(plan, batches, 5120), 2560, 'exactly half the free memory fits');
    assert.throws(
      () => checkBatchFits(plan, batches, 5119),
      (err: unknown) => {
        isUsageError(/one batch of inputs needs 2\.5 KiB, more than half the free memory \(5\.0 KiB\)/)(err);
        const e = err as EnergyScoreError;
        assert.match(e.message, /input_ids \[4x40\] int64, attention_mask \[4x40\] int64/);
        assert.match(e.hint ?? '', /lower --batch/);
        return true;
      },
    );
    assert.throws(() => checkBatchFits(plan, batches, 1), isUsageError(/more than half the free memory/));
    assert.equal(checkBatchFits(plan, [], 1), 0);
  });
});

describe('image models', () => {
  test('cnn-small: every channel of pixel_values gets data (not only channel 0)', async () => {
    const model = await inspectModel(fixture('zoo/cnn-small/model.onnx'));
    const task = getTask('image-classification');
    const plan = planInputs(model, task, NO_OVERRIDES);
    assert.deepEqual(plan.inputs[0]!.dims, [
      { role: 'batch', value: 0, name: 'batch_size' },
      { role: 'fixed', value: 3, name: null },
      { role: 'fixed', value: 224, name: null },
      { role: 'fixed', value: 224, name: null },
    ]);
    assert.deepEqual(plan.inputs[0]!.fill, { kind: 'normal', scale: 1 });
    const [shape] = planBatches(plan, suiteQuerySizes(plan, task, 2, 0), 2);
    const pixels = buildBatch(plan, shape!, 0).feeds.pixel_values!;
    assert.deepEqual(pixels.dims, [2, 3, 224, 224]);
    const data = pixels.data as Float32Array;
    const plane = 224 * 224;
    for (let c = 0; c < 6; c++) {
      const channel = data.subarray(c * plane, (c + 1) * plane);
      const nonZero = channel.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
      assert.equal(nonZero, plane, `image ${Math.floor(c / 3)} channel ${c % 3}`);
      const m = channel.reduce((s, v) => s + v, 0) / plane;
      assert.ok(Math.abs(m) < 0.05, `channel mean ${m}`);
    }
  });

  test('image dims named height/width take the task size', () => {
    const model = {
      inputs: [
        { name: 'pixel_values', kind: 'tensor', dtype: 'float32', shape: ['batch', 3, 'height', 'width'] },
      ],
      embeddingVocab: {},
    } as unknown as ModelInfo;
    const plan = planInputs(model, getTask('object-detection'), NO_OVERRIDES);
    assert.deepEqual(
      plan.inputs[0]!.dims.map((d) => [d.role, d.value]),
      [
        ['batch', 0],
        ['fixed', 3],
        ['image', 640],
        ['image', 640],
      ],
    );
    assert.deepEqual(plan.dimsUsed, { batch: '<batch>', height: 640, width: 640 });
  });
});

describe('all-dtypes with task custom', () => {
  let model: ModelInfo;
  let plan: SynthesisPlan;
  before(async () => {
    model = await inspectModel(fixture('misc/all-dtypes.onnx'));
    plan = planInputs(model, custom, NO_OVERRIDES);
  });

  const EXPECTED_ARRAYS: Record<string, [string, new (...args: never[]) => unknown]> = {
    x_float32: ['float32', Float32Array],
    x_float16: ['float16', Uint16Array],
    x_float64: ['float64', Float64Array],
    x_int8: ['int8', Int8Array],
    x_uint8: ['uint8', Uint8Array],
    x_int16: ['int16', Int16Array],
    x_uint16: ['uint16', Uint16Array],
    x_int32: ['int32', Int32Array],
    x_uint32: ['uint32', Uint32Array],
    sample_rate: ['int64', BigInt64Array],
    x_uint64: ['uint64', BigUint64Array],
    x_bool: ['bool', Uint8Array],
    x_string: ['string', Array],
    features: ['float32', Float32Array],
  };

  function expectedDims(name: string, queries: number): number[] {
    const input = model.inputs.find((i) => i.name === name)!;
    // num_features has no rule and no pin: the default of 1.
    return input.shape!.map((d) => (d === 'batch_size' ? queries : d === 'num_features' ? 1 : (d as number)));
  }

  test('fills per input', () => {
    assert.deepEqual(Object.fromEntries(plan.inputs.map((i) => [i.name, i.fill])), {
      x_float32: { kind: 'normal', scale: 1 },
      x_float16: { kind: 'normal', scale: 1 },
      x_float64: { kind: 'normal', scale: 1 },
      x_int8: { kind: 'zeros' },
      x_uint8: { kind: 'uniform-int', min: 0, max: 255 },
      x_int16: { kind: 'zeros' },
      x_uint16: { kind: 'zeros' },
      x_int32: { kind: 'zeros' },
      x_uint32: { kind: 'zeros' },
      sample_rate: { kind: 'constant', text: '16000' },
      x_uint64: { kind: 'zeros' },
      x_bool: { kind: 'random-bool' },
      x_string: { kind: 'text' },
      features: { kind: 'normal', scale: 1 },
    });
    assert.equal(plan.fixedBatch, undefined);
  });

  for (const queries of [1, 3]) {
    test(`buildBatch at batch ${queries}: the right ORT type for every input, and ORT runs it`, async () => {
      const shapes = planBatches(plan, suiteQuerySizes(plan, custom, queries, 0), queries);
      assert.equal(shapes.length, 1);
      const batch = buildBatch(plan, shapes[0]!, 5);
      assert.deepEqual(
        Object.keys(batch.feeds),
        model.inputs.map((i) => i.name),
      );
      for (const [name, [type, arrayType]] of Object.entries(EXPECTED_ARRAYS)) {
        const t = batch.feeds[name]!;
        assert.equal(t.type, type, name);
        assert.ok(t.data instanceof arrayType, `${name} data is a ${arrayType.name}`);
        assert.deepEqual(t.dims, expectedDims(name, queries), name);
      }
      assert.deepEqual(Array.from(batch.feeds.sample_rate!.data as BigInt64Array), [16000n]);
      assert.deepEqual(batch.feeds.sample_rate!.dims, []);
      assert.deepEqual(Array.from(batch.feeds.x_uint64!.data as BigUint64Array), [0n, 0n]);
      assert.deepEqual(batch.feeds.x_string!.data, new Array(queries).fill('energy'));
      assert.ok(Array.from(batch.feeds.x_bool!.data as Uint8Array).every((v) => v === 0 || v === 1));
      // Float inputs are random everywhere (no padding along a fixed dim that is not a token dim).
      for (const name of ['x_float32', 'x_float64', 'features']) {
        const values = Array.from(batch.feeds[name]!.data as Float32Array);
        assert.ok(
          values.every((v) => Number.isFinite(v) && v !== 0),
          name,
        );
      }
      const halves = Array.from(batch.feeds.x_float16!.data as Uint16Array, float16BitsToFloat32);
      assert.ok(
        halves.every((v) => Number.isFinite(v) && v !== 0),
        'x_float16',
      );
      // string tensors count 16 bytes a value; bool 1.
      assert.equal(batch.bytes, batchBytes(plan, shapes[0]!));

      const session = await ort.InferenceSession.create(fixture('misc/all-dtypes.onnx'));
      try {
        const out = await session.run(batch.feeds);
        for (const input of model.inputs) {
          const got = out[`${input.name}_out`]!;
          const sent = batch.feeds[input.name]!;
          assert.equal(got.type, sent.type, input.name);
          assert.deepEqual(got.dims, sent.dims, input.name);
          assert.deepEqual(
            Array.from(got.data as ArrayLike<unknown>),
            Array.from(sent.data as ArrayLike<unknown>),
          );
        }
      } finally {
        await session.release();
      }
    });
  }

  test('--fill and --shape pins on all-dtypes', () => {
    const pinned = planInputs(
      model,
      custom,
      overrides({
        fill: [
          'x_int32=7',
          'x_uint64=18446744073709551615',
          'x_bool=true',
          'sample_rate=1e3',
          'x_float16=0.5',
        ],
        shape: ['features=2x5'],
        dim: ['num_features=9'],
      }),
    );
    const shape = planBatches(pinned, suiteQuerySizes(pinned, custom, 2, 0), 2)[0]!;
    const feeds = buildBatch(pinned, shape, 0).feeds;
    assert.deepEqual(Array.from(feeds.x_int32!.data as Int32Array), [7, 7]);
    assert.deepEqual(Array.from(feeds.x_uint64!.data as BigUint64Array), [2n ** 64n - 1n, 2n ** 64n - 1n]);
    assert.deepEqual(Array.from(feeds.x_bool!.data as Uint8Array), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(feeds.sample_rate!.data as BigInt64Array), [1000n]);
    assert.deepEqual(Array.from(feeds.x_float16!.data as Uint16Array), new Array(8).fill(0x3800));
    // --shape sizes the non-batch dim of features.
    assert.deepEqual(feeds.features!.dims, [2, 5]);
  });

  test('a pinned non-batch dynamic dim', () => {
    const pinned = planInputs(model, custom, overrides({ dim: ['num_features=9'] }));
    assert.deepEqual(pinned.inputs.find((i) => i.name === 'features')!.dims[1], {
      role: 'pinned',
      value: 9,
      name: 'num_features',
    });
    assert.equal(pinned.dimsUsed.num_features, 9);
  });
});

describe('planInputs rejects bad pins with usage errors', () => {
  let encoder: ModelInfo;
  let dtypes: ModelInfo;
  before(async () => {
    encoder = await inspectModel(fixture('zoo/encoder-tiny/model.onnx'));
    dtypes = await inspectModel(fixture('misc/all-dtypes.onnx'));
  });

  test('a --shape or --fill naming a missing input', () => {
    assert.throws(
      () => planInputs(encoder, textClassification, overrides({ shape: ['pixel_values=1x3'] })),
      (err: unknown) => {
        isUsageError(/the model has no input 'pixel_values'/)(err);
        assert.equal((err as EnergyScoreError).hint, 'its inputs are: input_ids, attention_mask');
        return true;
      },
    );
    assert.throws(
      () => planInputs(encoder, textClassification, overrides({ fill: ['token_type_ids=0'] })),
      isUsageError(/no input 'token_type_ids'/),
    );
  });

  test('a --dim naming a missing dim (or a fixed one)', async () => {
    assert.throws(
      () => planInputs(encoder, textClassification, overrides({ dim: ['seq_len=16'] })),
      (err: unknown) => {
        isUsageError(/no dynamic dim named 'seq_len'/)(err);
        assert.equal((err as EnergyScoreError).hint, 'its named dims are: batch_size, sequence_length');
        return true;
      },
    );
    const fixed = await inspectModel(fixture('bad/fixed-batch/model.onnx'));
    assert.throws(
      () => planInputs(fixed, custom, overrides({ dim: ['batch_size=2'] })),
      (err: unknown) => {
        isUsageError(/no dynamic dim named 'batch_size'/)(err);
        assert.equal((err as EnergyScoreError).hint, 'its named dims are: none');
        return true;
      },
    );
  });

  test('pins named like Object.prototype members are ordinary names', () => {
    assert.throws(
      () => planInputs(encoder, textClassification, overrides({ dim: ['constructor=3'] })),
      isUsageError(/no dynamic dim named 'constructor'/),
    );
    const plan = planInputs(encoder, textClassification, NO_OVERRIDES);
    assert.deepEqual(
      plan.inputs.map((i) => i.dims.map((d) => d.role)),
      [
        ['batch', 'tokens'],
        ['batch', 'tokens'],
      ],
    );
  });

  test('an int input with a fixed dim 1 that is not text does not cap token lengths', () => {
    const plan = planInputs(dtypes, custom, NO_OVERRIDES);
    assert.equal(plan.maxTokens, undefined);
  });

  test('a --shape of the wrong rank', () => {
    assert.throws(
      () => planInputs(encoder, textClassification, overrides({ shape: ['input_ids=1x2x3'] })),
      isUsageError(/--shape input_ids has 3 dims but the input has 2/),
    );
    assert.throws(
      () => planInputs(dtypes, custom, overrides({ shape: ['sample_rate=1'] })),
      isUsageError(/--shape sample_rate has 1 dims but the input has 0/),
    );
  });

  test('a --shape contradicting a fixed dim', () => {
    assert.throws(
      () => planInputs(dtypes, custom, overrides({ shape: ['x_float64=2x4'] })),
      isUsageError(/--shape x_float64 sets dim 1 to 4 but the model fixes it at 3/),
    );
  });

  test('a --fill that does not fit the input type', () => {
    const bad: [string, RegExp][] = [
      ['x_int32=1.5', /--fill x_int32=1\.5: int32 needs a whole number/],
      ['sample_rate=2.5', /int64 needs a whole number/],
      ['x_bool=maybe', /--fill x_bool=maybe: a bool input takes true or false/],
      ['x_float32=abc', /--fill x_float32=abc: not a number/],
      ['x_float32=Infinity', /not a number/],
      ['x_uint8=-1', /uint8 cannot be negative/],
      ['x_uint64=-5', /uint64 cannot be negative/],
      ['x_int8=300', /--fill x_int8=300: out of range for int8/],
      ['x_int16=-40000', /out of range for int16/],
    ];
    for (const [fill, pattern] of bad) {
      assert.throws(
        () => planInputs(dtypes, custom, overrides({ fill: [fill] })),
        isUsageError(pattern),
        fill,
      );
    }
  });

  test('parseConstant returns typed values', () => {
    assert.equal(parseConstant('7', 'int32', 'x'), 7);
    assert.equal(parseConstant('7', 'int64', 'x'), 7n);
    assert.equal(parseConstant('9007199254740993', 'int64', 'x'), 9007199254740993n, 'exact beyond 2^53');
    assert.equal(parseConstant('1e3', 'int64', 'x'), 1000n);
    assert.equal(parseConstant('4.0', 'uint64', 'x'), 4n);
    assert.equal(parseConstant('-2', 'int64', 'x'), -2n);
    assert.equal(parseConstant('0.25', 'float32', 'x'), 0.25);
    assert.equal(parseConstant('TRUE', 'bool', 'x'), true);
    assert.equal(parseConstant('0', 'bool', 'x'), false);
    assert.equal(parseConstant('hello', 'string', 'x'), 'hello');
  });
});

describe('fixed-batch model', () => {
  test('plan.fixedBatch is 1 and every dim is fixed', async () => {
    const model = await inspectModel(fixture('bad/fixed-batch/model.onnx'));
    const plan = planInputs(model, custom, NO_OVERRIDES);
    assert.equal(plan.fixedBatch, 1);
    assert.deepEqual(plan.inputs[0]!.dims, [
      { role: 'fixed', value: 1, name: null },
      { role: 'fixed', value: 4, name: null },
    ]);
    assert.deepEqual(plan.dimsUsed, {});
    const shape: BatchShape = planBatches(plan, suiteQuerySizes(plan, custom, 1, 0), 1)[0]!;
    const x = buildBatch(plan, shape, 0).feeds.x!;
    assert.deepEqual(x.dims, [1, 4]);
    assert.ok(Array.from(x.data as Float32Array).every((v) => v !== 0));
  });
});

test('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [2560, '2.5 KiB'],
    [1024 * 1024, '1.0 MiB'],
    [5.25 * 1024 ** 2, '5.3 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
    [1.5 * 1024 ** 4, '1.5 TiB'],
    [2 * 1024 ** 5, '2.0 PiB'],
    [4096 * 1024 ** 5, '4096.0 PiB'],
  ];
  for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text, String(bytes));
});

/** A ModelInfo with only what planInputs reads: tensor inputs, no embedding tables. */
function handModel(
  inputs: { name: string; dtype: string; shape: (number | string | null)[] }[],
  path?: string,
) {
  return {
    path,
    inputs: inputs.map((i) => ({ kind: 'tensor', ...i })),
    embeddingVocab: {},
  } as unknown as ModelInfo;
}

/** Row r of a [rows, ...] tensor of any numeric type as numbers (fp16 decoded). */
function numbers(tensor: ort.Tensor, r: number): number[] {
  const cols = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
  const data = tensor.data as ArrayLike<number | bigint>;
  const all =
    tensor.type === 'float16'
      ? Array.from(data as Uint16Array, float16BitsToFloat32)
      : Array.from(data, (v) => Number(v));
  return all.slice(r * cols, (r + 1) * cols);
}

const asr = getTask('automatic-speech-recognition');
const captioning = getTask('image-captioning');
const ones = (real: number, length: number) => Array.from({ length }, (_, i) => (i < real ? 1 : 0));

describe('a named dim is one size across all inputs', () => {
  const asrModel = (maskType = 'int64') =>
    handModel([
      { name: 'input_values', dtype: 'float32', shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', dtype: maskType, shape: ['batch_size', 'sequence_length'] },
    ]);
  const clips: QuerySize[] = [{ audioSamples: 5 }, { audioSamples: 9 }, { audioSamples: 3 }];

  test('ASR: attention_mask follows the audio dim it shares with input_values', () => {
    const plan = planInputs(asrModel(), asr, NO_OVERRIDES);
    for (const input of plan.inputs) {
      assert.deepEqual(
        input.dims.map((d) => d.role),
        ['batch', 'audio'],
        input.name,
      );
      assert.equal(input.padding, 'audio', input.name);
    }
    assert.deepEqual(plan.dimsUsed, {
      batch_size: '<batch>',
      sequence_length: 'per batch: longest clip (1-30 s at 16000 Hz)',
    });
    assert.equal(plan.maxTokens, undefined);
    assert.equal(plan.fixedAudioSamples, undefined);

    const [shape] = planBatches(plan, clips, 3);
    const feeds = buildBatch(plan, shape!, 0).feeds;
    assert.deepEqual(feeds.input_values!.dims, [3, 9]);
    assert.deepEqual(feeds.attention_mask!.dims, [3, 9]);
    [5, 9, 3].forEach((real, r) => {
      assert.deepEqual(numbers(feeds.attention_mask!, r), ones(real, 9), `mask row ${r}`);
      const audio = numbers(feeds.input_values!, r);
      assert.ok(
        audio.slice(0, real).every((v) => v !== 0),
        `samples of row ${r}`,
      );
      assert.ok(
        audio.slice(real).every((v) => v === 0),
        `silence after row ${r}`,
      );
    });
  });

  test('ASR with a --shape pin: the mask takes the pinned size too, all real like the audio', () => {
    const plan = planInputs(asrModel(), asr, overrides({ shape: ['input_values=1x8'] }));
    for (const input of plan.inputs) {
      assert.deepEqual(input.dims[1], { role: 'pinned', value: 8, name: 'sequence_length' }, input.name);
    }
    assert.equal(plan.fixedAudioSamples, 8);
    assert.equal(plan.maxTokens, undefined, 'a pinned audio dim does not cap tokens');
    assert.deepEqual(plan.dimsUsed, { batch_size: '<batch>', sequence_length: 8 });
    const [shape] = planBatches(plan, clips, 3);
    const feeds = buildBatch(plan, shape!, 0).feeds;
    assert.deepEqual(feeds.attention_mask!.dims, [3, 8]);
    for (let r = 0; r < 3; r++) {
      assert.deepEqual(numbers(feeds.attention_mask!, r), ones(8, 8));
      assert.ok(numbers(feeds.input_values!, r).every((v) => v !== 0));
    }
  });

  test('two pins that size one dim differently are a usage error', () => {
    assert.throws(
      () => planInputs(asrModel(), asr, overrides({ shape: ['input_values=1x8', 'attention_mask=1x16'] })),
      isUsageError(
        /--shape input_values=1x8 sets sequence_length to 8 but --shape attention_mask=1x16 sets it to 16/,
      ),
    );
    assert.throws(
      () =>
        planInputs(asrModel(), asr, overrides({ shape: ['input_values=1x8'], dim: ['sequence_length=9'] })),
      isUsageError(/sets sequence_length to 8 but --dim sequence_length=9 sets it to 9/),
    );
    // The same size twice is fine.
    const plan = planInputs(
      asrModel(),
      asr,
      overrides({ shape: ['input_values=1x8'], dim: ['sequence_length=8'] }),
    );
    assert.equal(plan.fixedAudioSamples, 8);
  });

  test('captioning: pixel_mask takes the image size from pixel_values, not the prompt tokens', () => {
    const model = handModel([
      { name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 3, 'height', 'width'] },
      { name: 'pixel_mask', dtype: 'int64', shape: ['batch_size', 'height', 'width'] },
      { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    ]);
    const plan = planInputs(model, captioning, NO_OVERRIDES);
    const mask = plan.inputs.find((i) => i.name === 'pixel_mask')!;
    assert.deepEqual(mask.dims, [
      { role: 'batch', value: 0, name: 'batch_size' },
      { role: 'image', value: 224, name: 'height' },
      { role: 'image', value: 224, name: 'width' },
    ]);
    assert.equal(mask.padding, 'none');
    assert.deepEqual(plan.dimsUsed, {
      batch_size: '<batch>',
      height: 224,
      width: 224,
      sequence_length: '16 tokens',
    });
    const [shape] = planBatches(plan, suiteQuerySizes(plan, captioning, 2, 0), 2);
    const feeds = buildBatch(plan, shape!, 0).feeds;
    assert.deepEqual(feeds.pixel_values!.dims, [2, 3, 224, 224]);
    assert.deepEqual(feeds.pixel_mask!.dims, [2, 224, 224]);
    assert.ok(Array.from(feeds.pixel_mask!.data as BigInt64Array).every((v) => v === 1n));
    assert.deepEqual(feeds.input_ids!.dims, [2, 16]);
  });
});

describe('masks of every numeric type are 1 on real positions and 0 on padding', () => {
  const types = [
    'float32',
    'float16',
    'float64',
    'int8',
    'uint8',
    'int16',
    'uint16',
    'int32',
    'uint32',
    'int64',
    'uint64',
    'bool',
  ];
  const queries: QuerySize[] = [{ tokens: 2 }, { tokens: 5 }];
  for (const dtype of types) {
    test(dtype, () => {
      const model = handModel([
        { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
        { name: 'attention_mask', dtype, shape: ['batch_size', 'sequence_length'] },
      ]);
      const plan = planInputs(model, textClassification, NO_OVERRIDES);
      assert.deepEqual(plan.inputs[1]!.fill, { kind: 'attention-mask' });
      const [shape] = planBatches(plan, queries, 2);
      const mask = buildBatch(plan, shape!, 0).feeds.attention_mask!;
      assert.equal(mask.type, dtype);
      assert.deepEqual(numbers(mask, 0), ones(2, 5));
      assert.deepEqual(numbers(mask, 1), ones(5, 5));
    });
  }

  test('an ASR model with a float mask', () => {
    const model = handModel([
      { name: 'input_values', dtype: 'float32', shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', dtype: 'float32', shape: ['batch_size', 'sequence_length'] },
    ]);
    const plan = planInputs(model, asr, NO_OVERRIDES);
    const [shape] = planBatches(plan, [{ audioSamples: 4 }, { audioSamples: 2 }], 2);
    const mask = buildBatch(plan, shape!, 0).feeds.attention_mask!;
    assert.deepEqual(Array.from(mask.data as Float32Array), [1, 1, 1, 1, 1, 1, 0, 0]);
  });
});

describe('a pin of 0', () => {
  let encoder: ModelInfo;
  before(async () => {
    encoder = await inspectModel(fixture('zoo/encoder-tiny/model.onnx'));
  });

  test('is a usage error for a token, audio, image or batch dim', () => {
    const image = handModel([
      { name: 'pixel_values', dtype: 'float32', shape: ['batch', 3, 'height', 'width'] },
    ]);
    const audio = handModel([{ name: 'input_values', dtype: 'float32', shape: ['batch', 'samples'] }]);
    const cases: [ModelInfo, string, InputOverrides, RegExp][] = [
      [
        encoder,
        'text-classification',
        overrides({ dim: ['sequence_length=0'] }),
        /--dim sequence_length=0: a sequence needs at least one token/,
      ],
      [
        encoder,
        'text-classification',
        overrides({ dim: ['batch_size=0'] }),
        /--dim batch_size=0: a batch needs at least one query/,
      ],
      [
        encoder,
        'text-classification',
        overrides({ shape: ['attention_mask=1x0'] }),
        /--shape attention_mask=1x0: dim 1 is 0, but a sequence needs at least one token/,
      ],
      [
        image,
        'object-detection',
        overrides({ dim: ['height=0'] }),
        /--dim height=0: an image needs at least one pixel/,
      ],
      [
        audio,
        'automatic-speech-recognition',
        overrides({ dim: ['samples=0'] }),
        /--dim samples=0: a clip needs at least one sample/,
      ],
    ];
    for (const [model, task, pins, pattern] of cases) {
      assert.throws(() => planInputs(model, getTask(task), pins), isUsageError(pattern), String(pattern));
    }
  });

  test('is fine for a past or cache dim', () => {
    const model = handModel([
      { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
      { name: 'past_key', dtype: 'float32', shape: ['batch_size', 2, 'past_sequence_length', 4] },
    ]);
    const plan = planInputs(model, textClassification, overrides({ dim: ['past_sequence_length=0'] }));
    assert.deepEqual(plan.inputs[1]!.dims[2], { role: 'pinned', value: 0, name: 'past_sequence_length' });
    const [shape] = planBatches(plan, [{ tokens: 3 }], 1);
    assert.deepEqual(buildBatch(plan, shape!, 0).feeds.past_key!.dims, [1, 2, 0, 4]);
  });

  test('a model-fixed token cap of 0 still caps (no truthiness test on maxTokens)', () => {
    const plan: SynthesisPlan = {
      inputs: [],
      dimsUsed: {},
      fixedBatch: undefined,
      maxTokens: 0,
      fixedAudioSamples: undefined,
    };
    assert.deepEqual(
      planBatches(plan, [{ tokens: 5 }, { tokens: 7 }], 2).map((b) => [b.tokens, b.queryTokens]),
      [[0, [0, 0]]],
    );
    assert.ok(suiteQuerySizes(plan, textClassification, 5, 0).every((q) => q.tokens === 0));
  });
});

describe('planInputs errors name the model', () => {
  test("the model's path by default, or the name given", async () => {
    const encoder = await inspectModel(fixture('zoo/encoder-tiny/model.onnx'));
    const pins = overrides({ dim: ['seq_len=16'] });
    assert.throws(
      () => planInputs(encoder, textClassification, pins),
      (err: unknown) => {
        isUsageError(/no dynamic dim named 'seq_len'/)(err);
        const message = (err as EnergyScoreError).message;
        assert.ok(
          message.startsWith(`${encoder.path}: the model has no dynamic dim named 'seq_len'`),
          message,
        );
        assert.equal((err as EnergyScoreError).hint, 'its named dims are: batch_size, sequence_length');
        return true;
      },
    );
    assert.throws(
      () => planInputs(encoder, textClassification, pins, 'encoder-tiny fp32'),
      isUsageError(/^encoder-tiny fp32: the model has no dynamic dim named 'seq_len'$/),
    );
    assert.throws(
      () => planInputs(encoder, textClassification, overrides({ fill: ['input_ids=abc'] }), 'encoder-tiny'),
      isUsageError(/^encoder-tiny: --fill input_ids=abc: not a number$/),
    );
    // A model with no path and no name given: the message as it was.
    assert.throws(
      () => planInputs(handModel([{ name: 'x', dtype: 'float32', shape: ['n'] }]), custom, pins),
      isUsageError(/^the model has no dynamic dim named 'seq_len'$/),
    );
  });
});

describe('buildBatch memory', () => {
  test('keeps values off the JS heap: one typed array per input, no boxed copy', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // Young-generation garbage comes and goes; a boxed copy of the batch lands in old or large-object space.
    const settledHeap = () =>
      v8
        .getHeapSpaceStatistics()
        .filter((s) => s.space_name !== 'new_space')
        .reduce((n, s) => n + s.space_used_size, 0);
    const model = await inspectModel(fixture('zoo/cnn-small/model.onnx'));
    const task = getTask('image-classification');
    const plan = planInputs(model, task, NO_OVERRIDES);
    const [shape] = planBatches(plan, suiteQuerySizes(plan, task, 8, 0), 8);
    gc();
    const before = settledHeap();
    const batch = buildBatch(plan, shape!, 0);
    const grown = settledHeap() - before;
    assert.equal(batch.bytes, 8 * 3 * 224 * 224 * 4);
    assert.equal((batch.feeds.pixel_values!.data as Float32Array).byteLength, batch.bytes);
    // Boxing every value grew this heap by ~10x the tensor; in place it grows by a few hundred KiB.
    assert.ok(
      grown < batch.bytes / 4,
      `heap grew ${formatBytes(grown)} for a ${formatBytes(batch.bytes)} batch`,
    );
  });
});

describe('dimsForQueries', () => {
  const planned = {
    batch_size: '<batch>',
    sequence_length: 'per batch: longest query (8-512 tokens, mean 157)',
    channels: 3,
  };
  test('queries from data: their token range and mean replace the suite’s', () => {
    const sizes: QuerySize[] = [{ tokens: 7 }, { tokens: 22 }, { tokens: 14 }, { tokens: 15 }];
    assert.deepEqual(dimsForQueries(planned, sizes), {
      batch_size: '<batch>',
      sequence_length: 'per batch: longest query (7-22 tokens, mean 14.5, from the data)',
      channels: 3,
    });
  });
  test('queries without token counts (images, audio) leave the dims as planned', () => {
    assert.deepEqual(dimsForQueries(planned, [{ audioSamples: 16000 }]), planned);
  });
});
