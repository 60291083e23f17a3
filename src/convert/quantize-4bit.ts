/**
 * 4-bit block-wise weight-only quantization (transformers.js's `q4`): onnxruntime's
 * MatMul4BitsQuantizer (matmul_nbits_quantizer.py, DefaultWeightOnlyQuantizer, QOperator format)
 * with transformers.js's settings, block size 32 and symmetric. Every MatMul whose B is a 2-D
 * constant float32 initializer becomes a com.microsoft MatMulNBits; activations stay float32 and
 * the weights are dequantized inside the kernel. Subgraphs are walked too, weights found where
 * they live.
 *
 * Per column of B[K, N] and per block of 32 rows (the last block padded with zeros): the value of
 * largest magnitude m, with its sign, gives scale = m / −8; q = clip(round(w / scale), −8, 7),
 * ties to even, stored as q + 8 in 4 bits (MatMulNBits' default zero point for symmetric weights),
 * two to a byte, the even row in the low nibble. Names as ORT writes them: `B_Q4`, `B_scales`,
 * node `<name>_Q4`.
 */
import {
  AttributeType,
  TensorDataType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../model/onnx-proto.js';
import {
  cloneMessage,
  countOps,
  dropUnreadInitializers,
  rawBytes,
  readFloat32,
  tensorDims,
} from './graph.js';
import { roundHalfEven } from './quantize-dynamic.js';
import { ConversionRefused, type Converted } from './types.js';

export const QUANTIZE_4BIT_VERSION = 'matmul-nbits-1';

/** transformers.js's default block size for q4. */
export const Q4_BLOCK_SIZE = 32;

const MS_DOMAIN = 'com.microsoft';

const QUANTIZED_OPS = [
  'DynamicQuantizeLinear',
  'QuantizeLinear',
  'DequantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  `${MS_DOMAIN}:MatMulNBits`,
  `${MS_DOMAIN}:MatMulBnb4`,
  `${MS_DOMAIN}:GatherBlockQuantized`,
];

export interface Blockwise4 {
  /** [N, kBlocks, blockSize / 2] bytes, row-major. */
  packed: Uint8Array;
  /** [N * kBlocks] float32 scales, column by column. */
  scales: Float32Array;
  kBlocks: number;
}

/** Symmetric 4-bit block-wise quantization of B[K, N] (row-major) along K. */
export function quantizeBlockwise4(
  values: Float32Array,
  k: number,
  n: number,
  blockSize: number,
): Blockwise4 {
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new ConversionRefused(`block size ${blockSize}: MatMulNBits takes a power of two of at least 16`);
  const kBlocks = Math.ceil(k / blockSize);
  const blob = blockSize / 2;
  const packed = new Uint8Array(n * kBlocks * blob);
  const scales = new Float32Array(n * kBlocks);
  const q = new Int8Array(blockSize);
  for (let col = 0; col < n; col++) {
    for (let block = 0; block < kBlocks; block++) {
      // The padded rows are zeros, so 0 is always in the block, as in ORT's padded copy.
      let max = 0;
      let min = 0;
      for (let i = 0; i < blockSize; i++) {
        const row = block * blockSize + i;
        const v = row < k ? values[row * n + col]! : 0;
        if (!Number.isFinite(v))
          throw new ConversionRefused('a weight holds NaN or infinite values, which cannot be quantized');
        if (v > max) max = v;
        if (v < min) min = v;
      }
      const extreme = Math.abs(max) > Math.abs(min) ? max : min;
      const scale = extreme === 0 ? 0 : Math.fround(extreme / -8);
      scales[col * kBlocks + block] = scale;
      for (let i = 0; i < blockSize; i++) {
        const row = block * blockSize + i;
        const v = row < k ? values[row * n + col]! : 0;
        q[i] = scale === 0 ? 0 : Math.min(7, Math.max(-8, roundHalfEven(Math.fround(v / scale))));
      }
      const base = (col * kBlocks + block) * blob;
      for (let i = 0; i < blob; i++)
        packed[base + i] = ((q[2 * i]! + 8) & 0xf) | (((q[2 * i + 1]! + 8) & 0xf) << 4);
    }
  }
  return { packed, scales, kBlocks };
}

function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

function findInitializer(
  scope: GraphProto[],
  name: string,
): { graph: GraphProto; tensor: TensorProto } | undefined {
  for (let i = scope.length - 1; i >= 0; i--) {
    const tensor = scope[i]!.initializer?.find((t) => t.name === name);
    if (tensor) return { graph: scope[i]!, tensor };
  }
  return undefined;
}

interface Tally {
  quantized: number;
  leftFloat: number;
  weights: Set<string>;
}

function quantizeGraph(
  graph: GraphProto,
  scope: GraphProto[],
  blockSize: number,
  tally: Tally,
  done: Set<string>,
) {
  const inner = [...scope, graph];
  graph.node = (graph.node ?? []).map((node) => {
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) quantizeGraph(attribute.g, inner, blockSize, tally, done);
      for (const sub of attribute.graphs ?? []) quantizeGraph(sub, inner, blockSize, tally, done);
    }
    if (node.opType !== 'MatMul' || !isDefaultDomain(node) || (node.input?.length ?? 0) !== 2) return node;
    const b = node.input![1]!;
    const found = findInitializer(inner, b);
    if (!found || found.tensor.dataType !== TensorDataType.FLOAT || tensorDims(found.tensor).length !== 2) {
      tally.leftFloat++;
      return node;
    }
    const [k, n] = tensorDims(found.tensor) as [number, number];
    const quantName = `${b}_Q4`;
    const scalesName = `${b}_scales`;
    // A weight read by several MatMuls is stored once (ORT would write it twice, under one name).
    if (!done.has(b)) {
      const { packed, scales, kBlocks } = quantizeBlockwise4(readFloat32(found.tensor), k, n, blockSize);
      found.graph.initializer!.push(
        {
          name: quantName,
          dataType: TensorDataType.UINT8,
          dims: [n, kBlocks, blockSize / 2],
          rawData: packed,
        },
        { name: scalesName, dataType: TensorDataType.FLOAT, dims: [n * kBlocks], rawData: rawBytes(scales) },
      );
      done.add(b);
      tally.weights.add(b);
    }
    tally.quantized++;
    const int = (name: string, i: number) => ({ name, type: AttributeType.INT, i });
    return {
      opType: 'MatMulNBits',
      domain: MS_DOMAIN,
      name: node.name ? `${node.name}_Q4` : '',
      input: [node.input![0]!, quantName, scalesName],
      output: [...(node.output ?? [])],
      attribute: [int('K', k), int('N', n), int('bits', 4), int('block_size', blockSize)],
    };
  });
}

export function quantize4Bit(source: ModelProto, options: { blockSize?: number } = {}): Converted {
  if (!source.graph) throw new ConversionRefused('the model has no graph');
  const blockSize = options.blockSize ?? Q4_BLOCK_SIZE;
  const opCountsBefore = countOps(source);
  const already = Object.keys(opCountsBefore).filter((op) => QUANTIZED_OPS.includes(op));
  if (already.length > 0)
    throw new ConversionRefused(`the model is already quantized: it has ${already.join(', ')}`);
  const model = cloneMessage(source);
  const graph = model.graph!;
  const tally: Tally = { quantized: 0, leftFloat: 0, weights: new Set() };
  quantizeGraph(graph, [], blockSize, tally, new Set());
  if (tally.quantized === 0)
    throw new ConversionRefused('nothing to quantize: no MatMul with a constant 2-D float32 weight');

  dropUnreadInitializers(graph, tally.weights);
  if (!(model.opsetImport ?? []).some((o) => o.domain === MS_DOMAIN))
    model.opsetImport = [...(model.opsetImport ?? []), { domain: MS_DOMAIN, version: 1 }];

  const opCountsAfter = countOps(model);
  const recipe =
    `onnxruntime MatMul4BitsQuantizer as transformers.js's q4 runs it (QOperator, block size ${blockSize}, symmetric, ` +
    `subgraphs included): ${tally.quantized} MatMul with a constant 2-D float32 B → com.microsoft MatMulNBits, ` +
    `4-bit weights per column and block of ${blockSize} rows, scale = (value of largest magnitude)/−8, zero point 8, ` +
    `float32 scales; activations stay float32. Left in float32: ${tally.leftFloat} MatMul without a constant 2-D B, ` +
    `and every other op (Gemm, Conv and Gather included); inputs and outputs stay float32.`;
  return {
    model,
    report: { recipe, converterVersion: QUANTIZE_4BIT_VERSION, opCountsBefore, opCountsAfter },
  };
}
