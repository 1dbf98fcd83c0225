/** conv2d: tf.nn.conv2d in options form, and nn.conv2d in TensorFlow's positional form. */
import { Tensor, sizeOf, toTensor } from '../tensor.js';
import {
  convGeometry,
  type ConvGeometry,
  type ConvOptions,
  type DataFormat,
  type PaddingSpec,
} from '../geometry.js';
import { show } from '../errors.js';
import { refusingWasmMemory } from '../kernels/wasm/heap.js';
import { planConv2d, type AlgorithmChoice } from '../plan/planner.js';
import type { Precision } from '../plan/accuracy.js';
import { checkThreads, planThreads } from '../plan/threads.js';
import { runConv2dThreaded } from '../parallel/conv2d_threaded.js';
import { checkOptionKeys } from './options.js';
import { depthwiseConv2dPositional } from './depthwise_conv2d.js';

export interface Conv2dOptions extends ConvOptions {
  /**
   * Which algorithm computes it; 'auto' (default) lets the planner choose. All give the same values up
   * to float32 rounding, each within its documented error bound (README, "Accuracy").
   */
  algorithm?: AlgorithmChoice;
  /**
   * 'auto' (default): the planner may pick Winograd or the FFT, whose float32 error is several times a
   * direct sum's. 'highest': only direct, im2col and igemm (sums of products, as TensorFlow's CPU
   * kernels); combining it with algorithm 'winograd' or 'fft' is an InvalidArgumentError.
   */
  precision?: Precision;
  /**
   * Threads to compute with (integer >= 1; 1 = no workers). Default: the planner's choice, one for
   * small problems and up to every hardware thread for large ones. conv2d stays synchronous: in Node
   * the calling thread blocks while pool workers share the work. A browser's main thread may not block,
   * so there conv2d always runs on one thread (conv2dAsync uses workers). The algorithm does not depend
   * on it, and any thread count gives the same values, bit for bit.
   */
  threads?: number;
}

export const CONV2D_OPTIONS = [
  'strides',
  'padding',
  'dataFormat',
  'dilations',
  'algorithm',
  'precision',
  'threads',
] as const;

/**
 * 2-D convolution (cross-correlation, no kernel flip) of NHWC (or NCHW) images with an HWIO filter,
 * exactly as tf.nn.conv2d. A rank-3 input is one image. Padding defaults to VALID.
 */
export function conv2d(input: Tensor, filter: Tensor, options?: Conv2dOptions): Tensor {
  const op = 'conv2d';
  const opts = checkOptionKeys(op, options, CONV2D_OPTIONS);
  const requestedThreads = checkThreads(op, opts.threads);
  const x = toTensor(op, 'input', input);
  const w = toTensor(op, 'filter', filter);
  const geometry = convGeometry(op, x.shape, w.shape, opts);
  const plan = planConv2d(geometry, opts.algorithm ?? 'auto', { precision: opts.precision });
  // Nothing to compute: returned at once, however large the other dimensions.
  if (sizeOf(geometry.outputShape) === 0) return new Tensor(new Float32Array(0), geometry.outputShape);
  const threads = planThreads(geometry, plan.algorithm, requestedThreads);
  const values = refusingWasmMemory(op, operands(geometry), () =>
    runConv2dThreaded(plan, geometry, x.data, w.data, threads),
  );
  return new Tensor(values, geometry.outputShape);
}

/** How an error names a convolution's operands: "input [1,28,28,1], filter [5,5,1,8]". */
export function operands(g: ConvGeometry): string {
  return `input ${show(g.inputShape)}, filter ${show(g.filterShape)}`;
}

/** tf.nn.conv2d(input, filters, strides, padding, data_format, dilations), argument for argument. */
function conv2dPositional(
  input: Tensor,
  filters: Tensor,
  strides: number | number[],
  padding: PaddingSpec,
  dataFormat?: DataFormat,
  dilations?: number | number[],
): Tensor {
  return conv2d(input, filters, { strides, padding, dataFormat, dilations });
}

/** TensorFlow's `tf.nn` namespace: the same ops with TensorFlow's positional arguments. */
export const nn = {
  conv2d: conv2dPositional,
  depthwiseConv2d: depthwiseConv2dPositional,
};
