/**
 * The independent oracle: TensorFlow.js (tfjs-core + the plain-JavaScript cpu backend). Where tfjs lacks
 * a feature, the oracle builds it from tfjs pieces by a different construction than convkit's:
 *   - strides > 1 together with dilations > 1 (tfjs refuses the pair): the filter is dilated by inserting
 *     zeros between its taps (plain loops below), then convolved with dilation 1;
 *   - grouped convolution: the input channels and the filter's output channels are split into groups with
 *     tf.split, each group convolved on its own, the results joined with tf.concat;
 *   - NCHW: tf.transpose to NHWC and back (tfjs conv2d is only exercised channels-last);
 *   - extract_image_patches (tfjs has none): conv2d with a one-hot filter whose output channel
 *     (ky * cols + kx) * depth + c copies input channel c at filter tap (ky, kx).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export interface PlainTensor {
  values: ArrayLike<number>;
  shape: readonly number[];
}

export interface OracleResult {
  values: Float32Array;
  shape: number[];
}

/** SAME, VALID, or explicit [[top, bottom], [left, right]]. */
export type OraclePadding = 'SAME' | 'VALID' | [[number, number], [number, number]];

export interface OracleConvSpec {
  strides: [number, number];
  dilations?: [number, number];
  padding: OraclePadding;
  dataFormat?: 'NHWC' | 'NCHW';
  /**
   * How explicit padding reaches tfjs: its own explicit-padding conv2d ('native', the default), or
   * tf.pad followed by a VALID conv2d ('pad'), which is how TensorFlow's tests build their expectation.
   */
  explicitPadding?: 'native' | 'pad';
}

let ready: Promise<void> | undefined;

/** Selects the tfjs cpu backend (once). Await it before calling the oracle. */
export function initTfjsCpu(): Promise<void> {
  ready ??= tf.setBackend('cpu').then((ok) => {
    if (!ok) throw new Error('tfjs: the cpu backend could not be selected');
  });
  return ready;
}

/**
 * A filter [kh, kw, in, out] dilated by [dh, dw]: taps spread apart with zeros between them, giving
 * [(kh - 1) * dh + 1, (kw - 1) * dw + 1, in, out]. Convolving with it (dilation 1) equals the dilated conv.
 */
export function dilateFilter(filter: PlainTensor, [dh, dw]: [number, number]): PlainTensor {
  const [kh, kw, ci, co] = filter.shape;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const out = new Float32Array(eh * ew * ci * co);
  const tap = ci * co;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const from = (ky * kw + kx) * tap;
      const to = (ky * dh * ew + kx * dw) * tap;
      for (let i = 0; i < tap; i++) out[to + i] = filter.values[from + i];
    }
  }
  return { values: out, shape: [eh, ew, ci, co] };
}

/** tf.nn.conv2d computed by tfjs. Input NHWC/NCHW, rank 4 or 3 (one image); filter HWIO; groups allowed. */
export function tfjsConv2d(input: PlainTensor, filter: PlainTensor, spec: OracleConvSpec): OracleResult {
  const dataFormat = spec.dataFormat ?? 'NHWC';
  const channelAxis = dataFormat === 'NHWC' ? input.shape.length - 1 : input.shape.length - 3;
  const groups = input.shape[channelAxis] / filter.shape[2];
  let dilations = spec.dilations ?? [1, 1];
  let w = filter;
  const strided = spec.strides[0] > 1 || spec.strides[1] > 1;
  if (strided && (dilations[0] > 1 || dilations[1] > 1)) {
    w = dilateFilter(filter, dilations);
    dilations = [1, 1];
  }
  const y = tf.tidy(() => {
    const raw: tf.Tensor = tf.tensor(Float32Array.from(input.values), [...input.shape]);
    let x = (input.shape.length === 3 ? tf.expandDims(raw, 0) : raw) as tf.Tensor4D;
    if (dataFormat === 'NCHW') x = tf.transpose(x, [0, 2, 3, 1]);
    let pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
    if (spec.padding === 'SAME') pad = 'same';
    else if (spec.padding === 'VALID') pad = 'valid';
    else {
      const [[top, bottom], [left, right]] = spec.padding;
      const pairs: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ];
      if (spec.explicitPadding === 'pad') {
        x = tf.pad(x, pairs);
        pad = 'valid';
      } else {
        pad = pairs;
      }
    }
    const filterTensor = tf.tensor4d(
      Float32Array.from(w.values),
      w.shape as [number, number, number, number],
    );
    const xs = groups > 1 ? (tf.split(x, groups, 3) as tf.Tensor4D[]) : [x];
    const ws = groups > 1 ? (tf.split(filterTensor, groups, 3) as tf.Tensor4D[]) : [filterTensor];
    const parts = xs.map((xi, i) => tf.conv2d(xi, ws[i], spec.strides, pad, 'NHWC', dilations));
    let out = parts.length > 1 ? tf.concat(parts, 3) : parts[0];
    if (dataFormat === 'NCHW') out = tf.transpose(out, [0, 3, 1, 2]);
    return input.shape.length === 3 ? tf.squeeze(out, [0]) : out;
  });
  const result = { values: new Float32Array(y.dataSync()), shape: [...y.shape] };
  y.dispose();
  return result;
}

/**
 * A [rows, cols, depth, rows * cols * depth] filter that copies each patch tap into its own output
 * channel, in extract_patches order (row, col, depth; depth fastest).
 */
export function oneHotPatchFilter(rows: number, cols: number, depth: number): PlainTensor {
  const outDepth = rows * cols * depth;
  const values = new Float32Array(rows * cols * depth * outDepth);
  for (let ky = 0; ky < rows; ky++) {
    for (let kx = 0; kx < cols; kx++) {
      for (let c = 0; c < depth; c++) {
        const outChannel = (ky * cols + kx) * depth + c;
        values[((ky * cols + kx) * depth + c) * outDepth + outChannel] = 1;
      }
    }
  }
  return { values, shape: [rows, cols, depth, outDepth] };
}

/** tf.image.extract_patches by tfjs: conv2d of the images with the one-hot patch filter. */
export function tfjsExtractPatches(
  images: PlainTensor,
  spec: {
    sizes: [number, number];
    strides: [number, number];
    rates: [number, number];
    padding: 'SAME' | 'VALID';
  },
): OracleResult {
  const filter = oneHotPatchFilter(spec.sizes[0], spec.sizes[1], images.shape[3]);
  return tfjsConv2d(images, filter, { strides: spec.strides, dilations: spec.rates, padding: spec.padding });
}

/** tf.stridedSlice of a plain tensor (NumPy's x[b0:e0:s0, ...]). */
export function tfjsStridedSlice(
  x: PlainTensor,
  begin: number[],
  end: number[],
  strides: number[],
): OracleResult {
  const y = tf.tidy(() =>
    tf.stridedSlice(tf.tensor(Float32Array.from(x.values), [...x.shape]), begin, end, strides),
  );
  const result = { values: new Float32Array(y.dataSync()), shape: [...y.shape] };
  y.dispose();
  return result;
}
