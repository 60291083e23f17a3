/**
 * Runs an in-tool quantizer (`--precision q8`, the default: quantizeDynamic with transformers.js's
 * weight type; int8, uint8; q4: MatMulNBits) over the ONNX backend test corpus
 * (Debian's `libonnx-testdata`) and counts what happens. Only models that ONNX Runtime itself runs
 * on their own test data (test_data_set_0) are kept. Each is tried twice:
 *
 *   as shipped   the model file as it is: most corpus models feed their weights as graph inputs,
 *                so most have nothing to quantize and are refused for it.
 *   weights made constant
 *                the test data of the weight port (MatMul/Gemm B, Conv W, Gather data) turned into
 *                an initializer, so that every MatMul, Gemm, Conv and Gather variant of the corpus
 *                (shapes, broadcasting, groups, strides, pads, axes) goes through the quantizer.
 *
 * A quantized model must load and run in onnxruntime-node on the remaining inputs; its first
 * output is compared with the model's expected output (max |Δ| over max |expected|), reported,
 * not judged: 8-bit rounding of random test data is what it measures.
 *
 *   npm run bench:quantize-corpus [-- --corpus /usr/share/libonnx-testdata/data/node] [--json out.json]
 *     [--filter REGEX] [--precision q8|int8|uint8|q4]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';

import { findModels, toOrtTensor } from './corpus-data.js';
import { quantize4Bit } from '../src/convert/quantize-4bit.js';
import { quantizeDynamic } from '../src/convert/quantize-dynamic.js';
import { ConversionRefused } from '../src/convert/types.js';
import {
  decodeModel,
  decodeTensor,
  encodeModel,
  TensorDataType,
  type ModelProto,
  type TensorProto,
} from '../src/model/onnx-proto.js';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: '/usr/share/libonnx-testdata/data/node' },
    json: { type: 'string' },
    filter: { type: 'string' },
    precision: { type: 'string', default: 'q8' },
  },
});

type Outcome = 'quantized-runs' | 'refused' | 'quantized-fails';

interface Row {
  model: string;
  mode: 'as-shipped' | 'weights-constant';
  outcome: Outcome;
  reason: string;
  /** max |Δ| / max |expected| of the first output, where it ran. */
  relativeError?: number;
}

interface Case {
  model: ModelProto;
  /** Graph input name → its test tensor. */
  inputs: Map<string, TensorProto>;
  expected: TensorProto | undefined;
}

function readCase(dir: string): Case | string {
  const model = decodeModel(fs.readFileSync(path.join(dir, 'model.onnx')));
  const graph = model.graph;
  if (!graph) return 'no graph';
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = new Map<string, TensorProto>();
  for (const [index, input] of (graph.input ?? []).filter((i) => !initializers.has(i.name)).entries()) {
    const file = path.join(dir, 'test_data_set_0', `input_${index}.pb`);
    if (!fs.existsSync(file)) return `no ${path.basename(file)}`;
    inputs.set(input.name, decodeTensor(fs.readFileSync(file)));
  }
  const outputFile = path.join(dir, 'test_data_set_0', 'output_0.pb');
  const expected = fs.existsSync(outputFile) ? decodeTensor(fs.readFileSync(outputFile)) : undefined;
  return { model, inputs, expected };
}

function feedsFor(model: ModelProto, inputs: Map<string, TensorProto>): Record<string, ort.Tensor> | string {
  const initializers = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of model.graph?.input ?? []) {
    if (initializers.has(input.name)) continue;
    const tensor = inputs.get(input.name);
    const ortTensor = tensor ? toOrtTensor(tensor) : undefined;
    if (!ortTensor) return `input ${input.name}: a type this script does not feed`;
    feeds[input.name] = ortTensor;
  }
  return feeds;
}

async function runModel(model: ModelProto, inputs: Map<string, TensorProto>): Promise<ort.Tensor> {
  const feeds = feedsFor(model, inputs);
  if (typeof feeds === 'string') throw new Error(feeds);
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 4 });
  try {
    const results = await session.run(feeds);
    return results[model.graph!.output![0]!.name]!;
  } finally {
    await session.release();
  }
}

/** The weight port of each op the quantizer touches. */
const WEIGHT_PORT: Record<string, number> = { MatMul: 1, Gemm: 1, Conv: 1, Gather: 0 };

/** The model with the float32 weight-port inputs made initializers from their test data; null when none. */
function weightsConstant(source: Case): ModelProto | null {
  const model = structuredClone(source.model);
  const graph = model.graph!;
  const moved = new Set<string>();
  for (const node of graph.node ?? []) {
    const port = WEIGHT_PORT[node.opType];
    if (port === undefined || (node.domain && node.domain !== 'ai.onnx')) continue;
    const name = node.input?.[port];
    const tensor = name ? source.inputs.get(name) : undefined;
    if (!name || !tensor || tensor.dataType !== TensorDataType.FLOAT || moved.has(name)) continue;
    graph.initializer = [...(graph.initializer ?? []), { ...tensor, name }];
    graph.input = (graph.input ?? []).filter((i) => i.name !== name);
    moved.add(name);
  }
  return moved.size > 0 ? model : null;
}

function relativeError(expected: ort.Tensor, actual: ort.Tensor): number | undefined {
  if (expected.type !== 'float32' || actual.type !== 'float32') return undefined;
  const e = expected.data as Float32Array;
  const a = actual.data as Float32Array;
  if (e.length !== a.length) return Number.POSITIVE_INFINITY;
  let scale = 0;
  let error = 0;
  for (let i = 0; i < e.length; i++) {
    scale = Math.max(scale, Math.abs(e[i]!));
    error = Math.max(error, Math.abs(e[i]! - a[i]!));
  }
  return scale === 0 ? error : error / scale;
}

async function tryQuantize(
  name: string,
  mode: Row['mode'],
  model: ModelProto,
  inputs: Map<string, TensorProto>,
  reference: ort.Tensor,
): Promise<Row> {
  const precision = values.precision!;
  let quantized: ModelProto;
  try {
    quantized =
      precision === 'q4'
        ? quantize4Bit(model).model
        : quantizeDynamic(model, {
            weightType: precision === 'q8' ? 'auto' : (precision as 'int8' | 'uint8'),
          }).model;
  } catch (err) {
    if (err instanceof ConversionRefused)
      return { model: name, mode, outcome: 'refused', reason: err.message };
    return { model: name, mode, outcome: 'quantized-fails', reason: `converter threw: ${String(err)}` };
  }
  try {
    const output = await runModel(quantized, inputs);
    const error = relativeError(reference, output);
    return {
      model: name,
      mode,
      outcome: 'quantized-runs',
      reason: '',
      ...(error !== undefined ? { relativeError: error } : {}),
    };
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    return { model: name, mode, outcome: 'quantized-fails', reason: message };
  }
}

/** A refusal reason without the names in it, so that alike reasons count together. */
function reasonKind(reason: string): string {
  if (reason.startsWith('nothing to quantize')) return 'nothing to quantize';
  if (reason.includes('already quantized')) return 'already quantized';
  if (reason.includes('opset')) return 'opset below 11';
  return reason;
}

async function main(): Promise<void> {
  if (!['q8', 'int8', 'uint8', 'q4'].includes(values.precision!))
    throw new Error(`--precision ${values.precision}: give q8, int8, uint8 or q4`);
  const filter = values.filter ? new RegExp(values.filter) : undefined;
  const dirs = findModels(values.corpus!).filter((d) => !filter || filter.test(path.basename(d)));
  const rows: Row[] = [];
  let runnable = 0;
  for (const dir of dirs) {
    const name = path.basename(dir);
    const source = readCase(dir);
    if (typeof source === 'string') continue;
    let reference: ort.Tensor;
    try {
      reference = await runModel(source.model, source.inputs);
    } catch {
      continue; // ONNX Runtime does not run the original: nothing of ours to count.
    }
    runnable++;
    rows.push(await tryQuantize(name, 'as-shipped', source.model, source.inputs, reference));
    const constant = weightsConstant(source);
    if (constant) rows.push(await tryQuantize(name, 'weights-constant', constant, source.inputs, reference));
  }

  console.log(
    `${dirs.length} models in ${values.corpus}; ONNX Runtime runs ${runnable} on their own test data`,
  );
  for (const mode of ['as-shipped', 'weights-constant'] as const) {
    const own = rows.filter((r) => r.mode === mode);
    const runs = own.filter((r) => r.outcome === 'quantized-runs');
    const fails = own.filter((r) => r.outcome === 'quantized-fails');
    const refused = own.filter((r) => r.outcome === 'refused');
    console.log(`\n${mode}: ${own.length} models`);
    console.log(`  quantized, loads and runs  ${runs.length}`);
    console.log(`  quantized but fails        ${fails.length}`);
    for (const r of fails) console.log(`    ${r.model}: ${r.reason}`);
    const byReason = new Map<string, number>();
    for (const r of refused)
      byReason.set(reasonKind(r.reason), (byReason.get(reasonKind(r.reason)) ?? 0) + 1);
    console.log(`  refused                    ${refused.length}`);
    for (const [reason, n] of [...byReason].sort((a, b) => b[1] - a[1])) console.log(`    ${n}  ${reason}`);
    const errors = runs.map((r) => r.relativeError).filter((e): e is number => e !== undefined);
    if (errors.length) {
      errors.sort((a, b) => a - b);
      const at = (q: number) => errors[Math.min(errors.length - 1, Math.floor(q * errors.length))]!;
      console.log(
        `  first output vs expected, max|Δ|/max|expected|: median ${at(0.5).toPrecision(2)}, p90 ${at(0.9).toPrecision(2)}, max ${at(1).toPrecision(2)}`,
      );
      for (const r of runs.filter((x) => (x.relativeError ?? 0) > 0.1))
        console.log(`    above 10 %: ${r.model} ${r.relativeError!.toPrecision(2)}`);
    }
  }
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify({ runnable, rows }, null, 2)}\n`);
}

await main();
