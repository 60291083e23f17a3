/** ONNX element types, their names in ONNX Runtime's JavaScript API, and their sizes. */
import { TensorDataType } from './onnx-proto.js';

/** Element types onnxruntime-node can take as inputs. */
export type OrtDType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** ONNX data type number → the name used in results (ORT's name where ORT has one). */
const NAMES: Record<number, string> = {
  [TensorDataType.FLOAT]: 'float32',
  [TensorDataType.UINT8]: 'uint8',
  [TensorDataType.INT8]: 'int8',
  [TensorDataType.UINT16]: 'uint16',
  [TensorDataType.INT16]: 'int16',
  [TensorDataType.INT32]: 'int32',
  [TensorDataType.INT64]: 'int64',
  [TensorDataType.STRING]: 'string',
  [TensorDataType.BOOL]: 'bool',
  [TensorDataType.FLOAT16]: 'float16',
  [TensorDataType.DOUBLE]: 'float64',
  [TensorDataType.UINT32]: 'uint32',
  [TensorDataType.UINT64]: 'uint64',
  [TensorDataType.COMPLEX64]: 'complex64',
  [TensorDataType.COMPLEX128]: 'complex128',
  [TensorDataType.BFLOAT16]: 'bfloat16',
  [TensorDataType.FLOAT8E4M3FN]: 'float8e4m3fn',
  [TensorDataType.FLOAT8E4M3FNUZ]: 'float8e4m3fnuz',
  [TensorDataType.FLOAT8E5M2]: 'float8e5m2',
  [TensorDataType.FLOAT8E5M2FNUZ]: 'float8e5m2fnuz',
  [TensorDataType.UINT4]: 'uint4',
  [TensorDataType.INT4]: 'int4',
  [TensorDataType.FLOAT4E2M1]: 'float4e2m1',
};

export function dtypeName(onnxType: number): string {
  return NAMES[onnxType] ?? `type${onnxType}`;
}

/** Bits per element, for parameter memory; strings count as 0 (their size is not fixed). */
const BITS: Record<string, number> = {
  float32: 32,
  float16: 16,
  bfloat16: 16,
  float64: 64,
  int8: 8,
  uint8: 8,
  int16: 16,
  uint16: 16,
  int32: 32,
  uint32: 32,
  int64: 64,
  uint64: 64,
  bool: 8,
  complex64: 64,
  complex128: 128,
  float8e4m3fn: 8,
  float8e4m3fnuz: 8,
  float8e5m2: 8,
  float8e5m2fnuz: 8,
  uint4: 4,
  int4: 4,
  float4e2m1: 4,
  string: 0,
};

export function bitsPerElement(dtype: string): number {
  return BITS[dtype] ?? 0;
}

/** Bytes a synthesized input of this type takes per element (strings: a short word). */
export function inputBytesPerElement(dtype: OrtDType): number {
  return dtype === 'string' ? 16 : bitsPerElement(dtype) / 8;
}

const ORT_INPUT_TYPES = new Set<string>([
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
  'string',
]);

export function isOrtInputType(dtype: string): dtype is OrtDType {
  return ORT_INPUT_TYPES.has(dtype);
}
