/**
 * Builds an ONNX model holding one Conv node that computes the same convolution as a convkit geometry,
 * so onnxruntime can run it. The model is encoded with protobufjs from the minimal schema below: only
 * the messages and fields this model uses, with the field numbers of ONNX's onnx.proto.
 *
 * ONNX Conv reads NCHW input and OIHW weights; convkit (like TensorFlow) uses an HWIO filter, so the
 * weights are transposed here, and the padding is written out explicitly (pads = [top, left, bottom,
 * right]) from the geometry, which also covers TensorFlow's asymmetric SAME padding.
 */
import protobuf from 'protobufjs';
import type { ConvGeometry } from '../src/index.js';

const ONNX_SUBSET_PROTO = `
syntax = "proto2";
package onnx;

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message TensorShapeProto {
  message Dimension {
    optional int64 dim_value = 1;
    optional string dim_param = 2;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  optional Tensor tensor_type = 1;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  optional bytes raw_data = 9;
}

message AttributeProto {
  optional string name = 1;
  optional int64 i = 3;
  repeated int64 ints = 8;
  optional int32 type = 20;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
`;

/** onnx.TensorProto.DataType.FLOAT */
const ONNX_FLOAT = 1;
/** onnx.AttributeProto.AttributeType */
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;
/** IR version 8 with the default-domain opset 13: old enough for any onnxruntime of the last years. */
const IR_VERSION = 8;
const OPSET_VERSION = 13;

export const ONNX_INPUT_NAME = 'x';
export const ONNX_OUTPUT_NAME = 'y';

let schema: protobuf.Root | undefined;

/** The parsed schema (parsed once); exported so a test can decode what was encoded. */
export function onnxSchema(): protobuf.Root {
  schema ??= protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: true }).root;
  return schema;
}

/** HWIO [kh, kw, in/groups, out] to OIHW [out, in/groups, kh, kw]. */
export function hwioToOihw(g: ConvGeometry, filter: Float32Array): Float32Array {
  const { filterHeight: kh, filterWidth: kw, filterInChannels: ic, outChannels: oc } = g;
  const out = new Float32Array(filter.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ic; i++) {
        for (let o = 0; o < oc; o++) {
          out[((o * ic + i) * kh + y) * kw + x] = filter[((y * kw + x) * ic + i) * oc + o];
        }
      }
    }
  }
  return out;
}

/** NHWC to NCHW for an image batch of the given sizes. */
export function nhwcToNchw(data: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch];
        }
      }
    }
  }
  return out;
}

/** NCHW to NHWC for an image batch of the given sizes. */
export function nchwToNhwc(data: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x];
        }
      }
    }
  }
  return out;
}

/** The NCHW shapes of the ONNX model's input and output for a geometry. */
export function onnxShapes(g: ConvGeometry): { input: number[]; output: number[] } {
  return {
    input: [g.batch, g.inChannels, g.inHeight, g.inWidth],
    output: [g.batch, g.outChannels, g.outHeight, g.outWidth],
  };
}

/** ONNX raw_data is little-endian float32 whatever the host's byte order. */
function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

function tensorValueInfo(name: string, shape: readonly number[]) {
  return {
    name,
    type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: shape.map((d) => ({ dim_value: d })) } } },
  };
}

/** The encoded ModelProto: y = Conv(x, W) with W (from the HWIO `filter`) as an initializer. */
export function buildConvModel(g: ConvGeometry, filter: Float32Array): Uint8Array {
  const weights = hwioToOihw(g, filter);
  const shapes = onnxShapes(g);
  const ints = (name: string, values: number[]) => ({ name, type: ATTRIBUTE_INTS, ints: values });
  const model = {
    ir_version: IR_VERSION,
    producer_name: 'convkit-bench',
    opset_import: [{ domain: '', version: OPSET_VERSION }],
    graph: {
      name: 'conv',
      node: [
        {
          name: 'conv',
          op_type: 'Conv',
          input: [ONNX_INPUT_NAME, 'W'],
          output: [ONNX_OUTPUT_NAME],
          attribute: [
            ints('kernel_shape', [g.filterHeight, g.filterWidth]),
            ints('strides', [g.strideHeight, g.strideWidth]),
            ints('dilations', [g.dilationHeight, g.dilationWidth]),
            ints('pads', [g.padTop, g.padLeft, g.padBottom, g.padRight]),
            { name: 'group', type: ATTRIBUTE_INT, i: g.groups },
          ],
        },
      ],
      initializer: [
        {
          name: 'W',
          data_type: ONNX_FLOAT,
          dims: [g.outChannels, g.filterInChannels, g.filterHeight, g.filterWidth],
          raw_data: littleEndianBytes(weights),
        },
      ],
      input: [tensorValueInfo(ONNX_INPUT_NAME, shapes.input)],
      output: [tensorValueInfo(ONNX_OUTPUT_NAME, shapes.output)],
    },
  };
  const ModelProto = onnxSchema().lookupType('onnx.ModelProto');
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`bench: ONNX model does not match the schema: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
