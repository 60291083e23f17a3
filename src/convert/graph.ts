/**
 * Graph walking and float tensor access shared by the converters: every graph of a model
 * (subgraphs of If, Loop and Scan included), op counts, and float32 initializer values.
 */
import {
  TensorDataType,
  toNumber,
  type GraphProto,
  type ModelProto,
  type TensorProto,
} from '../model/onnx-proto.js';
import { ConversionRefused } from './types.js';

/** The main graph, then every subgraph held in node attributes, depth first. */
export function allGraphs(graph: GraphProto): GraphProto[] {
  const graphs: GraphProto[] = [graph];
  for (const node of graph.node ?? [])
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) graphs.push(...allGraphs(attribute.g));
      for (const sub of attribute.graphs ?? []) graphs.push(...allGraphs(sub));
    }
  return graphs;
}

/** Nodes by op type (`domain:Op` outside the default domain), subgraphs included. */
export function countOps(model: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!model.graph) return counts;
  for (const graph of allGraphs(model.graph))
    for (const node of graph.node ?? []) {
      const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}:${node.opType}` : node.opType;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export function tensorDims(tensor: TensorProto): number[] {
  return (tensor.dims ?? []).map((d) => toNumber(d));
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** A float32 tensor's values, from raw_data or float_data; refuses data stored outside the file. */
export function readFloat32(tensor: TensorProto): Float32Array {
  if (tensor.dataType !== TensorDataType.FLOAT) throw new Error(`${tensor.name ?? 'tensor'} is not float32`);
  if (tensor.dataLocation === 1 || (tensor.externalData?.length ?? 0) > 0)
    throw new ConversionRefused(
      `${tensor.name ?? 'a tensor'} keeps its data in an external file, which the converter cannot read`,
    );
  const count = elementCount(tensorDims(tensor));
  if (tensor.rawData && tensor.rawData.length > 0) {
    if (tensor.rawData.length !== count * 4)
      throw new ConversionRefused(
        `${tensor.name ?? 'a tensor'} has ${tensor.rawData.length} bytes of data for ${count} float32 values`,
      );
    // Copy: raw_data may sit at an offset in the file's buffer that is not 4-byte aligned.
    const view = new DataView(tensor.rawData.buffer, tensor.rawData.byteOffset, tensor.rawData.byteLength);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
    return values;
  }
  return Float32Array.from(tensor.floatData ?? []);
}

/** Little-endian raw_data for a typed array (ONNX stores raw_data little-endian). */
export function rawBytes(
  values: Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array,
): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/**
 * A deep copy of a decoded message that shares its byte arrays (never mutated here): raw_data is
 * a view into the file's buffer, which structuredClone would copy once per tensor.
 */
export function cloneMessage<T>(value: T): T {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => cloneMessage(item)) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = cloneMessage(item);
  return copy as T;
}

/** Every tensor name a graph reads, its subgraphs included (outer-scope references too). */
export function namesRead(graph: GraphProto): Set<string> {
  const names = new Set<string>();
  for (const g of allGraphs(graph)) {
    for (const node of g.node ?? []) for (const input of node.input ?? []) if (input) names.add(input);
    for (const output of g.output ?? []) names.add(output.name);
  }
  return names;
}

/** Removes the initializers named in `replaced` (and their graph inputs) that nothing reads any more. */
export function dropUnreadInitializers(graph: GraphProto, replaced: ReadonlySet<string>): void {
  const stillRead = namesRead(graph);
  for (const g of allGraphs(graph)) {
    const removed = new Set(
      (g.initializer ?? [])
        .filter((t) => replaced.has(t.name ?? '') && !stillRead.has(t.name ?? ''))
        .map((t) => t.name),
    );
    if (removed.size === 0) continue;
    g.initializer = (g.initializer ?? []).filter((t) => !removed.has(t.name));
    if (g.input) g.input = g.input.filter((i) => !removed.has(i.name));
  }
}
