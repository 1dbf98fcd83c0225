/**
 * The GPU planner: which WGSL kernel computes a conv2d (or depthwise) geometry on a device with given
 * limits, with what workgroup, tile and dispatch, and why. Plain data: explainConv2d reports it.
 */
import { convGeometry, type ConvGeometry } from '../geometry.js';
import { invalid, show } from '../errors.js';
import { checkPrecision, type Precision } from '../plan/accuracy.js';
import { DIRECT_WORKGROUP } from './kernels/direct.js';
import { DEPTHWISE_WORKGROUP } from './kernels/depthwise.js';
import { igemmName, igemmWorkgroupBytes, type IgemmVariant } from './kernels/igemm.js';
import { WINOGRAD_GEMM_WX, WINOGRAD_GEMM_WY, winogradTiles } from './kernels/winograd.js';

/** The device limits the planner reads (GPUSupportedLimits has them all). */
export interface GpuPlanLimits {
  maxStorageBufferBindingSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** WebGPU's guaranteed minimums: what every adapter offers (used when no device is at hand). */
export const DEFAULT_GPU_LIMITS: GpuPlanLimits = {
  maxStorageBufferBindingSize: 134217728,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeWorkgroupsPerDimension: 65535,
};

export const GPU_CONV2D_KERNELS = ['direct', 'igemm', 'winograd'] as const;
export type GpuConv2dKernel = (typeof GPU_CONV2D_KERNELS)[number];
export const GPU_DEPTHWISE_KERNELS = ['direct', 'depthwise'] as const;
export type GpuDepthwiseKernel = (typeof GPU_DEPTHWISE_KERNELS)[number];

export interface GpuConvPlan {
  /** The WGSL kernel, e.g. "conv2d_igemm_64x64_vec4" or "conv2d_direct". */
  kernel: string;
  algorithm: GpuConv2dKernel | GpuDepthwiseKernel;
  /** Invocations per workgroup along x, y, z. */
  workgroupSize: [number, number, number];
  /** Outputs one invocation computes: [output pixels, output channels]. */
  perInvocation: [number, number];
  /** Outputs one workgroup computes: [output pixels, output channels]. */
  tile: [number, number];
  /** Workgroups dispatched along x, y, z (summed over the passes when M is split). */
  dispatch: [number, number, number];
  /** Passes (dispatches) the work is split into to respect maxComputeWorkgroupsPerDimension. */
  passes: number;
  reason: string;
  /** Set for igemm. */
  variant?: IgemmVariant;
}

/** Below this many FLOPs one invocation per output (no staging) is as fast as any tiling. */
export const GPU_DIRECT_MAX_FLOPS = 1 << 17;

function linearPlan(
  kernel: string,
  algorithm: GpuConvPlan['algorithm'],
  outputs: number,
  perInvocation: [number, number],
  size: number,
  limits: GpuPlanLimits,
  reason: string,
): GpuConvPlan {
  const groups = Math.ceil(outputs / perInvocation[1] / size);
  const x = Math.max(1, Math.min(groups, limits.maxComputeWorkgroupsPerDimension));
  return {
    kernel,
    algorithm,
    workgroupSize: [size, 1, 1],
    perInvocation,
    tile: [size * perInvocation[0], perInvocation[1]],
    dispatch: [groups === 0 ? 0 : x, groups === 0 ? 0 : Math.ceil(groups / x), groups === 0 ? 0 : 1],
    passes: 1,
    reason,
  };
}

function checkChoice<T extends string>(op: string, choice: unknown, known: readonly T[]): T | 'auto' {
  if (choice === undefined || choice === 'auto') return 'auto';
  if ((known as readonly unknown[]).includes(choice)) return choice as T;
  return invalid(
    op,
    'algorithm',
    `on the GPU must be one of 'auto', ${known.map((k) => `'${k}'`).join(', ')}; got ${show(choice)}`,
  );
}

/** Validates an `algorithm` option for the GPU conv2d. */
export function checkGpuConv2dAlgorithm(op: string, choice: unknown): GpuConv2dKernel | 'auto' {
  return checkChoice(op, choice, GPU_CONV2D_KERNELS);
}

export function checkGpuDepthwiseAlgorithm(op: string, choice: unknown): GpuDepthwiseKernel | 'auto' {
  return checkChoice(op, choice, GPU_DEPTHWISE_KERNELS);
}

function igemmVariant(g: ConvGeometry, limits: GpuPlanLimits): { variant: IgemmVariant; why: string } {
  const outPerGroup = g.outChannels / g.groups;
  const rows = g.batch * g.outHeight * g.outWidth;
  const vec4A = g.dataFormat === 'NHWC' && g.filterInChannels % 4 === 0;
  const fits = (v: IgemmVariant) =>
    v.wx * v.wy <= limits.maxComputeInvocationsPerWorkgroup &&
    igemmWorkgroupBytes(v) <= limits.maxComputeWorkgroupStorageSize;
  const big: IgemmVariant = { wx: 16, wy: 16, vec4A };
  const narrow: IgemmVariant = { wx: 4, wy: 16, vec4A };
  const small: IgemmVariant = { wx: 8, wy: 8, vec4A };
  if (outPerGroup <= 16) {
    return { variant: narrow, why: `${outPerGroup} output channels per group fill a 16-channel tile` };
  }
  if (outPerGroup >= 64 && rows >= 4096 && fits(big)) {
    return {
      variant: big,
      why: `${rows} output pixels x ${outPerGroup} channels fill 64x64 tiles (256 invocations)`,
    };
  }
  return { variant: small, why: `${rows} output pixels x ${outPerGroup} channels: 32x32 tiles` };
}

/** Plans conv2d (or a depthwise geometry run as grouped conv2d) for the GPU. */
export function planGpuConv2d(
  g: ConvGeometry,
  choice: GpuConv2dKernel | 'auto' = 'auto',
  limits: GpuPlanLimits = DEFAULT_GPU_LIMITS,
  precision: Precision = 'auto',
): GpuConvPlan {
  // Exported: checked here too, so an unknown choice is an error, never a silent 'auto'.
  choice = checkGpuConv2dAlgorithm(g.op, choice);
  precision = checkPrecision(g.op, precision);
  if (precision === 'highest' && choice === 'winograd') {
    // As on the CPU: two explicit options that contradict are an error, not a silent choice.
    invalid(
      g.op,
      'algorithm',
      `'winograd' cannot be combined with precision: 'highest' (its transforms round more than a ` +
        `direct sum does); use 'direct', 'igemm' or 'auto', or precision: 'auto'`,
    );
  }
  const outputs = g.batch * g.outHeight * g.outWidth * g.outChannels;
  const direct = (reason: string) =>
    linearPlan('conv2d_direct', 'direct', outputs, [1, 1], DIRECT_WORKGROUP, limits, reason);
  if (choice === 'direct') return direct('forced by algorithm: "direct"');
  const tooManyGroups = g.groups > limits.maxComputeWorkgroupsPerDimension;
  if (choice === 'auto') {
    if (g.flops < GPU_DIRECT_MAX_FLOPS) {
      return direct(
        `${g.flops} FLOPs: below ${GPU_DIRECT_MAX_FLOPS}, staging tiles costs more than it saves`,
      );
    }
    if (tooManyGroups) return direct(`${g.groups} groups exceed the dispatch's z limit`);
  }
  if (tooManyGroups) return direct(`igemm cannot take ${g.groups} groups (dispatch z limit); direct instead`);
  let winogradWhy = '';
  if (choice === 'winograd' || (choice === 'auto' && precision !== 'highest' && winogradCandidate(g))) {
    const refusal = winogradRefusal(g, limits);
    if (refusal === undefined) return winogradPlan(g, choice, limits);
    if (choice === 'winograd') winogradWhy = `winograd cannot run it (${refusal}): igemm instead; `;
  }
  const { variant, why } = igemmVariant(g, limits);
  const rows = g.batch * g.outHeight * g.outWidth;
  const tileM = 4 * variant.wy;
  const tileN = 4 * variant.wx;
  const yGroups = Math.ceil(rows / tileM);
  const passes = Math.max(1, Math.ceil(yGroups / limits.maxComputeWorkgroupsPerDimension));
  const vecWhy = variant.vec4A
    ? 'A loaded as vec4 (NHWC, input channels per group a multiple of 4)'
    : `A loaded as scalars (${g.dataFormat === 'NCHW' ? 'NCHW' : `${g.filterInChannels} input channels per group`})`;
  return {
    kernel: igemmName(variant),
    algorithm: 'igemm',
    workgroupSize: [variant.wx, variant.wy, 1],
    perInvocation: [4, 4],
    tile: [tileM, tileN],
    dispatch: [Math.ceil(Math.ceil(g.outChannels / g.groups / 4) / variant.wx), yGroups, g.groups],
    passes,
    reason: `${winogradWhy}${choice === 'igemm' ? 'forced by algorithm: "igemm"' : 'implicit GEMM'}: ${why}; ${vecWhy}`,
    variant,
  };
}

/** Channels in and out from which 'auto' takes Winograd for a 3x3 stride-1 layer. */
export const GPU_WINOGRAD_MIN_CHANNELS = 32;

function winogradCandidate(g: ConvGeometry): boolean {
  return (
    g.filterHeight === 3 &&
    g.filterWidth === 3 &&
    g.filterInChannels >= GPU_WINOGRAD_MIN_CHANNELS &&
    g.outChannels >= GPU_WINOGRAD_MIN_CHANNELS
  );
}

/** Scratch of F(2x2, 3x3) in float32 values: transformed filter, input and GEMM output. */
export function winogradScratch(g: ConvGeometry): { filter: number; input: number; product: number } {
  const tiles = winogradTiles(g.outHeight, g.outWidth, g.batch);
  const padded = Math.ceil(g.outChannels / 4) * 4;
  return {
    filter: 16 * g.inChannels * padded,
    input: 16 * tiles * g.inChannels,
    product: 16 * tiles * padded,
  };
}

/** Why F(2x2, 3x3) cannot take the geometry, or undefined if it can. */
function winogradRefusal(g: ConvGeometry, limits: GpuPlanLimits): string | undefined {
  if (g.filterHeight !== 3 || g.filterWidth !== 3)
    return `a ${g.filterHeight}x${g.filterWidth} filter, not 3x3`;
  if (g.strideHeight !== 1 || g.strideWidth !== 1) return 'strides > 1';
  if (g.dilationHeight !== 1 || g.dilationWidth !== 1) return 'dilations > 1';
  if (g.groups !== 1) return `${g.groups} groups`;
  const largest = Math.max(...Object.values(winogradScratch(g)));
  if (largest * 4 > limits.maxStorageBufferBindingSize) {
    return `its transformed data needs ${largest * 4} bytes, more than one ${limits.maxStorageBufferBindingSize}-byte binding`;
  }
  return undefined;
}

function winogradPlan(g: ConvGeometry, choice: string, limits: GpuPlanLimits): GpuConvPlan {
  const tiles = winogradTiles(g.outHeight, g.outWidth, g.batch);
  const tileM = 4 * WINOGRAD_GEMM_WY;
  const yGroups = Math.ceil(tiles / tileM);
  const why =
    choice === 'winograd'
      ? 'forced by algorithm: "winograd"'
      : `3x3, stride 1, ${g.filterInChannels} -> ${g.outChannels} channels (>= ${GPU_WINOGRAD_MIN_CHANNELS})`;
  return {
    kernel: 'conv2d_winograd_f2x2_3x3',
    algorithm: 'winograd',
    workgroupSize: [WINOGRAD_GEMM_WX, WINOGRAD_GEMM_WY, 1],
    perInvocation: [4, 4],
    tile: [tileM, 4 * WINOGRAD_GEMM_WX],
    dispatch: [Math.ceil(Math.ceil(g.outChannels / 4) / WINOGRAD_GEMM_WX), yGroups, 16],
    passes: Math.max(1, Math.ceil(yGroups / limits.maxComputeWorkgroupsPerDimension)),
    reason:
      `${why}: Winograd F(2x2, 3x3), 16 multiplications per 2x2 outputs instead of 36; ${tiles} tiles, ` +
      `16 GEMMs of ${tiles} x ${g.inChannels} x ${g.outChannels} (32x32 tiles), then the output transform`,
  };
}

/** Plans depthwiseConv2d: depthwise_vec4 where it applies, else conv2d_direct on the grouped geometry. */
export function planGpuDepthwise(
  g: ConvGeometry & { channelMultiplier: number },
  choice: GpuDepthwiseKernel | 'auto' = 'auto',
  limits: GpuPlanLimits = DEFAULT_GPU_LIMITS,
): GpuConvPlan {
  const outputs = g.batch * g.outHeight * g.outWidth * g.outChannels;
  const vec4 = g.dataFormat === 'NHWC' && g.channelMultiplier === 1 && g.inChannels % 4 === 0;
  if (choice !== 'direct' && vec4) {
    return linearPlan(
      'depthwise_vec4',
      'depthwise',
      outputs,
      [1, 4],
      DEPTHWISE_WORKGROUP,
      limits,
      'NHWC, channel multiplier 1, channels a multiple of 4: 4 channels per invocation with vec4 loads',
    );
  }
  const why =
    choice === 'direct'
      ? 'forced by algorithm: "direct"'
      : `depthwise_vec4 needs NHWC, multiplier 1 and channels a multiple of 4 (got ${g.dataFormat}, ` +
        `multiplier ${g.channelMultiplier}, ${g.inChannels} channels); one invocation per output`;
  return linearPlan('conv2d_direct', 'direct', outputs, [1, 1], DIRECT_WORKGROUP, limits, why);
}

/** Where conv2dAsync and explainConv2d compute: the CPU ('wasm', default) or the GPU. */
export type ComputeBackend = 'wasm' | 'webgpu';

export function checkBackend(op: string, value: unknown): ComputeBackend {
  if (value === undefined || value === 'wasm' || value === 'webgpu') return value ?? 'wasm';
  return invalid(op, 'backend', `must be 'wasm' or 'webgpu', got ${show(value)}`);
}

export const GPU_INPUT_GRADIENT_KERNELS = ['direct', 'igemm'] as const;
export type GpuInputGradientKernel = (typeof GPU_INPUT_GRADIENT_KERNELS)[number];

export function checkGpuInputGradientAlgorithm(op: string, choice: unknown): GpuInputGradientKernel | 'auto' {
  return checkChoice(op, choice, GPU_INPUT_GRADIENT_KERNELS);
}

/**
 * The input gradient of a stride-1 conv2d as a conv2d of dy: filter flipped in both spatial axes with
 * in and out channels swapped ([kh, kw, out_per_group, in_channels], same groups and dilations), padded
 * by effective_k - 1 - pad on each side. Computed by convGeometry from those arguments; undefined where
 * that form does not exist (strides > 1, or a pad larger than effective_k - 1, which would need negative
 * padding) or does not give the input's shape.
 */
export function inputGradientAsConv(g: ConvGeometry): ConvGeometry | undefined {
  if (g.strideHeight !== 1 || g.strideWidth !== 1) return undefined;
  const [eh, ew] = [g.effectiveFilterHeight - 1, g.effectiveFilterWidth - 1];
  if (g.padTop > eh || g.padBottom > eh || g.padLeft > ew || g.padRight > ew) return undefined;
  const t = convGeometry(
    g.op,
    g.outputShape,
    [g.filterHeight, g.filterWidth, g.outChannels / g.groups, g.inChannels],
    {
      dataFormat: g.dataFormat,
      dilations: [g.dilationHeight, g.dilationWidth],
      padding: [
        [eh - g.padTop, eh - g.padBottom],
        [ew - g.padLeft, ew - g.padRight],
      ],
    },
  );
  const same =
    t.outputShape.length === g.inputShape.length && t.outputShape.every((d, i) => d === g.inputShape[i]);
  return same && t.groups === g.groups ? t : undefined;
}

/** Plans an input gradient: igemm on the transposed convolution where it exists and pays, else direct. */
export function planGpuInputGradient(
  g: ConvGeometry,
  choice: GpuInputGradientKernel | 'auto' = 'auto',
  limits: GpuPlanLimits = DEFAULT_GPU_LIMITS,
): { plan: GpuConvPlan; asConv?: ConvGeometry } {
  const inputs = g.batch * g.inHeight * g.inWidth * g.inChannels;
  const direct = (reason: string) => ({
    plan: linearPlan('conv2d_backprop_input', 'direct', inputs, [1, 1], DIRECT_WORKGROUP, limits, reason),
  });
  if (choice === 'direct') return direct('forced by algorithm: "direct"');
  if (choice === 'auto' && g.flops < GPU_DIRECT_MAX_FLOPS) {
    return direct(`${g.flops} FLOPs: below ${GPU_DIRECT_MAX_FLOPS}, one invocation per input value`);
  }
  const asConv = inputGradientAsConv(g);
  if (!asConv) {
    return direct(
      `${choice === 'igemm' ? 'igemm cannot run it: ' : ''}strides > 1 or a pad wider than the filter ` +
        'has no transposed-convolution form; one invocation per input value',
    );
  }
  const plan = planGpuConv2d(asConv, 'igemm', limits);
  if (plan.algorithm !== 'igemm') return direct(plan.reason);
  return {
    plan: { ...plan, reason: `the input gradient as conv2d of dy with the flipped filter: ${plan.reason}` },
    asConv,
  };
}

export const GPU_FILTER_GRADIENT_KERNELS = ['direct', 'igemm'] as const;
export type GpuFilterGradientKernel = (typeof GPU_FILTER_GRADIENT_KERNELS)[number];

export function checkGpuFilterGradientAlgorithm(
  op: string,
  choice: unknown,
): GpuFilterGradientKernel | 'auto' {
  return checkChoice(op, choice, GPU_FILTER_GRADIENT_KERNELS);
}

/** Filter-gradient work is split into slices of its reduction until about this many invocations run. */
const FILTER_GRADIENT_INVOCATIONS = 1 << 14;
const MAX_FILTER_GRADIENT_SLICES = 64;
/** The GEMM's slices each reduce at least this many rows (batch x output pixels). */
const MIN_ROWS_PER_SLICE = 256;

/**
 * Plans conv2dBackpropFilter: backprop_filter_gemm (tiled, the reduction over batch x output pixels split
 * into slices) from 128 kFLOP, else backprop_filter (one invocation per filter value and slice of batch x
 * output rows). Either way the partial sums of `slices` slices are added by backprop_filter_reduce; the
 * slices are cut so that the partial sums fit one storage binding.
 */
export function planGpuFilterGradient(
  g: ConvGeometry,
  choice: GpuFilterGradientKernel | 'auto' = 'auto',
  limits: GpuPlanLimits = DEFAULT_GPU_LIMITS,
): GpuConvPlan & { slices: number } {
  const filterSize = g.filterHeight * g.filterWidth * g.filterInChannels * g.outChannels;
  const fit = (slices: number) =>
    Math.max(1, Math.min(slices, Math.floor(limits.maxStorageBufferBindingSize / (4 * filterSize))));
  const gemm = choice === 'igemm' || (choice === 'auto' && g.flops >= GPU_DIRECT_MAX_FLOPS);
  const zLimit = Math.floor(limits.maxComputeWorkgroupsPerDimension / g.groups);
  if (!gemm || zLimit < 1) {
    const rows = g.batch * g.outHeight;
    const slices = fit(
      Math.min(rows, MAX_FILTER_GRADIENT_SLICES, Math.ceil(FILTER_GRADIENT_INVOCATIONS / filterSize)),
    );
    const why =
      choice === 'direct'
        ? 'forced by algorithm: "direct"'
        : zLimit < 1
          ? `${g.groups} groups exceed the dispatch's z limit`
          : `${g.flops} FLOPs: below ${GPU_DIRECT_MAX_FLOPS}`;
    return {
      ...linearPlan(
        'conv2d_backprop_filter',
        'direct',
        slices * filterSize,
        [1, 1],
        DIRECT_WORKGROUP,
        limits,
        why,
      ),
      slices,
    };
  }
  const pixels = g.batch * g.outHeight * g.outWidth;
  const k = g.filterHeight * g.filterWidth * g.filterInChannels;
  const outPerGroup = g.outChannels / g.groups;
  const tiles = Math.ceil(k / 32) * Math.ceil(outPerGroup / 32) * g.groups;
  // Enough slices to give the GPU some hundreds of workgroups, each reducing a useful number of rows.
  const wanted = Math.ceil(256 / tiles);
  const slices = fit(
    Math.max(
      1,
      Math.min(wanted, MAX_FILTER_GRADIENT_SLICES, Math.floor(pixels / MIN_ROWS_PER_SLICE), zLimit),
    ),
  );
  return {
    kernel: 'conv2d_backprop_filter_gemm_32x32',
    algorithm: 'igemm',
    workgroupSize: [8, 8, 1],
    perInvocation: [4, 4],
    tile: [32, 32],
    dispatch: [Math.ceil(outPerGroup / 32), Math.ceil(k / 32), g.groups * slices],
    passes: 1,
    reason:
      `${choice === 'igemm' ? 'forced by algorithm: "igemm"' : 'tiled GEMM'}: ${k} filter rows x ${outPerGroup} ` +
      `channels per group in 32x32 tiles, the ${pixels} rows of the reduction in ${slices} slice${slices === 1 ? '' : 's'}`,
    slices,
  };
}
