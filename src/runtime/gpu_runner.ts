/// <reference types="@webgpu/types" preserve="true" />
/**
 * The model runtime on WebGPU: the fused operations (fuse.ts) run as GPU work, every activation in a
 * GPU buffer from the input's upload to the outputs' read-back. Convolutions, depthwise and Dense (a
 * 1x1 convolution over the rows) go through the backend's planner and kernels (packed filters cached
 * on the weight GpuTensors, uploaded once at load); the epilogue, pooling, padding, concatenation,
 * broadcasting and affine layers run src/gpu/kernels/layers.ts. Loaded lazily by load.ts, so the CPU
 * runtime's bundle holds none of it.
 */
import { UnsupportedModelError } from '../errors.js';
import { Tensor, sizeOf } from '../tensor.js';
import type { Precision } from '../plan/accuracy.js';
import { checkBufferSize, createStorage, linearDispatch, type ParamsLayout } from '../gpu/buffers.js';
import type { GpuContext, KernelCall } from '../gpu/context.js';
import type { WebGPUBackend } from '../gpu/backend.js';
import { sharedWebGPU } from '../gpu/one_call.js';
import { GpuTensor } from '../gpu/gpu_tensor.js';
import {
  ACT,
  AFFINE_PARAMS,
  AFFINE_WGSL,
  BINARY_PARAMS,
  BINARY_RANK,
  BINARY_WGSL,
  CONCAT_PARAMS,
  CONCAT_WGSL,
  EPILOGUE_PARAMS,
  EPILOGUE_WGSL,
  GLOBAL_PARAMS,
  GLOBAL_POOL_WGSL,
  LAYER_WORKGROUP,
  PAD_PARAMS,
  PAD_WGSL,
  POOL_PARAMS,
  POOL_WGSL,
  SOFTMAX_PARAMS,
  SOFTMAX_WGSL,
  floatBits,
} from '../gpu/kernels/layers.js';
import { batchNormAffine, broadcastStrides } from './kernels.js';
import { padBefore, type Pointwise } from './layers.js';
import type { ConvOp, LayerOp, Op } from './fuse.js';
import type { Graph } from './graph.js';

const op = 'LayersModel.predictAsync';

/**
 * Refuses, before any weight is read, a graph the GPU runtime cannot run: every layer kind the CPU
 * runtime reads has a GPU kernel, but broadcasting Add / Multiply takes at most BINARY_RANK axes
 * (batch included) there. A kind added to layers.ts without a GPU kernel is refused here too.
 */
export function checkGpuSupport(graph: Graph): void {
  for (const node of graph.nodes) {
    const def = node.layer.def;
    const refuse = (why: string) => {
      throw new UnsupportedModelError(
        `loadLayersModel: layer '${def.name}' (${def.className}) ${why}; load the model with { backend: 'wasm' }`,
      );
    };
    if (!GPU_KINDS.has(def.kind)) refuse('has no WebGPU kernel yet');
    const rank = graph.shapes[node.output].length + 1;
    if ((def.kind === 'add' || def.kind === 'multiply') && rank > BINARY_RANK) {
      refuse(`has rank-${rank} inputs; on WebGPU it takes at most ${BINARY_RANK} axes (batch included)`);
    }
  }
}

/** The layer kinds (layers.ts' LayerDef) that run on the GPU. */
const GPU_KINDS = new Set<string>([
  'input',
  'conv',
  'depthwise',
  'separable',
  'transpose',
  'dense',
  'batchnorm',
  'pointwise',
  'softmax',
  'add',
  'multiply',
  'concat',
  'pad',
  'pool',
  'global',
  'reshape',
  'identity',
  'rescale',
]);

/** The epilogue kernel's activation fields for a Pointwise (softmax is a separate pass). */
function activationFields(
  act: Pointwise | null,
): Record<'act' | 'lo' | 'hi' | 'slope' | 'threshold' | 'max', number> {
  const f = { act: ACT.none, lo: 0, hi: 0, slope: 0, threshold: 0, max: 0 };
  const clamp = (lo: number, hi: number) => ({ ...f, act: ACT.clamp, lo: floatBits(lo), hi: floatBits(hi) });
  if (act === null) return f;
  switch (act.fn) {
    case 'linear':
    case 'softmax':
      return f;
    case 'relu':
      return clamp(0, Infinity);
    case 'relu6':
      return clamp(0, 6);
    case 'relu_general':
      if (act.slope === 0 && act.threshold === 0) return clamp(0, act.max ?? Infinity);
      return {
        ...f,
        act: ACT.general,
        slope: floatBits(act.slope),
        threshold: floatBits(act.threshold),
        max: floatBits(act.max ?? Infinity),
      };
    case 'sigmoid':
      return { ...f, act: ACT.sigmoid };
    case 'hard_sigmoid':
      return { ...f, act: ACT.hardSigmoid };
    case 'tanh':
      return { ...f, act: ACT.tanh };
    case 'swish':
      return { ...f, act: ACT.swish };
  }
}

/** A ConvOp's weights on the GPU. */
interface ConvWeights {
  filter: GpuTensor;
  pointwise: GpuTensor | null;
  bias: GpuTensor | null;
}

/**
 * Everything one predictAsync made on the GPU. Buffers are freed as soon as no tensor still to be read
 * lives on them (`release`), the rest after the read-back: destroying a buffer after the work that reads
 * it was submitted is safe (the queue finishes that work first).
 */
class Run {
  /** Tensors made and not yet freed, with their buffers (views share their source's). */
  readonly made = new Map<GpuTensor, GPUBuffer>();
  constructor(readonly context: GpuContext) {}

  keep(t: GpuTensor): GpuTensor {
    this.made.set(t, t.bufferFor(op, 'x'));
    return t;
  }

  /** Frees every buffer that none of `live` lives on. */
  release(live: readonly GpuTensor[]): void {
    const keep = new Set(live.map((t) => this.made.get(t)));
    for (const [t, buffer] of this.made) {
      if (!keep.has(buffer)) {
        t.dispose();
        this.made.delete(t);
      }
    }
  }

  /** A tensor of `shape` over `t`'s buffer (Reshape, Flatten, Dense's row view): no copy. */
  view(t: GpuTensor, shape: readonly number[]): GpuTensor {
    return this.keep(new GpuTensor(this.context, t.bufferFor(op, 'x'), shape, t.ready));
  }

  /**
   * Runs one linear kernel writing a new tensor of `shape`: `bindings` are its read-only buffers in
   * binding order (the output follows them), and the output waits for all their work.
   */
  kernel<N extends string>(
    label: string,
    what: string,
    wgsl: string,
    layout: ParamsLayout<N>,
    params: Omit<Record<N, number>, 'total'>,
    shape: readonly number[],
    bindings: GpuTensor[],
    items = sizeOf(shape),
  ): GpuTensor {
    const { context } = this;
    const size = sizeOf(shape);
    checkBufferSize(context.limits, op, what, shape, size);
    const output = createStorage(context.device, size, label);
    const done = context.submit(op, [
      {
        label,
        wgsl,
        storage: [...bindings.map((t) => t.bufferFor(op, 'x')), output],
        params: layout.pack({ ...params, total: items } as Record<N, number>),
        workgroups: linearDispatch(context.limits, items, LAYER_WORKGROUP),
      },
    ]);
    return this.keep(new GpuTensor(context, output, shape, all(done, bindings)));
  }

  dispose(): void {
    for (const t of this.made.keys()) t.dispose();
    this.made.clear();
  }
}

export class GpuRunner {
  readonly device: string;
  readonly #backend: WebGPUBackend;
  readonly #graph: Graph;
  readonly #ops: readonly Op[];
  readonly #conv = new Map<ConvOp, ConvWeights>();
  /** BatchNormalization (unfused) and Rescaling as per-channel scale and shift buffers. */
  readonly #affine = new Map<LayerOp, { scale: GpuTensor; shift: GpuTensor }>();
  /** A 16-byte buffer bound where a kernel's optional input (bias, residual) is absent. */
  readonly #empty: GpuTensor;
  #weights: GpuTensor[] = [];
  readonly #lastUseOf: number[];

  private constructor(backend: WebGPUBackend, graph: Graph, ops: readonly Op[], made: Set<GpuTensor>) {
    this.#backend = backend;
    this.device = backend.adapterName;
    this.#graph = graph;
    this.#ops = ops;
    this.#lastUseOf = GpuRunner.#lastUse(graph, ops);
    // A shared layer's ops hold the same arrays: each is uploaded (and packed) once.
    const uploaded = new Map<Float32Array, GpuTensor>();
    const up = (data: Float32Array, shape: number[]) => {
      let t = uploaded.get(data);
      if (t === undefined || t.shape.join() !== shape.join()) {
        t = backend.upload(new Tensor(data, shape));
        this.#weights.push(t);
        made.add(t);
        uploaded.set(data, t);
      }
      return t;
    };
    this.#empty = up(new Float32Array(4), [4]);
    for (const o of ops) {
      if (o.type === 'conv') {
        const d = o.def;
        const inC = graph.shapes[o.input][graph.shapes[o.input].length - 1];
        let shape: number[];
        if (d.kind === 'dense') shape = [1, 1, inC, d.units];
        else if (d.kind === 'conv') shape = [...d.kernel, inC / d.groups, d.filters];
        else if (d.kind === 'depthwise' || d.kind === 'separable') shape = [...d.kernel, inC, d.multiplier];
        else shape = [...d.kernel, d.filters, inC]; // Conv2DTranspose: [h, w, out, in]
        const pointwise =
          d.kind === 'separable' ? up(o.pointwise!, [1, 1, inC * d.multiplier, d.filters]) : null;
        const bias = o.bias ? up(o.bias, [o.bias.length]) : null;
        this.#conv.set(o, { filter: up(o.filter, shape), pointwise, bias });
      } else if (o.def.kind === 'batchnorm' || o.def.kind === 'rescale') {
        const shape = graph.shapes[o.inputs[0]];
        const c = shape[shape.length - 1];
        let scale: Float32Array;
        let shift: Float32Array;
        if (o.def.kind === 'batchnorm') {
          const w = o.weights;
          ({ scale, shift } = batchNormAffine(
            w.get('moving_mean')!,
            w.get('moving_variance')!,
            w.get('gamma'),
            w.get('beta'),
            o.def.epsilon,
          ));
        } else {
          scale = new Float32Array(c).fill(o.def.scale);
          shift = new Float32Array(c).fill(o.def.offset);
        }
        this.#affine.set(o, { scale: up(scale, [c]), shift: up(shift, [c]) });
      }
    }
  }

  /** For each tensor, the index of the last op that reads it (Infinity for the model's outputs). */
  static #lastUse(graph: Graph, ops: readonly Op[]): number[] {
    const last = new Array<number>(graph.shapes.length).fill(-1);
    ops.forEach((o, i) => {
      const reads = o.type === 'conv' ? [o.input, ...(o.residual === null ? [] : [o.residual])] : o.inputs;
      for (const t of reads) last[t] = i;
    });
    for (const t of graph.outputs) last[t] = Infinity;
    return last;
  }

  /** Uploads the weights to the process's shared WebGPU backend (made on first use). */
  static async create(graph: Graph, ops: readonly Op[]): Promise<GpuRunner> {
    const backend = await sharedWebGPU();
    const before = new Set<GpuTensor>();
    try {
      return new GpuRunner(backend, graph, ops, before);
    } catch (error) {
      for (const t of before) t.dispose(); // what was uploaded before a weight was refused
      throw error;
    }
  }

  /** The outputs for `inputs` (checked by the model): one upload per input, one read-back per output. */
  async run(inputs: readonly Tensor[], precision: Precision): Promise<Tensor[]> {
    const backend = this.#backend;
    const graph = this.#graph;
    const run = new Run(backend.context);
    try {
      const batch = inputs[0].shape[0];
      const values: GpuTensor[] = [];
      graph.inputs.forEach((t, i) => (values[t] = run.keep(backend.upload(inputs[i]))));
      const lastUse = this.#lastUseOf;
      this.#ops.forEach((o, i) => {
        values[o.output] =
          o.type === 'conv'
            ? this.#convolve(run, o, values, batch, precision)
            : this.#layer(run, o, values, batch);
        // Activations no later op reads are freed now (with the op's own temporaries).
        run.release(values.filter((v, t) => v !== undefined && lastUse[t] > i));
      });
      return await Promise.all(graph.outputs.map((t) => values[t].read()));
    } finally {
      run.dispose();
    }
  }

  #convolve(run: Run, o: ConvOp, values: GpuTensor[], batch: number, precision: Precision): GpuTensor {
    const backend = this.#backend;
    const d = o.def;
    const w = this.#conv.get(o)!;
    const x = values[o.input];
    const outShape = [batch, ...this.#graph.shapes[o.output]];
    let y: GpuTensor;
    if (d.kind === 'dense') {
      const inUnits = x.shape[x.shape.length - 1];
      const rows = x.size / inUnits;
      const r = run.keep(backend.conv2d(run.view(x, [rows, 1, 1, inUnits]), w.filter, { precision }));
      y = run.view(r, outShape);
    } else if (d.kind === 'conv') {
      const conv = { strides: d.strides, padding: d.padding, dilations: d.dilations, precision };
      y = run.keep(backend.conv2d(x, w.filter, conv));
    } else if (d.kind === 'transpose') {
      y = run.keep(
        backend.conv2dTranspose(x, w.filter, outShape, { strides: d.strides, padding: d.padding }),
      );
    } else {
      // depthwise or separable
      const dw = d as Extract<ConvOp['def'], { kind: 'depthwise' }>;
      const conv = { strides: dw.strides, padding: dw.padding, dilations: dw.dilations };
      y = run.keep(backend.depthwiseConv2d(x, w.filter, conv));
      if (w.pointwise) y = run.keep(backend.conv2d(y, w.pointwise, { precision }));
    }
    const name = `layer '${o.names.join('+')}' output`;
    const fields = activationFields(o.activation);
    if (w.bias || o.residual !== null || fields.act !== ACT.none) {
      const residual = o.residual === null ? null : values[o.residual];
      y = this.#epilogue(run, name, y, w.bias, residual, fields);
    }
    if (o.activation?.fn === 'softmax') y = this.#softmax(run, name, y, y.shape.length - 1);
    return y;
  }

  #epilogue(
    run: Run,
    what: string,
    x: GpuTensor,
    bias: GpuTensor | null,
    residual: GpuTensor | null,
    fields: ReturnType<typeof activationFields>,
  ): GpuTensor {
    const width = x.shape[x.shape.length - 1];
    return run.kernel(
      'epilogue',
      what,
      EPILOGUE_WGSL,
      EPILOGUE_PARAMS,
      { width, hasBias: bias ? 1 : 0, hasRes: residual ? 1 : 0, ...fields },
      x.shape,
      [x, bias ?? this.#empty, residual ?? this.#empty],
    );
  }

  #softmax(run: Run, what: string, x: GpuTensor, axis: number): GpuTensor {
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    return run.kernel('softmax', what, SOFTMAX_WGSL, SOFTMAX_PARAMS, { n, inner }, x.shape, [x], x.size / n);
  }

  #layer(run: Run, o: LayerOp, values: GpuTensor[], batch: number): GpuTensor {
    const d = o.def;
    const ins = o.inputs.map((t) => values[t]);
    const x = ins[0];
    const outShape = [batch, ...this.#graph.shapes[o.output]];
    const what = `layer '${o.names.join('+')}' output`;
    switch (d.kind) {
      case 'input':
      case 'identity':
        return x;
      case 'reshape':
        return run.view(x, outShape);
      case 'pointwise': {
        const fields = activationFields(d.op);
        const y = fields.act === ACT.none ? x : this.#epilogue(run, what, x, null, null, fields);
        return d.op.fn === 'softmax' ? this.#softmax(run, what, y, y.shape.length - 1) : y;
      }
      case 'softmax':
        return this.#softmax(run, what, x, d.axis < 0 ? d.axis + x.shape.length : d.axis);
      case 'batchnorm':
      case 'rescale': {
        const { scale, shift } = this.#affine.get(o)!;
        const width = x.shape[x.shape.length - 1];
        return run.kernel('affine', what, AFFINE_WGSL, AFFINE_PARAMS, { width }, x.shape, [x, scale, shift]);
      }
      case 'add':
      case 'multiply': {
        let acc = ins[0];
        for (let k = 1; k < ins.length; k++) acc = this.#binary(run, what, d.kind, acc, ins[k], outShape);
        return acc;
      }
      case 'concat': {
        const rank = outShape.length;
        const axis = d.axis < 0 ? d.axis + rank : d.axis;
        const outer = sizeOf(outShape.slice(0, axis));
        const width = sizeOf(outShape.slice(axis));
        checkBufferSize(run.context.limits, op, what, outShape, sizeOf(outShape));
        const output = createStorage(run.context.device, sizeOf(outShape), 'concat');
        const calls: KernelCall[] = [];
        let offset = 0;
        for (const t of ins) {
          const chunk = t.size / outer;
          if (t.size > 0) {
            calls.push({
              label: 'concat',
              wgsl: CONCAT_WGSL,
              storage: [t.bufferFor(op, 'x'), output],
              params: CONCAT_PARAMS.pack({ total: t.size, chunk, width, offset }),
              workgroups: linearDispatch(run.context.limits, t.size, LAYER_WORKGROUP),
            });
          }
          offset += chunk;
        }
        const done = run.context.submit(op, calls);
        return run.keep(new GpuTensor(run.context, output, outShape, all(done, ins)));
      }
      case 'pad':
        return run.kernel(
          'zero_pad',
          what,
          PAD_WGSL,
          PAD_PARAMS,
          {
            inH: x.shape[1],
            inW: x.shape[2],
            channels: x.shape[3],
            outH: outShape[1],
            outW: outShape[2],
            padT: d.pads[0][0],
            padL: d.pads[1][0],
          },
          outShape,
          [x],
        );
      case 'pool':
        return run.kernel(
          `${d.mode}_pool`,
          what,
          POOL_WGSL,
          POOL_PARAMS,
          {
            inH: x.shape[1],
            inW: x.shape[2],
            channels: x.shape[3],
            outH: outShape[1],
            outW: outShape[2],
            kh: d.pool[0],
            kw: d.pool[1],
            sh: d.strides[0],
            sw: d.strides[1],
            padT: padBefore(x.shape[1], d.pool[0], d.strides[0], 1, d.padding),
            padL: padBefore(x.shape[2], d.pool[1], d.strides[1], 1, d.padding),
            isMax: d.mode === 'max' ? 1 : 0,
          },
          outShape,
          [x],
        );
      case 'global':
        return run.kernel(
          `global_${d.mode}_pool`,
          what,
          GLOBAL_POOL_WGSL,
          GLOBAL_PARAMS,
          { cells: x.shape[1] * x.shape[2], channels: x.shape[3], isMax: d.mode === 'max' ? 1 : 0 },
          outShape,
          [x],
        );
      default:
        throw new UnsupportedModelError(
          `loadLayersModel: layer '${d.name}' (${d.className}) has no WebGPU kernel yet`,
        );
    }
  }

  /** a + b or a * b with broadcasting to `outShape` (same rank; the runtime checked the shapes). */
  #binary(
    run: Run,
    what: string,
    mode: 'add' | 'multiply',
    a: GpuTensor,
    b: GpuTensor,
    outShape: number[],
  ): GpuTensor {
    const pad = BINARY_RANK - outShape.length;
    if (pad < 0) {
      throw new UnsupportedModelError(
        `loadLayersModel: ${what}: broadcasting ${mode} takes at most ${BINARY_RANK} axes on WebGPU`,
      );
    }
    const full = (s: readonly number[]) => [...new Array<number>(pad).fill(1), ...s];
    const d = full(outShape);
    const strides = (s: readonly number[]) => broadcastStrides(full(s));
    const sa = strides(a.shape);
    const sb = strides(b.shape);
    const params: Record<string, number> = { multiply: mode === 'multiply' ? 1 : 0 };
    for (let k = 0; k < BINARY_RANK; k++) {
      params[`d${k}`] = d[k];
      params[`sa${k}`] = sa[k];
      params[`sb${k}`] = sb[k];
    }
    return run.kernel(mode, what, BINARY_WGSL, BINARY_PARAMS, params, outShape, [a, b]);
  }

  /** Frees the weights (the shared device stays for other models and conv2dAsync). */
  dispose(): void {
    for (const t of this.#weights) t.dispose();
    this.#weights = [];
    this.#conv.clear();
    this.#affine.clear();
  }
}

/** A promise of `first` and every tensor's producing work. */
function all(first: GpuTensor | Promise<void>, inputs: readonly GpuTensor[]): Promise<void> {
  const head = first instanceof GpuTensor ? first.ready : first;
  return Promise.all([head, ...inputs.map((t) => t.ready)]).then(() => undefined);
}
