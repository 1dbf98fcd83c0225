/**
 * The compiled plan for one batch size and thread request: every convolution planned once (geometry,
 * algorithm, kernel, threads) through the same planner and executor conv2d uses, so packed weights are
 * cached beside the packing (src/plan/weights_cache.ts, keyed by the filter arrays, which the ops hold
 * for the model's life: packed once, at the first predict). `run` walks the steps in order.
 */
import { convGeometry, depthwiseGeometry, type ConvGeometry } from '../geometry.js';
import { planConv2d, type Conv2dPlan } from '../plan/planner.js';
import { planThreads } from '../plan/threads.js';
import { plannedThreads, runConv2dThreaded } from '../parallel/conv2d_threaded.js';
import { runDepthwiseConv2d } from '../ops/depthwise_conv2d.js';
import { depthwiseWasmAvailable } from '../algorithms/depthwise_wasm.js';
import { conv2d } from '../ops/conv2d.js';
import { conv2dTranspose } from '../ops/conv2d_transpose.js';
import { Tensor } from '../tensor.js';
import type { Graph } from './graph.js';
import type { ConvOp, LayerOp, Op } from './fuse.js';
import {
  addBiasResidual,
  applyPointwise,
  batchNormAffine,
  broadcastBinary,
  concatChunks,
  globalPool,
  pool2d,
  scaleShift,
  softmaxAxis,
  zeroPad,
} from './kernels.js';

const op = 'loadLayersModel';

export interface Step {
  /** The layers it stands for ('conv1+bn1+relu1' when fused). */
  name: string;
  className: string;
  /** e.g. 'winograd (f32-...)', 'depthwise wasm', 'pool2d'. */
  algorithm: string;
  flops: number;
  inputs: number[];
  output: number;
  run(values: Float32Array[]): void;
}

export interface CompileOptions {
  batch: number;
  threads?: number;
  /** Passed to conv2d's options as given (see README: conv2d precision). */
  precision?: unknown;
}

function full(graph: Graph, t: number, batch: number): number[] {
  return [batch, ...graph.shapes[t]];
}

function describe(plan: Conv2dPlan): string {
  return plan.kernel ? `${plan.algorithm} (${plan.kernel})` : plan.algorithm;
}

/** conv2d on a planned geometry, or through the public op when a precision is asked for. */
function convRunner(
  g: ConvGeometry,
  filter: Float32Array,
  options: CompileOptions,
  conv: { strides: [number, number]; padding: 'SAME' | 'VALID'; dilations: [number, number] },
): { algorithm: string; run: (x: Float32Array) => Float32Array } {
  if (options.precision !== undefined) {
    const w = new Tensor(filter, g.filterShape);
    const opts = { ...conv, threads: options.threads, precision: options.precision } as Parameters<
      typeof conv2d
    >[2];
    return { algorithm: 'conv2d', run: (x) => conv2d(new Tensor(x, g.inputShape), w, opts).data };
  }
  const plan = planConv2d(g, 'auto', plannedThreads(options.threads));
  const threads = planThreads(g, plan.algorithm, options.threads);
  return { algorithm: describe(plan), run: (x) => runConv2dThreaded(plan, g, x, filter, threads) };
}

function convStep(graph: Graph, o: ConvOp, options: CompileOptions): Step {
  const { batch } = options;
  const d = o.def;
  const xShape = full(graph, o.input, batch);
  let algorithm: string;
  let flops: number;
  let body: (x: Float32Array) => Float32Array;
  if (d.kind === 'dense') {
    const inUnits = xShape[xShape.length - 1];
    const rows = xShape.slice(0, -1).reduce((a, b) => a * b, 1);
    // Dense is a 1x1 convolution over `rows` pixels: the [in, units] kernel is already HWIO.
    const g = convGeometry(op, [rows, 1, 1, inUnits], [1, 1, inUnits, d.units]);
    const r = convRunner(g, o.filter, options, { strides: [1, 1], padding: 'VALID', dilations: [1, 1] });
    ({ algorithm } = r);
    body = r.run;
    flops = g.flops;
  } else if (d.kind === 'conv') {
    const filterShape = [...d.kernel, xShape[3] / d.groups, d.filters];
    const conv = { strides: d.strides, padding: d.padding, dilations: d.dilations };
    const g = convGeometry(op, xShape, filterShape, conv);
    const r = convRunner(g, o.filter, options, conv);
    ({ algorithm } = r);
    body = r.run;
    flops = g.flops;
  } else if (d.kind === 'depthwise' || d.kind === 'separable') {
    const conv = { strides: d.strides, padding: d.padding, dilations: d.dilations };
    const g = depthwiseGeometry(op, xShape, [...d.kernel, xShape[3], d.multiplier], conv);
    const which = depthwiseWasmAvailable() ? 'wasm' : 'fast';
    algorithm = `depthwise ${which}`;
    flops = g.flops;
    const dw = (x: Float32Array) => runDepthwiseConv2d(which, g, x, o.filter);
    body = dw;
    if (d.kind === 'separable') {
      const mid = g.outChannels;
      const pg = convGeometry(op, [batch, g.outHeight, g.outWidth, mid], [1, 1, mid, d.filters]);
      const pr = convRunner(pg, o.pointwise!, options, {
        strides: [1, 1],
        padding: 'VALID',
        dilations: [1, 1],
      });
      algorithm += ` + ${pr.algorithm}`;
      flops += pg.flops;
      body = (x) => pr.run(dw(x));
    }
  } else {
    const outShape = full(graph, o.output, batch);
    const w = new Tensor(o.filter, [...d.kernel, d.filters, xShape[3]]);
    const conv = { strides: d.strides, padding: d.padding };
    algorithm = 'conv2dTranspose';
    flops = 2 * xShape.reduce((a, b) => a * b, 1) * d.kernel[0] * d.kernel[1] * d.filters;
    body = (x) => conv2dTranspose(new Tensor(x, xShape), w, outShape, conv).data;
  }
  const width = graph.shapes[o.output][graph.shapes[o.output].length - 1];
  return {
    name: o.names.join('+'),
    className: d.className,
    algorithm,
    flops,
    inputs: o.residual === null ? [o.input] : [o.input, o.residual],
    output: o.output,
    run: (values) => {
      const out = body(values[o.input]);
      addBiasResidual(out, o.bias, o.residual === null ? null : values[o.residual]);
      if (o.activation) applyPointwise(o.activation, out, width);
      values[o.output] = out;
    },
  };
}

function layerStep(graph: Graph, o: LayerOp, batch: number): Step {
  const d = o.def;
  const inShapes = o.inputs.map((t) => full(graph, t, batch));
  const outShape = full(graph, o.output, batch);
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const x = inShapes[0];
  let algorithm: string = d.kind;
  let flops = outSize;
  let compute: (ins: Float32Array[]) => Float32Array;
  switch (d.kind) {
    case 'input':
    case 'identity':
    case 'reshape':
      // Same values, same order (NHWC, row-major): the tensor is shared, never written.
      algorithm = 'alias';
      flops = 0;
      compute = ([a]) => a;
      break;
    case 'pointwise': {
      const width = x[x.length - 1];
      compute = ([a]) => {
        const out = a.slice();
        applyPointwise(d.op, out, width);
        return out;
      };
      break;
    }
    case 'softmax': {
      const axis = d.axis < 0 ? d.axis + x.length : d.axis;
      const outer = x.slice(0, axis).reduce((a, b) => a * b, 1);
      const inner = x.slice(axis + 1).reduce((a, b) => a * b, 1);
      flops = 3 * outSize;
      compute = ([a]) => softmaxAxis(a, outer, x[axis], inner);
      break;
    }
    case 'batchnorm': {
      const w = o.weights;
      const { scale, shift } = batchNormAffine(
        w.get('moving_mean')!,
        w.get('moving_variance')!,
        w.get('gamma'),
        w.get('beta'),
        d.epsilon,
      );
      flops = 2 * outSize;
      compute = ([a]) => scaleShift(a, scale, shift);
      break;
    }
    case 'rescale': {
      const c = x[x.length - 1];
      const scale = new Float32Array(c).fill(d.scale);
      const shift = new Float32Array(c).fill(d.offset);
      flops = 2 * outSize;
      compute = ([a]) => scaleShift(a, scale, shift);
      break;
    }
    case 'add':
    case 'multiply':
      flops = outSize * (o.inputs.length - 1);
      compute = (ins) => broadcastBinary(d.kind as 'add' | 'multiply', ins, inShapes, outShape);
      break;
    case 'concat': {
      const rank = x.length;
      const axis = d.axis < 0 ? d.axis + rank : d.axis;
      const outer = x.slice(0, axis).reduce((a, b) => a * b, 1);
      const chunks = inShapes.map((s) => s.slice(axis).reduce((a, b) => a * b, 1));
      flops = 0;
      compute = (ins) => concatChunks(ins, chunks, outer);
      break;
    }
    case 'pad':
      flops = 0;
      compute = ([a]) => zeroPad(a, x[0], x[1], x[2], x[3], d.pads);
      break;
    case 'pool': {
      const s = {
        batch,
        height: x[1],
        width: x[2],
        channels: x[3],
        outHeight: outShape[1],
        outWidth: outShape[2],
      };
      flops = outSize * d.pool[0] * d.pool[1];
      compute = ([a]) => pool2d(a, s, d.mode, d.pool, d.strides, d.padding);
      break;
    }
    case 'global':
      flops = x.reduce((a, b) => a * b, 1);
      compute = ([a]) => globalPool(a, batch, x[1] * x[2], x[3], d.mode);
      break;
    default:
      throw new Error(`${op}: no kernel for layer kind ${d.kind}`);
  }
  return {
    name: o.names.join('+'),
    className: d.className,
    algorithm,
    flops,
    inputs: o.inputs,
    output: o.output,
    run: (values) => {
      values[o.output] = compute(o.inputs.map((t) => values[t]));
    },
  };
}

/** Plans every op for `options.batch` (and the thread request). */
export function compileSteps(graph: Graph, ops: readonly Op[], options: CompileOptions): Step[] {
  return ops.map((o) =>
    o.type === 'conv' ? convStep(graph, o, options) : layerStep(graph, o, options.batch),
  );
}
