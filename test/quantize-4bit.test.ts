import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';

import { GraphBuilder } from '../fixtures/onnx-builder.js';
import { quantize4Bit, quantizeBlockwise4 } from '../src/convert/quantize-4bit.js';
import { ConversionRefused } from '../src/convert/types.js';
import { decodeModel, TensorDataType, type ModelProto } from '../src/model/onnx-proto.js';
import { SeededRandom } from '../src/util/random.js';
import { modelFeeds } from './helpers/model-feeds.js';
import { runModel } from '../fixtures/run-model.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const readModel = (relative: string) =>
  decodeModel(fs.readFileSync(path.join(repoRoot, 'fixtures', 'zoo', ...relative.split('/'))));
const { FLOAT } = TensorDataType;

const run = runModel;

/** The weights MatMulNBits computes with: (nibble − 8) · scale, per column and block. */
function dequantize(
  packed: Uint8Array,
  scales: Float32Array,
  k: number,
  n: number,
  blockSize: number,
): Float32Array {
  const kBlocks = Math.ceil(k / blockSize);
  const out = new Float32Array(k * n);
  for (let col = 0; col < n; col++)
    for (let row = 0; row < k; row++) {
      const block = Math.floor(row / blockSize);
      const i = row % blockSize;
      const byte = packed[(col * kBlocks + block) * (blockSize / 2) + (i >> 1)]!;
      const nibble = i % 2 === 0 ? byte & 0xf : byte >> 4;
      out[row * n + col] = (nibble - 8) * scales[col * kBlocks + block]!;
    }
  return out;
}

describe('4-bit block math', () => {
  test('scale = signed extreme / −8, q + 8 in nibbles, even row low, ties to even, zero padding', () => {
    // K = 5 (one block of 16, 11 rows of padding), N = 2.
    const b = Float32Array.from([8, 1, -4, -2, 2, 0.5, 1, 3, 0.5, -0.25]);
    const { packed, scales, kBlocks } = quantizeBlockwise4(b, 5, 2, 16);
    assert.equal(kBlocks, 1);
    // Column 0: 8, −4, 2, 1, 0.5 → extreme 8 → scale −1 → q = −8, 4, −2, −1, −0.5 → −0 (even).
    // Column 1: 1, −2, 0.5, 3, −0.25 → extreme 3 → scale −0.375 → q = −2.67 → −3, 5.33 → 5,
    //   −1.33 → −1, −8, 0.67 → 1.
    assert.deepEqual(Array.from(scales), [-1, -0.375]);
    const nibbles = (col: number) =>
      Array.from(packed.subarray(col * 8, col * 8 + 8)).flatMap((byte) => [byte & 0xf, byte >> 4]);
    assert.deepEqual(nibbles(0), [0, 12, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8]);
    assert.deepEqual(nibbles(1), [5, 13, 7, 0, 9, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8]);
  });

  test('an all-zero block gets scale 0 and the zero point', () => {
    const { packed, scales } = quantizeBlockwise4(new Float32Array(16), 16, 1, 16);
    assert.deepEqual(Array.from(scales), [0]);
    assert.ok(packed.every((byte) => byte === 0x88));
  });

  test('a block size MatMulNBits does not take is refused', () => {
    assert.throws(() => quantizeBlockwise4(new Float32Array(4), 4, 1, 8), ConversionRefused);
  });
});

describe('MatMul → MatMulNBits', () => {
  function matmul(k: number, n: number): { model: ModelProto; w: Float32Array } {
    const rng = new SeededRandom(11);
    const w = Float32Array.from({ length: k * n }, () => rng.normal());
    const g = new GraphBuilder('mm');
    const x = g.input('x', FLOAT, ['batch_size', k]);
    g.floats('W', [k, n], w, FLOAT);
    g.op('MatMul', [x, 'W'], [], { name: 'mm', outputs: ['y'] });
    g.output('y', FLOAT, ['batch_size', n]);
    return { model: g.toModel('mm'), w };
  }

  test('ORT names; onnxruntime computes x @ dequantized(W), K padded to the block', async () => {
    const k = 37;
    const n = 3;
    const { model: source } = matmul(k, n);
    const { model, report } = quantize4Bit(source);
    const node = model.graph!.node![0]!;
    assert.deepEqual(
      [node.opType, node.domain, node.name, node.input, node.output],
      ['MatMulNBits', 'com.microsoft', '/mm_Q4', ['x', 'W_Q4', 'W_scales'], ['y']],
    );
    assert.deepEqual(
      node.attribute!.map((a) => [a.name, a.i]),
      [
        ['K', 37],
        ['N', 3],
        ['bits', 4],
        ['block_size', 32],
      ],
    );
    const inits = Object.fromEntries(model.graph!.initializer!.map((t) => [t.name, t.dims]));
    assert.deepEqual(inits, { W_Q4: [3, 2, 16], W_scales: [6] });
    assert.ok(model.opsetImport!.some((o) => o.domain === 'com.microsoft'));
    assert.deepEqual(report.opCountsAfter, { 'com.microsoft:MatMulNBits': 1 });

    const packed = model.graph!.initializer!.find((t) => t.name === 'W_Q4')!.rawData!;
    const scalesRaw = model.graph!.initializer!.find((t) => t.name === 'W_scales')!.rawData!;
    const scales = new Float32Array(scalesRaw.slice().buffer);
    const wq = dequantize(packed, scales, k, n, 32);
    const rng = new SeededRandom(3);
    const xs = Float32Array.from({ length: 2 * k }, () => rng.normal());
    const y = (await run(model, { x: new ort.Tensor('float32', xs, [2, k]) })).y!;
    for (let r = 0; r < 2; r++)
      for (let c = 0; c < n; c++) {
        let expected = 0;
        for (let i = 0; i < k; i++) expected += xs[r * k + i]! * wq[i * n + c]!;
        // Float32 accumulation order differs from ours: 1e-4 on sums of 37 products of size ~3.
        assert.ok(Math.abs(y[r * n + c]! - expected) < 1e-4, `y[${r},${c}] ${y[r * n + c]} vs ${expected}`);
      }
  });

  test('refuses a model without a constant MatMul weight, and an already-quantized one', () => {
    assert.throws(
      () => quantize4Bit(readModel('cnn-small/model.onnx')),
      (e: unknown) => e instanceof ConversionRefused && /nothing to quantize/.test(e.message),
    );
    assert.throws(
      () => quantize4Bit(readModel('encoder-tiny/model_quantized.onnx')),
      (e: unknown) => e instanceof ConversionRefused && /already quantized/.test(e.message),
    );
  });

  for (const relative of [
    'encoder-tiny/model.onnx',
    'gpt-tiny-merged/decoder_model_merged.onnx',
    'whisper-tiny/decoder_with_past_model.onnx',
  ])
    test(`${relative} quantizes, loads and stays near fp32`, async () => {
      const source = readModel(relative);
      const { model } = quantize4Bit(source);
      const feeds = modelFeeds(source, 1);
      const reference = await run(source, feeds);
      const quantized = await run(model, feeds);
      for (const [name, values] of Object.entries(reference)) {
        let scale = 0;
        let error = 0;
        for (let i = 0; i < values.length; i++) {
          scale = Math.max(scale, Math.abs(values[i]!));
          error = Math.max(error, Math.abs(values[i]! - quantized[name]![i]!));
        }
        // 15 levels per block: 12–13 % of an output's largest magnitude on these inputs (seed 1);
        // 50 % flags a broken layout, whose outputs are unrelated to fp32's.
        assert.ok(error / scale < 0.5, `${name}: relative error ${error / scale}`);
      }
    });
});
