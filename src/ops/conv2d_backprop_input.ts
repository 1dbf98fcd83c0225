/**
 * conv2dBackpropInput: tf.nn.conv2d_backprop_input, the gradient of conv2d with respect to its input.
 * The core (inputGradient) is shared with conv2dTranspose, which is the same computation under other
 * argument names.
 */
import { Tensor, checkAllocatable, sizeOf, toTensor } from '../tensor.js';
import { invalid, show } from '../errors.js';
import {
  axesOf,
  checkDataFormat,
  checkInt32Dims,
  checkOutputGradientShape,
  gradientGeometry,
  imageDimNames,
  type ConvGeometry,
  type ConvOptions,
  type DataFormat,
} from '../geometry.js';
import { conv2dBackpropInputDirect } from '../algorithms/backprop_direct.js';
import { conv2dBackpropInputWasm } from '../algorithms/backprop_wasm.js';
import { checkOptionKeys } from './options.js';
import { checkPrecision, type Precision } from '../plan/accuracy.js';
import { refusingWasmMemory } from '../kernels/wasm/heap.js';

export const GRADIENT_OPTIONS = ['strides', 'padding', 'dataFormat', 'dilations', 'precision'] as const;

/**
 * The gradient ops' options: conv2d's geometry, and `precision` as conv2d takes it. Every gradient
 * algorithm is a sum of products (no transforms), so 'auto' and 'highest' compute the same values; the
 * option is checked and accepted so that code passing conv2d's precision to its gradients works.
 */
export interface GradientOptions extends ConvOptions {
  precision?: Precision;
}

/** Below this many FLOPs the direct loops beat packing and tiling for the GEMM. */
export const GRADIENT_DIRECT_MAX_FLOPS = 20_000;

/** How an op names conv2d's tensors: conv2dTranspose speaks of its own input, filters and output. */
export interface InputGradientNames {
  op: string;
  /** The argument holding the shape of conv2d's input (the gradient's shape). */
  inputShape: string;
  /** The argument holding the filter, and how its layout reads in that op. */
  filter: string;
  filterLayout: string;
  /** What the op calls filter dimensions 2 and 3. */
  filterDim2: string;
  filterDim3: string;
  /** The argument holding the gradient with respect to conv2d's output. */
  dy: string;
}

export const BACKPROP_INPUT_NAMES: InputGradientNames = {
  op: 'conv2dBackpropInput',
  inputShape: 'inputShape',
  filter: 'filter',
  filterLayout: '[height, width, in_channels, out_channels]',
  filterDim2: 'in_channels',
  filterDim3: 'out_channels',
  dy: 'dy',
};

/** Index of the channel axis of a rank-4 (or rank-3, one image) tensor in a layout. */
export function channelAxisOf(dataFormat: DataFormat, rank: number): number {
  return axesOf(dataFormat).c - (rank === 3 ? 1 : 0);
}

/** What the gradients' validation reads of a tensor argument: a Tensor or a GpuTensor. */
export interface ShapedArgument {
  readonly shape: readonly number[];
  readonly rank: number;
}

/**
 * TensorFlow also takes inputShape as just [height, width]: the batch then comes from dy and the
 * channels from the filter's dimension 2.
 */
function fullInputShape(
  shape: number[],
  dataFormat: DataFormat,
  filter: ShapedArgument,
  dy: ShapedArgument,
): number[] {
  if (shape.length !== 2) return shape;
  const [height, width] = shape;
  const channels = filter.shape[2];
  const image = dataFormat === 'NHWC' ? [height, width, channels] : [channels, height, width];
  return dy.rank === 4 ? [dy.shape[0], ...image] : image;
}

/** A list of non-negative integers (a shape; whether it can be allocated is checked once it is complete). */
export function checkSizeList(op: string, arg: string, value: unknown): number[] {
  if (
    !Array.isArray(value) ||
    !value.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    invalid(op, arg, `must be a list of non-negative integers, got ${show(value)}`);
  }
  return [...(value as number[])];
}

/** Validates the arguments of an input gradient and returns its geometry (the GPU backend's too). */
export function inputGradientGeometry(
  names: InputGradientNames,
  inputShape: unknown,
  filter: ShapedArgument,
  dy: ShapedArgument,
  options: ConvOptions,
): ConvGeometry {
  const { op } = names;
  const dataFormat = checkDataFormat(op, options.dataFormat);
  const layout =
    dataFormat === 'NHWC' ? '[batch, height, width, channels]' : '[batch, channels, height, width]';
  const shape = checkSizeList(op, names.inputShape, inputShape);
  if (![2, 3, 4].includes(shape.length)) {
    invalid(
      op,
      names.inputShape,
      `must list 4 sizes ${layout}, 3 for one image, or 2 ([height, width]), got ${show(shape)}`,
    );
  }
  if (filter.rank !== 4) {
    invalid(op, names.filter, `must be rank 4 ${names.filterLayout}, got shape ${show(filter.shape)}`);
  }
  if (dy.rank !== 3 && dy.rank !== 4) {
    invalid(op, names.dy, `must be rank 4 ${layout} or rank 3 (one image), got shape ${show(dy.shape)}`);
  }
  const full = fullInputShape(shape, dataFormat, filter, dy);
  checkInt32Dims(op, names.inputShape, full, imageDimNames(dataFormat, full.length));
  checkAllocatable(op, names.inputShape, full);
  const [, , filterDim2, filterDim3] = filter.shape;
  const dyChannels = dy.shape[channelAxisOf(dataFormat, dy.rank)];
  if (dyChannels !== filterDim3) {
    invalid(
      op,
      names.dy,
      `has ${dyChannels} channels but ${names.filter} ${show(filter.shape)} has ${filterDim3} ` +
        `${names.filterDim3} (${names.filter} is ${names.filterLayout})`,
    );
  }
  const channels = full[channelAxisOf(dataFormat, full.length)];
  if (filterDim2 > 0 && channels % filterDim2 !== 0) {
    invalid(
      op,
      names.inputShape,
      `${show(full)} has ${channels} channels but ${names.filter} ${show(filter.shape)} has ` +
        `${filterDim2} ${names.filterDim2}; the channels must equal it, or be a multiple of it for grouped convolution`,
    );
  }
  const groups = filterDim2 > 0 ? channels / filterDim2 : 1;
  if (groups > 1 && filterDim3 % groups !== 0) {
    invalid(
      op,
      names.filter,
      `${show(filter.shape)} has ${filterDim3} ${names.filterDim3}, which the ${groups} groups ` +
        `(${channels} channels / ${filterDim2} ${names.filterDim2}) do not divide`,
    );
  }
  const g = gradientGeometry(op, full, filter.shape, options);
  checkOutputGradientShape(g, names.dy, dy.shape, names.inputShape, names.filter);
  return g;
}

/** The input gradient under an op's own argument names (conv2dBackpropInput and conv2dTranspose). */
export function inputGradient(
  names: InputGradientNames,
  inputShape: unknown,
  filter: Tensor,
  dy: Tensor,
  options: ConvOptions,
): Tensor {
  const g = inputGradientGeometry(names, inputShape, filter, dy, options);
  // Nothing reaches the input when there is no output (or no filter output channel): zeros.
  if (g.flops === 0) return new Tensor(new Float32Array(sizeOf(g.inputShape)), g.inputShape);
  return new Tensor(inputGradientValues(names, g, filter.data, dy.data), g.inputShape);
}

/**
 * The values of inputGradient for a validated geometry (inputGradientGeometry): direct for tiny
 * problems, else the fast engine. With `out` (g's input size; the model runtime's arena slot) and, for
 * the direct path, `scratch` (as many float64 sums) they are written there and nothing is allocated,
 * unless the filter is not all finite (the TypeScript GEMM then allocates).
 */
export function inputGradientValues(
  names: InputGradientNames,
  g: ConvGeometry,
  filter: Float32Array,
  dy: Float32Array,
  out?: Float32Array,
  scratch?: Float64Array,
): Float32Array {
  const what = `${names.inputShape} ${show(g.inputShape)}, ${names.filter} ${show(g.filterShape)}`;
  return refusingWasmMemory(names.op, what, () =>
    g.flops <= GRADIENT_DIRECT_MAX_FLOPS
      ? conv2dBackpropInputDirect(g, filter, dy, out, scratch)
      : conv2dBackpropInputWasm(g, filter, dy, out),
  );
}

/**
 * The gradient of conv2d(input, filter, options) with respect to its input, given dy, the gradient
 * with respect to its output; as tf.nn.conv2d_backprop_input(input_sizes, filter, out_backprop, ...).
 * `inputShape` is the input's shape (rank 4, rank 3 for one image, or TensorFlow's [height, width]);
 * `filter` is [filter_height, filter_width, in_channels, out_channels]; options are conv2d's
 * (padding defaults to VALID, as in conv2d). Dilations may be combined with strides.
 */
export function conv2dBackpropInput(
  inputShape: readonly number[],
  filter: Tensor,
  dy: Tensor,
  options?: GradientOptions,
): Tensor {
  const names = BACKPROP_INPUT_NAMES;
  const opts = checkOptionKeys(names.op, options, GRADIENT_OPTIONS);
  checkPrecision(names.op, opts.precision);
  const w = toTensor(names.op, names.filter, filter);
  const grad = toTensor(names.op, names.dy, dy);
  return inputGradient(names, inputShape, w, grad, opts);
}
