/**
 * The element type of every value in a model, found by propagating types forward from the graph
 * inputs, initializers and constants through each node's typing rule. ONNX Runtime does not expose
 * its type inference to JavaScript, and the fp16 conversion has to know which values are float32
 * (including those inside If, Loop and Scan bodies, which see the names of the graphs around them).
 */
import {
  AttributeType,
  TensorDataType,
  toNumber,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TypeProto,
} from '../model/onnx-proto.js';
import { ConversionRefused } from './types.js';

const { FLOAT, INT32, INT64, BOOL, UINT8, STRING } = TensorDataType;

export type ValueType =
  | { kind: 'tensor'; elemType: number }
  | { kind: 'sparse'; elemType: number }
  | { kind: 'sequence'; elem: ValueType }
  | { kind: 'optional'; elem: ValueType }
  | { kind: 'map'; keyType: number; value: ValueType };

export const tensorType = (elemType: number): ValueType => ({ kind: 'tensor', elemType });

/** A value type as text, `tensor(1)`, `seq(tensor(1))`: equal types give equal keys. */
export function typeKey(type: ValueType): string {
  switch (type.kind) {
    case 'tensor':
    case 'sparse':
      return `${type.kind}(${type.elemType})`;
    case 'sequence':
      return `seq(${typeKey(type.elem)})`;
    case 'optional':
      return `opt(${typeKey(type.elem)})`;
    case 'map':
      return `map(${type.keyType},${typeKey(type.value)})`;
  }
}

/** The same type with every element type `from` replaced by `to` (float32 → float16 inside sequences). */
export function mapElemType(type: ValueType, from: number, to: number): ValueType {
  switch (type.kind) {
    case 'tensor':
    case 'sparse':
      return type.elemType === from ? { ...type, elemType: to } : type;
    case 'sequence':
    case 'optional':
      return { ...type, elem: mapElemType(type.elem, from, to) };
    case 'map':
      return { ...type, value: mapElemType(type.value, from, to) };
  }
}

/** Whether any element type in the type is `elemType`. */
export function containsElemType(type: ValueType, elemType: number): boolean {
  return typeKey(type) !== typeKey(mapElemType(type, elemType, -1));
}

export function fromTypeProto(type: TypeProto | undefined): ValueType | undefined {
  if (!type) return undefined;
  if (type.tensorType) return type.tensorType.elemType ? tensorType(type.tensorType.elemType) : undefined;
  if (type.sparseTensorType?.elemType) return { kind: 'sparse', elemType: type.sparseTensorType.elemType };
  if (type.sequenceType) {
    const elem = fromTypeProto(type.sequenceType.elemType);
    return elem && { kind: 'sequence', elem };
  }
  if (type.optionalType) {
    const elem = fromTypeProto(type.optionalType.elemType);
    return elem && { kind: 'optional', elem };
  }
  if (type.mapType) {
    const value = fromTypeProto(type.mapType.valueType);
    return value && type.mapType.keyType ? { kind: 'map', keyType: type.mapType.keyType, value } : undefined;
  }
  return undefined;
}

/** Names visible in one graph: its own values, then those of the graphs around it. */
export class TypeScope {
  private readonly own = new Map<string, ValueType>();
  constructor(readonly parent?: TypeScope) {}
  get(name: string): ValueType | undefined {
    return this.own.get(name) ?? this.parent?.get(name);
  }
  set(name: string, type: ValueType): void {
    this.own.set(name, type);
  }
  has(name: string): boolean {
    return this.own.has(name) || (this.parent?.has(name) ?? false);
  }
  /** The scope that defines the name: this one or one around it. */
  owner(name: string): TypeScope | undefined {
    return this.own.has(name) ? this : this.parent?.owner(name);
  }
  ownNames(): IterableIterator<string> {
    return this.own.keys();
  }
}

export interface ModelTypes {
  /** The scope of each graph, the main one and every subgraph. */
  scopes: Map<GraphProto, TypeScope>;
}

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

function intAttribute(node: NodeProto, name: string): number | undefined {
  const a = attribute(node, name);
  return a ? toNumber(a.i) : undefined;
}

/** Cast's `to`: an element type number, or before opset 6 its name (`FLOAT16`) as a string. */
export function castTarget(node: NodeProto): number | undefined {
  const a = attribute(node, 'to');
  if (!a) return undefined;
  if (a.type === AttributeType.STRING || (a.s && a.s.length > 0)) {
    const name = new TextDecoder().decode(a.s).toUpperCase();
    return (TensorDataType as Record<string, number>)[name];
  }
  return toNumber(a.i);
}

/** What a node's rule needs beyond its inputs: how to type the bodies it holds. */
export interface RuleContext {
  /** Types the outputs of a subgraph held in attribute `name`, given the types of its inputs. */
  subgraphOutputs(name: string, inputTypes: (ValueType | undefined)[]): (ValueType | undefined)[];
}

const BOOL_OPS = new Set([
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'RegexFullMatch',
  'OptionalHasElement',
]);
const INT64_OPS = new Set([
  'Shape',
  'Size',
  'NonZero',
  'ArgMax',
  'ArgMin',
  'NonMaxSuppression',
  'SequenceLength',
]);
const STRING_OPS = new Set(['StringNormalizer', 'StringConcat']);

/** ONNX's ML operators (domain ai.onnx.ml): output types by operator. */
function mlOutputs(
  node: NodeProto,
  inputs: (ValueType | undefined)[],
): (ValueType | undefined)[] | undefined {
  const labels = () => tensorType(attribute(node, 'classlabels_strings')?.strings?.length ? STRING : INT64);
  switch (node.opType) {
    case 'ArrayFeatureExtractor':
    case 'Binarizer':
    case 'Imputer':
    case 'TreeEnsemble':
      return [inputs[0]];
    case 'FeatureVectorizer':
    case 'LinearRegressor':
    case 'Normalizer':
    case 'OneHotEncoder':
    case 'SVMRegressor':
    case 'Scaler':
    case 'TreeEnsembleRegressor':
      return [tensorType(FLOAT)];
    case 'LinearClassifier':
    case 'SVMClassifier':
    case 'TreeEnsembleClassifier':
      return [labels(), tensorType(FLOAT)];
    case 'CastMap': {
      const to = new TextDecoder().decode(attribute(node, 'cast_to')?.s ?? new Uint8Array());
      return [tensorType(to === 'TO_STRING' ? STRING : to === 'TO_INT64' ? INT64 : FLOAT)];
    }
    case 'CategoryMapper':
      return [tensorType(inputs[0]?.kind === 'tensor' && inputs[0].elemType === STRING ? INT64 : STRING)];
    case 'DictVectorizer': {
      const input = inputs[0];
      return [input?.kind === 'map' ? input.value : undefined];
    }
    case 'LabelEncoder': {
      const values = attribute(node, 'values_tensor')?.t?.dataType;
      if (values) return [tensorType(values)];
      if (attribute(node, 'values_strings') || attribute(node, 'default_string')) return [tensorType(STRING)];
      if (attribute(node, 'values_int64s')) return [tensorType(INT64)];
      if (attribute(node, 'values_floats')) return [tensorType(FLOAT)];
      return [tensorType(INT64)];
    }
    case 'ZipMap': {
      const key = attribute(node, 'classlabels_strings')?.strings?.length ? STRING : INT64;
      return [{ kind: 'sequence', elem: { kind: 'map', keyType: key, value: tensorType(FLOAT) } }];
    }
    default:
      return undefined;
  }
}

/** onnxruntime's contrib operators (domain com.microsoft) whose outputs all take the first input's type. */
const MICROSOFT_FIRST_INPUT = new Set([
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'RotaryEmbedding',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'SimplifiedLayerNormalization',
  'FastGelu',
  'BiasGelu',
  'Gelu',
  'QuickGelu',
  'BiasAdd',
  'BiasSplitGelu',
  'MatMulNBits',
  'FusedMatMul',
  'FusedConv',
  'NhwcConv',
  'GatherBlockQuantized',
]);

/** The type of a Constant's output, from whichever value attribute it holds. */
function constantType(node: NodeProto): ValueType | undefined {
  for (const a of node.attribute ?? []) {
    switch (a.name) {
      case 'value':
        return a.t?.dataType ? tensorType(a.t.dataType) : undefined;
      case 'sparse_value':
        return a.sparseTensor?.values?.dataType
          ? { kind: 'sparse', elemType: a.sparseTensor.values.dataType }
          : undefined;
      case 'value_float':
      case 'value_floats':
        return tensorType(FLOAT);
      case 'value_int':
      case 'value_ints':
        return tensorType(INT64);
      case 'value_string':
      case 'value_strings':
        return tensorType(STRING);
    }
  }
  return undefined;
}

const elementOf = (type: ValueType | undefined): ValueType | undefined =>
  type && (type.kind === 'sequence' || type.kind === 'optional') ? type.elem : type;

/**
 * The output types of one node from its input types, or undefined for an operator the rules do
 * not know (the caller falls back on the model's value_info or refuses).
 */
export function nodeOutputTypes(
  node: NodeProto,
  inputs: (ValueType | undefined)[],
  context: RuleContext,
): (ValueType | undefined)[] | undefined {
  const domain = node.domain ?? '';
  const outputs = node.output?.length ?? 0;
  const all = (type: ValueType | undefined) => Array.from({ length: outputs }, () => type);
  const first = inputs.find((t) => t !== undefined);
  if (domain === 'ai.onnx.ml') return mlOutputs(node, inputs);
  if (domain === 'com.microsoft') {
    if (MICROSOFT_FIRST_INPUT.has(node.opType)) return all(first);
    if (node.opType === 'EmbedLayerNormalization') return [inputs[2], tensorType(INT32), inputs[2]];
    return undefined;
  }
  if (domain !== '' && domain !== 'ai.onnx') return undefined;
  const op = node.opType;
  const dtypeOr = (fallback: ValueType | undefined, name = 'dtype') => {
    const dtype = intAttribute(node, name);
    return dtype ? tensorType(dtype) : fallback;
  };
  if (BOOL_OPS.has(op)) return all(tensorType(BOOL));
  if (INT64_OPS.has(op)) return all(tensorType(INT64));
  if (STRING_OPS.has(op)) return all(tensorType(STRING));
  switch (op) {
    case 'Cast': {
      const to = castTarget(node);
      return to ? [tensorType(to)] : undefined;
    }
    case 'CastLike':
      return [inputs[1]];
    case 'Constant':
      return [constantType(node)];
    case 'ConstantOfShape':
      return [tensorType(attribute(node, 'value')?.t?.dataType || FLOAT)];
    case 'EyeLike':
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'Bernoulli':
      return [dtypeOr(inputs[0])];
    case 'RandomNormal':
    case 'RandomUniform':
      return [dtypeOr(tensorType(FLOAT))];
    case 'Multinomial':
      return [dtypeOr(tensorType(INT32))];
    case 'HannWindow':
    case 'HammingWindow':
    case 'BlackmanWindow':
    case 'MelWeightMatrix':
      return [dtypeOr(tensorType(FLOAT), 'output_datatype')];
    case 'TopK':
    case 'MaxPool':
      return [inputs[0], tensorType(INT64)].slice(0, outputs);
    case 'Unique':
      return [inputs[0], tensorType(INT64), tensorType(INT64), tensorType(INT64)].slice(0, outputs);
    case 'Dropout':
      return [inputs[0], tensorType(BOOL)].slice(0, outputs);
    case 'StringSplit':
      return [tensorType(STRING), tensorType(INT64)].slice(0, outputs);
    case 'DynamicQuantizeLinear':
      return [tensorType(UINT8), tensorType(FLOAT), tensorType(UINT8)];
    case 'QuantizeLinear':
      return [dtypeOr(inputs[2] ?? tensorType(UINT8), 'output_dtype')];
    case 'DequantizeLinear':
      return [inputs[1]];
    case 'MatMulInteger':
    case 'ConvInteger':
      return [tensorType(INT32)];
    case 'QLinearMatMul':
    case 'QLinearConv':
      return [inputs[7]];
    case 'Where':
      return [inputs[1]];
    case 'OneHot':
      return [inputs[2]];
    case 'ImageDecoder':
      return [tensorType(UINT8)];
    case 'TfIdfVectorizer':
      return [tensorType(FLOAT)];
    case 'LayerNormalization': {
      const stash = tensorType(intAttribute(node, 'stash_type') || FLOAT);
      return [inputs[0], stash, stash].slice(0, outputs);
    }
    case 'BatchNormalization':
      return [inputs[0], inputs[3], inputs[4]].slice(0, outputs);
    case 'If': {
      const thenOut = context.subgraphOutputs('then_branch', []);
      const elseOut = context.subgraphOutputs('else_branch', []);
      return thenOut.map((t, i) => t ?? elseOut[i]);
    }
    case 'Loop': {
      const carried = inputs.slice(2);
      const body = context.subgraphOutputs('body', [tensorType(INT64), tensorType(BOOL), ...carried]);
      const nCarried = carried.length;
      // Loop outputs: the final carried values, then each scan output stacked (same element type).
      return body.slice(1, 1 + outputs).map((t, i) => (i < nCarried ? t : elementOf(t)));
    }
    case 'Scan': {
      return context.subgraphOutputs('body', inputs).slice(0, outputs);
    }
    case 'SequenceMap': {
      const bodyInputs = inputs.map((t, i) => (i === 0 || t?.kind === 'sequence' ? elementOf(t) : t));
      return context.subgraphOutputs('body', bodyInputs).map((t) => t && { kind: 'sequence', elem: t });
    }
    case 'SequenceEmpty':
      return [{ kind: 'sequence', elem: dtypeOr(tensorType(FLOAT))! }];
    case 'SequenceConstruct':
    case 'SplitToSequence':
      return [inputs[0] && { kind: 'sequence', elem: inputs[0] }];
    case 'SequenceAt':
    case 'ConcatFromSequence':
    case 'OptionalGetElement':
      return [elementOf(inputs[0])];
    case 'Optional': {
      const declared = fromTypeProto(attribute(node, 'type')?.tp);
      const elem = declared ?? inputs[0];
      return [elem && { kind: 'optional', elem }];
    }
    default:
      return all(first);
  }
}

/** The graph attribute of a node by name (then_branch, else_branch, body). */
export function graphAttribute(node: NodeProto, name: string): GraphProto | undefined {
  const a = attribute(node, name);
  return a && (a.type === AttributeType.GRAPH || a.g) ? a.g : undefined;
}

/** The declared type of a graph's output, from its own ValueInfo or the model's value_info. */
function declaredTypes(graph: GraphProto): Map<string, ValueType> {
  const declared = new Map<string, ValueType>();
  for (const info of [...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const type = fromTypeProto(info.type);
    if (type) declared.set(info.name, type);
  }
  return declared;
}

function describeOp(node: NodeProto): string {
  const domain = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}:` : '';
  return `${domain}${node.opType}${node.name ? ` (node ${node.name})` : ''}`;
}

/**
 * Types every value of one graph, in node order. Inputs of a subgraph that declare no type take
 * `inputFallback` (the types its node passes in). Throws ConversionRefused for a node whose output
 * types neither the rules nor the model's value_info give.
 */
export function inferGraphTypes(
  graph: GraphProto,
  parent: TypeScope | undefined,
  scopes: Map<GraphProto, TypeScope>,
  inputFallback: (ValueType | undefined)[] = [],
): TypeScope {
  const scope = new TypeScope(parent);
  scopes.set(graph, scope);
  for (const tensor of graph.initializer ?? [])
    if (tensor.name && tensor.dataType) scope.set(tensor.name, tensorType(tensor.dataType));
  for (const sparse of graph.sparseInitializer ?? []) {
    const values = sparse.values;
    if (values?.name && values.dataType)
      scope.set(values.name, { kind: 'sparse', elemType: values.dataType });
  }
  for (const [index, input] of (graph.input ?? []).entries()) {
    const type = fromTypeProto(input.type) ?? inputFallback[index];
    if (type) scope.set(input.name, type);
  }
  const declared = declaredTypes(graph);
  for (const node of graph.node ?? []) {
    const inputs = (node.input ?? []).map((name) => (name ? scope.get(name) : undefined));
    const context: RuleContext = {
      subgraphOutputs(name, inputTypes) {
        const body = graphAttribute(node, name);
        if (!body) return [];
        const bodyScope = inferGraphTypes(body, scope, scopes, inputTypes);
        return (body.output ?? []).map((o) => bodyScope.get(o.name) ?? fromTypeProto(o.type));
      },
    };
    const ruled = nodeOutputTypes(node, inputs, context);
    for (const [index, output] of (node.output ?? []).entries()) {
      if (!output) continue;
      const type = ruled?.[index] ?? declared.get(output);
      if (!type)
        throw new ConversionRefused(
          ruled
            ? `cannot tell the type of ${output}, output of ${describeOp(node)}: its inputs have no known type`
            : `does not know how to type the operator ${describeOp(node)}`,
        );
      scope.set(output, type);
    }
  }
  return scope;
}

/** Types every value of a model, subgraphs included. */
export function inferModelTypes(model: ModelProto): ModelTypes {
  const scopes = new Map<GraphProto, TypeScope>();
  if (model.graph) inferGraphTypes(model.graph, undefined, scopes);
  return { scopes };
}
