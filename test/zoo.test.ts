import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';

import {
  ALL_DTYPES_INPUTS,
  buildZoo,
  ENCODERS,
  NOT_ONNX_TEXT,
  VARIANT_FILES,
} from '../fixtures/build-zoo.js';
import { decodeModel, TensorDataType, toNumber } from '../src/model/onnx-proto.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../src/util/float16.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixturesDir = path.join(repoRoot, 'fixtures');
const GENERATED_DIRS = ['zoo', 'misc', 'bad'];

/** Relative POSIX paths of every file below `dir`/`sub` for each generated subdirectory, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string) => {
    const absolute = path.join(dir, ...relative.split('/'));
    if (!fs.existsSync(absolute)) return;
    for (const entry of fs.readdirSync(absolute, { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  GENERATED_DIRS.forEach(walk);
  return out.sort();
}

function fixture(relative: string): string {
  return path.join(fixturesDir, ...relative.split('/'));
}

async function withSession<T>(
  relative: string,
  body: (session: ort.InferenceSession) => Promise<T>,
): Promise<T> {
  const session = await ort.InferenceSession.create(fixture(relative));
  try {
    return await body(session);
  } finally {
    await session.release();
  }
}

function int64Tensor(values: (i: number) => number, dims: number[]): ort.Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: count }, (_, i) => BigInt(values(i))),
    dims,
  );
}

function encoderFeeds(vocab: number, batch: number, seq: number): Record<string, ort.Tensor> {
  return {
    input_ids: int64Tensor((i) => (i * 7919 + 13) % vocab, [batch, seq]),
    // Later rows are padded more, the first row not at all; every row keeps at least one token.
    attention_mask: int64Tensor(
      (i) => (i % seq < Math.max(1, seq - Math.floor(i / seq) * 3) ? 1 : 0),
      [batch, seq],
    ),
  };
}

function floats(tensor: ort.Tensor | undefined): number[] {
  assert.ok(tensor, 'output present');
  if (tensor.type === 'float16') return Array.from(tensor.data as Uint16Array, float16BitsToFloat32);
  assert.equal(tensor.type, 'float32');
  return Array.from(tensor.data as Float32Array);
}

function pixels(dims: number[], type: 'float32' | 'float16'): ort.Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37));
  return type === 'float16'
    ? new ort.Tensor('float16', Uint16Array.from(values, float32ToFloat16Bits), dims)
    : new ort.Tensor('float32', values, dims);
}

function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}

describe('buildZoo', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-zoo-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('reproduces the committed fixtures byte for byte, with no stale extras', async () => {
    const written = await buildZoo(tmp);
    assert.deepEqual(written, [...written].sort(), 'returned sorted');
    assert.deepEqual(listFiles(tmp), written, 'returns exactly what it wrote');
    assert.deepEqual(
      listFiles(fixturesDir),
      written,
      'committed zoo/misc/bad files are exactly the generated ones',
    );
    for (const relative of written) {
      const fresh = fs.readFileSync(path.join(tmp, ...relative.split('/')));
      const committed = fs.readFileSync(fixture(relative));
      assert.ok(fresh.equals(committed), `${relative} differs from the committed copy; rerun npm run zoo`);
    }
  });

  test('is deterministic across runs', async () => {
    const again = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-zoo-'));
    try {
      const written = await buildZoo(again);
      for (const relative of written) {
        const a = fs.readFileSync(path.join(again, ...relative.split('/')));
        assert.ok(a.equals(fs.readFileSync(fixture(relative))), relative);
      }
    } finally {
      fs.rmSync(again, { recursive: true, force: true });
    }
  });
});

describe('committed models', () => {
  const onnxFiles = listFiles(fixturesDir).filter((f) => f.endsWith('.onnx') && f !== 'bad/not-onnx.onnx');

  test('carry the IR version, opset and producer ORT 1.30 expects', () => {
    assert.equal(onnxFiles.length, 39);
    for (const relative of onnxFiles) {
      const model = decodeModel(fs.readFileSync(fixture(relative)));
      assert.equal(toNumber(model.irVersion), 10, relative);
      assert.deepEqual(
        model.opsetImport?.map((o) => [o.domain ?? '', toNumber(o.version)]),
        [['', 21]],
        relative,
      );
      assert.equal(model.producerName, 'energy-score fixture zoo', relative);
      assert.ok((model.docString ?? '').length > 40, `${relative} has a docString`);
    }
  });

  test('encoders expose the vocabulary as the shape of the table Gather reads input_ids from', () => {
    for (const cfg of ENCODERS) {
      for (const file of Object.values(VARIANT_FILES)) {
        const relative = `zoo/${cfg.name}/${file}`;
        const graph = decodeModel(fs.readFileSync(fixture(relative))).graph!;
        const gather = graph.node!.find((n) => n.opType === 'Gather' && n.input![1] === 'input_ids');
        assert.ok(gather, `${relative}: Gather on input_ids`);
        const table = graph.initializer!.find((t) => t.name === gather.input![0]);
        assert.ok(table, `${relative}: table is an initializer`);
        assert.deepEqual(table.dims!.map(toNumber), [cfg.vocab, cfg.hidden], relative);
        const dims = graph.input!.map((i) => i.type!.tensorType!.shape!.dim!.map((d) => d.dimParam));
        assert.deepEqual(dims, [
          ['batch_size', 'sequence_length'],
          ['batch_size', 'sequence_length'],
        ]);
        const logitsType = graph.output![0]!.type!.tensorType!.elemType;
        assert.equal(logitsType, file === 'model_fp16.onnx' ? TensorDataType.FLOAT16 : TensorDataType.FLOAT);
      }
    }
  });

  test('bad/not-onnx.onnx is plain text that ORT rejects', async () => {
    assert.equal(fs.readFileSync(fixture('bad/not-onnx.onnx'), 'utf8'), NOT_ONNX_TEXT);
    await assert.rejects(
      ort.InferenceSession.create(fixture('bad/not-onnx.onnx')),
      /Protobuf parsing failed/,
    );
  });
});

describe('zoo models run on onnxruntime-node CPU', () => {
  for (const cfg of ENCODERS) {
    test(`${cfg.name}: fp32, fp16 and quantized give finite [batch, 2] logits; quantized and fp16 track fp32`, async () => {
      const dir = `zoo/${cfg.name}`;
      const logits: Record<string, number[][]> = {};
      for (const [variant, file] of Object.entries(VARIANT_FILES)) {
        logits[variant] = await withSession(`${dir}/${file}`, async (session) => {
          const results: number[][] = [];
          for (const [batch, seq] of [
            [1, 1],
            [1, 128],
            [4, 1],
            [4, 128],
            [3, 9],
          ] as const) {
            const out = await session.run(encoderFeeds(cfg.vocab, batch, seq));
            assert.deepEqual(out.logits?.dims, [batch, 2], `${variant} ${batch}x${seq}`);
            const values = floats(out.logits);
            assert.ok(values.every(Number.isFinite), `${variant} ${batch}x${seq} finite`);
            results.push(values);
          }
          // An all-zero mask (every position masked) must still give finite logits.
          const feeds = encoderFeeds(cfg.vocab, 2, 5);
          feeds.attention_mask = int64Tensor(() => 0, [2, 5]);
          assert.ok(floats((await session.run(feeds)).logits).every(Number.isFinite), `${variant} zero mask`);
          return results;
        });
      }
      const fp32 = logits.fp32!.flat();
      const scale = Math.max(...fp32.map(Math.abs));
      // Per-tensor int8 weights (step absMax/127) and uint8 activations (step range/255) give about 1-3 %
      // of the logit range in practice (observed max 3 %); allow 10 %. fp16 keeps ~3 significant digits
      // through a few layers; allow 1 %.
      const quantTolerance = 0.1 * scale;
      assert.ok(maxAbsDiff(logits.quantized!.flat(), fp32) <= quantTolerance, 'quantized ≈ fp32');
      assert.ok(maxAbsDiff(logits.fp16!.flat(), fp32) <= 0.01 * scale, 'fp16 ≈ fp32');
      // The tolerance is meaningful: different inputs move the fp32 logits by more than twice as much.
      const batch4 = logits.fp32![3]!;
      const spread = Math.max(...batch4.map((x, i) => Math.abs(x - batch4[i % 2]!)));
      assert.ok(
        spread > 2 * quantTolerance,
        `input-to-input spread ${spread} vs tolerance ${quantTolerance}`,
      );
    });
  }

  for (const [name, dims] of [
    ['cnn-small', [3, 224, 224]],
    ['mlp-small', [3, 32, 32]],
  ] as const) {
    test(`${name}: fp32, fp16 and quantized give finite [batch, 10] logits; quantized tracks fp32`, async () => {
      const logits: Record<string, number[]> = {};
      for (const [variant, file] of Object.entries(VARIANT_FILES)) {
        await withSession(`zoo/${name}/${file}`, async (session) => {
          for (const batch of [1, 4]) {
            const type = variant === 'fp16' ? 'float16' : 'float32';
            const out = await session.run({ pixel_values: pixels([batch, ...dims], type) });
            assert.deepEqual(out.logits?.dims, [batch, 10], `${variant} batch ${batch}`);
            const values = floats(out.logits);
            assert.ok(values.every(Number.isFinite), `${variant} batch ${batch} finite`);
            logits[variant] = values;
          }
        });
      }
      const scale = Math.max(...logits.fp32!.map(Math.abs));
      assert.ok(maxAbsDiff(logits.quantized!, logits.fp32!) <= 0.1 * scale, 'quantized ≈ fp32');
      assert.ok(maxAbsDiff(logits.fp16!, logits.fp32!) <= 0.01 * scale, 'fp16 ≈ fp32');
      assert.ok(Math.max(...logits.fp32!) - Math.min(...logits.fp32!) > 0.5 * scale, 'logits are not flat');
    });
  }
});

describe('misc and bad models on onnxruntime-node CPU', () => {
  test('all-dtypes passes every input through unchanged', async () => {
    await withSession('misc/all-dtypes.onnx', async (session) => {
      assert.deepEqual(
        session.inputNames,
        ALL_DTYPES_INPUTS.map((i) => i.name),
      );
      assert.deepEqual(
        session.outputNames,
        ALL_DTYPES_INPUTS.map((i) => `${i.name}_out`),
      );
      const batch = 4;
      const shape = (dims: (number | string)[]) =>
        dims.map((d) => (d === 'batch_size' ? batch : d === 'num_features' ? 7 : (d as number)));
      const feeds: Record<string, ort.Tensor> = {
        x_float32: new ort.Tensor(
          'float32',
          Float32Array.from({ length: 16 }, (_, i) => i / 3),
          [4, 4],
        ),
        x_float16: new ort.Tensor(
          'float16',
          Uint16Array.from({ length: 16 }, (_, i) => 0x3c00 + i),
          [4, 4],
        ),
        x_float64: new ort.Tensor(
          'float64',
          Float64Array.from([0.1, 0.2, 0.3, -1e300, 1e-300, Math.PI]),
          [2, 3],
        ),
        x_int8: new ort.Tensor('int8', Int8Array.from([-128, -1, 0, 127]), [4]),
        x_uint8: new ort.Tensor('uint8', Uint8Array.from([0, 1, 2, 3, 252, 253, 254, 255]), [4, 2]),
        x_int16: new ort.Tensor('int16', Int16Array.from([-32768, 0, 32767]), [3]),
        x_uint16: new ort.Tensor('uint16', Uint16Array.from([0, 1, 65535]), [3]),
        x_int32: new ort.Tensor('int32', Int32Array.from([-(2 ** 31), -1, 1, 2 ** 31 - 1]), [4, 1]),
        x_uint32: new ort.Tensor('uint32', Uint32Array.from([0, 2 ** 32 - 1]), [2]),
        sample_rate: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
        x_uint64: new ort.Tensor('uint64', BigUint64Array.from([0n, 2n ** 64n - 1n]), [2]),
        x_bool: new ort.Tensor(
          'bool',
          Uint8Array.from({ length: 12 }, (_, i) => i % 2),
          [4, 3],
        ),
        x_string: new ort.Tensor('string', ['a', '', 'ünïcode', 'last'], [4]),
        features: new ort.Tensor(
          'float32',
          Float32Array.from({ length: 28 }, (_, i) => -i),
          [4, 7],
        ),
      };
      for (const input of ALL_DTYPES_INPUTS) assert.deepEqual(feeds[input.name]!.dims, shape(input.dims));
      const out = await session.run(feeds);
      for (const input of ALL_DTYPES_INPUTS) {
        const got = out[`${input.name}_out`];
        const sent = feeds[input.name]!;
        assert.ok(got, input.name);
        assert.equal(got.type, sent.type, input.name);
        assert.deepEqual(got.dims, sent.dims, input.name);
        assert.deepEqual(
          Array.from(got.data as ArrayLike<unknown>),
          Array.from(sent.data as ArrayLike<unknown>),
        );
      }
    });
  });

  test('nan-output gives NaN everywhere for batch 1 and 4', async () => {
    await withSession('bad/nan-output/model.onnx', async (session) => {
      for (const batch of [1, 4]) {
        const x = new ort.Tensor(
          'float32',
          Float32Array.from({ length: batch * 4 }, (_, i) => i - 3),
          [batch, 4],
        );
        const y = (await session.run({ x })).y;
        assert.deepEqual(y?.dims, [batch, 4]);
        assert.ok(floats(y).every(Number.isNaN));
      }
    });
  });

  test('fixed-batch runs at batch 1 and rejects batch 4', async () => {
    await withSession('bad/fixed-batch/model.onnx', async (session) => {
      const x = new ort.Tensor('float32', Float32Array.from([-1, 0, 2, -3]), [1, 4]);
      assert.deepEqual(floats((await session.run({ x })).y), [0, 0, 2, 0]);
      const x4 = new ort.Tensor('float32', new Float32Array(16), [4, 4]);
      await assert.rejects(session.run({ x: x4 }), /invalid dimensions/i);
    });
  });
});
