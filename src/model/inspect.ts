/** Reads an ONNX file's structure: signature, opsets, operators, parameters. */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, usageError } from '../errors.js';
import { readInputFile, type OpenInput } from '../util/read-input.js';
import { bitsPerElement, dtypeName } from './dtypes.js';
import {
  AttributeType,
  decodeModel,
  toNumber,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TypeProto,
  type ValueInfoProto,
} from './onnx-proto.js';

/** A fixed size, a named dynamic dim, or an unnamed dynamic dim (null). */
export type Dim = number | string | null;

export interface TensorInfo {
  name: string;
  /** 'tensor' for ordinary inputs; sequences, maps and optionals are listed but not synthesized. */
  kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'unknown';
  dtype: string;
  /** null when the model gives no shape at all. */
  shape: Dim[] | null;
}

/** One place a graph input is read: a node's op and which of the node's inputs it is. */
export interface InputUse {
  opType: string;
  /** Index among the node's inputs (Resize's scales is 2, Reshape's shape 1). */
  port: number;
  /** The node's inputs by name, '' where an optional one is left out. */
  nodeInputs: string[];
  /** Whether the node reads the graph input through a Cast. */
  viaCast: boolean;
  /** The node's `axis` attribute, where it has one (a Split's). */
  axis?: number;
}

export interface ModelInfo {
  path: string;
  fileName: string;
  fileSizeBytes: number;
  /** Bytes held in external data files beside the model (0 when all weights are inside). */
  externalDataBytes: number;
  sha256: string;
  irVersion: number;
  producer: { name: string; version: string };
  opsets: { domain: string; version: number }[];
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  nodeCount: number;
  /** Node count per operator (domain-qualified when not the default domain), most frequent first. */
  opCounts: Record<string, number>;
  parameterCount: number;
  parameterBytes: number;
  parameterCountByDtype: Record<string, number>;
  /** Vocabulary size per integer input that indexes an embedding table (read from the table). */
  embeddingVocab: Record<string, number>;
  /** Where each graph input is read (and past Cast and Identity, where their outputs are), in node order. */
  inputUses: Record<string, InputUse[]>;
  metadata: Record<string, string>;
}

/** Protobuf's limit on one message: a larger model keeps its weights in external data files. */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;

export interface ModelReadOptions {
  /** How files are opened (tests inject failures a root user never sees). */
  open?: OpenInput;
}

export async function readModelFile(
  modelPath: string,
  options: ModelReadOptions = {},
): Promise<{ bytes: Buffer; proto: ModelProto }> {
  const bytes = await readInputFile(modelPath, {
    what: 'an ONNX model',
    hint: 'check the path, or run `energy-score bench` with no model for the built-in demo',
    maxBytes: MAX_ONNX_BYTES,
    sizeHint:
      'an .onnx file holds at most 2 GiB (protobuf’s limit); export larger models with external data (the weights in files beside it)',
    open: options.open,
  });
  let proto: ModelProto;
  try {
    proto = decodeModel(bytes);
  } catch (err) {
    throw notOnnx(modelPath, errorMessage(err));
  }
  if (toNumber(proto.irVersion) <= 0 || !proto.graph) throw notOnnx(modelPath, 'no IR version or graph');
  return { bytes, proto };
}

function notOnnx(modelPath: string, detail: string) {
  return usageError(
    `${modelPath} is not an ONNX model (${detail})`,
    'export the model to ONNX first, for example with `optimum-cli export onnx`',
  );
}

export async function inspectModel(modelPath: string, options: ModelReadOptions = {}): Promise<ModelInfo> {
  const { bytes, proto } = await readModelFile(modelPath, options);
  const graph = proto.graph!;
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));

  const opCounts = new Map<string, number>();
  let nodeCount = 0;
  forEachNode(graph, (node) => {
    nodeCount++;
    const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
    opCounts.set(key, (opCounts.get(key) ?? 0) + 1);
  });

  let parameterCount = 0;
  let parameterBits = 0;
  const byDtype: Record<string, number> = {};
  const externalFiles = new Set<string>();
  for (const tensor of initializers.values()) {
    const count = (tensor.dims ?? []).reduce<number>((n, d) => n * toNumber(d), 1);
    const dtype = dtypeName(tensor.dataType ?? 0);
    parameterCount += count;
    parameterBits += count * bitsPerElement(dtype);
    byDtype[dtype] = (byDtype[dtype] ?? 0) + count;
    for (const entry of tensor.externalData ?? [])
      if (entry.key === 'location') externalFiles.add(entry.value);
  }

  let externalDataBytes = 0;
  for (const file of externalFiles) {
    externalDataBytes += await stat(path.join(path.dirname(modelPath), file)).then(
      (s) => s.size,
      () => 0,
    );
  }

  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(tensorInfo);
  return {
    path: modelPath,
    fileName: path.basename(modelPath),
    fileSizeBytes: bytes.length,
    externalDataBytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    irVersion: toNumber(proto.irVersion),
    producer: { name: proto.producerName ?? '', version: proto.producerVersion ?? '' },
    opsets: (proto.opsetImport ?? []).map((o) => ({
      domain: o.domain || 'ai.onnx',
      version: toNumber(o.version),
    })),
    inputs,
    outputs: (graph.output ?? []).map(tensorInfo),
    nodeCount,
    opCounts: Object.fromEntries([...opCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    parameterCount,
    parameterBytes: Math.ceil(parameterBits / 8),
    parameterCountByDtype: byDtype,
    embeddingVocab: findEmbeddingVocab(graph, new Set(inputs.map((i) => i.name))),
    inputUses: findInputUses(graph, inputs),
    metadata: Object.fromEntries((proto.metadataProps ?? []).map((p) => [p.key, p.value])),
  };
}

function forEachNode(graph: GraphProto, visit: (node: NodeProto) => void): void {
  for (const node of graph.node ?? []) {
    visit(node);
    for (const attr of node.attribute ?? []) if (attr.g) forEachNode(attr.g, visit);
  }
}

function tensorInfo(value: ValueInfoProto): TensorInfo {
  return { name: value.name, ...describeType(value.type) };
}

function describeType(type: TypeProto | undefined): Omit<TensorInfo, 'name'> {
  if (type?.tensorType) {
    const dims = type.tensorType.shape?.dim;
    return {
      kind: 'tensor',
      dtype: dtypeName(type.tensorType.elemType ?? 0),
      shape: dims
        ? dims.map((d) =>
            d.dimParam
              ? d.dimParam
              : d.dimValue !== undefined && d.dimValue !== null
                ? toNumber(d.dimValue)
                : null,
          )
        : null,
    };
  }
  if (type?.sequenceType) return { kind: 'sequence', dtype: 'sequence', shape: null };
  if (type?.mapType) return { kind: 'map', dtype: 'map', shape: null };
  if (type?.optionalType) return { kind: 'optional', dtype: 'optional', shape: null };
  return { kind: 'unknown', dtype: 'unknown', shape: null };
}

/** Ops that pass an index tensor or a weight table through without changing what it indexes. */
const PASS_THROUGH = new Set([
  'Cast',
  'Unsqueeze',
  'Reshape',
  'Squeeze',
  'Identity',
  'DequantizeLinear',
  'Flatten',
]);

/**
 * Finds Gather nodes whose indices come from a graph input and whose data is a 2-D initializer
 * (an embedding table, possibly quantized), and returns the table's row count per input.
 */
function findEmbeddingVocab(graph: GraphProto, inputNames: Set<string>): Record<string, number> {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producers.set(out, node);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));

  const traceBack = (name: string, accept: (n: string) => boolean): string | undefined => {
    let current = name;
    for (let hops = 0; hops < 8; hops++) {
      if (accept(current)) return current;
      const producer = producers.get(current);
      if (!producer || !PASS_THROUGH.has(producer.opType) || !producer.input?.[0]) return undefined;
      current = producer.input[0];
    }
    return undefined;
  };

  const vocab: Record<string, number> = {};
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Gather' || !node.input?.[0] || !node.input[1]) continue;
    const input = traceBack(node.input[1], (n) => inputNames.has(n));
    const table = traceBack(node.input[0], (n) => (initializers.get(n)?.dims?.length ?? 0) === 2);
    if (!input || !table) continue;
    const rows = toNumber(initializers.get(table)!.dims![0]);
    vocab[input] = Math.min(vocab[input] ?? Infinity, rows);
  }
  return vocab;
}

/** Ops whose output holds the same values as their input, so the next node reads the input's values. */
const SAME_VALUES = new Set(['Cast', 'Identity']);

/**
 * Which nodes read each graph input, and as which of their inputs, following Cast and Identity:
 * what decides the values an input may take (a Resize's scales, a Reshape's shape, a Log's domain).
 * Subgraphs (If, Loop) count too: they read the outer graph's inputs by name.
 */
function findInputUses(graph: GraphProto, inputs: TensorInfo[]): Record<string, InputUse[]> {
  const readers = new Map<string, { node: NodeProto; port: number }[]>();
  forEachNode(graph, (node) => {
    (node.input ?? []).forEach((name, port) => {
      if (!name) return;
      const list = readers.get(name) ?? [];
      list.push({ node, port });
      readers.set(name, list);
    });
  });
  const uses: Record<string, InputUse[]> = {};
  for (const input of inputs) {
    const found: InputUse[] = [];
    const seen = new Set<string>();
    const visit = (name: string, viaCast: boolean, depth: number) => {
      if (seen.has(name) || depth > 8) return;
      seen.add(name);
      for (const { node, port } of readers.get(name) ?? []) {
        const axis = node.attribute?.find((a) => a.name === 'axis' && a.type === AttributeType.INT);
        found.push({
          opType: node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType,
          port,
          nodeInputs: node.input ?? [],
          viaCast,
          ...(axis ? { axis: toNumber(axis.i) } : {}),
        });
        if (SAME_VALUES.has(node.opType) && !node.domain && node.output?.[0])
          visit(node.output[0], viaCast || node.opType === 'Cast', depth + 1);
      }
    };
    visit(input.name, false, 0);
    uses[input.name] = found;
  }
  return uses;
}

export function formatShape(shape: Dim[] | null): string {
  if (!shape) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
