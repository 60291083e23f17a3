/**
 * Builds a batch's tensors from the plan: values that the model accepts (token ids inside the
 * vocabulary, masks that match padding). Nothing here is timed: the runner builds every batch
 * before the measured loop.
 */
import type * as ort from 'onnxruntime-node';
import { inputBytesPerElement } from '../model/dtypes.js';
import { SeededRandom, seedFrom } from '../util/random.js';
import { inputShape, type BatchShape } from './batches.js';
import { parseConstant } from './fill-constant.js';
import type { InputPlan, SynthesisPlan } from './input-plan.js';
import { sinkFor, type Sink } from './tensor-sink.js';
import type { QueryRow } from './tasks.js';

/** One batch of queries and the tensors that feed it. */
export interface Batch {
  queries: number;
  feeds: Record<string, ort.Tensor>;
  bytes: number;
}
/** Builds one batch's tensors. The same plan, batch and seed always give the same values. */
export function buildBatch(plan: SynthesisPlan, batch: BatchShape, seed: number): Batch {
  const feeds: Record<string, ort.Tensor> = {};
  let bytes = 0;
  // A parameter's values can follow another input's shape (a Reshape's target, a Resize's sizes).
  const shapes = new Map(plan.inputs.map((input) => [input.name, inputShape(input, batch)]));
  for (const input of plan.inputs) {
    const rng = new SeededRandom(seedFrom(input.name, seed));
    const shape = shapes.get(input.name)!;
    const count = shape.reduce((n, d) => n * d, 1);
    feeds[input.name] = buildTensor(input, shape, count, batch, rng, shapes);
    bytes += count * inputBytesPerElement(input.dtype);
  }
  return { queries: batch.queries, feeds, bytes };
}
/**
 * Fills row-major values in place; for [batch, seq, ...] inputs the row is the query and dim 1
 * its tokens or samples, real up to the query's length and padding (0) after it.
 */
function buildTensor(
  input: InputPlan,
  shape: number[],
  count: number,
  batch: BatchShape,
  rng: SeededRandom,
  shapes: ReadonlyMap<string, number[]>,
): ort.Tensor {
  const fill = input.fill;
  const sink = sinkFor(input.dtype, count);
  const rowLength = shape.length >= 2 ? shape.slice(1).reduce((n, d) => n * d, 1) : count;
  const seqLength = shape.length >= 2 ? shape[1]! : 1;
  const innerLength = shape.length >= 2 ? rowLength / Math.max(1, seqLength) : count;
  const rows = rowLength > 0 ? count / rowLength : 0;
  const lengths =
    input.padding === 'tokens'
      ? batch.queryTokens
      : input.padding === 'audio'
        ? batch.queryAudioSamples
        : undefined;
  /** Elements of row r that are real: up to its query's length along dim 1, all when unpadded. */
  const realEnd = (r: number): number =>
    r * rowLength + (lengths ? Math.min(seqLength, lengths[r] ?? seqLength) * innerLength : rowLength);

  if (batch.queryRows?.some((row) => row?.values[input.name])) {
    fillRows(sink, input.name, batch.queryRows, rows, rowLength);
    return sink.tensor(shape);
  }
  switch (fill.kind) {
    case 'constant':
      sink.fillConstant(parseConstant(fill.text, input.dtype, input.name));
      break;
    case 'text':
      sink.fillConstant('energy');
      break;
    case 'zeros':
      break;
    case 'token-ids': {
      // Padding uses id 0; real tokens avoid it so the mask and the ids agree.
      const min = Math.min(1, fill.vocab - 1);
      const max = fill.vocab - 1;
      for (let r = 0; r < rows; r++) {
        for (let i = r * rowLength, end = realEnd(r); i < end; i++) sink.set(i, rng.int(min, max));
      }
      break;
    }
    case 'attention-mask':
      for (let r = 0; r < rows; r++) sink.fill(1, r * rowLength, realEnd(r));
      break;
    case 'normal':
      for (let r = 0; r < rows; r++) {
        for (let i = r * rowLength, end = realEnd(r); i < end; i++) sink.set(i, rng.normal() * fill.scale);
      }
      break;
    case 'positions':
      // Each element holds its index along dim 1 (0 for inputs of rank below 2).
      if (shape.length >= 2) {
        for (let r = 0; r < rows; r++) {
          for (let p = 1; p < seqLength; p++) {
            const start = r * rowLength + p * innerLength;
            sink.fill(p, start, start + innerLength);
          }
        }
      }
      break;
    case 'uniform-int':
      for (let i = 0; i < count; i++) sink.set(i, rng.int(fill.min, fill.max));
      break;
    case 'random-bool':
      for (let i = 0; i < count; i++) sink.set(i, rng.next() < 0.5 ? 1 : 0);
      break;
    case 'uniform':
      for (let i = 0; i < count; i++) sink.set(i, fill.min + rng.next() * (fill.max - fill.min));
      break;
    case 'reshape-shape': {
      // The input's own dims keep its shape; otherwise ones and a -1 (the rest) fit any size.
      const like = fill.like !== null ? shapes.get(fill.like) : undefined;
      if (like && like.length === count) like.forEach((d, i) => sink.set(i, d));
      else if (count > 0) {
        sink.fill(1, 0, count);
        sink.set(count - 1, -1);
      }
      break;
    }
    case 'shape-of': {
      const like = fill.input !== null ? shapes.get(fill.input) : undefined;
      if (like && like.length === count) like.forEach((d, i) => sink.set(i, d));
      else sink.fill(1, 0, count);
      break;
    }
    case 'unit-axes': {
      const of = fill.of !== null ? shapes.get(fill.of) : undefined;
      const unit = (of ?? []).flatMap((d, axis) => (d === 1 ? [axis] : []));
      for (let i = 0; i < count; i++) sink.set(i, unit.length >= count ? unit[i]! : i);
      break;
    }
    case 'axes':
      for (let i = 0; i < count; i++) sink.set(i, i);
      break;
    case 'split-sizes': {
      // k parts of the dim, the last taking the remainder; a scalar split is a part's size.
      const of = fill.of !== null ? shapes.get(fill.of) : undefined;
      const dim = of?.[fill.axis < 0 ? fill.axis + of.length : fill.axis];
      if (dim === undefined || shape.length === 0) sink.fill(1, 0, count);
      else if (count > 0) {
        const part = Math.floor(dim / count);
        sink.fill(part, 0, count);
        sink.set(count - 1, dim - part * (count - 1));
      }
      break;
    }
    case 'roi':
      // [start_1, ..., start_n, end_1, ..., end_n] in normalized coordinates.
      sink.fill(1, Math.floor(count / 2), count);
      break;
  }
  return sink.tensor(shape);
}

/** Each query's real values from data, cut at the row's length and padded after them. */
function fillRows(
  sink: Sink,
  name: string,
  queryRows: readonly (QueryRow | undefined)[],
  rows: number,
  rowLength: number,
): void {
  for (let r = 0; r < rows; r++) {
    const value = queryRows[r]?.values[name];
    if (!value) continue;
    const start = r * rowLength;
    const n = Math.min(value.data.length, rowLength);
    for (let i = 0; i < n; i++) sink.set(start + i, value.data[i]!);
    if (value.pad !== 0) sink.fill(value.pad, start + n, start + rowLength);
  }
}
