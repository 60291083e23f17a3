/**
 * Deterministic inputs for the zoo's models, read off their graph inputs: token ids, all-ones
 * masks, positions after the past, seeded normal floats for images, features, hidden states and
 * past key/values. Named dims get one size per name, so that shapes agree across inputs.
 */
import * as ort from 'onnxruntime-node';

import { TensorDataType, toNumber, type ModelProto } from '../../src/model/onnx-proto.js';
import { SeededRandom } from '../../src/util/random.js';

const PAST = 3;
const ENCODER = 5;

function dimSize(param: string, sequence: number): number {
  if (/batch/.test(param)) return 1;
  if (/\+/.test(param) || /total/.test(param)) return PAST + sequence;
  if (/past/.test(param)) return PAST;
  if (/encoder/.test(param)) return ENCODER;
  return sequence;
}

/** One feed per graph input (initializers excluded); `seed` varies the ids and the floats. */
export function modelFeeds(model: ModelProto, seed: number): Record<string, ort.Tensor> {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name));
  const hasPast = inputs.some((i) => /past/.test(i.name));
  const sequence = hasPast ? 1 : 6;
  const rng = new SeededRandom(seed);
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    const tensorType = input.type?.tensorType;
    const dims = (tensorType?.shape?.dim ?? []).map((d) =>
      d.dimParam ? dimSize(d.dimParam, sequence) : toNumber(d.dimValue),
    );
    const count = dims.reduce((a, b) => a * b, 1);
    const name = input.name;
    const last = dims[dims.length - 1] ?? 1;
    const ints = (i: number): number => {
      if (/mask/.test(name)) return 1;
      if (/position/.test(name)) return (hasPast ? PAST : 0) + (i % last);
      return 1 + ((seed * 31 + i * 7) % 50);
    };
    switch (tensorType?.elemType) {
      case TensorDataType.INT64:
        feeds[name] = new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: count }, (_, i) => BigInt(ints(i))),
          dims,
        );
        break;
      case TensorDataType.INT32:
        feeds[name] = new ort.Tensor(
          'int32',
          Int32Array.from({ length: count }, (_, i) => ints(i)),
          dims,
        );
        break;
      case TensorDataType.BOOL:
        feeds[name] = new ort.Tensor(
          'bool',
          Uint8Array.from({ length: count }, () => (hasPast ? 1 : 0)),
          dims,
        );
        break;
      case TensorDataType.FLOAT:
        feeds[name] = new ort.Tensor(
          'float32',
          Float32Array.from({ length: count }, () => rng.normal()),
          dims,
        );
        break;
      default:
        throw new Error(`no feed for ${name} of type ${tensorType?.elemType}`);
    }
  }
  return feeds;
}
