import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

import { convertToFloat16 } from '../src/convert/fp16.js';
import { ConversionRefused } from '../src/convert/types.js';
import {
  decodeModel,
  decodeTensor,
  encodeModel,
  TensorDataType,
  toNumber,
  type TensorProto,
} from '../src/model/onnx-proto.js';
import { REPO_ROOT } from './helpers/cli.js';
import { runModel } from './helpers/onnx-run.js';

const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'onnx-backend');

const READERS: Partial<
  Record<number, [ort.Tensor.Type, number, (v: DataView, o: number) => number | bigint]>
> = {
  [TensorDataType.FLOAT]: ['float32', 4, (v, o) => v.getFloat32(o, true)],
  [TensorDataType.FLOAT16]: ['float16', 2, (v, o) => v.getUint16(o, true)],
  [TensorDataType.INT64]: ['int64', 8, (v, o) => v.getBigInt64(o, true)],
  [TensorDataType.INT32]: ['int32', 4, (v, o) => v.getInt32(o, true)],
  [TensorDataType.UINT8]: ['uint8', 1, (v, o) => v.getUint8(o)],
  [TensorDataType.BOOL]: ['bool', 1, (v, o) => v.getUint8(o)],
};

/** A test-data TensorProto (raw_data, as the corpus writes them) as an ONNX Runtime tensor. */
function tensorOf(t: TensorProto): ort.Tensor {
  const [type, width, read] = READERS[t.dataType ?? 0]!;
  const dims = (t.dims ?? []).map(toNumber);
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const values = Array.from({ length: raw.length / width }, (_, i) => read(view, i * width));
  const data =
    type === 'float32'
      ? Float32Array.from(values as number[])
      : type === 'float16'
        ? Uint16Array.from(values as number[])
        : type === 'int64'
          ? BigInt64Array.from(values as bigint[])
          : type === 'int32'
            ? Int32Array.from(values as number[])
            : Uint8Array.from(values as number[]);
  return new ort.Tensor(type, data, dims);
}

function load(name: string) {
  const bytes = fs.readFileSync(path.join(dir, name, 'model.onnx'));
  const model = decodeModel(bytes);
  const data = path.join(dir, name, 'test_data_set_0');
  const initializers = new Set((model.graph!.initializer ?? []).map((t) => t.name));
  const inputs = model.graph!.input!.filter((i) => !initializers.has(i.name));
  const feeds = Object.fromEntries(
    inputs.map((input, i) => [
      input.name,
      tensorOf(decodeTensor(fs.readFileSync(path.join(data, `input_${i}.pb`)))),
    ]),
  );
  const expected = model.graph!.output!.map((o, i) => {
    const t = tensorOf(decodeTensor(fs.readFileSync(path.join(data, `output_${i}.pb`))));
    return { name: o.name, type: t.type, values: Array.from(t.data as ArrayLike<number | bigint>, Number) };
  });
  return { model, feeds, expected };
}

const CONVERTIBLE = [
  'test_loop11',
  'test_scan9_sum',
  'test_if',
  'test_top_k',
  'test_resize_downsample_scales_linear',
  'test_range_float_type_positive_delta',
  'test_celu',
  'test_layer_normalization_2d_axis0',
  'test_scatternd_add',
  'test_dequantizelinear',
  'test_constantofshape_float_ones',
  'test_mvn',
];

for (const name of CONVERTIBLE) {
  test(`${name}: converts to fp16 and gives the expected outputs within float16's precision`, async () => {
    const { model, feeds, expected } = load(name);
    const outputs = await runModel(encodeModel(convertToFloat16(model).model), feeds);
    for (const want of expected) {
      const got = outputs[want.name]!;
      assert.equal(got.type, want.type, `${want.name} keeps its type`);
      // 1 % of the output's largest magnitude (at least 1): float16 keeps 11 significant bits.
      const scale = Math.max(1, ...want.values.map(Math.abs));
      want.values.forEach((v, i) =>
        assert.ok(
          Math.abs(got.values[i]! - v) <= 0.01 * scale,
          `${want.name}[${i}]: ${got.values[i]} vs ${v}`,
        ),
      );
    }
  });
}

test('the converter refuses the corpus models it cannot convert, with the reason', () => {
  for (const [name, reason] of [
    ['test_range_int32_type_negative_delta', /no float32 values/],
    ['test_cast_FLOAT16_to_FLOAT', /already holds float16/],
  ] as const)
    assert.throws(
      () => convertToFloat16(load(name).model),
      (err: unknown) => err instanceof ConversionRefused && reason.test(err.message),
      name,
    );
});
