/**
 * depthwiseConv2d: tf.nn.depthwise_conv2d in options form (nn.depthwiseConv2d in src/ops/conv2d.ts is
 * the positional form). Each input channel k is correlated with its own filters filter[:, :, k, q],
 * q < channel_multiplier, giving output channel k * channel_multiplier + q.
 *
 * Where TensorFlow's own kernels are narrower than the op's definition, convkit follows the definition
 * (as the DepthwiseConv2dNative op with its `dilations` attribute, and XLA, do): strides > 1 together
 * with dilations > 1 compute the documented sum (TensorFlow's CPU path goes through space_to_batch and
 * only warns that the pair is unsupported), and unequal row/column strides are accepted (TensorFlow's
 * CPU kernel refuses them); NCHW runs everywhere (TensorFlow's CPU kernel is NHWC only).
 */
import { Tensor, sizeOf, toTensor } from '../tensor.js';
import {
  depthwiseGeometry,
  type ConvOptions,
  type DataFormat,
  type DepthwiseGeometry,
  type PaddingSpec,
} from '../geometry.js';
import { invalid, show } from '../errors.js';
import { depthwiseConv2dDirect } from '../algorithms/depthwise_direct.js';
import { depthwiseConv2dFast } from '../algorithms/depthwise_fast.js';
import { depthwiseConv2dWasm, depthwiseWasmAvailable } from '../algorithms/depthwise_wasm.js';
import { checkOptionKeys } from './options.js';
import { checkPrecision, type Precision } from '../plan/accuracy.js';
import { refusingWasmMemory } from '../kernels/wasm/heap.js';

export const DEPTHWISE_ALGORITHMS = ['direct', 'fast', 'wasm'] as const;
export type DepthwiseAlgorithm = (typeof DEPTHWISE_ALGORITHMS)[number];

export interface DepthwiseConv2dOptions extends ConvOptions {
  /**
   * 'direct' (the reference loop), 'fast' (plain TypeScript), 'wasm' (WebAssembly SIMD; 'fast' where
   * that is missing) or 'auto' (default: 'wasm' where WebAssembly SIMD runs, else 'fast'). All give the
   * same values up to float32 rounding.
   */
  algorithm?: DepthwiseAlgorithm | 'auto';
  /**
   * As conv2d's. Every depthwise algorithm is a sum of products (no transforms), so 'auto' and
   * 'highest' compute the same values; the option is checked and accepted.
   */
  precision?: Precision;
}

const DEPTHWISE_OPTIONS = [
  'strides',
  'padding',
  'dataFormat',
  'dilations',
  'algorithm',
  'precision',
] as const;

function chooseAlgorithm(op: string, choice: unknown): DepthwiseAlgorithm {
  if (choice === undefined || choice === 'auto') return depthwiseWasmAvailable() ? 'wasm' : 'fast';
  if ((DEPTHWISE_ALGORITHMS as readonly unknown[]).includes(choice)) return choice as DepthwiseAlgorithm;
  return invalid(
    op,
    'algorithm',
    `must be one of 'auto', ${DEPTHWISE_ALGORITHMS.map((a) => `'${a}'`).join(', ')}; got ${show(choice)}`,
  );
}

/**
 * Runs an algorithm on a validated geometry (nothing below this point re-validates). With `out` (the
 * output's size) the wasm path writes there; the others return a new array.
 */
export function runDepthwiseConv2d(
  algorithm: DepthwiseAlgorithm,
  g: DepthwiseGeometry,
  input: Float32Array,
  filter: Float32Array,
  out?: Float32Array,
): Float32Array {
  if (algorithm === 'wasm') return depthwiseConv2dWasm(g, input, filter, out);
  return algorithm === 'direct'
    ? depthwiseConv2dDirect(g, input, filter)
    : depthwiseConv2dFast(g, input, filter);
}

/**
 * Depthwise 2-D convolution (cross-correlation, no kernel flip) of NHWC (or NCHW) images with a
 * [filter_height, filter_width, in_channels, channel_multiplier] filter, as tf.nn.depthwise_conv2d.
 * A rank-3 input is one image. Padding defaults to VALID. Dilations are one number or [height, width].
 */
export function depthwiseConv2d(input: Tensor, filter: Tensor, options?: DepthwiseConv2dOptions): Tensor {
  const op = 'depthwiseConv2d';
  const opts = checkOptionKeys(op, options, DEPTHWISE_OPTIONS);
  checkPrecision(op, opts.precision);
  const x = toTensor(op, 'input', input);
  const w = toTensor(op, 'filter', filter);
  const geometry = depthwiseGeometry(op, x.shape, w.shape, opts);
  const algorithm = chooseAlgorithm(op, opts.algorithm);
  // Nothing to compute: returned at once, however large the other dimensions.
  if (sizeOf(geometry.outputShape) === 0) return new Tensor(new Float32Array(0), geometry.outputShape);
  const values = refusingWasmMemory(op, `input ${show(x.shape)}, filter ${show(w.shape)}`, () =>
    runDepthwiseConv2d(algorithm, geometry, x.data, w.data),
  );
  return new Tensor(values, geometry.outputShape);
}

/**
 * tf.nn.depthwise_conv2d(input, filter, strides, padding, data_format, dilations), argument for
 * argument (exposed as nn.depthwiseConv2d).
 */
export function depthwiseConv2dPositional(
  input: Tensor,
  filter: Tensor,
  strides: number | number[],
  padding: PaddingSpec,
  dataFormat?: DataFormat,
  dilations?: number | number[],
): Tensor {
  return depthwiseConv2d(input, filter, { strides, padding, dataFormat, dilations });
}
