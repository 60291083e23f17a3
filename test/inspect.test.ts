import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { EnergyScoreError } from '../src/errors.js';
import { formatShape, inspectModel } from '../src/model/inspect.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (relative: string) => path.join(repoRoot, 'fixtures', ...relative.split('/'));

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function isUsageError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError, `EnergyScoreError, got ${String(err)}`);
    assert.equal(err.kind, 'usage');
    assert.match(err.message, pattern);
    return true;
  };
}

const ENCODER_INPUTS = [
  { name: 'input_ids', kind: 'tensor', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  { name: 'attention_mask', kind: 'tensor', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
];

/*
 * encoder-tiny (fixtures/build-zoo.ts): vocab 1000, hidden 32, 1 layer, FFN 64, 512 positions, 2 labels.
 * Every initializer counts, including the graph's constants.
 *   word embeddings 1000 x 32                        32,000
 *   position embeddings 512 x 32                     16,384
 *   embeddings LayerNorm gamma + beta 2 x 32             64
 *   layer 0: Q, K, V, attention-out 4 x 32 x 32       4,096  + biases 4 x 32   128
 *            attention LayerNorm 2 x 32                  64
 *            intermediate 32 x 64                     2,048  + bias 64
 *            output 64 x 32                           2,048  + bias 32
 *            output LayerNorm 2 x 32                     64
 *   classifier 32 x 2                                    64  + bias 2
 *   float scalar constants: 1, -10000, sqrt(head dim 16) = 4      3
 *                                                          → 57,061 float
 *   int64 constants: 0, 1 (scalars), [1, 2] unsqueeze axes, [0, 0, 2, 16] split shape,
 *   [0, 0, 32] merge shape: 1 + 1 + 2 + 4 + 3 = 11       → 57,072 in all
 */
const TINY_FLOAT_PARAMS = 32_000 + 16_384 + 64 + (4_096 + 128 + 64 + 2_048 + 64 + 2_048 + 32 + 64) + 66 + 3;
const TINY_INT64_CONSTANTS = 1 + 1 + 2 + 4 + 3;

describe('inspectModel on the zoo', () => {
  test('encoder-tiny fp32', async () => {
    const file = fixture('zoo/encoder-tiny/model.onnx');
    const info = await inspectModel(file);
    assert.equal(info.path, file);
    assert.equal(info.fileName, 'model.onnx');
    assert.equal(info.fileSizeBytes, fs.statSync(file).size);
    assert.equal(info.externalDataBytes, 0);
    assert.equal(info.sha256, sha256(file));
    assert.match(info.sha256, /^[0-9a-f]{64}$/);
    assert.equal(info.irVersion, 10);
    assert.deepEqual(info.producer, { name: 'energy-score fixture zoo', version: '1' });
    assert.deepEqual(info.opsets, [{ domain: 'ai.onnx', version: 21 }]);
    assert.deepEqual(info.inputs, ENCODER_INPUTS);
    assert.deepEqual(info.outputs, [
      { name: 'logits', kind: 'tensor', dtype: 'float32', shape: ['batch_size', 2] },
    ]);
    assert.equal(info.nodeCount, 44);
    // Per layer: 6 projections (Q, K, V, attention out, intermediate, output) + 2 attention MatMuls; + classifier.
    assert.equal(info.opCounts.MatMul, 9);
    assert.equal(info.opCounts.Add, 11);
    assert.equal(info.opCounts.Gather, 4);
    assert.equal(info.opCounts.LayerNormalization, 3);
    assert.equal(info.opCounts.Softmax, 1);
    assert.equal(info.opCounts.Gelu, 1);
    assert.equal(
      Object.values(info.opCounts).reduce((a, b) => a + b, 0),
      info.nodeCount,
    );
    const counts = Object.values(info.opCounts);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
      'most frequent first',
    );
    assert.equal(TINY_FLOAT_PARAMS, 57_061);
    assert.equal(info.parameterCount, TINY_FLOAT_PARAMS + TINY_INT64_CONSTANTS);
    assert.equal(info.parameterCount, 57_072);
    assert.deepEqual(info.parameterCountByDtype, { float32: 57_061, int64: 11 });
    assert.equal(info.parameterBytes, 57_061 * 4 + 11 * 8);
    assert.deepEqual(info.embeddingVocab, { input_ids: 1000 });
    assert.deepEqual(info.metadata, {});
  });

  test('encoder-tiny quantized: int8 weights, same vocabulary through the int8 table', async () => {
    const file = fixture('zoo/encoder-tiny/model_quantized.onnx');
    const info = await inspectModel(file);
    assert.equal(info.sha256, sha256(file));
    assert.equal(info.irVersion, 10);
    assert.deepEqual(info.opsets, [{ domain: 'ai.onnx', version: 21 }]);
    assert.deepEqual(info.inputs, ENCODER_INPUTS);
    assert.deepEqual(info.outputs, [
      { name: 'logits', kind: 'tensor', dtype: 'float32', shape: ['batch_size', 2] },
    ]);
    assert.equal(info.nodeCount, 82);
    assert.equal(info.opCounts.MatMulInteger, 9);
    assert.equal(info.opCounts.DynamicQuantizeLinear, 9);
    assert.equal(info.opCounts.DequantizeLinear, 2, 'word and position tables');
    assert.equal(info.opCounts.MatMul, undefined);
    /*
     * The 9 quantized matrices keep their element counts as int8 (56,640 = the fp32 weight matrices and
     * tables: 32,000 + 16,384 + 4,096 + 2,048 + 2,048 + 64) plus one int8 zero point each (9) → 56,649;
     * float32: 9 scales + biases 226 (128 + 64 + 32 + 2) + LayerNorm 192 (3 x 64) + 3 scalars = 430; int64 11.
     */
    assert.deepEqual(info.parameterCountByDtype, { int8: 56_649, float32: 430, int64: 11 });
    assert.equal(info.parameterCount, 56_649 + 430 + 11);
    assert.equal(info.parameterBytes, 56_649 + 430 * 4 + 11 * 8);
    assert.deepEqual(info.embeddingVocab, { input_ids: 1000 });
  });

  test('encoder-tiny fp16 keeps the counts and halves the float bytes', async () => {
    const info = await inspectModel(fixture('zoo/encoder-tiny/model_fp16.onnx'));
    assert.deepEqual(info.outputs[0]?.dtype, 'float16');
    assert.deepEqual(info.parameterCountByDtype, { float16: 57_061, int64: 11 });
    assert.equal(info.parameterBytes, 57_061 * 2 + 11 * 8);
    assert.deepEqual(info.embeddingVocab, { input_ids: 1000 });
  });

  test('cnn-small', async () => {
    const file = fixture('zoo/cnn-small/model.onnx');
    const info = await inspectModel(file);
    assert.equal(info.sha256, sha256(file));
    assert.equal(info.irVersion, 10);
    assert.deepEqual(info.opsets, [{ domain: 'ai.onnx', version: 21 }]);
    assert.deepEqual(info.inputs, [
      { name: 'pixel_values', kind: 'tensor', dtype: 'float32', shape: ['batch_size', 3, 224, 224] },
    ]);
    assert.deepEqual(info.outputs, [
      { name: 'logits', kind: 'tensor', dtype: 'float32', shape: ['batch_size', 10] },
    ]);
    assert.equal(info.nodeCount, 8);
    assert.deepEqual(info.opCounts, {
      Conv: 2,
      Relu: 2,
      Flatten: 1,
      Gemm: 1,
      GlobalAveragePool: 1,
      MaxPool: 1,
    });
    // conv1 8x3x3x3 + 8, conv2 16x8x3x3 + 16, fc 10x16 + 10 = 224 + 1,168 + 170
    assert.equal(info.parameterCount, 216 + 8 + 1_152 + 16 + 160 + 10);
    assert.equal(info.parameterCount, 1_562);
    assert.equal(info.parameterBytes, 1_562 * 4);
    assert.deepEqual(info.embeddingVocab, {});
  });

  test('all-dtypes: every input dtype and rank, named and fixed dims, no parameters', async () => {
    const file = fixture('misc/all-dtypes.onnx');
    const info = await inspectModel(file);
    assert.equal(info.sha256, sha256(file));
    const expected: [string, string, (string | number)[]][] = [
      ['x_float32', 'float32', ['batch_size', 4]],
      ['x_float16', 'float16', ['batch_size', 4]],
      ['x_float64', 'float64', [2, 3]],
      ['x_int8', 'int8', ['batch_size']],
      ['x_uint8', 'uint8', ['batch_size', 2]],
      ['x_int16', 'int16', [3]],
      ['x_uint16', 'uint16', [3]],
      ['x_int32', 'int32', ['batch_size', 1]],
      ['x_uint32', 'uint32', [2]],
      ['sample_rate', 'int64', []],
      ['x_uint64', 'uint64', [2]],
      ['x_bool', 'bool', ['batch_size', 3]],
      ['x_string', 'string', ['batch_size']],
      ['features', 'float32', ['batch_size', 'num_features']],
    ];
    assert.deepEqual(
      info.inputs,
      expected.map(([name, dtype, shape]) => ({ name, kind: 'tensor', dtype, shape })),
    );
    assert.deepEqual(
      info.outputs,
      expected.map(([name, dtype, shape]) => ({ name: `${name}_out`, kind: 'tensor', dtype, shape })),
    );
    assert.equal(info.nodeCount, 14);
    assert.deepEqual(info.opCounts, { Identity: 14 });
    assert.equal(info.parameterCount, 0);
    assert.equal(info.parameterBytes, 0);
    assert.deepEqual(info.parameterCountByDtype, {});
    assert.deepEqual(info.embeddingVocab, {});
  });

  test('fixed-batch: fixed dims are numbers', async () => {
    const info = await inspectModel(fixture('bad/fixed-batch/model.onnx'));
    assert.deepEqual(info.inputs, [{ name: 'x', kind: 'tensor', dtype: 'float32', shape: [1, 4] }]);
    assert.deepEqual(info.opCounts, { Relu: 1 });
  });
});

describe('inspectModel errors', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-inspect-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('missing file', async () => {
    await assert.rejects(
      inspectModel(path.join(tmp, 'nope.onnx')),
      isUsageError(/nope\.onnx: no such file$/),
    );
  });

  test('a text file is not an ONNX model', async () => {
    await assert.rejects(inspectModel(fixture('bad/not-onnx.onnx')), isUsageError(/not an ONNX model/));
  });

  test('an empty file is not an ONNX model', async () => {
    const empty = path.join(tmp, 'empty.onnx');
    fs.writeFileSync(empty, '');
    await assert.rejects(inspectModel(empty), isUsageError(/not an ONNX model/));
  });

  test('a directory', async () => {
    await assert.rejects(
      inspectModel(fixture('zoo/encoder-tiny')),
      isUsageError(/encoder-tiny: it is a folder$/),
    );
  });
});

test('formatShape', () => {
  assert.equal(formatShape(['batch_size', 3, null]), '[batch_size, 3, ?]');
  assert.equal(formatShape([]), '[]');
  assert.equal(formatShape(null), '?');
});
