/** Which converter makes which precision variant from an fp32 model. */
import type { Precision } from '../model/variants.js';
import { convertToFloat16, FP16_CONVERTER_VERSION } from './fp16.js';
import { QUANTIZE_DYNAMIC_VERSION, quantizeDynamic } from './quantize-dynamic.js';
import { QUANTIZE_4BIT_VERSION, quantize4Bit } from './quantize-4bit.js';
import type { Converter } from './types.js';

const CONVERTERS: Partial<Record<Precision, Converter>> = {
  fp16: (model) => convertToFloat16(model),
  // transformers.js's q8: uint8 weights where the graph has Conv, int8 otherwise.
  q8: (model) => quantizeDynamic(model, { weightType: 'auto' }),
  int8: (model) => quantizeDynamic(model, { weightType: 'int8' }),
  uint8: (model) => quantizeDynamic(model, { weightType: 'uint8' }),
  // MatMulNBits, 4-bit blocks of 32 (onnxruntime's MatMul4BitsQuantizer as transformers.js runs it).
  q4: (model) => quantize4Bit(model),
};

/** The converter for a precision, or undefined where the tool cannot make that variant. */
export function converterFor(precision: Precision): Converter | undefined {
  return CONVERTERS[precision];
}

/**
 * The version of the converter that makes a precision, known before converting: it keys the
 * cache of converted files. Undefined where no converter makes the precision.
 */
const VERSIONS: Partial<Record<Precision, string>> = {
  fp16: FP16_CONVERTER_VERSION,
  q8: QUANTIZE_DYNAMIC_VERSION,
  int8: QUANTIZE_DYNAMIC_VERSION,
  uint8: QUANTIZE_DYNAMIC_VERSION,
  q4: QUANTIZE_4BIT_VERSION,
};

export function converterVersionFor(precision: Precision): string | undefined {
  return CONVERTERS[precision] ? VERSIONS[precision] : undefined;
}
