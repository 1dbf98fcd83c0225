/**
 * The compiled plan for one batch size and thread request. Every convolution is planned once
 * (geometry, algorithm, kernel, threads) through the planner and executor conv2d itself uses, and its
 * packed weights are cached beside the packing (src/plan/weights_cache.ts, keyed by the filter arrays
 * the ops hold for the model's life: packed once, at the first predict). Every intermediate tensor has
 * a fixed slot in one activation arena (arena.ts: offsets from lifetimes, so dead tensors' bytes are
 * reused); each step writes its output into its slot, so a predict allocates nothing per layer: the
 * input is read where it is, and the outputs are copied out once at the end.
 */
import type { Precision } from '../plan/accuracy.js';
import { convGeometry, depthwiseGeometry, type ConvGeometry } from '../geometry.js';
import { planConv2d, runConv2d, type Conv2dPlan } from '../plan/planner.js';
import { WORKER_ALGORITHMS } from '../parallel/conv2d_async.js';
import { conv2dIgemm, type OutputClamp } from '../algorithms/igemm.js';
import type { IgemmReplay } from '../algorithms/igemm_replay.js';
import { defaultThreads, planThreads } from '../plan/threads.js';
import { runConv2dThreaded, syncThreadsSupported } from '../parallel/conv2d_threaded.js';
import { runDepthwiseConv2d } from '../ops/depthwise_conv2d.js';
import {
  depthwiseConv2dWasm,
  depthwiseWasmAvailable,
  type DwconvFilterCache,
  type DwconvOutputClamp,
} from '../algorithms/depthwise_wasm.js';
import { TRANSPOSE_NAMES } from '../ops/conv2d_transpose.js';
import {
  GRADIENT_DIRECT_MAX_FLOPS,
  inputGradientGeometry,
  inputGradientValues,
} from '../ops/conv2d_backprop_input.js';
import { checkAllocatable } from '../tensor.js';
import { markUnchanging } from '../plan/weights_cache.js';
import { planArena, type ArenaPlan } from './arena.js';
import { clampOf, epilogueFast } from './wasm_epilogue.js';
import type { Graph } from './graph.js';
import type { ConvOp, LayerOp, Op } from './fuse.js';
import { bandFusionEnabled, bandPair, bandRunner } from './band_fusion.js';
import { applyPointwise, batchNormAffine, softmaxAxis } from './kernels.js';
import { globalPoolFast, pool2dFast, poolWasmAvailable } from './wasm_pool.js';
import {
  affineFast,
  binaryFast,
  concatFast,
  packAffine,
  pointwiseFast,
  pointwiseInWasm,
  rowsWasmAvailable,
  zeroPadFast,
} from './wasm_rows.js';

const op = 'loadLayersModel';

/** One of the layers a step runs together (band fusion: a 1x1 convolution and its depthwise reader). */
export interface StepPart {
  name: string;
  layers: string[];
  className: string;
  algorithm: string;
  flops: number;
}

export interface Step {
  /** The layers it stands for ('conv1+bn1+relu1' when fused). */
  name: string;
  /** The same as a list, the layer that chose the algorithm first. */
  layers: string[];
  className: string;
  /** e.g. 'winograd (f32-...)', 'depthwise wasm', 'pool wasm', or 'alias' (same values: Reshape, Dropout). */
  algorithm: string;
  flops: number;
  inputs: number[];
  output: number;
  /**
   * Computes values[output] (its arena slot, already in place) from values[inputs]. A step with parts
   * adds each part's time (ms) to partMs[k] when given one.
   */
  run(values: Float32Array[], partMs?: number[]): void;
  /** Set when the step runs several layers' work interleaved (band_fusion.ts); profiles time each. */
  parts?: StepPart[];
  /** An arena slot of the step's own, for its lifetime only: values[tensor], `floats` long. */
  scratch?: { tensor: number; floats: number };
  /** The same on the worker pool, asynchronously (igemm and Winograd on several threads; predictAsync uses it). */
  runAsync?(values: Float32Array[]): Promise<void>;
  /** It runs igemm or depthwise on several threads (synchronously on the worker pool, in predict). */
  threaded?: boolean;
}

export interface CompileOptions {
  batch: number;
  threads?: number;
  /** conv2d's precision for every convolution (README, "Accuracy"); checked by the caller. */
  precision?: Precision;
  /** Fold ZeroPadding2D into the convolution, depthwise convolution or pooling that reads it (paddingFolds; default true). */
  fold?: boolean;
  /** Run a 1x1 convolution and its depthwise reader in row bands where they qualify (band_fusion.ts; default bandFusionEnabled()). */
  bands?: boolean;
}

export interface CompiledPlan {
  batch: number;
  steps: Step[];
  arena: ArenaPlan & { tensors: number };
  /**
   * values[t] for every tensor: arena slots for computed ones (set by bindArena); inputs and aliases
   * set per call.
   */
  values: Float32Array[];
  /** Computed tensors' slots: tensor, offset and length in floats. */
  slots: { tensor: number; at: number; size: number }[];
  /** The array the slots are views of, and the float index where the arena starts in it (bindArena). */
  memory: Float32Array | null;
  base: number;
  /** Some step runs on the worker pool (predict then keeps the arena in the pool's memory). */
  threaded: boolean;
}

/** Points every computed tensor's value at its slot in `memory`, the arena starting at float `base`. */
export function bindArena(plan: CompiledPlan, memory: Float32Array, base: number): void {
  for (const { tensor, at, size } of plan.slots) {
    plan.values[tensor] = memory.subarray(base + at, base + at + size);
  }
  plan.memory = memory;
  plan.base = base;
}

function full(graph: Graph, t: number, batch: number): number[] {
  return [batch, ...graph.shapes[t]];
}

function describe(plan: Conv2dPlan): string {
  return plan.kernel ? `${plan.algorithm} (${plan.kernel})` : plan.algorithm;
}

type Writer = (x: Float32Array, out: Float32Array) => void;
type AsyncWriter = (x: Float32Array, out: Float32Array) => Promise<void>;

/** Copies `result` into `out` unless the algorithm already wrote there. */
function into(out: Float32Array, result: Float32Array): void {
  if (result !== out) out.set(result);
}

/** conv2d on a planned geometry (conv2d's planner, with the model's precision). */
function convRunner(
  g: ConvGeometry,
  filter: Float32Array,
  options: CompileOptions,
  clamp?: OutputClamp,
): { algorithm: string; run: Writer; clamps: boolean; threaded?: boolean; runAsync?: AsyncWriter } {
  const plan = planConv2d(g, 'auto', { precision: options.precision });
  const threads = planThreads(g, plan.algorithm, options.threads);
  if (clamp && plan.algorithm === 'igemm' && threads === 1) {
    // igemm on one thread applies bias + clamp to each band in wasm memory (conv2dIgemm's clamp);
    // where it could not, the caller's epilogue does. Its calls are replayed while the step's data stay
    // where they were (igemm_replay.ts).
    const replay: IgemmReplay = {};
    return {
      algorithm: describe(plan),
      run: (x, out) => {
        clamp.applied = false;
        into(out, conv2dIgemm(g, x, filter, out, clamp, replay));
      },
      clamps: true,
    };
  }
  // On several threads igemm can also run on the workers while this thread waits without blocking.
  const threadedIgemm = plan.algorithm === 'igemm' && threads > 1;
  // Threaded igemm and Winograd (on any thread count) apply the clamp where the output lies in place.
  const stageClamp = threadedIgemm || plan.algorithm === 'winograd' ? clamp : undefined;
  // On the workers (predictAsync): igemm and Winograd; null from them means the pool broke.
  const onWorkers = threads > 1 ? WORKER_ALGORITHMS[plan.algorithm] : undefined;
  const runAsync: AsyncWriter | undefined = onWorkers
    ? async (x, out) => {
        const done = await onWorkers(g, x, filter, threads, out);
        if (!done) into(out, runConv2d(plan, g, x, filter, out));
      }
    : undefined;
  return {
    algorithm: describe(plan),
    // Threaded igemm applies the clamp when the arena lives in the pool's memory (see resident.ts),
    // Winograd when it writes the output in place (a residual Add stays with the step's epilogue).
    run: (x, out) => {
      if (clamp) clamp.applied = false;
      into(out, runConv2dThreaded(plan, g, x, filter, threads, out, stageClamp));
    },
    clamps: stageClamp !== undefined,
    threaded: threadedIgemm,
    runAsync,
  };
}

/**
 * Threads for a depthwise step: the plan's request, or by default a second thread from
 * DEPTHWISE_FLOPS_PER_THREAD (depthwise moves as many bytes as it does FLOPs, so it pays off sooner
 * than a convolution's MIN_FLOPS_PER_THREAD would say). Only where workers can run synchronously.
 */
function depthwiseThreads(flops: number, requested: number | undefined): number {
  if (!syncThreadsSupported()) return 1;
  if (requested !== undefined) return requested;
  return Math.max(1, Math.min(defaultThreads(), Math.floor(flops / DEPTHWISE_FLOPS_PER_THREAD)));
}

/** See depthwiseThreads: about 0.1 ms of one thread's depthwise work. */
const DEPTHWISE_FLOPS_PER_THREAD = 2_000_000;

function convStep(
  graph: Graph,
  o: ConvOp,
  options: CompileOptions,
  pads: [[number, number], [number, number]] | null = null,
): Step {
  const { batch } = options;
  const d = o.def;
  const xShape = full(graph, o.input, batch);
  // The model's filters are arrays convkit made (read from the shards, or fused) and never hands out:
  // the weights cache can skip comparing them with a snapshot on every call (~10 us a layer).
  markUnchanging(o.filter);
  if (o.pointwise) markUnchanging(o.pointwise);
  let algorithm: string;
  let flops: number;
  let body: Writer;
  // Set when the convolution itself applies bias and activation (then the step skips its epilogue).
  let fusedEpilogue = false;
  // Conv2D / Dense on igemm: bias, residual and clamp go to the kernel's output stage when it can (see
  // convRunner); the residual's arena slot is set before each run.
  const bounds0 = clampOf(o.activation);
  const clamp: OutputClamp | undefined = bounds0
    ? { bias: o.bias, residual: null, lo: bounds0[0], hi: bounds0[1] }
    : undefined;
  let clamping = false;
  let threaded = false;
  let bodyAsync: AsyncWriter | undefined;
  if (d.kind === 'dense') {
    const inUnits = xShape[xShape.length - 1];
    const rows = xShape.slice(0, -1).reduce((a, b) => a * b, 1);
    // Dense is a 1x1 convolution over `rows` pixels: the [in, units] kernel is already HWIO.
    const g = convGeometry(op, [rows, 1, 1, inUnits], [1, 1, inUnits, d.units]);
    const r = convRunner(g, o.filter, options, clamp);
    clamping = r.clamps;
    threaded = r.threaded === true;
    bodyAsync = r.runAsync;
    ({ algorithm } = r);
    body = r.run;
    flops = g.flops;
  } else if (d.kind === 'conv') {
    const filterShape = [...d.kernel, xShape[3] / d.groups, d.filters];
    // A folded ZeroPadding2D (paddingFolds) is the convolution's explicit padding.
    const padding = pads ? [[0, 0], pads[0], pads[1], [0, 0]] : d.padding;
    const conv = { strides: d.strides, padding, dilations: d.dilations };
    const g = convGeometry(op, xShape, filterShape, conv);
    const r = convRunner(g, o.filter, options, clamp);
    clamping = r.clamps;
    threaded = r.threaded === true;
    bodyAsync = r.runAsync;
    ({ algorithm } = r);
    body = r.run;
    flops = g.flops;
  } else if (d.kind === 'depthwise' || d.kind === 'separable') {
    const padding = pads ? [[0, 0], pads[0], pads[1], [0, 0]] : d.padding;
    const conv = { strides: d.strides, padding, dilations: d.dilations };
    const g = depthwiseGeometry(op, xShape, [...d.kernel, xShape[3], d.multiplier], conv);
    const which = depthwiseWasmAvailable() ? 'wasm' : 'fast';
    algorithm = `depthwise ${which}`;
    flops = g.flops;
    // The step's filter never changes: its packed form is kept beside the step (DwconvFilterCache).
    const filterCache: DwconvFilterCache = {};
    // On several threads when the plan's arena is in the worker pool's memory (see resident.ts).
    const dwThreads =
      which === 'wasm' && d.kind === 'depthwise' ? depthwiseThreads(g.flops, options.threads) : 1;
    threaded = dwThreads > 1;
    const dw: Writer =
      which === 'wasm'
        ? (x, out) => into(out, depthwiseConv2dWasm(g, x, o.filter, out, undefined, filterCache, dwThreads))
        : (x, out) => into(out, runDepthwiseConv2d(which, g, x, o.filter, out));
    body = dw;
    // A DepthwiseConv2D whose epilogue is bias + a clamp runs it inside the depthwise call: in the
    // kernel's stores when input and output are in the arena, else on each band in wasm memory (when
    // the kernel module has it; else the step's own epilogue does).
    const bounds = clampOf(o.activation);
    if (d.kind === 'depthwise' && which === 'wasm' && o.residual === null && bounds !== null) {
      const dwClamp: DwconvOutputClamp = { bias: o.bias, lo: bounds[0], hi: bounds[1] };
      body = (x, out) => {
        dwClamp.applied = false;
        into(out, depthwiseConv2dWasm(g, x, o.filter, out, dwClamp, filterCache, dwThreads));
        if (!dwClamp.applied) epilogueFast(out, o.bias, null, o.activation, g.outChannels);
      };
      fusedEpilogue = true;
    }
    if (d.kind === 'separable') {
      const mid = g.outChannels;
      const pg = convGeometry(op, [batch, g.outHeight, g.outWidth, mid], [1, 1, mid, d.filters]);
      const pr = convRunner(pg, o.pointwise!, options);
      algorithm += ` + ${pr.algorithm}`;
      flops += pg.flops;
      // The depthwise result is the step's own scratch, reused call after call.
      checkAllocatable(op, `layer '${d.name}' depthwise output`, g.outputShape);
      const scratch = new Float32Array(g.outputShape.reduce((a, b) => a * b, 1));
      body = (x, out) => {
        dw(x, scratch);
        pr.run(scratch, out);
      };
    }
  } else {
    const outShape = full(graph, o.output, batch);
    const filterShape = [...d.kernel, d.filters, xShape[3]];
    const conv = { strides: d.strides, padding: d.padding };
    // conv2dTranspose's geometry and checks once, at plan time; each call then writes its slot (and the
    // direct path's float64 sums go to the step's own scratch), so nothing is allocated per call.
    const g = inputGradientGeometry(
      TRANSPOSE_NAMES,
      outShape,
      { shape: filterShape, rank: 4 },
      { shape: xShape, rank: 4 },
      conv,
    );
    const sums =
      g.flops <= GRADIENT_DIRECT_MAX_FLOPS
        ? new Float64Array(g.batch * g.inHeight * g.inWidth * g.inChannels)
        : undefined;
    algorithm = 'conv2dTranspose';
    // The transpose's multiply-adds are its conv2d's: 2 x x's size x kernel taps x filters.
    flops = g.flops;
    body = (x, out) => into(out, inputGradientValues(TRANSPOSE_NAMES, g, o.filter, x, out, sums));
  }
  const width = graph.shapes[o.output][graph.shapes[o.output].length - 1];
  const fused = fusedEpilogue;
  const finish = (values: Float32Array[], out: Float32Array, clamped: boolean) => {
    if (!clamped)
      epilogueFast(out, o.bias, o.residual === null ? null : values[o.residual], o.activation, width);
  };
  const whole = bodyAsync;
  return {
    name: o.names.join('+'),
    layers: o.names,
    className: d.className,
    algorithm,
    flops,
    inputs: o.residual === null ? [o.input] : [o.input, o.residual],
    output: o.output,
    threaded,
    run: (values) => {
      const out = values[o.output];
      if (clamp && o.residual !== null) clamp.residual = values[o.residual];
      body(values[o.input], out);
      finish(values, out, clamping ? clamp!.applied === true : fused);
    },
    runAsync: whole
      ? async (values) => {
          const out = values[o.output];
          await whole(values[o.input], out);
          finish(values, out, false);
        }
      : undefined,
  };
}

function layerStep(
  graph: Graph,
  o: LayerOp,
  batch: number,
  pads: [[number, number], [number, number]] | null = null,
): Step {
  const d = o.def;
  const inShapes = o.inputs.map((t) => full(graph, t, batch));
  const outShape = full(graph, o.output, batch);
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const x = inShapes[0];
  let algorithm: string = d.kind;
  let flops = outSize;
  let compute: (ins: Float32Array[], out: Float32Array) => void;
  switch (d.kind) {
    case 'input':
    case 'identity':
    case 'reshape':
      return {
        name: o.names.join('+'),
        layers: o.names,
        className: d.className,
        algorithm: 'alias',
        flops: 0,
        inputs: o.inputs,
        output: o.output,
        // Same values in the same order (NHWC, row-major): the slot is shared, never copied.
        run: (values) => {
          values[o.output] = values[o.inputs[0]];
        },
      };
    case 'pointwise': {
      const width = x[x.length - 1];
      if (pointwiseInWasm(d.op) && rowsWasmAvailable()) algorithm = 'pointwise wasm';
      compute = ([a], out) => {
        if (pointwiseFast(d.op, a, out)) return;
        out.set(a);
        applyPointwise(d.op, out, width);
      };
      break;
    }
    case 'softmax': {
      const axis = d.axis < 0 ? d.axis + x.length : d.axis;
      const outer = x.slice(0, axis).reduce((a, b) => a * b, 1);
      const inner = x.slice(axis + 1).reduce((a, b) => a * b, 1);
      flops = 3 * outSize;
      compute = ([a], out) => softmaxAxis(a, outer, x[axis], inner, out);
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
      const packed = packAffine(scale, shift);
      if (rowsWasmAvailable()) algorithm = 'batchnorm wasm';
      compute = ([a], out) => affineFast(a, packed, out);
      break;
    }
    case 'rescale': {
      const c = x[x.length - 1];
      const packed = packAffine(new Float32Array(c).fill(d.scale), new Float32Array(c).fill(d.offset));
      flops = 2 * outSize;
      if (rowsWasmAvailable()) algorithm = 'rescale wasm';
      compute = ([a], out) => affineFast(a, packed, out);
      break;
    }
    case 'add':
    case 'multiply':
      flops = outSize * (o.inputs.length - 1);
      if (rowsWasmAvailable()) algorithm = `${d.kind} wasm`;
      compute = (ins, out) => binaryFast(d.kind as 'add' | 'multiply', ins, inShapes, outShape, out);
      break;
    case 'concat': {
      const rank = x.length;
      const axis = d.axis < 0 ? d.axis + rank : d.axis;
      const outer = x.slice(0, axis).reduce((a, b) => a * b, 1);
      const chunks = inShapes.map((s) => s.slice(axis).reduce((a, b) => a * b, 1));
      flops = 0;
      if (rowsWasmAvailable()) algorithm = 'concat wasm';
      compute = (ins, out) => concatFast(ins, chunks, outer, out);
      break;
    }
    case 'pad':
      flops = 0;
      if (rowsWasmAvailable()) algorithm = 'pad wasm';
      compute = ([a], out) => zeroPadFast(a, x[0], x[1], x[2], x[3], d.pads, out);
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
      const acc = new Float32Array(x[3]);
      // A folded ZeroPadding2D (paddingFolds) is explicit padding whose zeros take part in the windows.
      const padding = pads ? { zeros: pads } : d.padding;
      if (poolWasmAvailable()) algorithm = 'pool wasm';
      compute = ([a], out) => pool2dFast(a, s, d.mode, d.pool, d.strides, padding, out, acc);
      break;
    }
    case 'global':
      flops = x.reduce((a, b) => a * b, 1);
      if (poolWasmAvailable()) algorithm = 'global wasm';
      compute = ([a], out) => globalPoolFast(a, batch, x[1] * x[2], x[3], d.mode, out);
      break;
    default:
      throw new Error(`${op}: no kernel for layer kind ${d.kind}`);
  }
  return {
    name: o.names.join('+'),
    layers: o.names,
    className: d.className,
    algorithm,
    flops,
    inputs: o.inputs,
    output: o.output,
    run: (values) =>
      compute(
        o.inputs.map((t) => values[t]),
        values[o.output],
      ),
  };
}

/** Arena slots for every computed tensor; aliases share their source's slot (and lifetime). */
function planSlots(graph: Graph, steps: readonly Step[], batch: number) {
  const root = new Map<number, number>();
  const rootOf = (t: number) => root.get(t) ?? t;
  const start = new Map<number, number>();
  const end = new Map<number, number>();
  const scratchFloats = new Map<number, number>();
  steps.forEach((s, i) => {
    if (s.scratch) {
      start.set(s.scratch.tensor, i);
      end.set(s.scratch.tensor, i);
      scratchFloats.set(s.scratch.tensor, s.scratch.floats);
    }
    if (s.algorithm === 'alias') root.set(s.output, rootOf(s.inputs[0]));
    else start.set(s.output, i);
    for (const t of s.inputs) end.set(rootOf(t), i);
    end.set(rootOf(s.output), Math.max(end.get(rootOf(s.output)) ?? i, i));
  });
  for (const t of graph.outputs) end.set(rootOf(t), steps.length);
  const ids = [...start.keys()];
  const sizes = ids.map((t) => scratchFloats.get(t) ?? batch * graph.shapes[t].reduce((a, b) => a * b, 1));
  const arena = planArena(
    ids.map((t, k) => ({ size: 4 * sizes[k], start: start.get(t)!, end: end.get(t)! })),
    64,
  );
  return { ids, sizes, arena };
}

/** The tensors an op reads: a convolution's input and residual, a layer's inputs. */
function opInputs(o: Op): number[] {
  return o.type === 'conv' ? [o.input, ...(o.residual === null ? [] : [o.residual])] : o.inputs;
}

/**
 * ZeroPadding2D layers whose only reader is a 'valid' DepthwiseConv2D (as in MobileNetV2 and V1
 * before every stride-2 depthwise layer) fold into it as its explicit padding: the depthwise kernel
 * handles padding itself (reading the unpadded input in place from the arena, or writing padding
 * zeros while it copies a band into scratch), so the padded tensor is never built (the pad step was
 * ~1.1 ms of MobileNetV2's ~27 on the 2-core Xeon). Likewise before a 'valid' MaxPooling2D or
 * AveragePooling2D (ResNet-50's pool1_pad): the pooling kernels take the padding as zeros that are
 * part of the windows (max includes them, the average counts them); and before a 'valid' Conv2D
 * (ResNet-50's conv1_pad), as TF's explicit padding of the convolution.
 */
function paddingFolds(graph: Graph, ops: readonly Op[]) {
  const skipped = new Set<Op>();
  const into = new Map<Op, { op: Op; pads: [[number, number], [number, number]] }>();
  const readers = new Map<number, Op[]>();
  for (const o of ops) for (const t of opInputs(o)) readers.set(t, [...(readers.get(t) ?? []), o]);
  const outputs = new Set(graph.outputs);
  for (const o of ops) {
    if (o.type !== 'layer' || o.def.kind !== 'pad' || outputs.has(o.output)) continue;
    const reader = readers.get(o.output);
    if (!reader || reader.length !== 1) continue;
    const next = reader[0];
    if (into.has(next)) continue;
    if (next.type === 'layer') {
      // A pooling whose one input is the padded tensor.
      if (next.def.kind !== 'pool' || next.def.padding !== 'VALID' || next.inputs.length !== 1) continue;
      skipped.add(o);
      into.set(next, {
        op: { ...next, inputs: [o.inputs[0]], names: [...next.names, ...o.names] },
        pads: o.def.pads,
      });
      continue;
    }
    // A 'valid' DepthwiseConv2D, or Conv2D (ResNet-50's conv1_pad before its 7x7 conv1).
    if ((next.def.kind !== 'depthwise' && next.def.kind !== 'conv') || next.def.padding !== 'VALID') continue;
    if (next.input !== o.output || next.residual === o.output) continue;
    skipped.add(o);
    into.set(next, {
      op: { ...next, input: o.inputs[0], names: [...next.names, ...o.names] },
      pads: o.def.pads,
    });
  }
  return { skipped, into };
}

/** How many ops read each tensor (as an input or a residual). */
function readerCounts(ops: readonly Op[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const o of ops) for (const t of opInputs(o)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/**
 * The 1x1 convolution `a` and its only reader, the depthwise convolution `b`, as one step in row bands
 * (band_fusion.ts), or null where they do not qualify: both must run on one thread (igemm for `a`, the
 * depthwise kernel in wasm for `b`) and `a`'s output must not be a model output.
 */
function bandStep(
  graph: Graph,
  a: ConvOp,
  b: ConvOp,
  pads: [[number, number], [number, number]] | null,
  options: CompileOptions,
): Step | null {
  if (graph.outputs.includes(a.output) || !depthwiseWasmAvailable()) return null;
  const { batch } = options;
  const xShape = full(graph, a.input, batch);
  const pair = bandPair(op, a, b, xShape, pads);
  if (!pair) return null;
  const [, , cin, mid] = pair.shape;
  const ga = convGeometry(op, xShape, [1, 1, cin, mid]);
  const plan = planConv2d(ga, 'auto', { precision: options.precision });
  if (plan.algorithm !== 'igemm' || planThreads(ga, 'igemm', options.threads) !== 1) return null;
  const dwFlops = pair.whole.flops * batch;
  if (depthwiseThreads(dwFlops, options.threads) !== 1) return null;
  markUnchanging(a.filter);
  markUnchanging(b.filter);
  const run = bandRunner(pair, batch);
  const parts: StepPart[] = [
    {
      name: a.names.join('+'),
      layers: a.names,
      className: a.def.className,
      algorithm: describe(plan),
      flops: ga.flops,
    },
    {
      name: b.names.join('+'),
      layers: b.names,
      className: b.def.className,
      algorithm: 'depthwise wasm',
      flops: dwFlops,
    },
  ];
  return {
    name: `${parts[0].name}+${parts[1].name}`,
    layers: [...a.names, ...b.names],
    className: a.def.className,
    algorithm: `banded: ${parts[0].algorithm} + ${parts[1].algorithm}`,
    flops: ga.flops + dwFlops,
    inputs: [a.input],
    output: b.output,
    parts,
    scratch: { tensor: a.output, floats: pair.bufferFloats },
    run: (values, partMs) => run(values[a.input], values[a.output], values[b.output], partMs),
  };
}

/** Plans every op for `options.batch` (and the thread request), with its activation arena. */
export function compilePlan(graph: Graph, ops: readonly Op[], options: CompileOptions): CompiledPlan {
  const folded =
    options.fold === false
      ? { skipped: new Set<Op>(), into: new Map<Op, never>() }
      : paddingFolds(graph, ops);
  const steps: Step[] = [];
  const planned = ops
    .filter((o) => !folded.skipped.has(o))
    .map((o) => folded.into.get(o) ?? { op: o, pads: null });
  const readers = readerCounts(planned.map((p) => p.op));
  for (let i = 0; i < planned.length; i++) {
    const { op: f, pads } = planned[i];
    const next = planned[i + 1];
    const banded =
      (options.bands ?? bandFusionEnabled()) &&
      f.type === 'conv' &&
      next?.op.type === 'conv' &&
      readers.get(f.output) === 1
        ? bandStep(graph, f, next.op, next.pads, options)
        : null;
    if (banded) {
      steps.push(banded);
      i++;
      continue;
    }
    steps.push(
      f.type === 'conv' ? convStep(graph, f, options, pads) : layerStep(graph, f, options.batch, pads),
    );
  }
  const { ids, sizes, arena } = planSlots(graph, steps, options.batch);
  checkAllocatable(op, 'the activation arena', [arena.size / 4]);
  const values = new Array<Float32Array>(graph.shapes.length);
  const slots = ids.map((tensor, k) => ({ tensor, at: arena.offsets[k] / 4, size: sizes[k] }));
  return {
    batch: options.batch,
    steps,
    arena: { ...arena, tensors: ids.length },
    values,
    slots,
    memory: null,
    base: 0,
    threaded: steps.some((s) => s.threaded === true),
  };
}
