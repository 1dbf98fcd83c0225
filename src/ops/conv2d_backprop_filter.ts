/** conv2dBackpropFilter: tf.nn.conv2d_backprop_filter, the gradient of conv2d with respect to its filter. */
import { Tensor, checkAllocatable, sizeOf, toTensor } from '../tensor.js';
import { invalid, show } from '../errors.js';
import {
  FILTER_DIM_NAMES,
  checkDataFormat,
  checkInt32Dims,
  checkOutputGradientShape,
  gradientGeometry,
  type ConvGeometry,
  type ConvOptions,
} from '../geometry.js';
import { conv2dBackpropFilterDirect } from '../algorithms/backprop_direct.js';
import { conv2dBackpropFilterWasm } from '../algorithms/backprop_wasm.js';
import { checkOptionKeys } from './options.js';
import { refusingWasmMemory } from '../kernels/wasm/heap.js';
import { checkPrecision } from '../plan/accuracy.js';
import {
  GRADIENT_DIRECT_MAX_FLOPS,
  GRADIENT_OPTIONS,
  type GradientOptions,
  channelAxisOf,
  checkSizeList,
  type ShapedArgument,
} from './conv2d_backprop_input.js';

/**
 * The gradient of conv2d(input, filter, options) with respect to the filter, given dy, the gradient
 * with respect to conv2d's output; as tf.nn.conv2d_backprop_filter(input, filter_sizes, out_backprop, ...).
 * `filterShape` is [filter_height, filter_width, in_channels, out_channels]; the input may be rank 3
 * (one image); options are conv2d's (padding defaults to VALID). Dilations may be combined with strides.
 */
export function conv2dBackpropFilter(
  input: Tensor,
  filterShape: readonly number[],
  dy: Tensor,
  options?: GradientOptions,
): Tensor {
  const op = 'conv2dBackpropFilter';
  const opts = checkOptionKeys(op, options, GRADIENT_OPTIONS);
  checkPrecision(op, opts.precision);
  const x = toTensor(op, 'input', input);
  const grad = toTensor(op, 'dy', dy);
  const { g, shape } = filterGradientGeometry(op, x.shape, filterShape, grad, opts);
  // No output pixel (empty batch, zero-size output) or no output channel: every filter tap gets 0.
  if (g.flops === 0) return new Tensor(new Float32Array(sizeOf(shape)), shape);
  const values = refusingWasmMemory(op, `input ${show(x.shape)}, filterShape ${show(shape)}`, () =>
    g.flops <= GRADIENT_DIRECT_MAX_FLOPS
      ? conv2dBackpropFilterDirect(g, x.data, grad.data)
      : conv2dBackpropFilterWasm(g, x.data, grad.data),
  );
  return new Tensor(values, shape);
}

/**
 * Validates the arguments of a filter gradient (conv2dBackpropFilter, on the CPU or the GPU) and returns
 * its geometry and the filter shape.
 */
export function filterGradientGeometry(
  op: string,
  inputShape: readonly number[],
  filterShape: unknown,
  dy: ShapedArgument,
  opts: ConvOptions,
): { g: ConvGeometry; shape: number[] } {
  const shape = checkSizeList(op, 'filterShape', filterShape);
  if (shape.length !== 4) {
    invalid(
      op,
      'filterShape',
      `must list 4 sizes [filter_height, filter_width, in_channels, out_channels], got ${show(shape)}`,
    );
  }
  checkInt32Dims(op, 'filterShape', shape, FILTER_DIM_NAMES);
  checkAllocatable(op, 'filterShape', shape);
  const dataFormat = checkDataFormat(op, opts.dataFormat);
  if (dy.rank !== 3 && dy.rank !== 4) {
    const layout =
      dataFormat === 'NHWC' ? '[batch, height, width, channels]' : '[batch, channels, height, width]';
    invalid(op, 'dy', `must be rank 4 ${layout} or rank 3 (one image), got shape ${show(dy.shape)}`);
  }
  const dyChannels = dy.shape[channelAxisOf(dataFormat, dy.rank)];
  if (dyChannels !== shape[3]) {
    invalid(
      op,
      'dy',
      `has ${dyChannels} channels but filterShape ${show(shape)} has ${shape[3]} out_channels ` +
        `(filterShape is [filter_height, filter_width, in_channels, out_channels])`,
    );
  }
  const g = gradientGeometry(op, inputShape, shape, opts);
  checkOutputGradientShape(g, 'dy', dy.shape, 'input', 'a filter of shape');
  return { g, shape };
}
