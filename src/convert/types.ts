/**
 * What every in-tool precision converter takes and gives: a decoded fp32 ONNX model in, the
 * converted model and an account of what changed out. A model a converter cannot convert is
 * refused with the reason (the op it cannot type, external data, an already-fp16 graph), so
 * that the configuration is skipped instead of silently run at fp32.
 */
import type { ModelProto } from '../model/onnx-proto.js';

export interface ConversionReport {
  /** What the converter did, in words: the algorithm, its options, what it kept in float32. */
  recipe: string;
  /** Bumped whenever a converter's output changes; part of the cache key. */
  converterVersion: string;
  /** Nodes by op type before and after, subgraphs included. */
  opCountsBefore: Record<string, number>;
  opCountsAfter: Record<string, number>;
}

export interface Converted {
  model: ModelProto;
  report: ConversionReport;
}

export type Converter = (model: ModelProto) => Converted;

/** Thrown by a converter for a model it cannot convert; the reason names the op or the cause. */
export class ConversionRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ConversionRefused';
  }
}
