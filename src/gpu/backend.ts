/// <reference types="@webgpu/types" preserve="true" />
/**
 * WebGPUBackend: conv2d and its family on GPU-resident tensors. Each op validates its arguments with
 * the CPU op's own checks (src/geometry.ts and the validators in src/ops/, so shapes and error texts are
 * the same), checks every buffer it needs against the device's limits, then encodes its kernels and
 * returns the output GpuTensor without waiting for the GPU.
 */
import { invalid, show } from '../errors.js';
import {
  convGeometry,
  depthwiseGeometry,
  patchesGeometry,
  type ConvGeometry,
  type ConvOptions,
  type PatchesOptions,
} from '../geometry.js';
import { Tensor, sizeOf } from '../tensor.js';
import { checkOptionKeys } from '../ops/options.js';
import { checkPrecision, type Precision } from '../plan/accuracy.js';
import {
  BACKPROP_INPUT_NAMES,
  GRADIENT_OPTIONS,
  inputGradientGeometry,
  type InputGradientNames,
} from '../ops/conv2d_backprop_input.js';
import { filterGradientGeometry } from '../ops/conv2d_backprop_filter.js';
import { TRANSPOSE_NAMES } from '../ops/conv2d_transpose.js';
import { checkBufferSize, createStorage, linearDispatch, type GpuLimits } from './buffers.js';
import { GpuContext, type KernelCall } from './context.js';
import { acquireDevice, type WebGPUOptions } from './device.js';
import { GpuTensor, type DerivedBuffer } from './gpu_tensor.js';
import {
  checkGpuConv2dAlgorithm,
  checkGpuDepthwiseAlgorithm,
  planGpuConv2d,
  planGpuDepthwise,
  planGpuInputGradient,
  planGpuFilterGradient,
  checkGpuInputGradientAlgorithm,
  checkGpuFilterGradientAlgorithm,
  type GpuFilterGradientKernel,
  winogradScratch,
  type GpuInputGradientKernel,
  type GpuConv2dKernel,
  type GpuConvPlan,
  type GpuDepthwiseKernel,
} from './planner.js';
import { convParams } from './kernels/conv_params.js';
import { DIRECT_NONFINITE_WGSL, DIRECT_WGSL, DIRECT_WORKGROUP } from './kernels/direct.js';
import { DEPTHWISE_VEC4_WGSL } from './kernels/depthwise.js';
import { IGEMM_KT, PACK_WORKGROUP, igemmWgsl, packFilterWgsl } from './kernels/igemm.js';
import {
  BACKPROP_FILTER_GEMM_WGSL,
  BACKPROP_FILTER_REDUCE_WGSL,
  BACKPROP_FILTER_WGSL,
  BACKPROP_INPUT_NONFINITE_WGSL,
  BACKPROP_INPUT_WGSL,
  BACKPROP_WORKGROUP,
} from './kernels/backprop.js';
import { PATCHES_WGSL, PATCHES_WORKGROUP } from './kernels/patches.js';
import {
  WINOGRAD_FILTER_WGSL,
  WINOGRAD_GEMM_WGSL,
  WINOGRAD_INPUT_WGSL,
  WINOGRAD_OUTPUT_WGSL,
  WINOGRAD_WORKGROUP,
  winogradTiles,
} from './kernels/winograd.js';

export interface GpuConv2dOptions extends ConvOptions {
  /**
   * 'auto' (default: the GPU planner's choice), 'direct', 'igemm' or 'winograd' (3x3, stride 1, one group;
   * igemm where it does not apply). All give the same values up to rounding.
   */
  algorithm?: GpuConv2dKernel | 'auto';
  /** As conv2d's: 'highest' keeps to GEMM-accurate kernels (no Winograd). */
  precision?: Precision;
}

export interface GpuDepthwiseConv2dOptions extends ConvOptions {
  /** Accepted as on the CPU op; every kernel here is a plain sum, so both values compute the same. */
  precision?: Precision;
  /** 'auto' (default), 'direct', or 'depthwise' (vec4 kernel; 'direct' where it does not apply). */
  algorithm?: GpuDepthwiseKernel | 'auto';
}

const CONV2D_OPTIONS = ['strides', 'padding', 'dataFormat', 'dilations', 'algorithm', 'precision'] as const;
const INPUT_GRADIENT_OPTIONS = [...GRADIENT_OPTIONS, 'algorithm'] as const;

export interface GpuGradientOptions extends ConvOptions {
  /** Accepted as on the CPU op; every kernel here is a plain sum, so both values compute the same. */
  precision?: Precision;
  /**
   * 'auto' (default), 'direct' (one invocation per input value) or 'igemm' (stride 1: the gradient as a
   * conv2d of dy with the flipped filter; 'direct' where that form does not exist).
   */
  algorithm?: GpuInputGradientKernel | 'auto';
}

export interface GpuFilterGradientOptions extends ConvOptions {
  /** Accepted as on the CPU op; every kernel here is a plain sum, so both values compute the same. */
  precision?: Precision;
  /** 'auto' (default), 'direct' (one invocation per filter value and slice) or 'igemm' (a tiled GEMM). */
  algorithm?: GpuFilterGradientKernel | 'auto';
}

export class WebGPUBackend {
  readonly #context: GpuContext;

  /** Internal: use webgpu(). */
  constructor(context: GpuContext) {
    this.#context = context;
  }

  /** Internal: the device's state, for the model runtime's own kernels (src/runtime/gpu_runner.ts). */
  get context(): GpuContext {
    return this.#context;
  }

  /** The adapter's name (description, vendor, architecture, as the adapter reports them). */
  get adapterName(): string {
    return this.#context.adapterName;
  }

  /** The limits ops plan and check buffers against (the device's, or lower ones from webgpu(options)). */
  get limits(): GpuLimits {
    return this.#context.limits;
  }

  /** The GPUDevice, for interoperating with other WebGPU code. */
  get device(): GPUDevice {
    return this.#context.device;
  }

  /** Whether the device was lost (or the backend disposed): then every op and read is an error. */
  get lost(): boolean {
    return this.#context.isLost;
  }

  /** Copies a Tensor's values into a new GPU buffer. */
  upload(t: Tensor): GpuTensor {
    const op = 'upload';
    if (!(t instanceof Tensor)) invalid(op, 'tensor', `must be a Tensor, got ${show(t)}`);
    const { device } = this.#context;
    this.#context.checkAlive(op);
    checkBufferSize(this.#context.limits, op, 'tensor', t.shape, t.size);
    const buffer = createStorage(device, t.size, `upload ${show(t.shape)}`);
    if (t.size > 0) device.queue.writeBuffer(buffer, 0, t.data as Float32Array<ArrayBuffer>);
    return new GpuTensor(this.#context, buffer, t.shape, Promise.resolve());
  }

  /** conv2d on the GPU: conv2d's options, validation and errors; `algorithm` picks a GPU kernel. */
  conv2d(input: GpuTensor, filter: GpuTensor, options?: GpuConv2dOptions): GpuTensor {
    const op = 'conv2d';
    const opts = checkOptionKeys(op, options, CONV2D_OPTIONS);
    const x = this.#argument(op, 'input', input);
    const w = this.#argument(op, 'filter', filter);
    const g = convGeometry(op, x.shape, w.shape, opts);
    const choice = checkGpuConv2dAlgorithm(op, opts.algorithm);
    const plan = planGpuConv2d(g, choice, this.limits, checkPrecision(op, opts.precision));
    return this.#convolve(op, g, plan, x, w);
  }

  /** The plan conv2d would run for these shapes and options on this device. */
  planConv2d(
    inputShape: readonly number[],
    filterShape: readonly number[],
    options?: GpuConv2dOptions,
  ): GpuConvPlan {
    const op = 'conv2d';
    const opts = checkOptionKeys(op, options, CONV2D_OPTIONS);
    const g = convGeometry(op, inputShape, filterShape, opts);
    const choice = checkGpuConv2dAlgorithm(op, opts.algorithm);
    return planGpuConv2d(g, choice, this.limits, checkPrecision(op, opts.precision));
  }

  /** depthwiseConv2d on the GPU: the CPU op's options, validation and errors. */
  depthwiseConv2d(input: GpuTensor, filter: GpuTensor, options?: GpuDepthwiseConv2dOptions): GpuTensor {
    const op = 'depthwiseConv2d';
    const opts = checkOptionKeys(op, options, CONV2D_OPTIONS);
    checkPrecision(op, opts.precision); // every depthwise kernel is a plain sum: both values agree
    const x = this.#argument(op, 'input', input);
    const w = this.#argument(op, 'filter', filter);
    const g = depthwiseGeometry(op, x.shape, w.shape, opts);
    const plan = planGpuDepthwise(g, checkGpuDepthwiseAlgorithm(op, opts.algorithm), this.limits);
    return this.#convolve(op, g, plan, x, w);
  }

  /** conv2dBackpropInput on the GPU (inputShape, filter, dy as the CPU op). */
  conv2dBackpropInput(
    inputShape: readonly number[],
    filter: GpuTensor,
    dy: GpuTensor,
    options?: GpuGradientOptions,
  ): GpuTensor {
    const names = BACKPROP_INPUT_NAMES;
    const opts = checkOptionKeys(names.op, options, INPUT_GRADIENT_OPTIONS);
    checkPrecision(names.op, opts.precision); // plain sums: both values compute the same
    const w = this.#argument(names.op, names.filter, filter);
    const grad = this.#argument(names.op, names.dy, dy);
    return this.#inputGradient(names, inputShape, w, grad, opts);
  }

  /** conv2dTranspose on the GPU (input, filters, outputShape as the CPU op; padding defaults to SAME). */
  conv2dTranspose(
    input: GpuTensor,
    filters: GpuTensor,
    outputShape: readonly number[],
    options?: GpuGradientOptions,
  ): GpuTensor {
    const names = TRANSPOSE_NAMES;
    const opts = checkOptionKeys(names.op, options, INPUT_GRADIENT_OPTIONS);
    checkPrecision(names.op, opts.precision); // plain sums: both values compute the same
    const x = this.#argument(names.op, names.dy, input);
    const w = this.#argument(names.op, names.filter, filters);
    return this.#inputGradient(names, outputShape, w, x, { ...opts, padding: opts.padding ?? 'SAME' });
  }

  /** conv2dBackpropFilter on the GPU (input, filterShape, dy as the CPU op). */
  conv2dBackpropFilter(
    input: GpuTensor,
    filterShape: readonly number[],
    dy: GpuTensor,
    options?: GpuFilterGradientOptions,
  ): GpuTensor {
    const op = 'conv2dBackpropFilter';
    const opts = checkOptionKeys(op, options, INPUT_GRADIENT_OPTIONS);
    checkPrecision(op, opts.precision); // plain sums: both values compute the same
    const x = this.#argument(op, 'input', input);
    const grad = this.#argument(op, 'dy', dy);
    const { algorithm, ...convOptions } = opts;
    const choice = checkGpuFilterGradientAlgorithm(op, algorithm);
    const { g, shape } = filterGradientGeometry(op, x.shape, filterShape, grad, convOptions);
    const { device, limits } = this.#context;
    const size = sizeOf(shape);
    checkBufferSize(limits, op, 'filter gradient', shape, size);
    if (g.flops === 0 || size === 0) return this.#zeros(op, shape);
    const plan = planGpuFilterGradient(g, choice, limits);
    const { slices } = plan;
    const output = createStorage(device, size, op);
    const partial = slices > 1 ? createStorage(device, slices * size, `${op} partial sums`) : output;
    const storage = [x.bufferFor(op, 'input'), grad.bufferFor(op, 'dy'), partial];
    const calls: KernelCall[] = [
      plan.algorithm === 'igemm'
        ? {
            label: plan.kernel,
            wgsl: BACKPROP_FILTER_GEMM_WGSL,
            storage,
            params: convParams(g, slices * size, slices),
            workgroups: plan.dispatch,
          }
        : {
            label: plan.kernel,
            wgsl: BACKPROP_FILTER_WGSL,
            storage,
            params: convParams(g, slices * size, slices),
            workgroups: linearDispatch(limits, slices * size, BACKPROP_WORKGROUP),
          },
    ];
    if (slices > 1) {
      calls.push({
        label: 'conv2d_backprop_filter_reduce',
        wgsl: BACKPROP_FILTER_REDUCE_WGSL,
        storage: [partial, output],
        params: convParams(g, size, slices),
        workgroups: linearDispatch(limits, size, BACKPROP_WORKGROUP),
      });
    }
    const done = this.#context.submit(op, calls);
    if (partial !== output) void done.finally(() => partial.destroy()).catch(() => undefined);
    return this.#output(output, shape, done, [x, grad]);
  }

  /** tf.image.extract_patches on the GPU: the CPU op's options, validation and errors. */
  extractImagePatches(images: GpuTensor, options: PatchesOptions): GpuTensor {
    const op = 'extractImagePatches';
    const opts = checkOptionKeys(op, options, ['sizes', 'strides', 'rates', 'padding']);
    const x = this.#argument(op, 'images', images);
    const pg = patchesGeometry(op, x.shape, opts);
    const { device } = this.#context;
    const size = sizeOf(pg.outputShape);
    checkBufferSize(this.#context.limits, op, 'output', pg.outputShape, size);
    if (size === 0) return this.#zeros(op, pg.outputShape);
    // The conv block's fields: output depth as outC, one group of all channels.
    const asConv = { ...pg, outChannels: pg.outputShape[3], groups: 1, filterInChannels: pg.inChannels };
    const output = createStorage(device, size, op);
    const done = this.#context.submit(op, [
      {
        label: 'extract_patches',
        wgsl: PATCHES_WGSL,
        storage: [x.bufferFor(op, 'images'), output],
        params: convParams(asConv as unknown as ConvGeometry, size),
        workgroups: linearDispatch(this.#context.limits, size, PATCHES_WORKGROUP),
      },
    ]);
    return this.#output(output, pg.outputShape, done, [x]);
  }

  /**
   * Destroys the device: every GpuTensor of this backend becomes unusable, and reads still pending
   * reject with WebGPUDeviceLostError.
   */
  dispose(): void {
    this.#context.destroy();
  }

  #argument(op: string, arg: string, value: unknown): GpuTensor {
    this.#context.checkAlive(op);
    if (!(value instanceof GpuTensor)) {
      const hint = value instanceof Tensor ? ' (upload it first: gpu.upload(tensor))' : '';
      return invalid(op, arg, `must be a GpuTensor from this backend, got ${show(value)}${hint}`);
    }
    if (value.context !== this.#context) {
      invalid(op, arg, `is a GpuTensor of another WebGPU backend (device); read it and upload it here`);
    }
    value.bufferFor(op, arg);
    return value;
  }

  #zeros(op: string, shape: readonly number[]): GpuTensor {
    // New buffers are zero-filled (WebGPU guarantees it).
    return this.#output(createStorage(this.#context.device, sizeOf(shape), op), shape, Promise.resolve(), []);
  }

  #output(buffer: GPUBuffer, shape: readonly number[], done: Promise<void>, inputs: GpuTensor[]): GpuTensor {
    const ready = Promise.all([done, ...inputs.map((t) => t.ready)]).then(() => undefined);
    return new GpuTensor(this.#context, buffer, shape, ready);
  }

  #inputGradient(
    names: InputGradientNames,
    inputShape: unknown,
    w: GpuTensor,
    dy: GpuTensor,
    opts: GpuGradientOptions,
  ): GpuTensor {
    const { op } = names;
    const { algorithm, ...options } = opts;
    const choice = checkGpuInputGradientAlgorithm(op, algorithm);
    const g = inputGradientGeometry(names, inputShape, w, dy, options);
    const { device, limits } = this.#context;
    const size = sizeOf(g.inputShape);
    checkBufferSize(limits, op, 'result', g.inputShape, size);
    if (g.flops === 0 || size === 0) return this.#zeros(op, g.inputShape);
    const { plan, asConv } = planGpuInputGradient(g, choice, limits);
    if (asConv) {
      const packed = this.#packedFilter(op, asConv, w, true);
      // Values igemm made infinite or NaN are recomputed as sums (the zero border times a NaN weight).
      const invocations = Math.min(size, limits.maxComputeWorkgroupsPerDimension ** 2 * BACKPROP_WORKGROUP);
      const recompute = (output: GPUBuffer): KernelCall => ({
        label: 'conv2d_backprop_input_nonfinite_recompute',
        wgsl: BACKPROP_INPUT_NONFINITE_WGSL,
        storage: [dy.bufferFor(op, names.dy), w.bufferFor(op, names.filter), output],
        params: convParams(g, size),
        workgroups: linearDispatch(limits, invocations, BACKPROP_WORKGROUP),
      });
      return this.#igemm(op, asConv, plan, dy, w, packed, g.inputShape, recompute);
    }
    const output = createStorage(device, size, op);
    const done = this.#context.submit(op, [
      {
        label: 'conv2d_backprop_input',
        wgsl: BACKPROP_INPUT_WGSL,
        storage: [dy.bufferFor(op, names.dy), w.bufferFor(op, names.filter), output],
        params: convParams(g, size),
        workgroups: linearDispatch(limits, size, BACKPROP_WORKGROUP),
      },
    ]);
    return this.#output(output, g.inputShape, done, [w, dy]);
  }

  /** Runs a conv2d or depthwise plan. */
  #convolve(op: string, g: ConvGeometry, plan: GpuConvPlan, x: GpuTensor, w: GpuTensor): GpuTensor {
    const { device } = this.#context;
    const size = sizeOf(g.outputShape);
    checkBufferSize(this.#context.limits, op, 'output', g.outputShape, size);
    if (size === 0) return this.#zeros(op, g.outputShape);
    const xBuffer = x.bufferFor(op, 'input');
    const wBuffer = w.bufferFor(op, 'filter');
    if (plan.algorithm === 'winograd') return this.#winograd(op, g, plan, x, w);
    if (plan.algorithm !== 'igemm') {
      const output = createStorage(device, size, op);
      const vec4 = plan.kernel === 'depthwise_vec4';
      const items = vec4 ? size / 4 : size;
      const done = this.#context.submit(op, [
        {
          label: plan.kernel,
          wgsl: vec4 ? DEPTHWISE_VEC4_WGSL : DIRECT_WGSL,
          storage: [xBuffer, wBuffer, output],
          params: convParams(g, items),
          workgroups: linearDispatch(this.#context.limits, items, plan.workgroupSize[0]),
        },
      ]);
      return this.#output(output, g.outputShape, done, [x, w]);
    }
    return this.#igemm(op, g, plan, x, w, this.#packedFilter(op, g, w, false), g.outputShape);
  }

  /**
   * Runs an igemm plan for geometry `g` (input x, packed filter), writing a tensor of `shape` (g's output
   * shape, or the input gradient's, which is the transposed convolution's output).
   */
  #igemm(
    op: string,
    g: ConvGeometry,
    plan: GpuConvPlan,
    x: GpuTensor,
    w: GpuTensor,
    packed: DerivedBuffer,
    shape: readonly number[],
    after?: (output: GPUBuffer) => KernelCall,
  ): GpuTensor {
    const size = sizeOf(g.outputShape);
    const output = createStorage(this.#context.device, size, op);
    const wgsl = igemmWgsl(plan.variant!);
    const [xGroups, yGroups, zGroups] = plan.dispatch;
    const rowsPerPass = Math.ceil(yGroups / plan.passes);
    const quads = Math.ceil(g.outChannels / g.groups / 4);
    const xBuffer = x.bufferFor(op, 'input');
    const calls: KernelCall[] = [];
    for (let first = 0; first < yGroups; first += rowsPerPass) {
      const count = Math.min(rowsPerPass, yGroups - first);
      calls.push({
        label: plan.kernel,
        wgsl,
        storage: [xBuffer, packed.buffer, output],
        params: convParams(g, size, quads, first * plan.tile[0]),
        workgroups: [xGroups, count, zGroups],
      });
    }
    if (after) calls.push(after(output));
    const done = Promise.all([packed.ready, this.#context.submit(op, calls)]).then(() => undefined);
    return this.#output(output, shape, done, [x, w]);
  }

  /** conv2d by Winograd F(2x2, 3x3): four passes in one submission (src/gpu/kernels/winograd.ts). */
  #winograd(op: string, g: ConvGeometry, plan: GpuConvPlan, x: GpuTensor, w: GpuTensor): GpuTensor {
    const { device } = this.#context;
    const scratch = winogradScratch(g);
    const tiles = winogradTiles(g.outHeight, g.outWidth, g.batch);
    const padded = Math.ceil(g.outChannels / 4) * 4;
    checkBufferSize(
      this.#context.limits,
      op,
      'Winograd filter transform',
      [16, g.inChannels, padded],
      scratch.filter,
    );
    checkBufferSize(
      this.#context.limits,
      op,
      'Winograd input transform',
      [16, tiles, g.inChannels],
      scratch.input,
    );
    checkBufferSize(this.#context.limits, op, 'Winograd products', [16, tiles, padded], scratch.product);
    const size = sizeOf(g.outputShape);
    const transformed = w.derived(`winograd-f2x2-3x3:${padded}`, () => {
      const buffer = createStorage(device, scratch.filter, `${op} Winograd filter`);
      const items = g.inChannels * padded;
      const ready = this.#context.submit(op, [
        {
          label: 'winograd_filter',
          wgsl: WINOGRAD_FILTER_WGSL,
          storage: [w.bufferFor(op, 'filter'), buffer],
          params: convParams(g, items, padded),
          workgroups: linearDispatch(this.#context.limits, items, WINOGRAD_WORKGROUP),
        },
      ]);
      return { buffer, ready: Promise.all([ready, w.ready]).then(() => undefined) };
    });
    const input = createStorage(device, scratch.input, `${op} Winograd input`);
    const product = createStorage(device, scratch.product, `${op} Winograd products`);
    const output = createStorage(device, size, op);
    const calls: KernelCall[] = [
      {
        label: 'winograd_input',
        wgsl: WINOGRAD_INPUT_WGSL,
        storage: [x.bufferFor(op, 'input'), input],
        params: convParams(g, tiles * g.inChannels, padded),
        workgroups: linearDispatch(this.#context.limits, tiles * g.inChannels, WINOGRAD_WORKGROUP),
      },
    ];
    const [xGroups, yGroups] = plan.dispatch;
    const rowsPerPass = Math.ceil(yGroups / plan.passes);
    for (let first = 0; first < yGroups; first += rowsPerPass) {
      calls.push({
        label: 'winograd_gemm',
        wgsl: WINOGRAD_GEMM_WGSL,
        storage: [input, transformed.buffer, product],
        params: convParams(g, tiles, padded, first * plan.tile[0]),
        workgroups: [xGroups, Math.min(rowsPerPass, yGroups - first), 16],
      });
    }
    calls.push({
      label: 'winograd_output',
      wgsl: WINOGRAD_OUTPUT_WGSL,
      storage: [product, output],
      params: convParams(g, tiles * g.outChannels, padded),
      workgroups: linearDispatch(this.#context.limits, tiles * g.outChannels, WINOGRAD_WORKGROUP),
    });
    // Outputs that came out infinite or NaN are recomputed as sums (infinity - infinity in a tile).
    calls.push({
      label: 'winograd_nonfinite_recompute',
      wgsl: DIRECT_NONFINITE_WGSL,
      storage: [x.bufferFor(op, 'input'), w.bufferFor(op, 'filter'), output],
      params: convParams(g, size),
      // As many invocations as the output pass (which fits the device's dispatch limits): a few outputs each.
      workgroups: linearDispatch(this.#context.limits, tiles * g.outChannels, DIRECT_WORKGROUP),
    });
    const submitted = this.#context.submit(op, calls);
    void submitted
      .finally(() => {
        input.destroy();
        product.destroy();
      })
      .catch(() => undefined);
    const done = Promise.all([transformed.ready, submitted]).then(() => undefined);
    return this.#output(output, g.outputShape, done, [x, w]);
  }

  /**
   * The filter packed for igemm ([groups][K][out channels per group rounded up to 4]), made on the GPU
   * once per filter tensor and layout, and kept with it (GpuTensors are immutable).
   */
  #packedFilter(op: string, g: ConvGeometry, w: GpuTensor, flipped: boolean): DerivedBuffer {
    const quads = Math.ceil(g.outChannels / g.groups / 4);
    const k = g.filterHeight * g.filterWidth * g.filterInChannels;
    const size = g.groups * k * quads * 4;
    const { device } = this.#context;
    checkBufferSize(this.#context.limits, op, 'packed filter', [g.groups, k, quads * 4], size);
    return w.derived(`igemm${flipped ? '-flipped' : ''}:${g.groups}:${quads}:${IGEMM_KT}`, () => {
      const buffer = createStorage(device, size, `${op} packed filter`);
      const ready = this.#context.submit(op, [
        {
          label: flipped ? 'pack_filter_flipped' : 'pack_filter',
          wgsl: packFilterWgsl(flipped),
          storage: [w.bufferFor(op, 'filter'), buffer],
          params: convParams(g, size, quads),
          workgroups: linearDispatch(this.#context.limits, size, PACK_WORKGROUP),
        },
      ]);
      return { buffer, ready: Promise.all([ready, w.ready]).then(() => undefined) };
    });
  }
}

/**
 * The WebGPU backend: Node uses the `webgpu` package (Dawn), browsers navigator.gpu. Rejects with
 * WebGPUUnavailableError saying what is missing (no navigator.gpu, no `webgpu` package, no adapter).
 */
export async function webgpu(options?: WebGPUOptions): Promise<WebGPUBackend> {
  return new WebGPUBackend(new GpuContext(await acquireDevice(options)));
}
