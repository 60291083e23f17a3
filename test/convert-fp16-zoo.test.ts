import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { convertToFloat16 } from '../src/convert/fp16.js';
import { ConversionRefused } from '../src/convert/types.js';
import { decodeModel, encodeModel, TensorDataType } from '../src/model/onnx-proto.js';
import { allGraphs } from '../src/convert/graph.js';
import { feedsFor, runModel } from './helpers/onnx-run.js';
import { isFp32FileName } from '../src/model/variants.js';

const zoo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'zoo');

/** Every fp32 model file of the zoo: encoders, CNN, MLP, speech encoder, every gpt-tiny layout, the encoder-decoders. */
const FP32_MODELS = fs
  .readdirSync(zoo)
  .flatMap((dir) =>
    fs
      .readdirSync(path.join(zoo, dir))
      .filter((f) => isFp32FileName(f))
      .map((f) => `${dir}/${f}`),
  )
  .sort();

/**
 * How far an fp16 output may be from fp32: 0.5 % of the output's largest magnitude (at least 1).
 * float16 keeps 11 significant bits (a rounding error of at most 2^-11 ≈ 0.05 % a value); the
 * zoo's models chain a few dozen matrix products, softmaxes and layer norms, and the worst output
 * measured is 0.07 % off (vit-gpt-tiny's encoder); 0.5 % leaves room for a different CPU's
 * kernels and still fails a conversion that breaks a value (off by its own size).
 */
const RELATIVE_TOLERANCE = 0.005;

describe('fp16 conversion of the zoo', () => {
  test('the zoo lists every layout', () => {
    for (const expected of [
      'encoder-tiny/model.onnx',
      'cnn-small/model.onnx',
      'mlp-small/model.onnx',
      'speech-encoder/model.onnx',
      'gpt-tiny-merged/decoder_model_merged.onnx',
      'bart-tiny/decoder_with_past_model.onnx',
      'whisper-tiny/encoder_model.onnx',
      'vit-gpt-tiny/decoder_model.onnx',
    ])
      assert.ok(FP32_MODELS.includes(expected), expected);
  });

  test('decode → encode of every zoo model gives a model ONNX Runtime loads, with identical outputs', async () => {
    for (const relative of fs.readdirSync(zoo).flatMap((d) =>
      fs
        .readdirSync(path.join(zoo, d))
        .filter((f) => f.endsWith('.onnx'))
        .map((f) => `${d}/${f}`),
    )) {
      const bytes = fs.readFileSync(path.join(zoo, relative));
      const source = decodeModel(bytes);
      const feeds = feedsFor(source);
      assert.deepEqual(await runModel(encodeModel(source), feeds), await runModel(bytes, feeds), relative);
    }
  });

  for (const relative of FP32_MODELS) {
    test(`${relative} converts, loads in ONNX Runtime and gives outputs close to fp32`, async () => {
      const bytes = fs.readFileSync(path.join(zoo, relative));
      const source = decodeModel(bytes);
      const { model, report } = convertToFloat16(source);
      const feeds = feedsFor(source);
      const reference = await runModel(bytes, feeds);
      const converted = await runModel(encodeModel(model), feeds);
      assert.deepEqual(Object.keys(converted).sort(), Object.keys(reference).sort());
      for (const [name, ref] of Object.entries(reference)) {
        const got = converted[name]!;
        assert.equal(got.type, ref.type, `${name} keeps its type (keep_io_types)`);
        assert.deepEqual(got.dims, ref.dims, name);
        const scale = Math.max(1, ...ref.values.map(Math.abs));
        let worst = 0;
        for (let i = 0; i < ref.values.length; i++)
          worst = Math.max(worst, Math.abs(got.values[i]! - ref.values[i]!));
        assert.ok(
          Number.isFinite(worst) && worst <= RELATIVE_TOLERANCE * scale,
          `${name}: max |Δ| ${worst} over scale ${scale}`,
        );
      }
      // Every float initializer a float16 node reads is now float16, subgraphs included.
      const floatLeft = allGraphs(model.graph!).flatMap((g) =>
        (g.initializer ?? []).filter((t) => t.dataType === TensorDataType.FLOAT),
      );
      assert.deepEqual(
        floatLeft.map((t) => t.name),
        [],
      );
      assert.match(report.recipe, /keep_io_types true/);
      assert.equal(report.converterVersion, 'fp16-1');
    });
  }

  test('exact op counts before and after for encoder-tiny', () => {
    const { report } = convertToFloat16(
      decodeModel(fs.readFileSync(path.join(zoo, 'encoder-tiny/model.onnx'))),
    );
    const before = {
      Add: 11,
      Cast: 1,
      Div: 1,
      Gather: 4,
      Gelu: 1,
      LayerNormalization: 3,
      MatMul: 9,
      Mul: 1,
      Range: 1,
      Reshape: 4,
      Shape: 1,
      Softmax: 1,
      Sub: 1,
      Transpose: 4,
      Unsqueeze: 1,
    };
    assert.deepEqual(report.opCountsBefore, before);
    // One Cast more: the logits are computed in float16 and cast back to float32 (keep_io_types).
    assert.deepEqual(report.opCountsAfter, { ...before, Cast: 2 });
  });

  test('the If branches of the merged decoder are converted', () => {
    const bytes = fs.readFileSync(path.join(zoo, 'gpt-tiny-merged/decoder_model_merged.onnx'));
    const { model } = convertToFloat16(decodeModel(bytes));
    const ifNode = model.graph!.node!.find((n) => n.opType === 'If')!;
    for (const branch of ifNode.attribute!.map((a) => a.g!)) {
      for (const output of branch.output ?? []) {
        const elem = output.type?.tensorType?.elemType;
        assert.notEqual(elem, TensorDataType.FLOAT, `${branch.name}: ${output.name}`);
      }
    }
  });

  test('an fp16 model is refused, naming the reason', () => {
    const bytes = fs.readFileSync(path.join(zoo, 'encoder-tiny/model_fp16.onnx'));
    assert.throws(
      () => convertToFloat16(decodeModel(bytes)),
      (err: unknown) => err instanceof ConversionRefused && /already holds float16/.test(err.message),
    );
  });
});
