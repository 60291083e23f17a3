/**
 * The ONNX protobuf schema (onnx.proto, IR version 10, with the fields IR 11 adds), declared for
 * protobufjs. Field numbers follow the ONNX specification. protobufjs drops fields it does not
 * know on decode, so every field of onnx.proto is declared, even those the tool never reads:
 * a model decoded and encoded again (a converter's output) keeps its local functions, sparse
 * initializers, quantization annotations, training info and metadata.
 */
import protobuf from 'protobufjs';

export const TensorDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** int64 fields decode as numbers or Long objects; both are accepted where we write them. */
export type Int64 = number | protobuf.Long;

export interface StringStringEntry {
  key: string;
  value: string;
}

export interface TensorProto {
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  name?: string;
  rawData?: Uint8Array;
  externalData?: StringStringEntry[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: Int64[];
  stringData?: Uint8Array[];
  docString?: string;
  metadataProps?: StringStringEntry[];
}

export interface SparseTensorProto {
  values?: TensorProto;
  indices?: TensorProto;
  dims?: Int64[];
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  graphs?: GraphProto[];
  tensors?: TensorProto[];
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  sparseTensor?: SparseTensorProto;
  sparseTensors?: SparseTensorProto[];
  tp?: TypeProto;
  typeProtos?: TypeProto[];
  refAttrName?: string;
  docString?: string;
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType: string;
  domain?: string;
  overload?: string;
  attribute?: AttributeProto[];
  docString?: string;
  metadataProps?: StringStringEntry[];
}

export interface DimensionProto {
  dimValue?: Int64;
  dimParam?: string;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  sparseTensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } };
  denotation?: string;
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
  docString?: string;
  metadataProps?: StringStringEntry[];
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  docString?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  sparseInitializer?: SparseTensorProto[];
  quantizationAnnotation?: { tensorName?: string; quantParameterTensorNames?: StringStringEntry[] }[];
  metadataProps?: StringStringEntry[];
}

export interface FunctionProto {
  name?: string;
  domain?: string;
  overload?: string;
  input?: string[];
  output?: string[];
  attribute?: string[];
  attributeProto?: AttributeProto[];
  node?: NodeProto[];
  valueInfo?: ValueInfoProto[];
  opsetImport?: OperatorSetId[];
  docString?: string;
  metadataProps?: StringStringEntry[];
}

export interface TrainingInfoProto {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initializationBinding?: StringStringEntry[];
  updateBinding?: StringStringEntry[];
}

export interface OperatorSetId {
  domain?: string;
  version: Int64;
}

export interface ModelProto {
  irVersion: Int64;
  opsetImport?: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto;
  metadataProps?: StringStringEntry[];
  trainingInfo?: TrainingInfoProto[];
  functions?: FunctionProto[];
  configuration?: unknown[];
}

const schema: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: {
          fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
            stringData: { rule: 'repeated', type: 'bytes', id: 6 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
            uint64Data: { rule: 'repeated', type: 'uint64', id: 11, options: { packed: true } },
            docString: { type: 'string', id: 12 },
            externalData: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            dataLocation: { type: 'int32', id: 14 },
            segment: { type: 'Segment', id: 3 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 16 },
          },
          nested: {
            Segment: { fields: { begin: { type: 'int64', id: 1 }, end: { type: 'int64', id: 2 } } },
          },
        },
        SparseTensorProto: {
          fields: {
            values: { type: 'TensorProto', id: 1 },
            indices: { type: 'TensorProto', id: 2 },
            dims: { rule: 'repeated', type: 'int64', id: 3 },
          },
        },
        TensorAnnotation: {
          fields: {
            tensorName: { type: 'string', id: 1 },
            quantParameterTensorNames: { rule: 'repeated', type: 'StringStringEntryProto', id: 2 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
            graphs: { rule: 'repeated', type: 'GraphProto', id: 11 },
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
            refAttrName: { type: 'string', id: 21 },
            tp: { type: 'TypeProto', id: 14 },
            typeProtos: { rule: 'repeated', type: 'TypeProto', id: 15 },
            sparseTensor: { type: 'SparseTensorProto', id: 22 },
            sparseTensors: { rule: 'repeated', type: 'SparseTensorProto', id: 23 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
            overload: { type: 'string', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 9 },
            deviceConfigurations: { rule: 'repeated', type: 'NodeDeviceConfigurationProto', id: 10 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: {
            value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType'] },
          },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            sparseTensorType: { type: 'SparseTensor', id: 8 },
            sequenceType: { type: 'Sequence', id: 4 },
            mapType: { type: 'Map', id: 5 },
            denotation: { type: 'string', id: 6 },
            optionalType: { type: 'Optional', id: 9 },
          },
          nested: {
            Tensor: {
              fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
            },
            Sequence: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
            Map: { fields: { keyType: { type: 'int32', id: 1 }, valueType: { type: 'TypeProto', id: 2 } } },
            Optional: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
            SparseTensor: {
              fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 4 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
            quantizationAnnotation: { rule: 'repeated', type: 'TensorAnnotation', id: 14 },
            sparseInitializer: { rule: 'repeated', type: 'SparseTensorProto', id: 15 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 16 },
          },
        },
        TrainingInfoProto: {
          fields: {
            initialization: { type: 'GraphProto', id: 1 },
            algorithm: { type: 'GraphProto', id: 2 },
            initializationBinding: { rule: 'repeated', type: 'StringStringEntryProto', id: 3 },
            updateBinding: { rule: 'repeated', type: 'StringStringEntryProto', id: 4 },
          },
        },
        FunctionProto: {
          fields: {
            name: { type: 'string', id: 1 },
            input: { rule: 'repeated', type: 'string', id: 4 },
            output: { rule: 'repeated', type: 'string', id: 5 },
            attribute: { rule: 'repeated', type: 'string', id: 6 },
            attributeProto: { rule: 'repeated', type: 'AttributeProto', id: 11 },
            node: { rule: 'repeated', type: 'NodeProto', id: 7 },
            docString: { type: 'string', id: 8 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 9 },
            domain: { type: 'string', id: 10 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            overload: { type: 'string', id: 13 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        // IR 11's device placement (ModelProto.configuration, NodeProto.device_configurations).
        IntIntListEntryProto: {
          fields: {
            key: { type: 'int64', id: 1 },
            value: { rule: 'repeated', type: 'int64', id: 2 },
          },
        },
        ShardedDimProto: {
          fields: {
            axis: { type: 'int64', id: 1 },
            simpleSharding: { rule: 'repeated', type: 'SimpleShardedDimProto', id: 2 },
          },
        },
        SimpleShardedDimProto: {
          oneofs: { dim: { oneof: ['dimValue', 'dimParam'] } },
          fields: {
            dimValue: { type: 'int64', id: 1 },
            dimParam: { type: 'string', id: 2 },
            numShards: { type: 'int64', id: 3 },
          },
        },
        ShardingSpecProto: {
          fields: {
            tensorName: { type: 'string', id: 1 },
            device: { rule: 'repeated', type: 'int64', id: 2 },
            indexToDeviceGroupMap: { rule: 'repeated', type: 'IntIntListEntryProto', id: 3 },
            shardedDim: { rule: 'repeated', type: 'ShardedDimProto', id: 4 },
          },
        },
        NodeDeviceConfigurationProto: {
          fields: {
            configurationId: { type: 'string', id: 1 },
            shardingSpec: { rule: 'repeated', type: 'ShardingSpecProto', id: 2 },
            pipelineStage: { type: 'int32', id: 3 },
          },
        },
        DeviceConfigurationProto: {
          fields: {
            name: { type: 'string', id: 1 },
            numDevices: { type: 'int32', id: 2 },
            device: { rule: 'repeated', type: 'string', id: 3 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
            trainingInfo: { rule: 'repeated', type: 'TrainingInfoProto', id: 20 },
            functions: { rule: 'repeated', type: 'FunctionProto', id: 25 },
            configuration: { rule: 'repeated', type: 'DeviceConfigurationProto', id: 26 },
          },
        },
      },
    },
  },
};

// Repeated numbers are written packed. onnx.proto (proto2) leaves dims, ints and floats unpacked,
// so a model from onnx's Python writer comes back in other bytes with the same content; every
// protobuf reader takes both, and the zoo's files keep the bytes they were built with.
const root = protobuf.Root.fromJSON(schema);
const ModelType = root.lookupType('onnx.ModelProto');
const TensorType = root.lookupType('onnx.TensorProto');

/** Serialises a model. The same message always gives the same bytes (fields in number order). */
export function encodeModel(model: ModelProto): Uint8Array {
  const message = ModelType.fromObject(model as unknown as Record<string, unknown>);
  return ModelType.encode(message).finish();
}

/** Parses a model; throws protobufjs's error on bytes that are not a ModelProto. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return ModelType.decode(bytes) as unknown as ModelProto;
}

/** Parses a serialised TensorProto (the `.pb` files of ONNX's test data sets). */
export function decodeTensor(bytes: Uint8Array): TensorProto {
  return TensorType.decode(bytes) as unknown as TensorProto;
}

/** int64 values arrive as Long when the `long` package is present; models never need more than 2^53. */
export function toNumber(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return typeof value === 'number' ? value : protobuf.util.LongBits.from(value).toNumber(value.unsigned);
}
