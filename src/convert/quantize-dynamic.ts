/**
 * Dynamic int8 quantization of an ONNX model, following onnxruntime's `quantize_dynamic` with its
 * defaults (QuantizationMode.IntegerOps, MatMulConstBOnly, per-tensor weights, no reduce_range) and
 * `EnableSubgraph` on, as transformers.js's quantize script sets it:
 *
 * - Gemm (alpha = beta = 1, no transA) is first rewritten as MatMul (+ Add), as ORT does for
 *   dynamic quantization; a transB weight is transposed in place.
 * - MatMul with a constant float32 B → DynamicQuantizeLinear(A) + MatMulInteger + Cast + two Muls.
 * - Conv with constant float32 weights → DynamicQuantizeLinear(X) + ConvInteger + Cast + Muls
 *   (+ Reshape and Add for the bias).
 * - Gather of a float32 table → Gather on the uint8 table, DequantizeLinear behind it; Transpose
 *   of such a quantized value passes the 8-bit tensor through (ORT's Direct8BitOp).
 *
 * Tensor and node names are the ones ORT writes (`W_quantized`, `W_scale`, `W_zero_point`,
 * `A_QuantizeLinear`, `<out>_output_quantized`, `<node>_quant`, ...), so a converted model reads
 * like one made with the Python tool.
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
} from '../model/onnx-proto.js';
import {
  allGraphs,
  cloneMessage,
  countOps,
  dropUnreadInitializers,
  rawBytes,
  readFloat32,
  tensorDims,
} from './graph.js';
import { ConversionRefused, type Converted } from './types.js';

export interface QuantizeOptions {
  /** `auto`: uint8 weights where the graph has Conv (transformers.js's q8), int8 otherwise. */
  weightType: 'int8' | 'uint8' | 'auto';
}

export const QUANTIZE_DYNAMIC_VERSION = 'quantize-dynamic-1';

/** The lowest default-domain opset with DynamicQuantizeLinear. */
export const MIN_QUANTIZE_OPSET = 11;

/** Ops whose presence makes transformers.js's q8 choose uint8 weights. */
const QUINT8_OPS = new Set(['Conv', 'GroupQueryAttention', 'MultiHeadAttention']);

/** Ops that mark a model as quantized already. */
const QUANTIZED_OPS = new Set([
  'DynamicQuantizeLinear',
  'QuantizeLinear',
  'DequantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'com.microsoft:MatMulNBits',
  'com.microsoft:MatMulBnb4',
  'com.microsoft:DynamicQuantizeMatMul',
  'com.microsoft:QAttention',
  'com.microsoft:QGemm',
  'com.microsoft:DynamicQuantizeLSTM',
]);

// ---------------------------------------------------------------------------------------------
// Weight math (quant_utils.compute_scale_zp and quantize_nparray)
// ---------------------------------------------------------------------------------------------

export type QuantType = 'int8' | 'uint8';

export interface QuantizedValues {
  values: Int8Array | Uint8Array;
  /** float32-representable. */
  scale: number;
  zeroPoint: number;
}

const FLOAT32_TINY = 1.1754943508222875e-38;

/** numpy.round: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Per-tensor linear quantization as ORT's quantize_data does it. The range always includes 0.
 * Symmetric: int8 over [−127, 127] with zero point 0 (uint8: zero point 128); asymmetric:
 * scale = (max − min)/(qmax − qmin), zero point = round(qmin − min/scale). Values are
 * round(x/scale) + zero point, half to even, clipped to [−127, 127] or [0, 255].
 */
export function quantizeValues(values: Float32Array, type: QuantType, symmetric: boolean): QuantizedValues {
  let rmin = 0;
  let rmax = 0;
  for (const v of values) {
    if (!Number.isFinite(v))
      throw new ConversionRefused('a weight holds NaN or infinite values, which cannot be quantized');
    if (v < rmin) rmin = v;
    if (v > rmax) rmax = v;
  }
  if (symmetric) {
    const absMax = Math.max(-rmin, rmax);
    rmin = -absMax;
    rmax = absMax;
  }
  const [qmin, qmax] = type === 'int8' ? (symmetric ? [-127, 127] : [-128, 127]) : [0, 255];
  // numpy computes rmax − rmin in float32, then the ratio in float64.
  const scale64 = Math.fround(rmax - rmin) / (qmax - qmin);
  let scale: number;
  let zeroPoint: number;
  if (scale64 < FLOAT32_TINY) {
    scale = 1;
    zeroPoint = 0;
  } else {
    zeroPoint = symmetric ? roundHalfEven((qmin + qmax) / 2) : roundHalfEven(qmin - rmin / scale64);
    scale = Math.fround(scale64);
  }
  // quantize_nparray clips to the symmetric range of the type: [−127, 127] for int8.
  const [low, high] = type === 'int8' ? [-127, 127] : [0, 255];
  const out = type === 'int8' ? new Int8Array(values.length) : new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfEven(Math.fround(values[i]! / scale)) + zeroPoint;
    out[i] = Math.min(high, Math.max(low, q));
  }
  return { values: out, scale, zeroPoint };
}

// ---------------------------------------------------------------------------------------------
// Graph helpers
// ---------------------------------------------------------------------------------------------

function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute ? toNumber(attribute.i) : fallback;
}

function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute?.f ?? fallback;
}

function hasSubgraph(node: NodeProto): boolean {
  return (node.attribute ?? []).some((a) => a.g || (a.graphs?.length ?? 0) > 0);
}

function floatTensor(name: string, values: number[]): TensorProto {
  return { name, dataType: TensorDataType.FLOAT, dims: [], rawData: rawBytes(Float32Array.from(values)) };
}

function mul(inputs: string[], output: string, name: string): NodeProto {
  return { opType: 'Mul', input: inputs, output: [output], name };
}

/**
 * Gemm → MatMul (+ Add) where alpha = beta = 1 and transA = 0, as ORT's
 * ONNXModel.replace_gemm_with_matmul does before dynamic quantization. A transB weight that is an
 * initializer is transposed in place (a copy under a new name when something else reads it);
 * otherwise a Transpose node is inserted.
 */
function replaceGemmWithMatMul(
  graph: GraphProto,
  scope: GraphProto[],
  readers: Map<string, number>,
  fromGemm: Set<string>,
): number {
  let replaced = 0;
  const nodes: NodeProto[] = [];
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) replaced += replaceGemmWithMatMul(attribute.g, [...scope, graph], readers, fromGemm);
      for (const sub of attribute.graphs ?? [])
        replaced += replaceGemmWithMatMul(sub, [...scope, graph], readers, fromGemm);
    }
    const inputs = node.input ?? [];
    const convertible =
      node.opType === 'Gemm' &&
      isDefaultDomain(node) &&
      floatAttribute(node, 'alpha', 1) === 1 &&
      floatAttribute(node, 'beta', 1) === 1 &&
      intAttribute(node, 'transA', 0) === 0 &&
      inputs.length >= 2;
    if (!convertible) {
      nodes.push(node);
      continue;
    }
    const output = node.output?.[0] ?? '';
    let b = inputs[1]!;
    if (intAttribute(node, 'transB', 0) === 1) {
      const found = findInitializer([...scope, graph], b);
      if (found && found.tensor.dataType === TensorDataType.FLOAT && tensorDims(found.tensor).length === 2) {
        const [rows, cols] = tensorDims(found.tensor) as [number, number];
        const values = readFloat32(found.tensor);
        const transposed = new Float32Array(values.length);
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < cols; c++) transposed[c * rows + r] = values[r * cols + c]!;
        const tensor: TensorProto = {
          name: b,
          dataType: TensorDataType.FLOAT,
          dims: [cols, rows],
          rawData: rawBytes(transposed),
        };
        if ((readers.get(b) ?? 0) > 1) {
          tensor.name = `${b}_transposed`;
          found.graph.initializer!.push(tensor);
          b = tensor.name;
        } else {
          found.graph.initializer![found.graph.initializer!.indexOf(found.tensor)] = tensor;
          if (found.graph.input) found.graph.input = found.graph.input.filter((i) => i.name !== b);
        }
      } else {
        const transposedName = `${b}_Transposed`;
        nodes.push({
          opType: 'Transpose',
          input: [b],
          output: [transposedName],
          name: node.name ? `${node.name}_Transpose` : '',
        });
        b = transposedName;
      }
    }
    const hasBias = inputs.length > 2 && inputs[2] !== '';
    fromGemm.add(hasBias ? `${output}_MatMul` : output);
    nodes.push({
      opType: 'MatMul',
      input: [inputs[0]!, b],
      output: [hasBias ? `${output}_MatMul` : output],
      name: node.name ? `${node.name}_MatMul` : '',
    });
    if (hasBias)
      nodes.push({
        opType: 'Add',
        input: [`${output}_MatMul`, inputs[2]!],
        output: [output],
        name: node.name ? `${node.name}_Add` : '',
      });
    replaced++;
  }
  graph.node = nodes;
  return replaced;
}

function findInitializer(
  scope: GraphProto[],
  name: string,
): { graph: GraphProto; tensor: TensorProto } | undefined {
  for (let i = scope.length - 1; i >= 0; i--) {
    const graph = scope[i]!;
    const tensor = graph.initializer?.find((t) => t.name === name);
    if (tensor) return { graph, tensor };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The quantizer, one per graph (ORT's ONNXQuantizer with its parent link for subgraphs)
// ---------------------------------------------------------------------------------------------

interface QuantizedName {
  q: string;
  scale: string;
  zeroPoint: string;
}

interface Tally {
  matmul: number;
  conv: number;
  gather: number;
  transpose: number;
  floatMatMul: number;
  /** Outputs of the MatMuls that were Gemms, and how many of those were quantized. */
  fromGemm: Set<string>;
  gemmQuantized: number;
  weightNames: Set<string>;
}

class GraphQuantizer {
  private readonly initializers = new Map<string, TensorProto>();
  /** ORT's quantized_value_map: original name → its 8-bit form. */
  private readonly quantized = new Map<string, QuantizedName>();
  /** Tensors this graph defines: its inputs, node outputs, initializers. */
  private readonly defined = new Set<string>();
  private readonly generated = new Set<string>();
  private newNodes: NodeProto[] = [];
  private readonly newNodeNames = new Set<string>();
  private readonly newInitializers: TensorProto[] = [];

  constructor(
    private readonly graph: GraphProto,
    private readonly weightType: QuantType,
    private readonly tally: Tally,
    private readonly parent?: GraphQuantizer,
  ) {
    for (const tensor of graph.initializer ?? []) if (tensor.name) this.initializers.set(tensor.name, tensor);
    for (const input of graph.input ?? []) this.defined.add(input.name);
    for (const node of graph.node ?? []) for (const output of node.output ?? []) this.defined.add(output);
  }

  /** Weights are symmetric where the weight type is int8 (ORT's WeightSymmetric default). */
  private get symmetric(): boolean {
    return this.weightType === 'int8';
  }

  quantizeGraph(): void {
    for (const original of this.graph.node ?? []) {
      const node = hasSubgraph(original) ? this.quantizeSubgraphs(original) : original;
      const before = this.newNodes.length;
      if (!this.quantizeNode(node)) {
        this.dequantizeInputs(node);
        this.add(node);
      }
      for (const added of this.newNodes.slice(before))
        for (const output of added.output ?? []) this.generated.add(output);
    }
    for (const output of this.graph.output ?? []) {
      const dq = this.dequantize(output.name);
      if (dq) this.add(dq);
    }
    this.graph.node = this.newNodes;
    this.graph.initializer = [...(this.graph.initializer ?? []), ...this.newInitializers];
  }

  private add(node: NodeProto): void {
    this.newNodes.push(node);
    if (node.name) this.newNodeNames.add(node.name);
  }

  private quantizeSubgraphs(node: NodeProto): NodeProto {
    const attribute: AttributeProto[] = (node.attribute ?? []).map((a) => {
      if (a.g) {
        new GraphQuantizer(a.g, this.weightType, this.tally, this).quantizeGraph();
      }
      for (const sub of a.graphs ?? [])
        new GraphQuantizer(sub, this.weightType, this.tally, this).quantizeGraph();
      return a;
    });
    return { ...node, attribute };
  }

  /** Quantizes the node if its op has an integer form; false leaves it as it is. */
  private quantizeNode(node: NodeProto): boolean {
    if (!isDefaultDomain(node)) return false;
    const inputs = node.input ?? [];
    switch (node.opType) {
      case 'MatMul':
        if (inputs.length !== 2 || !this.isFloatWeight(inputs[1]!)) {
          if (!this.tally.fromGemm.has(node.output?.[0] ?? '')) this.tally.floatMatMul++;
          return false;
        }
        this.quantizeMatMulOrConv(node, 'MatMulInteger');
        this.tally.matmul++;
        if (this.tally.fromGemm.has(node.output?.[0] ?? '')) this.tally.gemmQuantized++;
        return true;
      case 'Conv':
        if (inputs.length < 2 || !this.isFloatWeight(inputs[1]!)) return false;
        this.quantizeMatMulOrConv(node, 'ConvInteger');
        this.tally.conv++;
        return true;
      case 'Gather':
        if (!this.isFloatWeight(inputs[0]!)) return false;
        this.quantizeGather(node);
        this.tally.gather++;
        return true;
      case 'Transpose':
        return this.passThrough8Bit(node);
      default:
        return false;
    }
  }

  /** A float32 initializer here or in an enclosing graph (find_initializer_in_path). */
  private isFloatWeight(name: string): boolean {
    const tensor = this.findInitializer(name);
    return tensor !== undefined && tensor.dataType === TensorDataType.FLOAT;
  }

  private findInitializer(name: string): TensorProto | undefined {
    return this.initializers.get(name) ?? this.parent?.findInitializer(name);
  }

  private findQuantized(name: string): QuantizedName | undefined {
    return this.quantized.get(name) ?? this.parent?.findQuantized(name);
  }

  /** ORT's __quantize_inputs for one input: an initializer is quantized, an activation gets a DynamicQuantizeLinear. */
  private quantizeInput(name: string, asWeight: boolean, fromSubgraph = false): QuantizedName {
    const known = this.quantized.get(name);
    if (known) return known;
    const initializer = this.initializers.get(name);
    if (initializer) return this.quantizeInitializer(initializer, asWeight ? this.weightType : 'uint8');
    if (this.defined.has(name) || this.generated.has(name) || !this.parent) {
      const nodeName = `${name}_QuantizeLinear`;
      const quantizedName: QuantizedName = {
        q: `${name}_quantized`,
        scale: `${name}_scale`,
        zeroPoint: `${name}_zero_point`,
      };
      if (!this.newNodeNames.has(nodeName)) {
        const dql: NodeProto = {
          opType: 'DynamicQuantizeLinear',
          input: [name],
          output: [quantizedName.q, quantizedName.scale, quantizedName.zeroPoint],
          name: nodeName,
        };
        this.add(dql);
        if (fromSubgraph) for (const output of dql.output ?? []) this.generated.add(output);
      }
      return quantizedName;
    }
    return this.parent.quantizeInput(name, asWeight, true);
  }

  private quantizeInitializer(weight: TensorProto, type: QuantType): QuantizedName {
    const name = weight.name!;
    const quantizedName: QuantizedName = {
      q: `${name}_quantized`,
      scale: `${name}_scale`,
      zeroPoint: `${name}_zero_point`,
    };
    const q = quantizeValues(readFloat32(weight), type, this.symmetric);
    const dataType = type === 'int8' ? TensorDataType.INT8 : TensorDataType.UINT8;
    const zeroPoint = type === 'int8' ? Int8Array.of(q.zeroPoint) : Uint8Array.of(q.zeroPoint);
    this.newInitializers.push(
      floatTensor(quantizedName.scale, [q.scale]),
      { name: quantizedName.zeroPoint, dataType, dims: [], rawData: rawBytes(zeroPoint) },
      { name: quantizedName.q, dataType, dims: weight.dims ?? [], rawData: rawBytes(q.values) },
    );
    this.quantized.set(name, quantizedName);
    this.tally.weightNames.add(name);
    return quantizedName;
  }

  /** MatMulInteger.quantize and ConvInteger.quantize of onnxruntime/quantization/operators. */
  private quantizeMatMulOrConv(node: NodeProto, integerOp: 'MatMulInteger' | 'ConvInteger'): void {
    const inputs = node.input!;
    const output = node.output![0]!;
    const a = this.quantizeInput(inputs[0]!, false);
    const b = this.quantizeWeightInput(inputs[1]!);
    const integerOutput = `${output}_output_quantized`;
    const integerName = node.name ? `${node.name}_quant` : '';
    const integerNode: NodeProto = {
      opType: integerOp,
      input: [a.q, b.q, a.zeroPoint, b.zeroPoint],
      output: [integerOutput],
      name: integerName,
    };
    if (integerOp === 'ConvInteger' && node.attribute?.length) integerNode.attribute = node.attribute;
    this.add(integerNode);
    const castOutput = `${integerOutput}_cast_output`;
    this.add({
      opType: 'Cast',
      input: [integerOutput],
      output: [castOutput],
      name: `${integerOutput}_cast`,
      attribute: [{ name: 'to', type: AttributeType.INT, i: TensorDataType.FLOAT }],
    });
    const scalesMulName = integerName ? `${integerName}_scales_mul` : `${a.scale}_${b.scale}_mul`;
    if (!this.newNodeNames.has(scalesMulName))
      this.add(mul([a.scale, b.scale], `${scalesMulName}:0`, scalesMulName));
    const hasBias = integerOp === 'ConvInteger' && inputs.length > 2 && inputs[2] !== '';
    const scaledOutput = hasBias ? `${output}quant_scaled_output` : output;
    this.add(
      mul(
        [castOutput, `${scalesMulName}:0`],
        scaledOutput,
        integerName ? `${integerName}_output_scale_mul` : '',
      ),
    );
    if (hasBias) {
      const rank = (this.findInitializer(inputs[1]!)?.dims ?? []).length;
      const shapeName = `${output}_bias_reshape_shape`;
      const shape = new BigInt64Array(rank).fill(1n);
      shape[1] = -1n;
      this.newInitializers.push({
        name: shapeName,
        dataType: TensorDataType.INT64,
        dims: [rank],
        rawData: new Uint8Array(shape.buffer),
      });
      const reshaped = `${output}_bias_reshape_output`;
      this.add({ opType: 'Reshape', input: [inputs[2]!, shapeName], output: [reshaped], name: '' });
      this.add({
        opType: 'Add',
        input: [scaledOutput, reshaped],
        output: [output],
        name: `${output}_bias_add`,
      });
    }
  }

  /** A weight from this graph or an enclosing one, quantized once where it lives. */
  private quantizeWeightInput(name: string): QuantizedName {
    if (this.initializers.has(name) || this.quantized.has(name)) return this.quantizeInput(name, true);
    return this.parent!.quantizeWeightInput(name);
  }

  /** GatherQuant: the table in uint8 (ORT quantizes it as an activation), the output stays 8-bit. */
  private quantizeGather(node: NodeProto): void {
    const inputs = node.input!;
    const table = this.initializers.has(inputs[0]!)
      ? this.quantizeInput(inputs[0]!, false)
      : this.parent!.quantizeTableInput(inputs[0]!);
    const output = node.output![0]!;
    const gathered = `${output}_quantized`;
    this.quantized.set(output, { q: gathered, scale: table.scale, zeroPoint: table.zeroPoint });
    this.add({ ...node, input: [table.q, ...inputs.slice(1)], output: [gathered, ...node.output!.slice(1)] });
  }

  private quantizeTableInput(name: string): QuantizedName {
    if (this.initializers.has(name) || this.quantized.has(name)) return this.quantizeInput(name, false);
    return this.parent!.quantizeTableInput(name);
  }

  /** Direct8BitOp: a Transpose of an 8-bit value stays 8-bit. */
  private passThrough8Bit(node: NodeProto): boolean {
    const input = node.input?.[0];
    const quantized = input ? this.findQuantized(input) : undefined;
    if (!quantized) return false;
    const output = node.output![0]!;
    const q = `${output}_quantized`;
    this.quantized.set(output, { q, scale: quantized.scale, zeroPoint: quantized.zeroPoint });
    this.add({ ...node, input: [quantized.q], output: [q] });
    this.tally.transpose++;
    return true;
  }

  /** A float consumer of an 8-bit value reads it through one DequantizeLinear. */
  private dequantizeInputs(node: NodeProto): void {
    for (const input of node.input ?? []) {
      const dq = this.dequantize(input);
      if (dq) this.add(dq);
    }
  }

  private dequantize(name: string): NodeProto | undefined {
    if (!name || this.generated.has(name)) return undefined;
    const quantized = this.findQuantized(name);
    if (!quantized || this.isWeightName(name)) return undefined;
    const nodeName = `${name}_DequantizeLinear`;
    if (this.newNodeNames.has(nodeName)) return undefined;
    return {
      opType: 'DequantizeLinear',
      input: [quantized.q, quantized.scale, quantized.zeroPoint],
      output: [name],
      name: nodeName,
    };
  }

  /** Quantized initializers keep their float original where something still reads it. */
  private isWeightName(name: string): boolean {
    return this.findInitializer(name) !== undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

function defaultOpset(model: ModelProto): number | undefined {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? toNumber(entry.version) : undefined;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
}

export function quantizeDynamic(source: ModelProto, options: QuantizeOptions): Converted {
  if (!source.graph) throw new ConversionRefused('the model has no graph');
  const opset = defaultOpset(source);
  if (opset === undefined || opset < MIN_QUANTIZE_OPSET)
    throw new ConversionRefused(
      `the model imports opset ${opset ?? 'none'}; DynamicQuantizeLinear needs opset ${MIN_QUANTIZE_OPSET} or later (re-export the model at a newer opset)`,
    );
  const opCountsBefore = countOps(source);
  const already = Object.keys(opCountsBefore).filter((op) => QUANTIZED_OPS.has(op));
  if (already.length > 0)
    throw new ConversionRefused(`the model is already quantized: it has ${already.join(', ')}`);

  // Work on a copy: the caller's model stays as it was, whatever happens.
  const model = cloneMessage(source);
  const graph = model.graph!;
  const weightType: QuantType =
    options.weightType === 'auto'
      ? Object.keys(opCountsBefore).some((op) => QUINT8_OPS.has(op.replace(/^com\.microsoft:/, '')))
        ? 'uint8'
        : 'int8'
      : options.weightType;

  const readers = new Map<string, number>();
  for (const g of allGraphs(graph))
    for (const node of g.node ?? [])
      for (const input of node.input ?? []) readers.set(input, (readers.get(input) ?? 0) + 1);
  const fromGemm = new Set<string>();
  const gemms = replaceGemmWithMatMul(graph, [], readers, fromGemm);

  const tally: Tally = {
    matmul: 0,
    conv: 0,
    gather: 0,
    transpose: 0,
    floatMatMul: 0,
    fromGemm,
    gemmQuantized: 0,
    weightNames: new Set(),
  };
  new GraphQuantizer(graph, weightType, tally).quantizeGraph();
  if (tally.matmul + tally.conv + tally.gather === 0)
    throw new ConversionRefused(
      'nothing to quantize: no MatMul or Gemm with a constant float32 weight, no Conv with constant float32 weights, no Gather of a float32 table',
    );

  // The float originals of quantized weights go, unless something still reads them.
  dropUnreadInitializers(graph, tally.weightNames);

  const opCountsAfter = countOps(model);
  // What stays float: the source's ops less those that took an integer form.
  const leftFloat: Record<string, number> = { ...opCountsBefore };
  const taken: [string, number][] = [
    ['MatMul', tally.matmul - tally.gemmQuantized],
    ['Conv', tally.conv],
    ['Gather', tally.gather],
    ['Transpose', tally.transpose],
    ['Gemm', tally.gemmQuantized],
  ];
  for (const [op, n] of taken) leftFloat[op] = (leftFloat[op] ?? 0) - n;
  for (const [op, n] of Object.entries(leftFloat)) if (n <= 0) delete leftFloat[op];
  const weights =
    weightType === 'int8'
      ? 'int8 weights, per-tensor symmetric (zero point 0, scale = 2·max|w|/254, range ±127)'
      : 'uint8 weights, per-tensor asymmetric (scale = (max − min)/255 over a range that includes 0)';
  const quantizedOps = [
    tally.matmul ? `${tally.matmul} MatMul → MatMulInteger` : '',
    tally.conv ? `${tally.conv} Conv → ConvInteger` : '',
    tally.gather ? `${tally.gather} Gather on a uint8 table + DequantizeLinear` : '',
    tally.transpose ? `${tally.transpose} Transpose kept 8-bit` : '',
    gemms ? `${gemms} Gemm rewritten as MatMul first (${tally.gemmQuantized} of them quantized)` : '',
  ].filter(Boolean);
  const recipe =
    `onnxruntime quantize_dynamic defaults (IntegerOps, MatMulConstBOnly, per-tensor, subgraphs included)` +
    `${options.weightType === 'auto' ? ` with transformers.js q8's choice of ${weightType} weights (${weightType === 'uint8' ? 'the graph has Conv or a GQA/MHA op' : 'no Conv in the graph'})` : ''}: ` +
    `${weights}; activations quantized to uint8 at run time by DynamicQuantizeLinear. ` +
    `Quantized: ${quantizedOps.join(', ')}. ` +
    `Left in float32 (${tally.floatMatMul} MatMul without a constant B among them): ${describeCounts(leftFloat)}; inputs and outputs stay float32.`;
  return {
    model,
    report: { recipe, converterVersion: QUANTIZE_DYNAMIC_VERSION, opCountsBefore, opCountsAfter },
  };
}
