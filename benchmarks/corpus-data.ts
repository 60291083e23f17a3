/** The ONNX backend test corpus: its model folders and their test tensors as ONNX Runtime inputs. */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { TensorDataType, toNumber, type TensorProto } from '../src/model/onnx-proto.js';

/** Folders holding a model.onnx and its test_data_set_0, sorted. */
export function findModels(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.name === 'model.onnx') && entries.some((e) => e.name === 'test_data_set_0')) {
      found.push(dir);
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  walk(root);
  return found.sort();
}

export const ORT_TYPES: Partial<Record<number, ort.Tensor.Type>> = {
  [TensorDataType.FLOAT]: 'float32',
  [TensorDataType.DOUBLE]: 'float64',
  [TensorDataType.FLOAT16]: 'float16',
  [TensorDataType.INT8]: 'int8',
  [TensorDataType.UINT8]: 'uint8',
  [TensorDataType.INT16]: 'int16',
  [TensorDataType.UINT16]: 'uint16',
  [TensorDataType.INT32]: 'int32',
  [TensorDataType.UINT32]: 'uint32',
  [TensorDataType.INT64]: 'int64',
  [TensorDataType.UINT64]: 'uint64',
  [TensorDataType.BOOL]: 'bool',
  [TensorDataType.STRING]: 'string',
};

/** A TensorProto from the corpus as an ONNX Runtime tensor; undefined for types it cannot feed. */
export function toOrtTensor(t: TensorProto): ort.Tensor | undefined {
  const type = ORT_TYPES[t.dataType ?? 0];
  if (!type) return undefined;
  const dims = (t.dims ?? []).map(toNumber);
  const count = dims.reduce((n, d) => n * d, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const read = <A extends { [i: number]: number | bigint }>(
    array: A,
    width: number,
    get: (v: DataView, offset: number) => number | bigint,
    fallback: () => ArrayLike<number | bigint>,
  ): A => {
    const source = view ? undefined : fallback();
    for (let i = 0; i < count; i++) array[i] = view ? get(view, i * width) : source![i]!;
    return array;
  };
  const ints = () => t.int32Data ?? [];
  switch (type) {
    case 'string':
      return new ort.Tensor(
        'string',
        (t.stringData ?? []).map((b) => new TextDecoder().decode(b)),
        dims,
      );
    case 'float32':
      return new ort.Tensor(
        type,
        read(
          new Float32Array(count),
          4,
          (v, o) => v.getFloat32(o, true),
          () => t.floatData ?? [],
        ),
        dims,
      );
    case 'float64':
      return new ort.Tensor(
        type,
        read(
          new Float64Array(count),
          8,
          (v, o) => v.getFloat64(o, true),
          () => t.doubleData ?? [],
        ),
        dims,
      );
    case 'float16':
      return new ort.Tensor(
        type,
        read(new Uint16Array(count), 2, (v, o) => v.getUint16(o, true), ints),
        dims,
      );
    case 'int8':
      return new ort.Tensor(
        type,
        read(new Int8Array(count), 1, (v, o) => v.getInt8(o), ints),
        dims,
      );
    case 'uint8':
      return new ort.Tensor(
        type,
        read(new Uint8Array(count), 1, (v, o) => v.getUint8(o), ints),
        dims,
      );
    case 'bool':
      return new ort.Tensor(
        type,
        read(new Uint8Array(count), 1, (v, o) => v.getUint8(o), ints),
        dims,
      );
    case 'int16':
      return new ort.Tensor(
        type,
        read(new Int16Array(count), 2, (v, o) => v.getInt16(o, true), ints),
        dims,
      );
    case 'uint16':
      return new ort.Tensor(
        type,
        read(new Uint16Array(count), 2, (v, o) => v.getUint16(o, true), ints),
        dims,
      );
    case 'int32':
      return new ort.Tensor(
        type,
        read(new Int32Array(count), 4, (v, o) => v.getInt32(o, true), ints),
        dims,
      );
    case 'uint32':
      return new ort.Tensor(
        type,
        read(
          new Uint32Array(count),
          4,
          (v, o) => v.getUint32(o, true),
          () => (t.uint64Data ?? []).map(toNumber),
        ),
        dims,
      );
    case 'int64':
      return new ort.Tensor(
        type,
        read(
          new BigInt64Array(count),
          8,
          (v, o) => v.getBigInt64(o, true),
          () => (t.int64Data ?? []).map((x) => BigInt(toNumber(x))),
        ),
        dims,
      );
    case 'uint64':
      return new ort.Tensor(
        type,
        read(
          new BigUint64Array(count),
          8,
          (v, o) => v.getBigUint64(o, true),
          () => (t.uint64Data ?? []).map((x) => BigInt(toNumber(x))),
        ),
        dims,
      );
    default:
      return undefined;
  }
}
