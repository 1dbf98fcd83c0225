/**
 * A whole network as ONNX, for the models section's onnxruntime peer. It is written from the model
 * runtime's own fused operations (src/runtime/fuse.ts: BatchNormalization already folded into the
 * convolutions), so onnxruntime runs the same arithmetic on the same weights: Conv (depthwise as group =
 * channels) with bias, Add for residuals, Relu / Clip(0, 6), Pad, MaxPool / AveragePool,
 * GlobalAveragePool + Flatten, Gemm for Dense, and Reshape where only 1x1 spatial axes are involved.
 * ONNX is NCHW: filters are transposed to OIHW here and the caller transposes the input.
 *
 * Covers what the bench networks use (bench/model_nets.ts); any other layer throws.
 */
import { windowOut, padBefore, type Activation, type Pointwise } from '../src/runtime/layers.js';
import type { Graph } from '../src/runtime/graph.js';
import type { Op } from '../src/runtime/fuse.js';
import { onnxSchema, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnx_model.js';

const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

function floatBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return bytes;
}

/** [kh, kw, in, out] (or [in, units] as [1, 1, in, units]) to OIHW. */
function toOihw(w: Float32Array, kh: number, kw: number, ic: number, oc: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ic; i++)
        for (let o = 0; o < oc; o++)
          out[((o * ic + i) * kh + y) * kw + x] = w[((y * kw + x) * ic + i) * oc + o];
  return out;
}

/** The encoded ModelProto of the fused ops of `graph` (one input, one output, batch `batch`). */
export function buildNetworkModel(graph: Graph, ops: readonly Op[], batch: number): Uint8Array {
  const nodes: object[] = [];
  const inits: object[] = [];
  const names = new Map<number, string>();
  const name = (t: number) => names.get(t)!;
  names.set(graph.inputs[0], ONNX_INPUT_NAME);
  let count = 0;
  const fresh = (base: string) => `${base}_${count++}`;
  const ints = (n: string, v: number[]) => ({ name: n, type: ATTRIBUTE_INTS, ints: v });
  const int = (n: string, v: number) => ({ name: n, type: ATTRIBUTE_INT, i: v });
  const initF = (base: string, dims: number[], values: Float32Array) => {
    const n = fresh(base);
    inits.push({ name: n, data_type: FLOAT, dims, raw_data: floatBytes(values) });
    return n;
  };
  const initI = (base: string, values: number[]) => {
    const n = fresh(base);
    inits.push({ name: n, data_type: INT64, dims: [values.length], raw_data: int64Bytes(values) });
    return n;
  };
  const node = (op_type: string, input: string[], attribute: object[] = []) => {
    const out = fresh(op_type.toLowerCase());
    nodes.push({ name: out, op_type, input, output: [out], attribute });
    return out;
  };
  const activate = (x: string, act: Pointwise | null): string => {
    if (act === null) return x;
    const fn: Activation | 'relu_general' = act.fn;
    if (fn === 'linear') return x;
    if (fn === 'relu') return node('Relu', [x]);
    const max =
      fn === 'relu6'
        ? 6
        : act.fn === 'relu_general' && act.slope === 0 && act.threshold === 0
          ? act.max
          : null;
    if (max === null)
      throw new Error(`bench/onnx_network: activation ${JSON.stringify(act)} is not exported`);
    return node('Clip', [
      x,
      initF('min', [], new Float32Array([0])),
      initF('max', [], new Float32Array([max])),
    ]);
  };
  const spatial = (t: number) => graph.shapes[t];
  for (const o of ops) {
    let out: string;
    if (o.type === 'conv') {
      const d = o.def;
      const x = name(o.input);
      if (d.kind === 'dense') {
        const [inUnits] = spatial(o.input).slice(-1);
        if (spatial(o.input).length !== 1) throw new Error('bench/onnx_network: Dense on rank > 2 inputs');
        const w = initF('W', [inUnits, d.units], o.filter);
        const inputs = [x, w, ...(o.bias ? [initF('B', [d.units], o.bias)] : [])];
        out = node('Gemm', inputs);
      } else if (d.kind === 'conv' || d.kind === 'depthwise') {
        const [h, w, c] = spatial(o.input);
        const [kh, kw] = d.kernel;
        const depthwise = d.kind === 'depthwise';
        const oc = depthwise ? c * d.multiplier : d.filters;
        const ic = depthwise ? 1 : c / d.groups;
        // Depthwise [kh, kw, c, m] is a grouped conv with c groups: OIHW [c * m, 1, kh, kw].
        const weights = depthwise ? toOihw(o.filter, kh, kw, 1, oc) : toOihw(o.filter, kh, kw, ic, oc);
        const pads = [0, 1].map((a) => {
          const size = a === 0 ? h : w;
          const before = padBefore(size, d.kernel[a], d.strides[a], d.dilations[a], d.padding);
          const outSize = windowOut(size, d.kernel[a], d.strides[a], d.dilations[a], d.padding);
          const total = Math.max(
            (outSize - 1) * d.strides[a] + (d.kernel[a] - 1) * d.dilations[a] + 1 - size,
            0,
          );
          return d.padding === 'SAME' ? [before, total - before] : [0, 0];
        });
        const inputs = [
          x,
          initF('W', [oc, ic, kh, kw], weights),
          ...(o.bias ? [initF('B', [oc], o.bias)] : []),
        ];
        out = node('Conv', inputs, [
          ints('kernel_shape', [kh, kw]),
          ints('strides', d.strides),
          ints('dilations', d.dilations),
          ints('pads', [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]),
          int('group', depthwise ? c : d.groups),
        ]);
      } else throw new Error(`bench/onnx_network: ${d.className} is not exported`);
      if (o.residual !== null) out = node('Add', [out, name(o.residual)]);
      out = activate(out, o.activation);
    } else {
      const d = o.def;
      const x = name(o.inputs[0]);
      switch (d.kind) {
        case 'identity':
          out = x;
          break;
        case 'pointwise':
          out = activate(x, d.op);
          break;
        case 'add':
          out = node('Add', o.inputs.map(name));
          break;
        case 'pad':
          out = node('Pad', [
            x,
            initI('pads', [0, 0, d.pads[0][0], d.pads[1][0], 0, 0, d.pads[0][1], d.pads[1][1]]),
          ]);
          break;
        case 'pool': {
          const [h, w] = spatial(o.inputs[0]);
          const before = [0, 1].map((a) => padBefore(a ? w : h, d.pool[a], d.strides[a], 1, d.padding));
          const after = [0, 1].map((a) => {
            const size = a ? w : h;
            const outSize = windowOut(size, d.pool[a], d.strides[a], 1, d.padding);
            return Math.max((outSize - 1) * d.strides[a] + d.pool[a] - size, 0) - before[a];
          });
          out = node(
            d.mode === 'max' ? 'MaxPool' : 'AveragePool',
            [x],
            [
              ints('kernel_shape', d.pool),
              ints('strides', d.strides),
              ints('pads', [before[0], before[1], after[0], after[1]]),
            ],
          );
          break;
        }
        case 'global':
          out = node(d.mode === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [x]);
          if (!d.keepdims) out = node('Flatten', [out], [int('axis', 1)]);
          break;
        case 'reshape': {
          const from = spatial(o.inputs[0]);
          const to = spatial(o.output);
          // NHWC and NCHW agree only when the spatial axes are all 1: [c] <-> [1, 1, c].
          const channels = (s: number[]) =>
            s.length === 1 ? s[0] : s.length === 3 && s[0] === 1 && s[1] === 1 ? s[2] : null;
          const c = channels(to);
          if (channels(from) === null || c === null)
            throw new Error('bench/onnx_network: Reshape of spatial data');
          out = node('Reshape', [x, initI('shape', to.length === 1 ? [batch, c] : [batch, c, 1, 1])]);
          break;
        }
        default:
          throw new Error(`bench/onnx_network: ${d.className} is not exported`);
      }
    }
    names.set(o.output, out);
  }
  // The output gets the agreed name through an Identity.
  nodes.push({
    name: 'out',
    op_type: 'Identity',
    input: [name(graph.outputs[0])],
    output: [ONNX_OUTPUT_NAME],
  });
  const [h, w, c] = graph.shapes[graph.inputs[0]];
  const valueInfo = (n: string, shape: number[]) => ({
    name: n,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: shape.map((dim) => ({ dim_value: dim })) } } },
  });
  const model = {
    ir_version: 8,
    producer_name: 'convkit-bench',
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: graph.name,
      node: nodes,
      initializer: inits,
      input: [valueInfo(ONNX_INPUT_NAME, [batch, c, h, w])],
      output: [valueInfo(ONNX_OUTPUT_NAME, [batch, ...graph.shapes[graph.outputs[0]]])],
    },
  };
  const ModelProto = onnxSchema().lookupType('onnx.ModelProto');
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`bench/onnx_network: ONNX model does not match the schema: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
