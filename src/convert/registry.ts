/** Which converter makes which precision variant from an fp32 model. */
import type { Precision } from '../model/variants.js';
import { convertToFloat16, FP16_CONVERTER_VERSION } from './fp16.js';
import { quantizeDynamic } from './quantize-dynamic.js';
import type { Converter } from './types.js';

const CONVERTERS: Partial<Record<Precision, Converter>> = {
  fp16: (model) => convertToFloat16(model),
  // transformers.js's q8: uint8 weights where the graph has Conv, int8 otherwise.
  q8: (model) => quantizeDynamic(model, { weightType: 'auto' }),
  int8: (model) => quantizeDynamic(model, { weightType: 'int8' }),
  uint8: (model) => quantizeDynamic(model, { weightType: 'uint8' }),
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
  q8: 'quantize-dynamic-1',
  int8: 'quantize-dynamic-1',
  uint8: 'quantize-dynamic-1',
};

export function converterVersionFor(precision: Precision): string | undefined {
  return CONVERTERS[precision] ? VERSIONS[precision] : undefined;
}
