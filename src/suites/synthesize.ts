/**
 * Synthesizes model inputs from the signature: shapes from the task's query sizes and the user's
 * pins, values that the model accepts (token ids inside the vocabulary, masks that match padding).
 * Nothing here is timed: the runner builds every batch before the measured loop.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { usageError } from '../errors.js';
import { inputBytesPerElement, isOrtInputType, type OrtDType } from '../model/dtypes.js';
import type { ModelInfo, TensorInfo } from '../model/inspect.js';
import { float32ToFloat16Bits } from '../util/float16.js';
import { SeededRandom, seedFrom } from '../util/random.js';
import type { InputOverrides } from './overrides.js';
import { sampleQuerySizes, type QuerySize, type TaskDefinition } from './tasks.js';

/** What decides a dim's size. */
export type DimRole = 'batch' | 'tokens' | 'audio' | 'image' | 'past' | 'pinned' | 'fixed' | 'default';

export interface DimPlan {
  role: DimRole;
  /** The size for every role but batch, tokens and audio, which vary per batch. */
  value: number;
  name: string | null;
}

export type FillKind =
  | { kind: 'constant'; text: string }
  | { kind: 'token-ids'; vocab: number }
  | { kind: 'attention-mask' }
  | { kind: 'zeros' }
  | { kind: 'positions' }
  | { kind: 'normal'; scale: number }
  | { kind: 'uniform-int'; min: number; max: number }
  | { kind: 'random-bool' }
  | { kind: 'text' };

export interface InputPlan {
  name: string;
  dtype: OrtDType;
  dims: DimPlan[];
  fill: FillKind;
}

export interface SynthesisPlan {
  inputs: InputPlan[];
  /** Every dim the plan chose, for the report: a size, or how it varies per query. */
  dimsUsed: Record<string, number | string>;
  /** The fixed batch of a model without a dynamic batch dim; undefined when batch is free. */
  fixedBatch: number | undefined;
  /** Cap on tokens per query: the model's fixed or pinned sequence dim. */
  maxTokens: number | undefined;
  /** Sequence dim fixed by the model or a pin: batches are padded to it, not to their longest query. */
  fixedTokens: number | undefined;
  fixedAudioSamples: number | undefined;
}

/** One batch of queries and the tensors that feed it. */
export interface Batch {
  queries: number;
  feeds: Record<string, ort.Tensor>;
  bytes: number;
}

/** Used for a dynamic dim that no rule and no pin sizes. */
export const DEFAULT_OTHER_DIM = 1;
const DEFAULT_VOCAB = 100;

const TOKEN_DIM = /seq|token|length|len$|^n_ctx$/i;
const IMAGE_DIM = /height|width|^h$|^w$|size/i;
const PAST_DIM = /past|cache/i;
const IDS_INPUT = /ids$|^tokens?$|^input$/i;
const MASK_INPUT = /mask/i;

function classifyFill(input: TensorInfo, dtype: OrtDType, model: ModelInfo, task: TaskDefinition): FillKind {
  const name = input.name;
  const isInt = /int/.test(dtype);
  if (dtype === 'string') return { kind: 'text' };
  if (MASK_INPUT.test(name) && (isInt || dtype === 'bool')) return { kind: 'attention-mask' };
  if (isInt && /token_type|segment/i.test(name)) return { kind: 'zeros' };
  if (isInt && /position_ids/i.test(name)) return { kind: 'positions' };
  if (isInt && /sample_rate/i.test(name)) return { kind: 'constant', text: '16000' };
  if (isInt && model.embeddingVocab[name] !== undefined) {
    return { kind: 'token-ids', vocab: model.embeddingVocab[name]! };
  }
  if (isInt && IDS_INPUT.test(name)) return { kind: 'token-ids', vocab: DEFAULT_VOCAB };
  if (dtype === 'uint8') return { kind: 'uniform-int', min: 0, max: 255 };
  if (isInt) return { kind: 'zeros' };
  if (dtype === 'bool') return { kind: 'random-bool' };
  return { kind: 'normal', scale: task.modality === 'audio' ? 0.1 : 1 };
}

/** A user-named key, never one of Object.prototype's ('constructor', 'toString'). */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Ranges of the integer types a --fill value must fit. */
const INT_RANGES: Partial<Record<OrtDType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/**
 * Decides every input's dims and fill. Throws a usage error for pins that name no input or dim,
 * or that contradict the model.
 */
export function planInputs(model: ModelInfo, task: TaskDefinition, overrides: InputOverrides): SynthesisPlan {
  const inputNames = model.inputs.map((i) => i.name);
  const namedDims = new Set(
    model.inputs.flatMap((i) => (i.shape ?? []).filter((d) => typeof d === 'string')),
  );
  for (const name of [...Object.keys(overrides.shapes), ...Object.keys(overrides.fills)]) {
    if (!inputNames.includes(name)) {
      throw usageError(`the model has no input '${name}'`, `its inputs are: ${inputNames.join(', ')}`);
    }
  }
  for (const name of Object.keys(overrides.dims)) {
    if (!namedDims.has(name)) {
      const list = [...namedDims].join(', ') || 'none';
      throw usageError(`the model has no dynamic dim named '${name}'`, `its named dims are: ${list}`);
    }
  }

  const batchIsDynamic = model.inputs.some(
    (i) => i.shape && i.shape.length > 0 && typeof i.shape[0] !== 'number',
  );
  let fixedBatch: number | undefined;
  if (!batchIsDynamic) {
    const first = model.inputs.find((i) => i.shape && i.shape.length > 0);
    fixedBatch = first ? (first.shape![0] as number) : 1;
  }

  const dimsUsed: Record<string, number | string> = {};
  const inputs: InputPlan[] = [];
  let fixedTokens: number | undefined;
  let fixedAudioSamples: number | undefined;

  for (const input of model.inputs) {
    if (input.kind !== 'tensor' || !isOrtInputType(input.dtype)) {
      throw usageError(
        `input '${input.name}' is a ${input.kind === 'tensor' ? input.dtype : input.kind}, which onnxruntime-node cannot feed`,
        'export the model with tensor inputs of a standard type',
      );
    }
    const dtype = input.dtype;
    const fill = classifyFill(input, dtype, model, task);
    const pinnedShape = own(overrides.shapes, input.name);
    const shape = input.shape ?? (pinnedShape ? pinnedShape.map(() => null) : []);
    if (pinnedShape && pinnedShape.length !== shape.length) {
      throw usageError(
        `--shape ${input.name} has ${pinnedShape.length} dims but the input has ${shape.length}`,
        `the model declares ${input.name} as [${shape.map((d) => d ?? '?').join(', ')}]`,
      );
    }
    const isTextInput =
      fill.kind === 'token-ids' ||
      fill.kind === 'attention-mask' ||
      fill.kind === 'positions' ||
      fill.kind === 'zeros';
    const dims: DimPlan[] = shape.map((dim, index): DimPlan => {
      const name = typeof dim === 'string' ? dim : null;
      if (index === 0 && batchIsDynamic && typeof dim !== 'number') return { role: 'batch', value: 0, name };
      if (pinnedShape) {
        if (typeof dim === 'number' && dim !== pinnedShape[index]) {
          throw usageError(
            `--shape ${input.name} sets dim ${index} to ${pinnedShape[index]} but the model fixes it at ${dim}`,
            'pin only the dynamic dims',
          );
        }
        return { role: 'pinned', value: pinnedShape[index]!, name };
      }
      if (typeof dim === 'number') return { role: 'fixed', value: dim, name };
      const pinnedDim = name !== null ? own(overrides.dims, name) : undefined;
      if (pinnedDim !== undefined) return { role: 'pinned', value: pinnedDim, name };
      if (name !== null && PAST_DIM.test(name)) return { role: 'past', value: 0, name };
      const dist = task.distribution;
      const tokenish = (name !== null && TOKEN_DIM.test(name)) || (isTextInput && index === 1);
      if (dist.kind === 'audio' && dtype.startsWith('float') && shape.length === 2 && index === 1) {
        return { role: 'audio', value: 0, name };
      }
      if (
        tokenish &&
        (dist.kind === 'tokens' || task.promptTokens !== undefined || task.modality === 'any')
      ) {
        return { role: 'tokens', value: 0, name };
      }
      if (name !== null && IMAGE_DIM.test(name) && dist.kind === 'image')
        return { role: 'image', value: dist.sizePx, name };
      if (dist.kind === 'image' && shape.length === 4 && index >= 2 && dtype.startsWith('float')) {
        return { role: 'image', value: dist.sizePx, name };
      }
      return { role: 'default', value: DEFAULT_OTHER_DIM, name };
    });
    // A sequence dim that the model or a pin fixes caps every query's length.
    if (
      (fill.kind === 'token-ids' || fill.kind === 'attention-mask') &&
      shape.length >= 2 &&
      dims[1] &&
      (dims[1].role === 'fixed' || dims[1].role === 'pinned')
    ) {
      fixedTokens = dims[1].value;
    }
    if (
      task.distribution.kind === 'audio' &&
      dtype.startsWith('float') &&
      shape.length === 2 &&
      dims[1]?.role !== 'audio'
    ) {
      fixedAudioSamples = dims[1]?.value;
    }
    const constant = own(overrides.fills, input.name);
    inputs.push({
      name: input.name,
      dtype,
      dims,
      fill: constant !== undefined ? { kind: 'constant', text: constant } : fill,
    });
  }

  for (const input of inputs) {
    if (input.fill.kind === 'constant') parseConstant(input.fill.text, input.dtype, input.name);
  }

  const anyTokens = inputs.some((i) => i.dims.some((d) => d.role === 'tokens'));
  const dist = task.distribution;
  for (const input of inputs) {
    input.dims.forEach((d, index) => {
      const key = d.name ?? `${input.name}[${index}]`;
      if (d.role === 'batch') dimsUsed[key] = fixedBatch ?? '<batch>';
      else if (d.role === 'tokens' && dist.kind === 'tokens') {
        dimsUsed[key] =
          `per batch: longest query (${dist.minTokens}-${Math.min(dist.maxTokens, fixedTokens ?? Infinity)} tokens, mean ${dist.meanTokens})`;
      } else if (d.role === 'tokens') dimsUsed[key] = `${task.promptTokens ?? DEFAULT_OTHER_DIM} tokens`;
      else if (d.role === 'audio' && dist.kind === 'audio') {
        dimsUsed[key] =
          `per batch: longest clip (${dist.minSeconds}-${dist.maxSeconds} s at ${dist.sampleRateHz} Hz)`;
      } else if (d.role !== 'fixed') dimsUsed[key] = d.value;
    });
  }
  return {
    inputs,
    dimsUsed,
    fixedBatch,
    maxTokens: fixedTokens,
    fixedTokens: anyTokens ? undefined : fixedTokens,
    fixedAudioSamples,
  };
}

/** Checks a --fill value against the input's type and returns it typed. */
export function parseConstant(
  text: string,
  dtype: OrtDType,
  inputName: string,
): number | bigint | boolean | string {
  if (dtype === 'string') return text;
  if (dtype === 'bool') {
    if (['true', '1'].includes(text.toLowerCase())) return true;
    if (['false', '0'].includes(text.toLowerCase())) return false;
    throw usageError(`--fill ${inputName}=${text}: a bool input takes true or false`);
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw usageError(`--fill ${inputName}=${text}: not a number`, `${inputName} is ${dtype}`);
  }
  if (/int/.test(dtype)) {
    if (!Number.isInteger(value))
      throw usageError(`--fill ${inputName}=${text}: ${dtype} needs a whole number`);
    if (dtype.startsWith('uint') && value < 0)
      throw usageError(`--fill ${inputName}=${text}: ${dtype} cannot be negative`);
    if (dtype === 'int64' || dtype === 'uint64')
      return /^[+-]?\d+$/.test(text.trim()) ? BigInt(text.trim()) : BigInt(value);
    const range = INT_RANGES[dtype];
    if (range && (value < range[0] || value > range[1])) {
      throw usageError(
        `--fill ${inputName}=${text}: out of range for ${dtype}`,
        `give a value from ${range[0]} to ${range[1]}`,
      );
    }
  }
  return value;
}

/** The sizes of each batch's varying dims. */
export interface BatchShape {
  queries: number;
  tokens: number;
  audioSamples: number;
  /** Per query: real tokens (the rest is padding). */
  queryTokens: number[];
  queryAudioSamples: number[];
}

/** Groups the suite's queries into batches and sizes each batch's varying dims. */
export function planBatches(plan: SynthesisPlan, querySizes: QuerySize[], batchSize: number): BatchShape[] {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw usageError(`batch size ${batchSize} is not a whole number of at least 1`);
  }
  const shapes: BatchShape[] = [];
  for (let start = 0; start < querySizes.length; start += batchSize) {
    const group = querySizes.slice(start, start + batchSize);
    const queryTokens = group.map((q) => q.tokens ?? DEFAULT_OTHER_DIM);
    const queryAudioSamples = group.map((q) => q.audioSamples ?? 0);
    shapes.push({
      queries: group.length,
      tokens: plan.maxTokens ?? Math.max(...queryTokens),
      audioSamples: plan.fixedAudioSamples ?? Math.max(...queryAudioSamples),
      queryTokens: plan.maxTokens ? queryTokens.map((t) => Math.min(t, plan.maxTokens!)) : queryTokens,
      queryAudioSamples,
    });
  }
  return shapes;
}

export function inputShape(input: InputPlan, batch: BatchShape): number[] {
  return input.dims.map((d) => {
    switch (d.role) {
      case 'batch':
        return batch.queries;
      case 'tokens':
        return batch.tokens;
      case 'audio':
        return batch.audioSamples;
      default:
        return d.value;
    }
  });
}

export function batchBytes(plan: SynthesisPlan, batch: BatchShape): number {
  let bytes = 0;
  for (const input of plan.inputs) {
    bytes += inputShape(input, batch).reduce((n, d) => n * d, 1) * inputBytesPerElement(input.dtype);
  }
  return bytes;
}

/** The largest share of free memory one batch may take before we refuse to allocate it. */
const MAX_BATCH_SHARE_OF_FREE = 0.5;

/** Refuses, before allocating, a batch that would not fit in memory. */
export function checkBatchFits(plan: SynthesisPlan, batches: BatchShape[], freeBytes = os.freemem()): number {
  let largest = 0;
  let largestBatch = batches[0];
  for (const b of batches) {
    const bytes = batchBytes(plan, b);
    if (bytes > largest) {
      largest = bytes;
      largestBatch = b;
    }
  }
  const limit = freeBytes * MAX_BATCH_SHARE_OF_FREE;
  if (largest > limit && largestBatch) {
    const detail = plan.inputs
      .map((i) => `${i.name} [${inputShape(i, largestBatch!).join('x')}] ${i.dtype}`)
      .join(', ');
    throw usageError(
      `one batch of inputs needs ${formatBytes(largest)}, more than half the free memory (${formatBytes(freeBytes)}): ${detail}`,
      'lower --batch, or pin smaller sizes with --dim or --shape',
    );
  }
  return largest;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Builds one batch's tensors. The same plan, batch and seed always give the same values. */
export function buildBatch(plan: SynthesisPlan, batch: BatchShape, seed: number): Batch {
  const feeds: Record<string, ort.Tensor> = {};
  let bytes = 0;
  for (const input of plan.inputs) {
    const rng = new SeededRandom(seedFrom(input.name, seed));
    const shape = inputShape(input, batch);
    const count = shape.reduce((n, d) => n * d, 1);
    const values = fillValues(input, shape, count, batch, rng);
    feeds[input.name] = makeTensor(input.dtype, values, shape);
    bytes += count * inputBytesPerElement(input.dtype);
  }
  return { queries: batch.queries, feeds, bytes };
}

type Value = number | bigint | boolean | string;

/** Fills row-major values; for [batch, seq, ...] inputs the row is the query and the column the token. */
function fillValues(
  input: InputPlan,
  shape: number[],
  count: number,
  batch: BatchShape,
  rng: SeededRandom,
): Value[] {
  const fill = input.fill;
  const out = new Array<Value>(count);
  const rowLength = shape.length >= 2 ? shape.slice(1).reduce((n, d) => n * d, 1) : 1;
  const seqLength = shape.length >= 2 ? shape[1]! : 1;
  const innerLength = shape.length >= 2 ? rowLength / Math.max(1, seqLength) : 1;
  const hasBatch = input.dims[0]?.role === 'batch';
  // Position of element i along the batch and sequence dims, and whether it is a real token.
  const isReal = (i: number): boolean => {
    if (!hasBatch || shape.length < 2) return true;
    const row = Math.floor(i / rowLength);
    const position = Math.floor((i % rowLength) / innerLength);
    const seqDim = input.dims[1]?.role;
    // A fixed or pinned dim 1 is a token dim only for text inputs (not an image's channels).
    const textFill = fill.kind === 'token-ids' || fill.kind === 'attention-mask';
    if (seqDim === 'tokens' || (textFill && (seqDim === 'fixed' || seqDim === 'pinned')))
      return position < (batch.queryTokens[row] ?? seqLength);
    if (seqDim === 'audio') return position < (batch.queryAudioSamples[row] ?? seqLength);
    return true;
  };
  const constant = fill.kind === 'constant' ? parseConstant(fill.text, input.dtype, input.name) : undefined;
  for (let i = 0; i < count; i++) {
    switch (fill.kind) {
      case 'constant':
        out[i] = constant!;
        break;
      case 'token-ids':
        // Padding uses id 0; real tokens avoid it so the mask and the ids agree.
        out[i] = isReal(i) ? rng.int(Math.min(1, fill.vocab - 1), fill.vocab - 1) : 0;
        break;
      case 'attention-mask':
        out[i] = isReal(i) ? 1 : 0;
        break;
      case 'zeros':
        out[i] = 0;
        break;
      case 'positions':
        out[i] = Math.floor((i % rowLength) / innerLength);
        break;
      case 'uniform-int':
        out[i] = rng.int(fill.min, fill.max);
        break;
      case 'random-bool':
        out[i] = rng.next() < 0.5;
        break;
      case 'text':
        out[i] = 'energy';
        break;
      case 'normal':
        out[i] = isReal(i) ? rng.normal() * fill.scale : 0;
        break;
    }
  }
  return out;
}

function makeTensor(dtype: OrtDType, values: Value[], shape: number[]): ort.Tensor {
  const num = (v: Value) => (typeof v === 'boolean' ? (v ? 1 : 0) : Number(v));
  switch (dtype) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(values, num), shape);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(values, num), shape);
    case 'float16':
      return new ort.Tensor(
        'float16',
        Uint16Array.from(values, (v) => float32ToFloat16Bits(num(v))),
        shape,
      );
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from(values, num), shape);
    case 'uint8':
      return new ort.Tensor('uint8', Uint8Array.from(values, num), shape);
    case 'int16':
      return new ort.Tensor('int16', Int16Array.from(values, num), shape);
    case 'uint16':
      return new ort.Tensor('uint16', Uint16Array.from(values, num), shape);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(values, num), shape);
    case 'uint32':
      return new ort.Tensor('uint32', Uint32Array.from(values, num), shape);
    case 'int64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(typeof v === 'bigint' ? v : num(v))),
        shape,
      );
    case 'uint64':
      return new ort.Tensor(
        'uint64',
        BigUint64Array.from(values, (v) => BigInt(typeof v === 'bigint' ? v : num(v))),
        shape,
      );
    case 'bool':
      return new ort.Tensor(
        'bool',
        Uint8Array.from(values, (v) => (num(v) ? 1 : 0)),
        shape,
      );
    case 'string':
      return new ort.Tensor('string', values.map(String), shape);
  }
}

/** The query sizes of the suite, capped at what the model takes. */
export function suiteQuerySizes(
  plan: SynthesisPlan,
  task: TaskDefinition,
  queries: number,
  seed: number,
): QuerySize[] {
  return sampleQuerySizes(task, queries, seed, plan.maxTokens ? { maxTokens: plan.maxTokens } : {});
}
