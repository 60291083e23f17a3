/** Typed storage for one tensor of each ONNX Runtime input type, written value by value. */
import * as ort from 'onnxruntime-node';
import type { OrtDType } from '../model/dtypes.js';
import { float32ToFloat16Bits } from '../util/float16.js';

/**
 * A tensor's data, written in place: one typed array of the input's type, never a JS array of
 * values (which grew RSS by ~13x the tensor's bytes and so made checkBatchFits' guard wrong).
 */
export interface Sink {
  /** Element i = value, converted to the tensor's type. */
  set(i: number, value: number): void;
  /** Elements [start, end) = value. */
  fill(value: number, start: number, end: number): void;
  /** Every element = a --fill constant (a bigint keeps int64 values beyond 2^53 exact). */
  fillConstant(value: number | bigint | boolean | string): void;
  tensor(shape: number[]): ort.Tensor;
}

type NumberArray =
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

const toNumber = (v: number | bigint | boolean | string): number =>
  typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);

function numberSink<T extends NumberArray>(data: T, make: (data: T, shape: number[]) => ort.Tensor): Sink {
  return {
    set: (i, value) => {
      data[i] = value;
    },
    fill: (value, start, end) => {
      data.fill(value, start, end);
    },
    fillConstant: (value) => {
      data.fill(toNumber(value));
    },
    tensor: (shape) => make(data, shape),
  };
}

function bigIntSink<T extends BigInt64Array | BigUint64Array>(
  data: T,
  make: (data: T, shape: number[]) => ort.Tensor,
): Sink {
  return {
    set: (i, value) => {
      data[i] = BigInt(value);
    },
    fill: (value, start, end) => {
      data.fill(BigInt(value), start, end);
    },
    fillConstant: (value) => {
      data.fill(typeof value === 'bigint' ? value : BigInt(toNumber(value)));
    },
    tensor: (shape) => make(data, shape),
  };
}

export function sinkFor(dtype: OrtDType, count: number): Sink {
  switch (dtype) {
    case 'float32':
      return numberSink(new Float32Array(count), (d, s) => new ort.Tensor('float32', d, s));
    case 'float64':
      return numberSink(new Float64Array(count), (d, s) => new ort.Tensor('float64', d, s));
    case 'float16': {
      // Node 20 has no Float16Array: fp16 travels as uint16 bits.
      const data = new Uint16Array(count);
      return {
        set: (i, value) => {
          data[i] = float32ToFloat16Bits(value);
        },
        fill: (value, start, end) => {
          data.fill(float32ToFloat16Bits(value), start, end);
        },
        fillConstant: (value) => {
          data.fill(float32ToFloat16Bits(toNumber(value)));
        },
        tensor: (shape) => new ort.Tensor('float16', data, shape),
      };
    }
    case 'int8':
      return numberSink(new Int8Array(count), (d, s) => new ort.Tensor('int8', d, s));
    case 'uint8':
      return numberSink(new Uint8Array(count), (d, s) => new ort.Tensor('uint8', d, s));
    case 'int16':
      return numberSink(new Int16Array(count), (d, s) => new ort.Tensor('int16', d, s));
    case 'uint16':
      return numberSink(new Uint16Array(count), (d, s) => new ort.Tensor('uint16', d, s));
    case 'int32':
      return numberSink(new Int32Array(count), (d, s) => new ort.Tensor('int32', d, s));
    case 'uint32':
      return numberSink(new Uint32Array(count), (d, s) => new ort.Tensor('uint32', d, s));
    case 'int64':
      return bigIntSink(new BigInt64Array(count), (d, s) => new ort.Tensor('int64', d, s));
    case 'uint64':
      return bigIntSink(new BigUint64Array(count), (d, s) => new ort.Tensor('uint64', d, s));
    case 'bool': {
      const data = new Uint8Array(count);
      return {
        set: (i, value) => {
          data[i] = value ? 1 : 0;
        },
        fill: (value, start, end) => {
          data.fill(value ? 1 : 0, start, end);
        },
        fillConstant: (value) => {
          data.fill(toNumber(value) ? 1 : 0);
        },
        tensor: (shape) => new ort.Tensor('bool', data, shape),
      };
    }
    case 'string': {
      const data = new Array<string>(count).fill('');
      return {
        set: (i, value) => {
          data[i] = String(value);
        },
        fill: (value, start, end) => {
          data.fill(String(value), start, end);
        },
        fillConstant: (value) => {
          data.fill(String(value));
        },
        tensor: (shape) => new ort.Tensor('string', data, shape),
      };
    }
  }
}
