/**
 * The planner: picks the algorithm for a conv2d geometry.
 *   - 'igemm': indirect GEMM on the WebAssembly SIMD kernels (src/algorithms/igemm.ts), the fast
 *     path wherever WebAssembly SIMD exists;
 *   - 'winograd': Winograd F(m x m, r x r) on the same kernels (src/algorithms/winograd.ts; m by the cost
 *     model in winograd_plan.ts), for 3x3 to 5x5 stride-1 undilated filters, and 3x3 to 10x10 stride-2
 *     ones through space-to-depth, with 8 or more channels in and out (per group); from 5x5 on, only
 *     where the FFT is modelled slower;
 *   - 'fft': overlap-save FFT convolution (src/algorithms/fft.ts), for large stride-1 filters where its
 *     modelled time beats igemm's;
 *   - 'im2col': patches x filter matrix in plain TypeScript, the fast path without WebAssembly SIMD;
 *   - 'direct': the reference loop, for problems so small that any setup costs more than it saves.
 * With precision 'highest', 'auto' keeps to direct, im2col and igemm (src/plan/accuracy.ts). The thread
 * count never enters the choice (README, "Threads").
 */
import type { ConvGeometry } from '../geometry.js';
import { invalid, show } from '../errors.js';
import { conv2dDirect } from '../algorithms/direct.js';
import { conv2dIm2col } from '../algorithms/im2col.js';
import { conv2dIgemm, igemmMinBandBytes } from '../algorithms/igemm.js';
import { wasmEngine } from '../kernels/wasm/engine.js';
import { conv2dWinograd } from '../algorithms/winograd.js';
import {
  winogradKernelName,
  winogradModelNs,
  winogradPreferred,
  winogradUnavailable,
} from '../algorithms/winograd_plan.js';
import { conv2dFft, fftKernelName, fftModelNs, fftPreferred, fftUnavailable } from '../algorithms/fft.js';
import { checkPrecision, GEMM_ACCURATE_ALGORITHMS, type Precision } from './accuracy.js';

export const CONV2D_ALGORITHMS = ['direct', 'im2col', 'igemm', 'winograd', 'fft'] as const;
export type Conv2dAlgorithm = (typeof CONV2D_ALGORITHMS)[number];
export type AlgorithmChoice = Conv2dAlgorithm | 'auto';

/**
 * Below these many FLOPs the direct loop beats the setup of the fast paths (measured on Node 20:
 * igemm costs about 2 us a call before any arithmetic, im2col about 10 us at 5 kFLOP).
 */
const DIRECT_MAX_FLOPS_WASM = 1_000;
const DIRECT_MAX_FLOPS_TS = 5_000;
/** Largest packed filter, and smallest band, igemm takes into wasm memory; beyond them, im2col. */
const IGEMM_MAX_WEIGHT_BYTES = 256 << 20;
const IGEMM_MAX_BAND_BYTES = 512 << 20;

export interface Conv2dPlan {
  algorithm: Conv2dAlgorithm;
  reason: string;
  /** The microkernel that does the arithmetic, when the algorithm uses one (e.g. f32-igemm-4x8-wasmsimd). */
  kernel?: string;
}

/** What the plan may depend on besides the geometry and the algorithm asked for. */
export interface PlanOptions {
  /** 'highest' keeps to direct, im2col and igemm (see src/plan/accuracy.ts); default 'auto'. */
  precision?: Precision;
}

/** 1234567 ns -> '1.23 ms'. */
function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(2)} ms`;
}

function isAlgorithm(choice: unknown): choice is Conv2dAlgorithm {
  return (CONV2D_ALGORITHMS as readonly unknown[]).includes(choice);
}

/** Why igemm cannot run this geometry here, or null when it can. */
function igemmUnavailable(g: ConvGeometry): string | null {
  if (!wasmEngine()) return 'WebAssembly SIMD is not available in this JavaScript engine';
  const weightBytes =
    g.filterHeight * g.filterWidth * g.filterInChannels * Math.ceil(g.outChannels / 8) * 8 * 4;
  if (weightBytes > IGEMM_MAX_WEIGHT_BYTES) return `its packed filter would take ${weightBytes} bytes`;
  const bandBytes = igemmMinBandBytes(g);
  if (bandBytes > IGEMM_MAX_BAND_BYTES) return `one band of output rows would need ${bandBytes} bytes`;
  return null;
}

function igemmPlan(reason: string): Conv2dPlan {
  return { algorithm: 'igemm', reason, kernel: wasmEngine()?.igemmKernel };
}

function winogradPlan(g: ConvGeometry, reason: string): Conv2dPlan {
  return { algorithm: 'winograd', reason, kernel: winogradKernelName(g) };
}

function fftPlan(g: ConvGeometry, reason: string): Conv2dPlan {
  return { algorithm: 'fft', reason, kernel: fftKernelName(g) };
}

/**
 * The plan for a forced specialised algorithm: itself when it can take g (`cannot` null), else igemm
 * (im2col without WebAssembly SIMD), with a reason that says why.
 */
function forcedPlan(
  g: ConvGeometry,
  choice: Conv2dAlgorithm,
  cannot: string | null,
  plan: (g: ConvGeometry, reason: string) => Conv2dPlan,
): Conv2dPlan {
  if (!cannot) return plan(g, `requested with algorithm: '${choice}'`);
  const fallback = igemmUnavailable(g) ? 'im2col' : 'igemm';
  const reason = `${choice} was requested but ${cannot}; ${fallback} computes the same values`;
  return fallback === 'igemm' ? igemmPlan(reason) : { algorithm: 'im2col', reason };
}

/** Whether `choice` is winograd or fft, which 'highest' excludes. */
function isTransform(choice: Conv2dAlgorithm): boolean {
  return !(GEMM_ACCURATE_ALGORITHMS as readonly string[]).includes(choice);
}

/**
 * An output with no elements needs no algorithm, whatever was asked for: the ops return it before
 * running anything, and no planning (an FFT tile search over a 2^31-row image) should happen for it.
 */
function emptyOutputPlan(g: ConvGeometry): Conv2dPlan | null {
  if (g.outputShape.includes(0)) {
    return {
      algorithm: 'direct',
      reason: `the output ${show(g.outputShape)} has no elements: nothing to compute`,
    };
  }
  return null;
}

/**
 * The plan for g. It depends only on g, the choice, the precision and which WebAssembly engine this
 * machine has, never on the thread count: every thread count then runs the same algorithm and tile,
 * and threads change only how the same kernel calls are shared out (bit-identical results).
 */
export function planConv2d(g: ConvGeometry, choice: unknown = 'auto', options: PlanOptions = {}): Conv2dPlan {
  // Public: a user may pass anything; a geometry comes from convGeometry.
  if (g === null || typeof g !== 'object' || !Array.isArray(g.outputShape)) {
    invalid('planConv2d', 'geometry', `must be what convGeometry returns, got ${show(g)}`);
  }
  if (choice !== 'auto' && !isAlgorithm(choice)) {
    invalid(
      g.op,
      'algorithm',
      `must be one of 'auto', ${CONV2D_ALGORITHMS.map((a) => `'${a}'`).join(', ')}; got ${show(choice)}`,
    );
  }
  const precision = checkPrecision(g.op, options.precision);
  if (precision === 'highest' && choice !== 'auto' && isTransform(choice)) {
    // Both options are the caller's explicit words and contradict: say so rather than drop one.
    invalid(
      g.op,
      'algorithm',
      `'${choice}' cannot be combined with precision: 'highest' (its transforms round more than a ` +
        `direct sum does); use 'direct', 'im2col', 'igemm' or 'auto', or precision: 'auto'`,
    );
  }
  const empty = emptyOutputPlan(g);
  if (empty) return empty;
  if (choice === 'igemm') {
    const missing = igemmUnavailable(g);
    if (missing) {
      return {
        algorithm: 'im2col',
        reason: `igemm was requested but ${missing}; im2col computes the same values`,
      };
    }
    return igemmPlan(`requested with algorithm: 'igemm'`);
  }
  if (choice === 'winograd') return forcedPlan(g, choice, winogradUnavailable(g), winogradPlan);
  if (choice === 'fft') return forcedPlan(g, choice, fftUnavailable(g), fftPlan);
  if (choice !== 'auto') return { algorithm: choice, reason: `requested with algorithm: '${choice}'` };
  const missing = igemmUnavailable(g);
  if (g.flops <= (missing ? DIRECT_MAX_FLOPS_TS : DIRECT_MAX_FLOPS_WASM)) {
    return {
      algorithm: 'direct',
      reason: `${g.flops} FLOPs is small enough that the direct loop is fastest`,
    };
  }
  const transforms = !missing && precision === 'auto';
  const winograd = transforms ? winogradPreferred(g) : null;
  if (winograd) {
    // From 5x5 on, the FFT may be faster still: the two one-thread models (in nanoseconds) decide.
    const fft = g.filterHeight * g.filterWidth >= 25 ? fftPreferred(g) : null;
    if (!fft) return winogradPlan(g, winograd);
    const fftNs = fftModelNs(g);
    const winogradNs = winogradModelNs(g);
    if (fftNs < winogradNs) {
      return fftPlan(g, `${fft}; Winograd modelled slower (${ms(winogradNs)} against ${ms(fftNs)})`);
    }
    return winogradPlan(g, `${winograd}; FFT modelled slower (${ms(fftNs)} against ${ms(winogradNs)})`);
  }
  const fft = transforms ? fftPreferred(g) : null;
  if (fft) return fftPlan(g, fft);
  const highest = precision === 'highest' ? "precision: 'highest' keeps to GEMM-accurate algorithms; " : '';
  if (!missing) {
    return igemmPlan(
      `${highest}${g.flops} FLOPs: indirect GEMM on WebAssembly SIMD is the fastest general path`,
    );
  }
  return {
    algorithm: 'im2col',
    reason: `${highest}${g.flops} FLOPs: patches x filter matrix (GEMM) in TypeScript, since ${missing}`,
  };
}

const RUNNERS: Record<
  Conv2dAlgorithm,
  (g: ConvGeometry, x: Float32Array, w: Float32Array, out?: Float32Array) => Float32Array
> = {
  direct: conv2dDirect,
  im2col: conv2dIm2col,
  igemm: conv2dIgemm,
  winograd: conv2dWinograd,
  fft: conv2dFft,
};

export function runConv2d(
  plan: Conv2dPlan,
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  out?: Float32Array,
): Float32Array {
  const result = RUNNERS[plan.algorithm](g, input, filter, out);
  // A result not written into `out` (im2col always allocates; fallbacks may) is copied there.
  if (out && result !== out) out.set(result);
  return out ?? result;
}
