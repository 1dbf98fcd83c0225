/**
 * conv2dTranspose: tf.nn.conv2d_transpose ("deconvolution"). It is conv2d's input gradient under other
 * names: the input plays dy, `outputShape` is the shape of the conv2d input it maps back to, and the
 * filters [height, width, output_channels, in_channels] are a conv2d filter read from the other side.
 */
import { Tensor, toTensor } from '../tensor.js';
import { checkOptionKeys } from './options.js';
import {
  GRADIENT_OPTIONS,
  inputGradient,
  type GradientOptions,
  type InputGradientNames,
} from './conv2d_backprop_input.js';
import { checkPrecision } from '../plan/accuracy.js';

export const TRANSPOSE_NAMES: InputGradientNames = {
  op: 'conv2dTranspose',
  inputShape: 'outputShape',
  filter: 'filters',
  filterLayout: '[height, width, output_channels, in_channels]',
  filterDim2: 'output_channels',
  filterDim3: 'in_channels',
  dy: 'input',
};

/**
 * The transpose of conv2d, as tf.nn.conv2d_transpose(input, filters, output_shape, strides, padding,
 * data_format, dilations). `input` is [batch, height, width, in_channels] (NHWC; rank 3 for one image),
 * `filters` is [height, width, output_channels, in_channels], `outputShape` the result's shape (or
 * TensorFlow's [height, width]). Padding defaults to SAME, as in TensorFlow; `input` must have exactly
 * the shape conv2d(output, filters) would give.
 */
export function conv2dTranspose(
  input: Tensor,
  filters: Tensor,
  outputShape: readonly number[],
  options?: GradientOptions,
): Tensor {
  const names = TRANSPOSE_NAMES;
  const opts = checkOptionKeys(names.op, options, GRADIENT_OPTIONS);
  checkPrecision(names.op, opts.precision);
  const x = toTensor(names.op, names.dy, input);
  const w = toTensor(names.op, names.filter, filters);
  return inputGradient(names, outputShape, w, x, { ...opts, padding: opts.padding ?? 'SAME' });
}
