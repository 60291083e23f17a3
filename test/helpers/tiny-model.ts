/** Hand-written ONNX models of a few nodes, for converter and type-propagation tests. */
import {
  AttributeType,
  TensorDataType,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../src/model/onnx-proto.js';

export function info(name: string, elemType: number, dims: (number | string)[] = []): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: AttributeProto[] = [],
): NodeProto {
  return { opType, input, output, name: `${opType}_${output[0]}`, domain: '', attribute };
}

export const intAttr = (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i });
export const graphAttr = (name: string, g: GraphProto): AttributeProto => ({
  name,
  type: AttributeType.GRAPH,
  g,
});

export function floatTensor(name: string, dims: number[], values: number[]): TensorProto {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: TensorDataType.FLOAT, rawData: raw };
}

export function int64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims, dataType: TensorDataType.INT64, rawData: raw };
}

export function model(graph: GraphProto, opset = 17): ModelProto {
  return { irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph };
}

export function float16Values(tensor: TensorProto): number[] {
  const raw = tensor.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.length / 2 }, (_, i) => view.getUint16(i * 2, true));
}
