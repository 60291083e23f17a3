/**
 * Runs an ONNX model held in memory on deterministic inputs made from its declared inputs, for
 * tests that compare two versions of a model (decoded and encoded again, converted to fp16).
 */
import * as ort from 'onnxruntime-node';
import { float32ToFloat16Bits } from '../../src/util/float16.js';
import { TensorDataType, toNumber, type ModelProto } from '../../src/model/onnx-proto.js';

/** Sizes of the zoo's named dims that make every layout's shapes agree (one new token over two past ones). */
const DIM_SIZES: Record<string, number> = {
  batch_size: 1,
  sequence_length: 1,
  decoder_sequence_length: 1,
  past_sequence_length: 2,
  past_decoder_sequence_length: 2,
  past_seq_len: 2,
  total_seq_len: 3,
  encoder_sequence_length: 4,
  encoder_sequence_length_out: 4,
};

function dimSize(param: string): number {
  // Sums such as `past_sequence_length + sequence_length`.
  return param.split('+').reduce((n, part) => n + (DIM_SIZES[part.trim()] ?? (Number(part) || 1)), 0);
}

/** Inputs for every graph input that is not an initializer: ids small, masks ones, floats in [-1, 1). */
export function feedsFor(model: ModelProto): Record<string, ort.Tensor> {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const feeds: Record<string, ort.Tensor> = {};
  let seed = 1;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (const input of graph.input ?? []) {
    if (initializers.has(input.name)) continue;
    const tensor = input.type?.tensorType;
    const dims = (tensor?.shape?.dim ?? []).map((d) =>
      d.dimParam ? dimSize(d.dimParam) : toNumber(d.dimValue),
    );
    const count = dims.reduce((a, b) => a * b, 1);
    const isMask = /mask/.test(input.name);
    const intValue = (i: number) => (isMask ? 1 : /num_logits/.test(input.name) ? 1 : (i % 5) + 1);
    switch (tensor?.elemType) {
      case TensorDataType.FLOAT:
        feeds[input.name] = new ort.Tensor('float32', Float32Array.from({ length: count }, next), dims);
        break;
      case TensorDataType.FLOAT16:
        feeds[input.name] = new ort.Tensor(
          'float16',
          Uint16Array.from({ length: count }, () => float32ToFloat16Bits(next())),
          dims,
        );
        break;
      case TensorDataType.INT64:
        feeds[input.name] = new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: count }, (_, i) => BigInt(intValue(i))),
          dims,
        );
        break;
      case TensorDataType.INT32:
        feeds[input.name] = new ort.Tensor(
          'int32',
          Int32Array.from({ length: count }, (_, i) => intValue(i)),
          dims,
        );
        break;
      case TensorDataType.BOOL:
        feeds[input.name] = new ort.Tensor(
          'bool',
          Uint8Array.from({ length: count }, () => 1),
          dims,
        );
        break;
      default:
        throw new Error(`no test input for ${input.name} (type ${tensor?.elemType})`);
    }
  }
  return feeds;
}

/** Every output of the model as float32 values (or the raw values of other types), by name. */
export async function runModel(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, { type: string; dims: readonly number[]; values: number[] }>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const results = await session.run(feeds);
    const out: Record<string, { type: string; dims: readonly number[]; values: number[] }> = {};
    for (const [name, tensor] of Object.entries(results))
      out[name] = {
        type: tensor.type,
        dims: tensor.dims,
        values: Array.from(tensor.data as ArrayLike<number | bigint>, (v) => Number(v)),
      };
    return out;
  } finally {
    await session.release();
  }
}
