/**
 * The fidelity sample of a one-pass workload, outside the measured windows: inputs made query
 * by query (so a query's values are the same at every batch size and precision) and stacked
 * into the configuration's batch, and outputs split back per query along the batch axis.
 */
import * as ort from 'onnxruntime-node';
import type { BatchShape } from '../workload/batches.js';
import type { SynthesisPlan } from '../workload/input-plan.js';
import { buildBatch } from '../workload/tensors.js';
import type { SampledTensor } from './workload.js';
import { float16BitsToFloat32 } from '../util/float16.js';

/**
 * A fidelity sample stops at the batch that takes it past this many bytes of outputs: a
 * one-pass decoder's logits ([tokens, vocab] per query) would otherwise hold gigabytes.
 */
export const SAMPLE_BYTES = 256 * 1024 * 1024;

/** Bytes of a query's sampled outputs (float32). */
export function sampleBytes(query: Record<string, SampledTensor>): number {
  return Object.values(query).reduce((sum, t) => sum + t.data.byteLength, 0);
}

type TypedData = Exclude<ort.Tensor['data'], string[]>;
/** Any typed array, as far as copying one into another goes. */
interface Settable {
  set(values: ArrayLike<number | bigint>, offset: number): void;
}

/**
 * The batch's inputs, each query's row built alone (seeded by its index in the suite) and then
 * stacked: synthetic values then do not depend on the batch a query falls in, as real rows
 * never do. An input with its batch dim elsewhere than first takes the batch as the trials
 * build it.
 */
export function stackedFeeds(
  plan: SynthesisPlan,
  shape: BatchShape,
  firstQuery: number,
  seed: number,
): Record<string, ort.Tensor> {
  if (plan.inputs.some((input) => input.dims.some((d, i) => d.role === 'batch' && i !== 0))) {
    return buildBatch(plan, shape, seed + firstQuery).feeds;
  }
  const singles = Array.from({ length: shape.queries }, (_, q) =>
    buildBatch(
      plan,
      {
        queries: 1,
        tokens: shape.tokens,
        audioSamples: shape.audioSamples,
        queryTokens: [shape.queryTokens[q]!],
        queryAudioSamples: [shape.queryAudioSamples[q]!],
        ...(shape.queryRows ? { queryRows: [shape.queryRows[q]] } : {}),
      },
      seed + firstQuery + q,
    ),
  );
  const feeds: Record<string, ort.Tensor> = {};
  // An input without a batch dim (a Reshape's target, a sample rate) is the whole batch's.
  let whole: Record<string, ort.Tensor> | undefined;
  for (const input of plan.inputs) {
    const parts = singles.map((s) => s.feeds[input.name]!);
    const first = parts[0]!;
    if (parts.length === 1) {
      feeds[input.name] = first;
      continue;
    }
    if (input.dims[0]?.role !== 'batch') {
      whole ??= buildBatch(plan, shape, seed + firstQuery).feeds;
      feeds[input.name] = whole[input.name]!;
      continue;
    }
    const dims = [parts.length, ...first.dims.slice(1)];
    if (Array.isArray(first.data)) {
      feeds[input.name] = new ort.Tensor(
        'string',
        parts.flatMap((p) => p.data as string[]),
        dims,
      );
      continue;
    }
    const data = first.data as TypedData;
    const Ctor = data.constructor as new (length: number) => Settable;
    const out = new Ctor(data.length * parts.length);
    parts.forEach((p, i) => out.set(p.data as TypedData, i * data.length));
    feeds[input.name] = new ort.Tensor(first.type as 'float32', out as unknown as Float32Array, dims);
  }
  return feeds;
}

/** Element types read as numbers; strings are not compared. */
function asFloat32(tensor: ort.Tensor): Float32Array | undefined {
  const data = tensor.data;
  if (tensor.type === 'float32') return data as Float32Array;
  if (tensor.type === 'float16') {
    const bits = data as Uint16Array;
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]!);
    return out;
  }
  if (Array.isArray(data)) return undefined;
  const values = data as ArrayLike<number | bigint>;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]!);
  return out;
}

/**
 * Each query's outputs: a tensor whose first dim is the batch's queries is cut along it and
 * that dim taken away; at batch 1 one that has no batch dim is kept whole. What cannot be
 * split (a box list of its own length at batch 8) is named in `unsplit`.
 */
export function splitOutputs(
  outputs: Record<string, ort.Tensor>,
  queries: number,
): { queries: Record<string, SampledTensor>[]; unsplit: string[] } {
  const perQuery: Record<string, SampledTensor>[] = Array.from({ length: queries }, () => ({}));
  const unsplit: string[] = [];
  for (const [name, tensor] of Object.entries(outputs)) {
    const data = asFloat32(tensor);
    if (!data) continue;
    const dims = [...tensor.dims];
    if (dims.length > 0 && dims[0] === queries) {
      const size = data.length / queries;
      for (let q = 0; q < queries; q++) {
        // A copy: the sample outlives the run's output buffers, and holds only its own values.
        perQuery[q]![name] = { dims: dims.slice(1), data: data.slice(q * size, (q + 1) * size) };
      }
    } else if (queries === 1) {
      perQuery[0]![name] = { dims, data: data === tensor.data ? data.slice() : data };
    } else {
      unsplit.push(name);
    }
  }
  return { queries: perQuery, unsplit };
}
