/**
 * fp32 → fp16 conversion of an ONNX model, by the rules of onnxruntime's float16.py
 * (`convert_float_to_float16`, onnxruntime/python/tools/transformers): float32 values, value_info
 * and initializers become float16, clamped to ±65504 and away from zero at ±5.96e-8; operators
 * on the block list run in float32 behind Casts; graph inputs and outputs stay float32
 * (keep_io_types); Casts to float32 in converted nodes cast to float16; If, Loop and Scan bodies
 * are converted too. Where float16.py runs ONNX shape inference, this uses src/convert/value-types.ts.
 *
 * Casts are inserted where a consumer needs a value in the other type (once per value and type),
 * not around every blocked node, so two blocked nodes in a row share float32 values directly.
 */
import {
  AttributeType,
  TensorDataType,
  toNumber,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type TypeProto,
} from '../model/onnx-proto.js';
import { float32ToFloat16Bits } from '../util/float16.js';
import { allGraphs, countOps, rawBytes, readFloat32 } from './graph.js';
import { ConversionRefused, type Converted } from './types.js';
import {
  castTarget,
  containsElemType,
  fromTypeProto,
  inferModelTypes,
  mapElemType,
  nodeOutputTypes,
  tensorType,
  typeKey,
  type TypeScope,
  type ValueType,
} from './value-types.js';

const { FLOAT, FLOAT16 } = TensorDataType;

/** Bumped whenever the converter's output changes: part of the cache key of converted files. */
export const FP16_CONVERTER_VERSION = 'fp16-1';

/** onnxruntime float16.py's DEFAULT_OP_BLOCK_LIST: operators kept in float32. */
export const DEFAULT_OP_BLOCK_LIST: readonly string[] = [
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'CategoryMapper',
  'DictVectorizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'ZipMap',
  'NonMaxSuppression',
  'TopK',
  'RoiAlign',
  'Resize',
  'Range',
  'CumSum',
  'Min',
  'Max',
  'Upsample',
];

/**
 * Operators kept in float32 beyond float16.py's list, each found converting the ONNX backend
 * corpus (benchmarks/convert-corpus.ts): the quantization operators, whose scales must stay float32
 * before opset 19 (float16.py runs on models before they are quantized; this tool may be handed
 * one after); Celu and IsInf, whose ONNX schemas take no float16 at the opsets the corpus uses;
 * MeanVarianceNormalization, a function whose float32 constants clash with a float16 input.
 */
export const EXTRA_OP_BLOCK_LIST: readonly string[] = [
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'Celu',
  'IsInf',
  'MeanVarianceNormalization',
];

/** Scatters that add or multiply into their output: ONNX Runtime's CPU kernels do that in float32 only. */
const blockedByAttributes = (node: NodeProto): boolean =>
  (node.opType === 'ScatterND' || node.opType === 'ScatterElements') &&
  ['add', 'mul'].includes(new TextDecoder().decode(node.attribute?.find((a) => a.name === 'reduction')?.s));

export interface Float16Options {
  /** Graph inputs and outputs stay float32, with Casts inside (default true, as transformers.js does). */
  keepIoTypes?: boolean;
  /** Non-zero values nearer zero than this become ±this (default 5.96e-8, the smallest float16 subnormal). */
  minPositiveVal?: number;
  /** Finite values beyond this become ±this (default 65504, the largest float16). */
  maxFiniteVal?: number;
  /** Operator types kept in float32 (default DEFAULT_OP_BLOCK_LIST plus EXTRA_OP_BLOCK_LIST). */
  opBlockList?: readonly string[];
  /** Node names kept in float32. */
  nodeBlockList?: readonly string[];
}

/** float16.py's convert_np_to_float16: clamps into float16's range without changing sign or finiteness. */
export function clampForFloat16(value: number, minPositive: number, maxFinite: number): number {
  if (value > 0 && value < minPositive) return minPositive;
  if (value < 0 && value > -minPositive) return -minPositive;
  if (value > maxFinite && value < Infinity) return maxFinite;
  if (value < -maxFinite && value > -Infinity) return -maxFinite;
  return value;
}

/** A float32 tensor's data as float16, in place: float_data moves to int32_data as float16.py writes it. */
function convertTensor(tensor: TensorProto, minPositive: number, maxFinite: number): void {
  if (tensor.dataType !== FLOAT) return;
  const values = readFloat32(tensor);
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++)
    bits[i] = float32ToFloat16Bits(clampForFloat16(values[i]!, minPositive, maxFinite));
  if ((tensor.floatData?.length ?? 0) > 0) {
    tensor.int32Data = Array.from(bits);
    tensor.floatData = [];
  } else if (values.length > 0) {
    tensor.rawData = rawBytes(bits);
  }
  tensor.dataType = FLOAT16;
}

/** Rewrites float32 element types in a TypeProto (tensors and the tensors in sequences, optionals, maps). */
function retypeProto(type: TypeProto | undefined, from: number, to: number): void {
  if (!type) return;
  if (type.tensorType?.elemType === from) type.tensorType.elemType = to;
  retypeProto(type.sequenceType?.elemType, from, to);
  retypeProto(type.optionalType?.elemType, from, to);
  retypeProto(type.mapType?.valueType, from, to);
}

const containsFloat = (t: ValueType | undefined): boolean => t !== undefined && containsElemType(t, FLOAT);

const isFloatTensor = (t: ValueType | undefined): boolean =>
  t?.kind === 'tensor' && (t.elemType === FLOAT || t.elemType === FLOAT16);

function describeNode(node: NodeProto): string {
  return `${node.opType}${node.name ? ` (node ${node.name})` : ''}`;
}

/** The names already used in a model, so that inserted tensors and nodes never collide. */
class Names {
  private readonly used = new Set<string>();
  constructor(model: ModelProto) {
    for (const graph of model.graph ? allGraphs(model.graph) : []) {
      for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])])
        this.used.add(v.name);
      for (const t of graph.initializer ?? []) if (t.name) this.used.add(t.name);
      for (const n of graph.node ?? []) {
        if (n.name) this.used.add(n.name);
        for (const o of n.output ?? []) this.used.add(o);
      }
    }
  }
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** One graph being converted: the names that hold each original value in each type, and its new nodes. */
class GraphState {
  /** Original value name → type key → the name holding that value in that type. */
  private readonly versions = new Map<string, Map<string, string>>();
  /** Actual name → its type after conversion. */
  private readonly types = new Map<string, ValueType>();
  readonly nodes: NodeProto[] = [];
  castsInserted = 0;

  /** Names float16.py gives the Casts of graph inputs (`graph_input_cast_<i>`), by input. */
  readonly castNames = new Map<string, string>();

  constructor(
    readonly names: Names,
    readonly parent?: GraphState,
  ) {}

  define(original: string, actual: string, type: ValueType): void {
    let byType = this.versions.get(original);
    if (!byType) this.versions.set(original, (byType = new Map()));
    byType.set(typeKey(type), actual);
    this.types.set(actual, type);
  }

  typeOf(actual: string): ValueType | undefined {
    return this.types.get(actual) ?? this.parent?.typeOf(actual);
  }

  private lookup(original: string, key: string): string | undefined {
    return this.versions.get(original)?.get(key) ?? this.parent?.lookup(original, key);
  }

  private ownerOf(original: string): GraphState | undefined {
    return this.versions.has(original) ? this : this.parent?.ownerOf(original);
  }

  private anyVersion(original: string): string[] {
    const own = [...(this.versions.get(original)?.values() ?? [])];
    return own.length > 0 ? own : (this.parent?.anyVersion(original) ?? []);
  }

  /** The name holding `original` as `wanted`, adding a Cast here when no graph in scope has one. */
  request(original: string, wanted: ValueType, castName: string): string {
    const found = this.lookup(original, typeKey(wanted));
    if (found !== undefined) return found;
    const versions = this.anyVersion(original);
    if (versions.length === 0) return original; // not a value the conversion typed: left as it is
    const source = versions.find((v) => isFloatTensor(this.typeOf(v)));
    if (!source || !isFloatTensor(wanted))
      throw new ConversionRefused(
        `${original} is needed as ${typeKey(wanted)} but is ${versions.map((v) => typeKey(this.typeOf(v) ?? tensorType(0))).join(', ')}, which a Cast cannot change`,
      );
    const to = (wanted as { elemType: number }).elemType;
    // The Cast goes in the graph that holds the value (its node there is still being converted,
    // so the Cast lands before it): If branches reading the same outer value share one Cast.
    const owner = this.ownerOf(original) ?? this;
    const base = owner.castNames.get(original) ?? castName;
    const output = this.names.fresh(base);
    owner.nodes.push(castNode(source, output, to, this.names.fresh(base.replace(/_(\d+)$/, '$1'))));
    owner.castsInserted++;
    owner.define(original, output, wanted);
    return output;
  }
}

function castNode(input: string, output: string, to: number, name: string): NodeProto {
  const attribute: AttributeProto = { name: 'to', type: AttributeType.INT, i: to };
  return { input: [input], output: [output], name, opType: 'Cast', domain: '', attribute: [attribute] };
}

interface Settings {
  keepIoTypes: boolean;
  minPositive: number;
  maxFinite: number;
  blockedOps: Set<string>;
  blockedNodes: Set<string>;
}

interface Tally {
  blocked: Map<string, number>;
  initializersKeptFp32: number;
  initializersConverted: number;
  casts: number;
}

const isBlocked = (node: NodeProto, s: Settings) =>
  s.blockedOps.has(node.opType) ||
  (!!node.name && s.blockedNodes.has(node.name)) ||
  blockedByAttributes(node);

/**
 * How each float32 initializer is used: by nodes that run in float16 or in float32, subgraphs
 * included (an outer initializer read inside an If branch counts for the branch's node).
 */
function initializerUses(
  graph: GraphProto,
  scopes: Map<GraphProto, TypeScope>,
  settings: Settings,
  uses: Map<TypeScope, Map<string, { fp16: number; fp32: number }>>,
): void {
  const scope = scopes.get(graph)!;
  for (const node of graph.node ?? []) {
    const blocked = isBlocked(node, settings);
    for (const input of node.input ?? []) {
      if (!input) continue;
      const owner = scope.owner(input);
      const perScope = owner && uses.get(owner);
      const use = perScope?.get(input);
      if (!use) continue;
      if (blocked) use.fp32++;
      else use.fp16++;
    }
    if (!blocked)
      for (const a of node.attribute ?? []) {
        for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])])
          initializerUses(g, scopes, settings, uses);
      }
  }
}

/** Attribute tensors of a converted node to float16; Constant's value_float(s) as float16 tensors. */
function convertAttributes(node: NodeProto, s: Settings): void {
  const attributes = node.attribute ?? [];
  if (node.opType === 'Cast' && castTarget(node) === FLOAT) {
    const to = attributes.find((a) => a.name === 'to')!;
    if (to.type === AttributeType.STRING || (to.s && to.s.length > 0))
      to.s = new TextEncoder().encode('FLOAT16');
    else to.i = FLOAT16;
  }
  if (node.opType === 'SequenceEmpty') {
    // The default element type is float32; a float16 one keeps the sequence in float16.
    const dtype = attributes.find((a) => a.name === 'dtype');
    if (!dtype) node.attribute = [...attributes, { name: 'dtype', type: AttributeType.INT, i: FLOAT16 }];
    else if (toNumber(dtype.i) === FLOAT) dtype.i = FLOAT16;
  }
  if (node.opType === 'ConstantOfShape' && !attributes.some((a) => a.name === 'value')) {
    // The default fill is a float32 zero; a float16 one keeps the output in float16.
    node.attribute = [
      ...attributes,
      {
        name: 'value',
        type: AttributeType.TENSOR,
        t: { dims: [1], dataType: FLOAT16, rawData: new Uint8Array(2) },
      },
    ];
  }
  for (const [index, a] of (node.attribute ?? []).entries()) {
    if (a.t) convertTensor(a.t, s.minPositive, s.maxFinite);
    for (const t of a.tensors ?? []) convertTensor(t, s.minPositive, s.maxFinite);
    if (node.opType === 'Constant' && (a.name === 'value_float' || a.name === 'value_floats')) {
      const values = a.name === 'value_float' ? [a.f ?? 0] : (a.floats ?? []);
      const t: TensorProto = {
        dims: a.name === 'value_float' ? [] : [values.length],
        dataType: FLOAT,
        floatData: values,
      };
      convertTensor(t, s.minPositive, s.maxFinite);
      node.attribute![index] = { name: 'value', type: AttributeType.TENSOR, t } satisfies AttributeProto;
    }
  }
}

function convertGraph(
  graph: GraphProto,
  state: GraphState,
  scopes: Map<GraphProto, TypeScope>,
  settings: Settings,
  tally: Tally,
  topLevel: boolean,
  uses: Map<TypeScope, Map<string, { fp16: number; fp32: number }>>,
): void {
  const original = scopes.get(graph);
  if (!original) throw new ConversionRefused(`a subgraph (${graph.name ?? 'unnamed'}) could not be typed`);
  const toHalf = (t: ValueType) => mapElemType(t, FLOAT, FLOAT16);

  // Initializers: float16 where a float16 node reads them, float32 where only float32 nodes do
  // (float16.py's InitializerTracker); a top-level output or an overridable input keeps its type.
  const inputNames = new Set((graph.input ?? []).map((i) => i.name));
  const outputNames = new Set((graph.output ?? []).map((o) => o.name));
  const perScope = uses.get(original);
  for (const tensor of graph.initializer ?? []) {
    if (!tensor.name || !tensor.dataType) continue;
    const use = perScope?.get(tensor.name);
    const pinned = topLevel && (outputNames.has(tensor.name) || inputNames.has(tensor.name));
    if (tensor.dataType === FLOAT && use && use.fp16 > 0 && !pinned) {
      convertTensor(tensor, settings.minPositive, settings.maxFinite);
      tally.initializersConverted++;
    } else if (tensor.dataType === FLOAT) tally.initializersKeptFp32++;
    state.define(tensor.name, tensor.name, tensorType(tensor.dataType));
  }
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  for (const [index, input] of (graph.input ?? []).entries()) {
    if (initializerNames.has(input.name)) {
      // An initializer listed as an input (its default value) shares the input's declared type.
      const t = state.typeOf(input.name);
      if (t?.kind === 'tensor' && t.elemType === FLOAT16) retypeProto(input.type, FLOAT, FLOAT16);
      continue;
    }
    const type = original.get(input.name);
    if (!type) continue;
    const keep = topLevel && settings.keepIoTypes;
    if (keep) state.castNames.set(input.name, `graph_input_cast_${index}`);
    else retypeProto(input.type, FLOAT, FLOAT16);
    state.define(input.name, input.name, keep ? type : toHalf(type));
  }
  if (topLevel && !settings.keepIoTypes)
    for (const o of graph.output ?? []) retypeProto(o.type, FLOAT, FLOAT16);

  const outputTarget = new Map<string, { index: number; type: ValueType }>();
  if (topLevel)
    for (const [index, output] of (graph.output ?? []).entries()) {
      const type = original.get(output.name);
      if (type) outputTarget.set(output.name, { index, type: settings.keepIoTypes ? type : toHalf(type) });
    }

  for (const node of graph.node ?? []) {
    const blocked = isBlocked(node, settings);
    const label = node.name || node.opType;
    const hasSubgraphs = (node.attribute ?? []).some((a) => a.g || (a.graphs?.length ?? 0) > 0);
    if (blocked && hasSubgraphs)
      throw new ConversionRefused(`${describeNode(node)} is kept in float32 but holds subgraphs`);
    const inputs = node.input ?? [];
    for (const [i, name] of inputs.entries()) {
      if (!name) continue;
      const type = original.get(name);
      if (!type) continue;
      const wanted = blocked ? type : toHalf(type);
      inputs[i] = state.request(name, wanted, `${label}_input_cast_${i}`);
    }
    const converted = new Map<string, (ValueType | undefined)[]>();
    if (!blocked) {
      convertAttributes(node, settings);
      for (const a of node.attribute ?? []) {
        const bodies = [...(a.g ? [a.g] : []), ...(a.graphs ?? [])];
        for (const body of bodies) {
          const bodyState = new GraphState(state.names, state);
          convertGraph(body, bodyState, scopes, settings, tally, false, uses);
          converted.set(
            a.name,
            (body.output ?? []).map((o) => bodyState.typeOf(o.name)),
          );
          body.node = bodyState.nodes;
          tally.casts += bodyState.castsInserted;
        }
      }
    } else if ([...inputs, ...(node.output ?? [])].some((n) => n && containsFloat(original.get(n))))
      // Counted where the node touches float values: an int64 Range is not kept in float32.
      tally.blocked.set(node.opType, (tally.blocked.get(node.opType) ?? 0) + 1);
    const inputTypes = inputs.map((n) => (n ? state.typeOf(n) : undefined));
    const ruled = nodeOutputTypes(node, inputTypes, {
      subgraphOutputs: (name) => converted.get(name) ?? [],
    });
    state.nodes.push(node);
    const outputs = node.output ?? [];
    for (const [j, name] of outputs.entries()) {
      if (!name) continue;
      const before = original.get(name);
      const type = ruled?.[j] ?? (before && (blocked ? before : toHalf(before)));
      if (!type)
        throw new ConversionRefused(`cannot tell the type of ${name} after converting ${describeNode(node)}`);
      const target = outputTarget.get(name);
      if (target && typeKey(target.type) !== typeKey(type)) {
        if (!isFloatTensor(type) || !isFloatTensor(target.type))
          throw new ConversionRefused(`the graph output ${name} would change type (${typeKey(type)})`);
        // The producer writes a renamed value and a Cast gives the output its declared type.
        const renamed = state.names.fresh(`graph_output_cast_${target.index}`);
        outputs[j] = renamed;
        state.define(name, renamed, type);
        const to = (target.type as { elemType: number }).elemType;
        state.nodes.push(castNode(renamed, name, to, state.names.fresh(`graph_output_cast${target.index}`)));
        state.castsInserted++;
        state.define(name, name, target.type);
      } else state.define(name, name, type);
    }
  }

  if (!topLevel)
    for (const output of graph.output ?? []) {
      const type = original.get(output.name) ?? fromTypeProto(output.type);
      if (!type) continue;
      // Subgraph outputs bind by position, so the output may name whichever value holds it in float16.
      output.name = state.request(output.name, toHalf(type), `${output.name}_output_cast_0`);
      retypeProto(output.type, FLOAT, FLOAT16);
    }
  for (const info of graph.valueInfo ?? []) {
    const type = state.typeOf(info.name);
    if (type && containsElemType(type, FLOAT16)) retypeProto(info.type, FLOAT, FLOAT16);
  }
}

/** Names read by nodes of a graph and the graphs inside it. */
function readNames(graph: GraphProto, into: Map<string, number>): void {
  for (const node of graph.node ?? []) {
    for (const input of node.input ?? []) if (input) into.set(input, (into.get(input) ?? 0) + 1);
    for (const a of node.attribute ?? [])
      for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) {
        readNames(g, into);
        for (const o of g.output ?? []) into.set(o.name, (into.get(o.name) ?? 0) + 1);
      }
  }
}

function renameReads(graph: GraphProto, from: string, to: string): void {
  for (const node of graph.node ?? []) {
    const inputs = node.input ?? [];
    for (const [i, input] of inputs.entries()) if (input === from) inputs[i] = to;
    for (const a of node.attribute ?? [])
      for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) {
        renameReads(g, from, to);
        for (const o of g.output ?? []) if (o.name === from) o.name = to;
      }
  }
}

/**
 * Drops Casts that give back what was cast (float16 → float32 → float16, float32 → float16 →
 * float32, as onnxconverter-common's remove_unnecessary_cast_node does) and Casts to the type a
 * value already has. Returns how many were removed.
 */
function removeRedundantCasts(graph: GraphProto, typeOf: (name: string) => ValueType | undefined): number {
  let removed = 0;
  for (let changed = true; changed;) {
    changed = false;
    const nodes = graph.node ?? [];
    const producers = new Map<string, NodeProto>();
    for (const n of nodes) for (const o of n.output ?? []) producers.set(o, n);
    const outputs = new Set((graph.output ?? []).map((o) => o.name));
    for (const node of nodes) {
      if (node.opType !== 'Cast' || (node.domain ?? '') !== '') continue;
      const input = node.input?.[0];
      const output = node.output?.[0];
      if (!input || !output || outputs.has(output)) continue;
      const to = castTarget(node) ?? 0;
      const inputType = typeOf(input);
      let source: string | undefined;
      // Only float Casts: others are the model's own, which the conversion leaves as they are.
      if (inputType?.kind === 'tensor' && inputType.elemType === to && (to === FLOAT || to === FLOAT16))
        source = input;
      const before = producers.get(input);
      if (!source && before?.opType === 'Cast' && (before.domain ?? '') === '' && before.input?.[0]) {
        const origin = typeOf(before.input[0]);
        const via = castTarget(before) ?? 0;
        const floats: number[] = [FLOAT, FLOAT16];
        if (
          origin?.kind === 'tensor' &&
          origin.elemType === to &&
          floats.includes(to) &&
          floats.includes(via)
        )
          source = before.input[0];
      }
      if (!source) continue;
      renameReads(graph, output, source);
      graph.node = nodes.filter((n) => n !== node);
      removed++;
      changed = true;
      break;
    }
    // A float Cast nothing reads any more goes too.
    const reads = new Map<string, number>();
    readNames(graph, reads);
    for (const o of graph.output ?? []) reads.set(o.name, 1);
    const floatCast = (n: NodeProto) =>
      n.opType === 'Cast' && [FLOAT, FLOAT16].some((t) => t === castTarget(n));
    const kept = (graph.node ?? []).filter(
      (n) => !floatCast(n) || (n.output ?? []).some((o) => reads.has(o)),
    );
    if (kept.length !== (graph.node ?? []).length) {
      removed += (graph.node ?? []).length - kept.length;
      graph.node = kept;
      changed = true;
    }
  }
  return removed;
}

/** The model refuses conversion for things the converter would lose or cannot read. */
function refuseUnsupported(model: ModelProto): void {
  if ((model.functions?.length ?? 0) > 0)
    throw new ConversionRefused(
      `the model defines local functions (${model.functions!.map((f) => f.name).join(', ')}), which the converter does not rewrite`,
    );
  if ((model.trainingInfo?.length ?? 0) > 0)
    throw new ConversionRefused('the model holds training information, which the converter does not rewrite');
  if (!model.graph) throw new ConversionRefused('the model has no graph');
  const opset = toNumber(model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  if (opset > 0 && opset < 6)
    // Cast took its type as a string before opset 6, and ONNX Runtime cannot type such a Cast.
    throw new ConversionRefused(
      `the model's opset ${opset} is below 6, whose Cast the converter cannot insert`,
    );
  for (const graph of allGraphs(model.graph)) {
    if ((graph.sparseInitializer?.length ?? 0) > 0)
      throw new ConversionRefused('the model has sparse initializers, which the converter does not convert');
    const tensors = [
      ...(graph.initializer ?? []),
      ...(graph.node ?? []).flatMap((n) =>
        (n.attribute ?? []).flatMap((a) => [...(a.t ? [a.t] : []), ...(a.tensors ?? [])]),
      ),
    ];
    const external = tensors.find((t) => t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0);
    if (external)
      throw new ConversionRefused(
        `${external.name || 'a tensor'} keeps its data in an external file, which the converter cannot read`,
      );
  }
}

/** Counts values by element type over every scope, to refuse models already in float16 or without float32. */
function floatCounts(scopes: Map<GraphProto, TypeScope>): { fp32: number; fp16: string[] } {
  let fp32 = 0;
  const fp16: string[] = [];
  for (const scope of scopes.values())
    for (const name of scope.ownNames()) {
      const type = scope.get(name)!;
      if (containsElemType(type, FLOAT16)) fp16.push(name);
      if (containsElemType(type, FLOAT)) fp32++;
    }
  return { fp32, fp16 };
}

export function convertToFloat16(input: ModelProto, options: Float16Options = {}): Converted {
  // The caller's model stays as it was: the conversion works on a copy.
  const model = structuredClone(input) as ModelProto;
  refuseUnsupported(model);
  const settings: Settings = {
    keepIoTypes: options.keepIoTypes ?? true,
    minPositive: options.minPositiveVal ?? 5.96e-8,
    maxFinite: options.maxFiniteVal ?? 65504,
    blockedOps: new Set(options.opBlockList ?? [...DEFAULT_OP_BLOCK_LIST, ...EXTRA_OP_BLOCK_LIST]),
    blockedNodes: new Set(options.nodeBlockList ?? []),
  };
  if (settings.minPositive < 5.96e-8 || settings.maxFinite > 65504)
    throw new RangeError('minPositiveVal must be at least 5.96e-8 and maxFiniteVal at most 65504');
  const opCountsBefore = countOps(model);
  const { scopes } = inferModelTypes(model);
  const counts = floatCounts(scopes);
  if (counts.fp16.length > 0)
    throw new ConversionRefused(
      `the model already holds float16 values (${counts.fp16.length}, such as ${counts.fp16[0]}); use its own fp16 file`,
    );
  if (counts.fp32 === 0) throw new ConversionRefused('the model has no float32 values to convert');

  const uses = new Map<TypeScope, Map<string, { fp16: number; fp32: number }>>();
  for (const graph of allGraphs(model.graph!)) {
    const scope = scopes.get(graph);
    if (!scope) continue;
    const perScope = new Map<string, { fp16: number; fp32: number }>();
    for (const t of graph.initializer ?? [])
      if (t.name && t.dataType === FLOAT) perScope.set(t.name, { fp16: 0, fp32: 0 });
    uses.set(scope, perScope);
  }
  initializerUses(model.graph!, scopes, settings, uses);

  const tally: Tally = { blocked: new Map(), initializersKeptFp32: 0, initializersConverted: 0, casts: 0 };
  const state = new GraphState(new Names(model));
  convertGraph(model.graph!, state, scopes, settings, tally, true, uses);
  model.graph!.node = state.nodes;
  tally.casts += state.castsInserted;

  // Types after conversion, for the Cast clean-up: every graph's values by actual name.
  const after = inferModelTypes(model).scopes;
  let castsRemoved = 0;
  for (const graph of allGraphs(model.graph!)) {
    const scope = after.get(graph);
    castsRemoved += removeRedundantCasts(graph, (name) => scope?.get(name));
  }

  const blocked = [...tally.blocked.entries()].map(([op, n]) => `${n} ${op}`).join(', ');
  const recipe = [
    'fp16: onnxruntime float16.py rules (convert_float_to_float16)',
    `keep_io_types ${settings.keepIoTypes}`,
    `values clamped to ±${settings.maxFinite} and away from zero at ±${settings.minPositive}`,
    `kept in float32: ${blocked || 'no operators'}` +
      (tally.initializersKeptFp32 > 0
        ? ` and ${tally.initializersKeptFp32} initializers read only by them`
        : ''),
    `${tally.initializersConverted} initializers to float16`,
    `${tally.casts - castsRemoved} Casts added`,
  ].join('; ');
  return {
    model,
    report: {
      recipe,
      converterVersion: FP16_CONVERTER_VERSION,
      opCountsBefore,
      opCountsAfter: countOps(model),
    },
  };
}
