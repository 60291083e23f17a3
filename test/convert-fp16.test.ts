import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

import { clampForFloat16, convertToFloat16 } from '../src/convert/fp16.js';
import { ConversionRefused } from '../src/convert/types.js';
import {
  decodeModel,
  encodeModel,
  TensorDataType,
  toNumber,
  type ModelProto,
} from '../src/model/onnx-proto.js';
import { float16BitsToFloat32 } from '../src/util/float16.js';
import { runModel } from './helpers/onnx-run.js';
import { float16Values, floatTensor, info, int64Tensor, intAttr, model, node } from './helpers/tiny-model.js';

const { FLOAT, FLOAT16, INT64 } = TensorDataType;

const castTo = (m: ModelProto) =>
  (m.graph!.node ?? []).filter((n) => n.opType === 'Cast').map((n) => toNumber(n.attribute![0]!.i));

test('values beyond float16 are clamped to ±65504, tiny ones to ±5.96e-8; 0, ±inf and NaN stay', () => {
  assert.equal(clampForFloat16(1e5, 5.96e-8, 65504), 65504);
  assert.equal(clampForFloat16(-3.4e38, 5.96e-8, 65504), -65504);
  assert.equal(clampForFloat16(1e-9, 5.96e-8, 65504), 5.96e-8);
  assert.equal(clampForFloat16(-1e-9, 5.96e-8, 65504), -5.96e-8);
  assert.equal(clampForFloat16(0, 5.96e-8, 65504), 0);
  assert.equal(clampForFloat16(-Infinity, 5.96e-8, 65504), -Infinity);
  assert.ok(Number.isNaN(clampForFloat16(NaN, 5.96e-8, 65504)));
});

test('mask constants (−3.4e38, ±1e5) become ±65504 in initializers and Constant nodes', async () => {
  const m = model({
    name: 'mask',
    input: [info('x', FLOAT, [4])],
    output: [info('y', FLOAT, [4])],
    initializer: [floatTensor('mask', [4], [-3.4e38, 1e5, -1e5, 1e-9])],
    node: [
      node('Constant', [], ['c'], [{ name: 'value_float', type: 1, f: -1e5 }]),
      node('Add', ['x', 'mask'], ['masked']),
      node('Add', ['masked', 'c'], ['y']),
    ],
  });
  const { model: out } = convertToFloat16(m);
  const mask = out.graph!.initializer!.find((t) => t.name === 'mask')!;
  assert.equal(mask.dataType, FLOAT16);
  assert.deepEqual(float16Values(mask), [0xfbff, 0x7bff, 0xfbff, 0x0001]);
  const constant = out.graph!.node!.find((n) => n.opType === 'Constant')!;
  assert.equal(constant.attribute![0]!.name, 'value');
  assert.equal(constant.attribute![0]!.t!.dataType, FLOAT16);
  assert.equal(float16BitsToFloat32(constant.attribute![0]!.t!.int32Data![0]!), -65504);
  const feeds = { x: new ort.Tensor('float32', Float32Array.from([0, 0, 0, 0]), [4]) };
  const y = (await runModel(encodeModel(out), feeds)).y!;
  // 65504 − 65504 = 0 and 5.96e-8 − 65504 = −65504; the two sums of −65504 overflow float16
  // (ONNX Runtime may add them in float32 and give −131008): a large negative, never NaN.
  assert.equal(y.values[1], 0);
  assert.equal(y.values[3], -65504);
  for (const v of [y.values[0]!, y.values[2]!]) assert.ok(v <= -65504 && !Number.isNaN(v), String(v));
});

test('a blocked op (TopK) runs in float32 between Casts; its float32-only initializer stays float32', async () => {
  const m = model({
    name: 'topk',
    input: [info('x', FLOAT, [5])],
    output: [info('y', FLOAT, [2]), info('idx', INT64, [2])],
    initializer: [
      int64Tensor('k', [1], [2]),
      floatTensor('scale', [5], [1, 2, 3, 4, 5]),
      floatTensor('lo', [1], [0.5]),
    ],
    node: [
      node('Mul', ['x', 'scale'], ['scaled']),
      node('TopK', ['scaled', 'k'], ['top', 'idx']),
      node('Max', ['top', 'lo'], ['clipped']),
      node('Relu', ['clipped'], ['y']),
    ],
  });
  const { model: out, report } = convertToFloat16(m);
  const nodes = out.graph!.node!;
  const topk = nodes.find((n) => n.opType === 'TopK')!;
  const producer = nodes.find((n) => n.output!.includes(topk.input![0]!))!;
  assert.equal(producer.opType, 'Cast');
  assert.equal(toNumber(producer.attribute![0]!.i), FLOAT, 'TopK reads float32');
  // Max (blocked too) reads TopK's float32 output directly: no Cast pair between them.
  const max = nodes.find((n) => n.opType === 'Max')!;
  assert.equal(max.input![0], 'top');
  assert.equal(out.graph!.initializer!.find((t) => t.name === 'lo')!.dataType, FLOAT);
  assert.equal(out.graph!.initializer!.find((t) => t.name === 'scale')!.dataType, FLOAT16);
  assert.deepEqual(castTo(out), [FLOAT16, FLOAT, FLOAT16, FLOAT]);
  assert.match(report.recipe, /kept in float32: 1 TopK, 1 Max and 1 initializers/);
  const feeds = { x: new ort.Tensor('float32', Float32Array.from([0.1, 0.5, 0.2, 0.3, 0.05]), [5]) };
  const got = await runModel(encodeModel(out), feeds);
  assert.deepEqual(got.idx!.values, [3, 1]); // x × scale = 0.1, 1, 0.6, 1.2, 0.25
  assert.equal(got.y!.type, 'float32');
});

test('a Cast to float32 in a converted node casts to float16; Casts that undo each other go', () => {
  const m = model({
    name: 'casts',
    input: [info('ids', INT64, [3]), info('x', FLOAT, [3])],
    output: [info('y', FLOAT, [3])],
    node: [
      node('Cast', ['ids'], ['ids_f'], [intAttr('to', FLOAT)]),
      node('Cast', ['x'], ['x_same'], [intAttr('to', FLOAT)]),
      node('Add', ['ids_f', 'x_same'], ['y']),
    ],
  });
  const { model: out } = convertToFloat16(m);
  const casts = out.graph!.node!.filter((n) => n.opType === 'Cast');
  // ids → float16; x → float16 (keep_io_types); the float32 → float32 Cast of x, now float16 → float16, is dropped; y back to float32.
  assert.deepEqual(
    casts.map((n) => [n.input![0], toNumber(n.attribute![0]!.i)]),
    [
      ['ids', FLOAT16],
      ['x', FLOAT16],
      ['graph_output_cast_0', FLOAT],
    ],
  );
});

test('models it cannot convert faithfully are refused with the reason', () => {
  const plain = () =>
    model({
      name: 'g',
      input: [info('x', FLOAT, [1])],
      output: [info('y', FLOAT, [1])],
      node: [node('Relu', ['x'], ['y'])],
    });
  const refused = (m: ModelProto, pattern: RegExp) =>
    assert.throws(
      () => convertToFloat16(m),
      (err: unknown) => err instanceof ConversionRefused && pattern.test(err.message),
    );
  refused({ ...plain(), functions: [{ name: 'MyFn', domain: 'local' }] }, /local functions \(MyFn\)/);
  const external = plain();
  external.graph!.initializer = [
    {
      name: 'w',
      dims: [1],
      dataType: FLOAT,
      dataLocation: 1,
      externalData: [{ key: 'location', value: 'w.bin' }],
    },
  ];
  refused(external, /w keeps its data in an external file/);
  const ints = model({
    name: 'g',
    input: [info('x', INT64, [1])],
    output: [info('y', INT64, [1])],
    node: [node('Neg', ['x'], ['y'])],
  });
  refused(ints, /no float32 values/);
});

test('the caller’s model is left as it was', () => {
  const m = model({
    name: 'g',
    input: [info('x', FLOAT, [1])],
    output: [info('y', FLOAT, [1])],
    initializer: [floatTensor('w', [1], [2])],
    node: [node('Mul', ['x', 'w'], ['y'])],
  });
  const before = encodeModel(m);
  convertToFloat16(m);
  assert.deepEqual(encodeModel(m), before);
});

test('decode → encode keeps the fields of onnx.proto the tool never reads', () => {
  const m: ModelProto = {
    ...model({
      name: 'g',
      input: [info('x', FLOAT, [1])],
      output: [info('y', FLOAT, [1])],
      node: [{ ...node('Relu', ['x'], ['y']), metadataProps: [{ key: 'k', value: 'v' }], overload: 'o' }],
      sparseInitializer: [
        { values: floatTensor('sv', [1], [1]), indices: int64Tensor('si', [1], [0]), dims: [4] },
      ],
      quantizationAnnotation: [
        { tensorName: 'x', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 's' }] },
      ],
      metadataProps: [{ key: 'graph', value: 'meta' }],
    }),
    functions: [
      { name: 'Fn', domain: 'local', input: ['a'], output: ['b'], node: [node('Relu', ['a'], ['b'])] },
    ],
    trainingInfo: [{ initializationBinding: [{ key: 'a', value: 'b' }] }],
  };
  const back = decodeModel(encodeModel(m));
  assert.equal(back.functions![0]!.name, 'Fn');
  assert.equal(back.functions![0]!.node![0]!.opType, 'Relu');
  assert.equal(back.graph!.sparseInitializer![0]!.values!.name, 'sv');
  assert.equal(back.graph!.quantizationAnnotation![0]!.quantParameterTensorNames![0]!.value, 's');
  assert.equal(back.graph!.metadataProps![0]!.value, 'meta');
  assert.equal(back.graph!.node![0]!.metadataProps![0]!.value, 'v');
  assert.equal(back.graph!.node![0]!.overload, 'o');
  assert.equal(back.trainingInfo![0]!.initializationBinding![0]!.key, 'a');
  assert.deepEqual(encodeModel(back), encodeModel(m));
});

test('without keep_io_types the inputs and outputs themselves become float16', () => {
  const m = model({
    name: 'g',
    input: [info('x', FLOAT, [2])],
    output: [info('y', FLOAT, [2])],
    initializer: [floatTensor('w', [2], [1, 2])],
    node: [node('Mul', ['x', 'w'], ['y'])],
  });
  const { model: out } = convertToFloat16(m, { keepIoTypes: false });
  assert.equal(out.graph!.input![0]!.type!.tensorType!.elemType, FLOAT16);
  assert.equal(out.graph!.output![0]!.type!.tensorType!.elemType, FLOAT16);
  assert.deepEqual(castTo(out), []);
});
