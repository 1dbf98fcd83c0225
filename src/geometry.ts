/**
 * ConvGeometry: the one place that knows TensorFlow's shape and padding rules. Every algorithm, the
 * explainer, extract_image_patches and the gradients read the numbers computed here; nothing else
 * derives output sizes or padding.
 *
 * TensorFlow's rules (tensorflow/core/framework/kernel_shape_util.cc), per spatial axis:
 *   effective_k = (k - 1) * dilation + 1
 *   VALID:    out = trunc((in - effective_k + stride) / stride)          (= ceil((in - effective_k + 1) / stride))
 *   SAME:     out = ceil(in / stride); total = max((out - 1) * stride + effective_k - in, 0);
 *             before = floor(total / 2); after = total - before  (the odd row/column goes bottom/right)
 *   EXPLICIT: out = trunc((in + before + after - effective_k + stride) / stride)
 * A negative `out` is an error. TensorFlow divides with C++ truncation, so a window that overhangs the
 * input by less than one stride gives an empty axis (size 0), not an error; we do the same.
 */
import { InvalidArgumentError, invalid, show } from './errors.js';
import { checkAllocatable } from './tensor.js';

export type DataFormat = 'NHWC' | 'NCHW';

/**
 * TensorFlow keeps every size, stride, dilation and explicit pad of a convolution in int32 (its kernels
 * read the attributes as std::vector<int32> and check each dimension against INT_MAX); convkit refuses
 * what TensorFlow refuses, before any work.
 */
export const INT32_MAX = 2 ** 31 - 1;
/**
 * Largest (k - 1) * dilation, so that effective filter sizes and the padding sums built from them stay
 * exact in float64 (TensorFlow uses int64 there; a filter this spread is all padding but one tap).
 */
const MAX_FILTER_SPREAD = 2 ** 52;

/** Refuses a shape with a dimension past INT32_MAX; `names` name the dimensions in order. */
export function checkInt32Dims(
  op: string,
  arg: string,
  shape: readonly number[],
  names: readonly string[],
): void {
  shape.forEach((d, i) => {
    // A raw shape (convGeometry is public) can hold anything; a tensor's shape was checked already.
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      invalid(
        op,
        arg,
        `of shape ${show(shape)} has ${names[i] ?? `dimension ${i}`} ${show(d)}; sizes are whole numbers >= 0`,
      );
    }
    if (d > INT32_MAX) {
      invalid(
        op,
        arg,
        `of shape ${show(shape)} has ${names[i] ?? `dimension ${i}`} ${d}, more than ${INT32_MAX} ` +
          `(TensorFlow keeps every dimension of a convolution in int32)`,
      );
    }
  });
}

/** Shapes given raw (convGeometry is public) must be arrays; an object is shown as JSON, not [object Object]. */
function checkShapeArrays(op: string, inputShape: unknown, filterShape: unknown): void {
  for (const [arg, shape] of [
    ['input', inputShape],
    ['filter', filterShape],
  ] as const) {
    if (!Array.isArray(shape)) {
      const given = shape !== null && typeof shape === 'object' ? JSON.stringify(shape) : show(shape);
      invalid(op, arg, `shape must be an array of sizes such as [1, 4, 4, 1], got ${given}`);
    }
  }
}

/** The names of an image tensor's dimensions in a layout (rank 3: one image, no batch axis). */
export function imageDimNames(dataFormat: DataFormat, rank: number): string[] {
  const names =
    dataFormat === 'NHWC'
      ? ['batch', 'height', 'width', 'channels']
      : ['batch', 'channels', 'height', 'width'];
  return rank === 3 ? names.slice(1) : names;
}

export const FILTER_DIM_NAMES = ['filter_height', 'filter_width', 'in_channels', 'out_channels'] as const;
export type PaddingMode = 'SAME' | 'VALID' | 'EXPLICIT';
/** 'SAME'/'VALID' (any case), or explicit [before, after] pairs: 4 in dataFormat order, or 2 for (H, W). */
export type PaddingSpec = 'SAME' | 'VALID' | 'same' | 'valid' | number[][];

/** The options every convolution-shaped op takes (conv2d, its gradients, the explainer). */
export interface ConvOptions {
  strides?: number | number[];
  padding?: PaddingSpec;
  dataFormat?: DataFormat;
  dilations?: number | number[];
}

/** One spatial axis of a sliding window. */
export interface AxisGeometry {
  inSize: number;
  kernel: number;
  stride: number;
  dilation: number;
  effectiveKernel: number;
  outSize: number;
  padBefore: number;
  padAfter: number;
}

/** A window sliding over the spatial axes of an image batch: what conv2d and extract_patches share. */
export interface WindowGeometry {
  dataFormat: DataFormat;
  paddingMode: PaddingMode;
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  effectiveFilterHeight: number;
  effectiveFilterWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  outHeight: number;
  outWidth: number;
}

export interface ConvGeometry extends WindowGeometry {
  op: string;
  /** false for a rank-3 input (one image): the output is rank 3 too. */
  batched: boolean;
  inputShape: readonly number[];
  filterShape: readonly number[];
  outputShape: readonly number[];
  /** in_channels of the filter: inChannels / groups. */
  filterInChannels: number;
  outChannels: number;
  /** inChannels / filterInChannels (TensorFlow's grouped convolution); 1 for ordinary conv2d. */
  groups: number;
  /** Multiply-adds times two: the FLOP count used for GFLOP/s. */
  flops: number;
}

/** NHWC positions of the batch, height, width and channel axes for a layout. */
export function axesOf(dataFormat: DataFormat): { n: number; h: number; w: number; c: number } {
  return dataFormat === 'NHWC' ? { n: 0, h: 1, w: 2, c: 3 } : { n: 0, c: 1, h: 2, w: 3 };
}

export function checkDataFormat(op: string, value: unknown): DataFormat {
  if (value === undefined) return 'NHWC';
  if (value === 'NHWC' || value === 'NCHW') return value;
  return invalid(op, 'dataFormat', `must be "NHWC" or "NCHW", got ${show(value)}`);
}

/**
 * Strides or dilations as [height, width]: one number (both axes), two ([h, w]) or four (in
 * dataFormat order, with 1 on the batch and channel axes), as tf.nn.conv2d takes them.
 */
export function spatialPair(
  op: string,
  arg: string,
  value: unknown,
  dataFormat: DataFormat,
): [number, number] {
  if (value === undefined) return [1, 1];
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || ![1, 2, 4].includes(list.length)) {
    invalid(op, arg, `must be a number or a list of 1, 2 or 4 numbers, got ${show(value)}`);
  }
  for (const v of list) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      invalid(op, arg, `must hold integers >= 1, got ${show(value)}`);
    }
    if (v > INT32_MAX) {
      invalid(
        op,
        arg,
        `${show(value)} holds ${v}, more than ${INT32_MAX} (TensorFlow keeps strides and dilations in int32)`,
      );
    }
  }
  if (list.length === 1) return [list[0], list[0]];
  if (list.length === 2) return [list[0], list[1]];
  const axes = axesOf(dataFormat);
  if (list[axes.n] !== 1 || list[axes.c] !== 1) {
    invalid(
      op,
      arg,
      `${show(value)} must be 1 on the batch and channel axes (${dataFormat} order: ` +
        `${dataFormat === 'NHWC' ? '[1, h, w, 1]' : '[1, 1, h, w]'})`,
    );
  }
  return [list[axes.h], list[axes.w]];
}

export type NormalizedPadding =
  { mode: 'SAME' | 'VALID' } | { mode: 'EXPLICIT'; top: number; bottom: number; left: number; right: number };

export function normalizePadding(op: string, value: unknown, dataFormat: DataFormat): NormalizedPadding {
  if (typeof value === 'string') {
    const upper = value.toUpperCase();
    if (upper === 'SAME' || upper === 'VALID') return { mode: upper };
    invalid(op, 'padding', `must be "SAME", "VALID" or a list of [before, after] pairs, got ${show(value)}`);
  }
  if (!Array.isArray(value) || (value.length !== 4 && value.length !== 2)) {
    invalid(
      op,
      'padding',
      `must be "SAME", "VALID" or explicit [before, after] pairs (4 in ${dataFormat} order, or 2 for ` +
        `[height, width]), got ${show(value)}`,
    );
  }
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      invalid(op, 'padding', `must hold [before, after] pairs, got ${show(value)}`);
    }
    for (const p of pair) {
      if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0) {
        invalid(op, 'padding', `amounts must be integers >= 0, got ${show(value)}`);
      }
      if (p > INT32_MAX) {
        invalid(
          op,
          'padding',
          `${show(value)} holds ${p}, more than ${INT32_MAX} (TensorFlow keeps explicit pads in int32)`,
        );
      }
    }
  }
  const pairs = value as [number, number][];
  if (pairs.length === 2)
    return { mode: 'EXPLICIT', top: pairs[0][0], bottom: pairs[0][1], left: pairs[1][0], right: pairs[1][1] };
  const axes = axesOf(dataFormat);
  const nonSpatial = [pairs[axes.n], pairs[axes.c]];
  if (nonSpatial.some(([a, b]) => a !== 0 || b !== 0)) {
    invalid(
      op,
      'padding',
      `${show(value)} pads the batch or channel axis; only height and width may be padded ` +
        `(${dataFormat} order: ${dataFormat === 'NHWC' ? '[[0,0],[top,bottom],[left,right],[0,0]]' : '[[0,0],[0,0],[top,bottom],[left,right]]'})`,
    );
  }
  const [top, bottom] = pairs[axes.h];
  const [left, right] = pairs[axes.w];
  return { mode: 'EXPLICIT', top, bottom, left, right };
}

/**
 * One spatial axis under TensorFlow's rules. `explicit` gives the [before, after] pads of EXPLICIT mode.
 * `axisName` (e.g. "height") is used in the error for a negative size.
 */
export function windowAxis(
  op: string,
  axisName: string,
  inSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  mode: PaddingMode,
  explicit: [number, number] = [0, 0],
): AxisGeometry {
  const effectiveKernel = (kernel - 1) * dilation + 1;
  let outSize: number;
  let padBefore = 0;
  let padAfter = 0;
  if (mode === 'SAME') {
    outSize = Math.ceil(inSize / stride);
    const total = Math.max((outSize - 1) * stride + effectiveKernel - inSize, 0);
    padBefore = Math.floor(total / 2);
    padAfter = total - padBefore;
  } else {
    if (mode === 'EXPLICIT') [padBefore, padAfter] = explicit;
    // `+ 0` turns a truncated -0 into 0.
    outSize = Math.trunc((inSize + padBefore + padAfter - effectiveKernel + stride) / stride) + 0;
    if (outSize < 0) {
      const padded = mode === 'EXPLICIT' ? ` padded by ${padBefore}+${padAfter}` : '';
      throw new InvalidArgumentError(
        `${op}: ${mode} padding gives a negative output ${axisName} (${outSize}): input ${axisName} ${inSize}${padded} ` +
          `is smaller than the effective filter ${axisName} ${effectiveKernel} ` +
          `(filter ${kernel}, dilation ${dilation}); use SAME padding or a smaller filter`,
      );
    }
  }
  return { inSize, kernel, stride, dilation, effectiveKernel, outSize, padBefore, padAfter };
}

export function checkRank(
  op: string,
  arg: string,
  shape: readonly number[],
  ranks: number[],
  meaning: string,
): void {
  if (!ranks.includes(shape.length)) {
    invalid(op, arg, `must be rank ${ranks.join(' or ')} (${meaning}), got shape ${show(shape)}`);
  }
}

/** Refuses an effective filter size (k - 1) * d + 1 past MAX_FILTER_SPREAD + 1. */
function checkFilterSpread(
  op: string,
  arg: string,
  axisName: string,
  kernel: number,
  dilation: number,
): void {
  if ((kernel - 1) * dilation <= MAX_FILTER_SPREAD) return;
  invalid(
    op,
    arg,
    `${dilation} spreads the filter ${axisName} ${kernel} to an effective filter ${axisName} ` +
      `(${kernel} - 1) * ${dilation} + 1, past 2^52 + 1 (${MAX_FILTER_SPREAD + 1}), beyond which sizes ` +
      `and padding would no longer be exact integers`,
  );
}

/** The spatial part of a window: both axes under one padding spec. */
export function slidingWindow(
  op: string,
  dataFormat: DataFormat,
  [batch, inHeight, inWidth, inChannels]: number[],
  [filterHeight, filterWidth]: [number, number],
  options: { strides?: unknown; dilations?: unknown; padding?: unknown },
  stridesArg = 'strides',
  dilationsArg = 'dilations',
): WindowGeometry {
  const [strideHeight, strideWidth] = spatialPair(op, stridesArg, options.strides, dataFormat);
  const [dilationHeight, dilationWidth] = spatialPair(op, dilationsArg, options.dilations, dataFormat);
  checkFilterSpread(op, dilationsArg, 'height', filterHeight, dilationHeight);
  checkFilterSpread(op, dilationsArg, 'width', filterWidth, dilationWidth);
  const padding = normalizePadding(op, options.padding ?? 'VALID', dataFormat);
  const explicit = padding.mode === 'EXPLICIT' ? padding : undefined;
  const rows = windowAxis(
    op,
    'height',
    inHeight,
    filterHeight,
    strideHeight,
    dilationHeight,
    padding.mode,
    explicit && [explicit.top, explicit.bottom],
  );
  const cols = windowAxis(
    op,
    'width',
    inWidth,
    filterWidth,
    strideWidth,
    dilationWidth,
    padding.mode,
    explicit && [explicit.left, explicit.right],
  );
  return {
    dataFormat,
    paddingMode: padding.mode,
    batch,
    inHeight,
    inWidth,
    inChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    effectiveFilterHeight: rows.effectiveKernel,
    effectiveFilterWidth: cols.effectiveKernel,
    padTop: rows.padBefore,
    padBottom: rows.padAfter,
    padLeft: cols.padBefore,
    padRight: cols.padAfter,
    outHeight: rows.outSize,
    outWidth: cols.outSize,
  };
}

/**
 * For a channel error on a rank-3 input: how its 3 numbers were read, and the rank-4 shape meant if
 * they were [batch, height, width] with the channels left out (the usual slip: 1,4,4 for 1,4,4,1).
 */
function rank3Hint(inputShape: readonly number[], filterInChannels: number, dataFormat: DataFormat): string {
  if (inputShape.length !== 3) return '';
  const [a, b, c] = inputShape;
  const [read, meant, fourth] =
    dataFormat === 'NHWC'
      ? [
          `[height, width, channels]: one ${a}x${b} image with ${c} channels`,
          '[batch, height, width]',
          [a, b, c, filterInChannels],
        ]
      : [
          `[channels, height, width]: one ${b}x${c} image with ${a} channels`,
          '[batch, height, width]',
          [a, filterInChannels, b, c],
        ];
  return (
    `. A 3-number input shape is read as ${read}; if ${show(inputShape)} meant ${meant}, ` +
    `give the channels too: ${show(fourth)}`
  );
}

/** The geometry of conv2d(input, filter, options), validated. Shapes are as given (rank 3 or 4). */
export function convGeometry(
  op: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  options: ConvOptions = {},
): ConvGeometry {
  if (typeof op !== 'string') {
    invalid(
      'convGeometry',
      'op',
      `(the first argument) is the op name that error messages start with, as in ` +
        `convGeometry('conv2d', [1, 4, 4, 1], [3, 3, 1, 1], { padding: 'SAME' }); got ${show(op)}`,
    );
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    invalid(op, 'options', `must be an object, got ${show(options)}`);
  }
  const dataFormat = checkDataFormat(op, options.dataFormat);
  const layout =
    dataFormat === 'NHWC' ? '[batch, height, width, channels]' : '[batch, channels, height, width]';
  checkShapeArrays(op, inputShape, filterShape);
  checkRank(op, 'input', inputShape, [3, 4], `${layout}, or one image without the batch axis`);
  checkRank(op, 'filter', filterShape, [4], '[filter_height, filter_width, in_channels, out_channels]');
  checkInt32Dims(op, 'input', inputShape, imageDimNames(dataFormat, inputShape.length));
  checkInt32Dims(op, 'filter', filterShape, FILTER_DIM_NAMES);
  const batched = inputShape.length === 4;
  const full = batched ? inputShape : [1, ...inputShape];
  const axes = axesOf(dataFormat);
  const nhwc = [full[axes.n], full[axes.h], full[axes.w], full[axes.c]];
  const inChannels = nhwc[3];
  const [filterHeight, filterWidth, filterInChannels, outChannels] = filterShape;

  if (filterShape.some((d) => d === 0)) {
    invalid(op, 'filter', `must not have a zero dimension, got shape ${show(filterShape)}`);
  }
  if (inChannels === 0 || inChannels % filterInChannels !== 0) {
    invalid(
      op,
      'input',
      `has ${inChannels} channels but filter ${show(filterShape)} expects ${filterInChannels}` +
        ` (filter is [height, width, in_channels, out_channels]); input channels must equal in_channels, ` +
        `or be a multiple of it for grouped convolution` +
        rank3Hint(inputShape, filterInChannels, dataFormat),
    );
  }
  const groups = inChannels / filterInChannels;
  if (outChannels % groups !== 0) {
    invalid(
      op,
      'filter',
      `${show(filterShape)} has ${outChannels} out_channels, which the ${groups} groups ` +
        `(input channels ${inChannels} / filter in_channels ${filterInChannels}) do not divide` +
        rank3Hint(inputShape, filterInChannels, dataFormat),
    );
  }
  const window = slidingWindow(op, dataFormat, nhwc, [filterHeight, filterWidth], options);
  const out = [window.batch, 0, 0, 0];
  out[axes.h] = window.outHeight;
  out[axes.w] = window.outWidth;
  out[axes.c] = outChannels;
  const outputShape = batched ? out : out.slice(1);
  checkAllocatable(op, 'output', outputShape);
  // Object.assign, not an object spread: V8 copies a 20-property spread on a slow path (~15 us a call).
  return Object.assign(window, {
    op,
    batched,
    inputShape: [...inputShape],
    filterShape: [...filterShape],
    outputShape,
    filterInChannels,
    outChannels,
    groups,
    flops:
      2 *
      window.batch *
      window.outHeight *
      window.outWidth *
      outChannels *
      filterHeight *
      filterWidth *
      filterInChannels,
  });
}

export interface PatchesOptions {
  sizes: number[];
  strides: number[];
  rates: number[];
  padding: 'SAME' | 'VALID' | 'same' | 'valid';
}

export interface PatchesGeometry extends WindowGeometry {
  /** [batch, out_rows, out_cols, size_rows * size_cols * depth] */
  outputShape: readonly number[];
}

/** Reads a TF-style [1, r, c, 1] list (sizes, strides, rates of extract_patches). */
function nhwcQuad(op: string, arg: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 4) {
    invalid(op, arg, `must be a list of 4 integers [1, rows, cols, 1], got ${show(value)}`);
  }
  return spatialPair(op, arg, value, 'NHWC');
}

/** The geometry of tf.image.extract_patches(images, sizes, strides, rates, padding): NHWC only. */
export function patchesGeometry(
  op: string,
  imagesShape: readonly number[],
  options: PatchesOptions,
): PatchesGeometry {
  if (options === null || typeof options !== 'object') {
    invalid(op, 'options', `must be an object { sizes, strides, rates, padding }, got ${show(options)}`);
  }
  checkRank(op, 'images', imagesShape, [4], '[batch, rows, cols, depth]');
  checkInt32Dims(op, 'images', imagesShape, ['batch', 'height', 'width', 'depth']);
  const [rows, cols] = nhwcQuad(op, 'sizes', options.sizes);
  nhwcQuad(op, 'strides', options.strides);
  nhwcQuad(op, 'rates', options.rates);
  if (typeof options.padding !== 'string') {
    invalid(op, 'padding', `must be "SAME" or "VALID", got ${show(options.padding)}`);
  }
  const window = slidingWindow(
    op,
    'NHWC',
    [...imagesShape],
    [rows, cols],
    {
      strides: options.strides,
      dilations: options.rates,
      padding: options.padding,
    },
    'strides',
    'rates',
  );
  const outputShape = [window.batch, window.outHeight, window.outWidth, rows * cols * window.inChannels];
  checkAllocatable(op, 'output', outputShape);
  return { ...window, outputShape };
}

/** Element strides of the batch, row, column and channel axes of a (full, rank-4) tensor in a layout. */
export function layoutStrides(
  dataFormat: DataFormat,
  height: number,
  width: number,
  channels: number,
): { n: number; h: number; w: number; c: number } {
  return dataFormat === 'NHWC'
    ? { n: height * width * channels, h: width * channels, w: channels, c: 1 }
    : { n: channels * height * width, h: width, w: 1, c: height * width };
}

/**
 * The forward geometry behind a conv2d gradient (conv2dBackpropInput, conv2dBackpropFilter,
 * conv2dTranspose). The rules are convGeometry's, except that a filter with 0 out_channels is accepted,
 * as TensorFlow's gradient ops accept it (conv2d refuses it): the output then has 0 channels, and the
 * gradients are zeros (input) or empty (filter).
 */
export function gradientGeometry(
  op: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  options: ConvOptions = {},
): ConvGeometry {
  const noOutChannels =
    filterShape.length === 4 && filterShape[3] === 0 && filterShape.slice(0, 3).every((d) => d > 0);
  if (!noOutChannels) return convGeometry(op, inputShape, filterShape, options);
  // The window does not depend on out_channels; any count the groups divide will do, and the input's
  // channel count always is one (channels = groups * filter in_channels).
  const dataFormat = checkDataFormat(op, options.dataFormat);
  const channelAxis = axesOf(dataFormat).c - (inputShape.length === 3 ? 1 : 0);
  const standIn = inputShape[channelAxis] || 1;
  const g = convGeometry(op, inputShape, [filterShape[0], filterShape[1], filterShape[2], standIn], options);
  const outputShape = [...g.outputShape];
  outputShape[channelAxis] = 0;
  return { ...g, filterShape: [...filterShape], outChannels: 0, outputShape, flops: 0 };
}

/**
 * Checks that `shape`, the gradient with respect to conv2d's output that argument `arg` carries, is
 * the output shape of the forward conv2d in `g`. `inputArg` and `filterArg` say how the op calls
 * conv2d's input and filter (conv2dTranspose calls them outputShape and filters).
 */
export function checkOutputGradientShape(
  g: ConvGeometry,
  arg: string,
  shape: readonly number[],
  inputArg: string,
  filterArg: string,
): void {
  const expected = g.outputShape;
  if (shape.length === expected.length && shape.every((d, i) => d === expected[i])) return;
  invalid(
    g.op,
    arg,
    `has shape ${show(shape)} but conv2d of ${inputArg} ${show(g.inputShape)} with ${filterArg} ` +
      `${show(g.filterShape)} (strides [${g.strideHeight},${g.strideWidth}], dilations ` +
      `[${g.dilationHeight},${g.dilationWidth}], ${g.paddingMode} padding, ${g.dataFormat}) gives ${show(expected)}`,
  );
}

/**
 * A depthwise convolution (tf.nn.depthwise_conv2d): grouped convolution with one group per input
 * channel. The filter [filter_height, filter_width, in_channels, channel_multiplier] has, byte for
 * byte, the layout of the grouped-conv2d filter [filter_height, filter_width, 1, in_channels *
 * channel_multiplier], and output channel k * channel_multiplier + q comes from input channel k and
 * filter[..., k, q]; so every ConvGeometry field keeps its conv2d meaning (groups = in_channels,
 * filterInChannels = 1), and `filterShape` is the depthwise filter as given.
 */
export interface DepthwiseGeometry extends ConvGeometry {
  /** The filter's last axis: output channels made from each input channel. */
  channelMultiplier: number;
}

/**
 * The geometry of depthwiseConv2d(input, filter, options), validated. Strides take 1, 2 or 4 values
 * as conv2d's do; dilations are tf.nn.depthwise_conv2d's `rate`: one number or [height, width] (2
 * values in that order for both layouts), never the 4-value form.
 */
export function depthwiseGeometry(
  op: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  options: ConvOptions = {},
): DepthwiseGeometry {
  if (typeof op !== 'string') {
    invalid(
      'convGeometry',
      'op',
      `(the first argument) is the op name that error messages start with, as in ` +
        `convGeometry('conv2d', [1, 4, 4, 1], [3, 3, 1, 1], { padding: 'SAME' }); got ${show(op)}`,
    );
  }
  const dataFormat = checkDataFormat(op, options.dataFormat);
  const layout =
    dataFormat === 'NHWC' ? '[batch, height, width, channels]' : '[batch, channels, height, width]';
  checkShapeArrays(op, inputShape, filterShape);
  checkRank(op, 'input', inputShape, [3, 4], `${layout}, or one image without the batch axis`);
  checkRank(op, 'filter', filterShape, [4], '[filter_height, filter_width, in_channels, channel_multiplier]');
  checkInt32Dims(op, 'input', inputShape, imageDimNames(dataFormat, inputShape.length));
  checkInt32Dims(op, 'filter', filterShape, [
    'filter_height',
    'filter_width',
    'in_channels',
    'channel_multiplier',
  ]);
  const batched = inputShape.length === 4;
  const full = batched ? inputShape : [1, ...inputShape];
  const axes = axesOf(dataFormat);
  const nhwc = [full[axes.n], full[axes.h], full[axes.w], full[axes.c]];
  const inChannels = nhwc[3];
  const [filterHeight, filterWidth, filterChannels, channelMultiplier] = filterShape;

  if (filterShape.some((d) => d === 0)) {
    invalid(op, 'filter', `must not have a zero dimension, got shape ${show(filterShape)}`);
  }
  if (inChannels !== filterChannels) {
    invalid(
      op,
      'input',
      `has ${inChannels} channels but filter ${show(filterShape)} expects ${filterChannels}` +
        ` (filter is [filter_height, filter_width, in_channels, channel_multiplier])`,
    );
  }
  const dilations = options.dilations;
  if (
    dilations !== undefined &&
    typeof dilations !== 'number' &&
    !(Array.isArray(dilations) && dilations.length <= 2)
  ) {
    invalid(
      op,
      'dilations',
      `must be a number or [rate_height, rate_width] (tf.nn.depthwise_conv2d's rate: 2 values, in that ` +
        `order for NHWC and NCHW), got ${show(dilations)}`,
    );
  }
  const window = slidingWindow(op, dataFormat, nhwc, [filterHeight, filterWidth], options);
  const outChannels = inChannels * channelMultiplier;
  const out = [window.batch, 0, 0, 0];
  out[axes.h] = window.outHeight;
  out[axes.w] = window.outWidth;
  out[axes.c] = outChannels;
  const outputShape = batched ? out : out.slice(1);
  checkAllocatable(op, 'output', outputShape);
  // Object.assign, not an object spread, as in convGeometry (V8's slow path for a large spread).
  return Object.assign(window, {
    op,
    batched,
    inputShape: [...inputShape],
    filterShape: [...filterShape],
    outputShape,
    filterInChannels: 1,
    outChannels,
    groups: inChannels,
    channelMultiplier,
    flops: 2 * window.batch * window.outHeight * window.outWidth * outChannels * filterHeight * filterWidth,
  });
}
