/** Dynamic int8 quantization of an ONNX model (onnxruntime's quantize_dynamic defaults). */
import type { ModelProto } from '../model/onnx-proto.js';
import { ConversionRefused, type Converted } from './types.js';

export interface QuantizeOptions {
  /** `auto`: uint8 weights where the graph has Conv (transformers.js's q8), int8 otherwise. */
  weightType: 'int8' | 'uint8' | 'auto';
}

export function quantizeDynamic(model: ModelProto, options: QuantizeOptions): Converted {
  void model;
  void options;
  throw new ConversionRefused('int8 quantization is not available in this build');
}
