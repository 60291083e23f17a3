/** fp32 → fp16 conversion of an ONNX model (onnxruntime's float16.py rules). */
import type { ModelProto } from '../model/onnx-proto.js';
import { ConversionRefused, type Converted } from './types.js';

export function convertToFloat16(model: ModelProto): Converted {
  void model;
  throw new ConversionRefused('fp16 conversion is not available in this build');
}
