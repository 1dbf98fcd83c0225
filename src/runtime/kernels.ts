/**
 * The runtime's small kernels (TypeScript, NHWC): activations, softmax, pooling, global pooling, zero
 * padding, concatenation, broadcasting add / multiply, batch normalisation and rescaling. Convolutions
 * and Dense run on convkit's conv2d / depthwise / transpose algorithms (see executor.ts). Each kernel
 * writes the `out` array it is given (its slot in the activation arena), never its inputs.
 */
import type { Padding, Pointwise } from './layers.js';
import { padBefore } from './layers.js';

/** Applies an activation in place over `data`, whose last axis has `width` values (softmax's axis). */
export function applyPointwise(p: Pointwise, data: Float32Array, width: number): void {
  const n = data.length;
  switch (p.fn) {
    case 'linear':
      return;
    case 'relu':
      // NaN < 0 is false: NaN stays NaN, as in TensorFlow.
      for (let i = 0; i < n; i++) if (data[i] < 0) data[i] = 0;
      return;
    case 'relu6':
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (v < 0) data[i] = 0;
        else if (v > 6) data[i] = 6;
      }
      return;
    case 'relu_general': {
      const { max, slope, threshold } = p;
      for (let i = 0; i < n; i++) {
        const v = data[i];
        let y = v >= threshold ? v : slope * (v - threshold);
        if (max !== null && y > max) y = max;
        data[i] = y;
      }
      return;
    }
    case 'sigmoid':
      for (let i = 0; i < n; i++) data[i] = 1 / (1 + Math.exp(-data[i]));
      return;
    case 'hard_sigmoid':
      // TF.js' (and Keras 2's) definition: clip(0.2 x + 0.5, 0, 1).
      for (let i = 0; i < n; i++) data[i] = Math.min(1, Math.max(0, 0.2 * data[i] + 0.5));
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) data[i] = Math.tanh(data[i]);
      return;
    case 'swish':
      for (let i = 0; i < n; i++) data[i] = data[i] / (1 + Math.exp(-data[i]));
      return;
    case 'softmax':
      for (let row = 0; row < n; row += width) {
        let max = -Infinity;
        for (let i = row; i < row + width; i++) if (data[i] > max) max = data[i];
        let sum = 0;
        for (let i = row; i < row + width; i++) {
          const e = Math.exp(data[i] - max);
          data[i] = e;
          sum += e;
        }
        for (let i = row; i < row + width; i++) data[i] /= sum;
      }
      return;
  }
}

/** Softmax along the middle axis of [outer, n, inner] (a fresh array). */
export function softmaxAxis(
  x: Float32Array,
  outer: number,
  n: number,
  inner: number,
  out: Float32Array,
): Float32Array {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let max = -Infinity;
      for (let k = 0; k < n; k++) max = Math.max(max, x[base + k * inner]);
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const e = Math.exp(x[base + k * inner] - max);
        out[base + k * inner] = e;
        sum += e;
      }
      for (let k = 0; k < n; k++) out[base + k * inner] /= sum;
    }
  }
  return out;
}

/**
 * The convolution epilogue: out = act(out + bias + residual), in one pass over `out` for ReLU, ReLU6
 * and no activation (the common cases), in two for the others.
 */
export function epilogue(
  out: Float32Array,
  bias: Float32Array | null,
  residual: Float32Array | null,
  act: Pointwise | null,
  width: number,
): void {
  let lo = -Infinity;
  let hi = Infinity;
  if (act === null || act.fn === 'linear') lo = -Infinity;
  else if (act.fn === 'relu') lo = 0;
  else if (act.fn === 'relu6') [lo, hi] = [0, 6];
  else if (act.fn === 'relu_general' && act.slope === 0 && act.threshold === 0)
    [lo, hi] = [0, act.max ?? Infinity];
  else {
    addBiasResidual(out, bias, residual);
    applyPointwise(act, out, width);
    return;
  }
  const n = out.length;
  // One loop per case, so the inner loops carry no per-element tests of what is present.
  if (bias && residual) {
    const c = bias.length;
    for (let i = 0; i < n; i += c) {
      for (let k = 0; k < c; k++) {
        const v = out[i + k] + bias[k] + residual[i + k];
        out[i + k] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  } else if (bias) {
    const c = bias.length;
    for (let i = 0; i < n; i += c) {
      for (let k = 0; k < c; k++) {
        const v = out[i + k] + bias[k];
        out[i + k] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  } else if (residual) {
    for (let i = 0; i < n; i++) {
      const v = out[i] + residual[i];
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  } else if (lo > -Infinity || hi < Infinity) {
    for (let i = 0; i < n; i++) {
      const v = out[i];
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

/** out[i] += bias[i % bias.length] (+ residual[i]), one pass: the conv epilogue before the activation. */
export function addBiasResidual(
  out: Float32Array,
  bias: Float32Array | null,
  residual: Float32Array | null,
): void {
  const n = out.length;
  if (bias && residual) {
    const c = bias.length;
    for (let i = 0; i < n; i += c) for (let k = 0; k < c; k++) out[i + k] += bias[k] + residual[i + k];
  } else if (bias) {
    const c = bias.length;
    for (let i = 0; i < n; i += c) for (let k = 0; k < c; k++) out[i + k] += bias[k];
  } else if (residual) {
    for (let i = 0; i < n; i++) out[i] += residual[i];
  }
}

export interface PoolShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
  outHeight: number;
  outWidth: number;
}

/**
 * Where pooling windows sit. TF's 'SAME' / 'VALID': padding is skipped (an average counts only the real
 * cells under its window). `{ zeros }`: a ZeroPadding2D folded into a 'valid' pooling (executor.ts'
 * paddingFolds): the zeros are values of the padded tensor and take part, so max includes them and
 * the average divides by the whole window, exactly as pooling the padded tensor.
 */
export type PoolPadding = Padding | { zeros: [[number, number], [number, number]] };

/** The padding above and left of the first window, and whether padding cells are zeros that count. */
export function poolOrigin(
  s: PoolShape,
  k: [number, number],
  stride: [number, number],
  padding: PoolPadding,
): { top: number; left: number; zeros: boolean } {
  if (typeof padding === 'object')
    return { top: padding.zeros[0][0], left: padding.zeros[1][0], zeros: true };
  return {
    top: padBefore(s.height, k[0], stride[0], 1, padding),
    left: padBefore(s.width, k[1], stride[1], 1, padding),
    zeros: false,
  };
}

/**
 * Max or average pooling of one NHWC batch (TF's rules, see PoolPadding). Max starts from the window's
 * first cell and keeps the larger value, cells in row-major order: a NaN, once taken, stays (v > NaN is
 * false) and a later NaN replaces it, so any NaN in the window gives NaN, as TensorFlow's CPU max
 * pooling (tfjs-backend-cpu skips NaN instead); of equal values (-0, +0) the first is kept. Averages
 * are float32 sums in the same order divided by the count. wasm/assembly/pool.ts gives the same bits.
 */
export function pool2d(
  x: Float32Array,
  s: PoolShape,
  mode: 'max' | 'avg',
  k: [number, number],
  stride: [number, number],
  padding: PoolPadding,
  out: Float32Array,
  acc: Float32Array = new Float32Array(s.channels),
): Float32Array {
  const { batch, height, width, channels: c, outHeight, outWidth } = s;
  const { top, left, zeros } = poolOrigin(s, k, stride, padding);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const wy = oy * stride[0] - top;
      const y0 = Math.max(wy, 0);
      const y1 = Math.min(wy + k[0], height);
      for (let ox = 0; ox < outWidth; ox++) {
        const wx = ox * stride[1] - left;
        const x0 = Math.max(wx, 0);
        const x1 = Math.min(wx + k[1], width);
        const o = ((b * outHeight + oy) * outWidth + ox) * c;
        if (mode === 'max') {
          if (zeros && (y0 !== wy || x0 !== wx || y1 !== wy + k[0] || x1 !== wx + k[1])) {
            maxPadded(x, s, b, wy, wx, k, out, o);
            continue;
          }
          // Start from the window's first cell (a window always has one), then keep the larger value.
          const first = ((b * height + y0) * width + x0) * c;
          for (let ch = 0; ch < c; ch++) out[o + ch] = x[first + ch];
          for (let y = y0; y < y1; y++) {
            for (let xx = y === y0 ? x0 + 1 : x0; xx < x1; xx++) {
              const at = ((b * height + y) * width + xx) * c;
              for (let ch = 0; ch < c; ch++) {
                const v = x[at + ch];
                if (v > out[o + ch] || v !== v) out[o + ch] = v;
              }
            }
          }
          continue;
        }
        // Padding zeros that take part add nothing: a sum from +0 is never -0, so + 0 changes no bit.
        acc.fill(0);
        for (let y = y0; y < y1; y++) {
          for (let xx = x0; xx < x1; xx++) {
            const at = ((b * height + y) * width + xx) * c;
            for (let ch = 0; ch < c; ch++) acc[ch] += x[at + ch];
          }
        }
        const count = zeros ? k[0] * k[1] : (y1 - y0) * (x1 - x0);
        for (let ch = 0; ch < c; ch++) out[o + ch] = acc[ch] / count;
      }
    }
  }
  return out;
}

/** Max over the whole window at (wy, wx) of image b zero-padded, padding cells +0 in their place. */
function maxPadded(
  x: Float32Array,
  s: PoolShape,
  b: number,
  wy: number,
  wx: number,
  k: [number, number],
  out: Float32Array,
  o: number,
): void {
  const { height, width, channels: c } = s;
  const at = (y: number, xx: number) =>
    y >= 0 && y < height && xx >= 0 && xx < width ? ((b * height + y) * width + xx) * c : -1;
  const first = at(wy, wx);
  for (let ch = 0; ch < c; ch++) out[o + ch] = first < 0 ? 0 : x[first + ch];
  for (let y = wy; y < wy + k[0]; y++) {
    for (let xx = wx; xx < wx + k[1]; xx++) {
      const p = at(y, xx);
      for (let ch = 0; ch < c; ch++) {
        const v = p < 0 ? 0 : x[p + ch];
        if (v > out[o + ch] || v !== v) out[o + ch] = v;
      }
    }
  }
}

/** Global max / average over height and width: [batch, h, w, c] -> [batch, c]. */
export function globalPool(
  x: Float32Array,
  batch: number,
  cells: number,
  c: number,
  mode: 'max' | 'avg',
  out: Float32Array,
): Float32Array {
  for (let b = 0; b < batch; b++) {
    const o = b * c;
    out.fill(mode === 'max' ? -Infinity : 0, o, o + c);
    for (let p = 0; p < cells; p++) {
      const at = (b * cells + p) * c;
      if (mode === 'max') {
        for (let ch = 0; ch < c; ch++)
          if (x[at + ch] > out[o + ch] || Number.isNaN(x[at + ch])) out[o + ch] = x[at + ch];
      } else for (let ch = 0; ch < c; ch++) out[o + ch] += x[at + ch];
    }
    if (mode === 'avg') for (let ch = 0; ch < c; ch++) out[o + ch] /= cells;
  }
  return out;
}

/** Zero padding of [batch, h, w, c] by [[top, bottom], [left, right]]. */
export function zeroPad(
  x: Float32Array,
  batch: number,
  h: number,
  w: number,
  c: number,
  pads: [[number, number], [number, number]],
  out: Float32Array,
): Float32Array {
  const oh = h + pads[0][0] + pads[0][1];
  const ow = w + pads[1][0] + pads[1][1];
  // The slot held another tensor on the last call: the padding must be written too.
  out.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      const src = (b * h + y) * w * c;
      out.set(x.subarray(src, src + w * c), ((b * oh + y + pads[0][0]) * ow + pads[1][0]) * c);
    }
  }
  return out;
}

/** Concatenation along an axis: each input is [outer, chunk_i] with the same `outer`. */
export function concatChunks(
  inputs: readonly Float32Array[],
  chunks: readonly number[],
  outer: number,
  out: Float32Array,
): Float32Array {
  const width = chunks.reduce((a, b) => a + b, 0);
  for (let o = 0; o < outer; o++) {
    let at = o * width;
    inputs.forEach((x, i) => {
      out.set(x.subarray(o * chunks[i], (o + 1) * chunks[i]), at);
      at += chunks[i];
    });
  }
  return out;
}

/** a + b or a * b with NumPy broadcasting between same-rank shapes (batch axis included). */
export function broadcastBinary(
  mode: 'add' | 'multiply',
  inputs: readonly Float32Array[],
  shapes: readonly (readonly number[])[],
  outShape: readonly number[],
  out: Float32Array,
): Float32Array {
  const size = outShape.reduce((a, b) => a * b, 1);
  inputs.forEach((x, i) => {
    const shape = shapes[i];
    if (i === 0) {
      if (x.length === size) out.set(x);
      else for (let j = 0; j < size; j++) out[j] = x[broadcastIndex(j, shape, outShape)];
      return;
    }
    if (x.length === size) {
      if (mode === 'add') for (let j = 0; j < size; j++) out[j] += x[j];
      else for (let j = 0; j < size; j++) out[j] *= x[j];
    } else {
      for (let j = 0; j < size; j++) {
        const v = x[broadcastIndex(j, shape, outShape)];
        out[j] = mode === 'add' ? out[j] + v : out[j] * v;
      }
    }
  });
  return out;
}

/** Element strides of a row-major `shape`, 0 along its size-1 axes (which broadcast). */
export function broadcastStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(0);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 ? 0 : step;
    step *= shape[d];
  }
  return strides;
}

function broadcastIndex(flat: number, shape: readonly number[], outShape: readonly number[]): number {
  let index = 0;
  let stride = 1;
  let rest = flat;
  for (let d = outShape.length - 1; d >= 0; d--) {
    const coord = rest % outShape[d];
    rest = Math.floor(rest / outShape[d]);
    if (shape[d] !== 1) index += coord * stride;
    stride *= shape[d];
  }
  return index;
}

/** y = x * scale[c] + shift[c] over the last axis (BatchNormalization at inference, Rescaling). */
export function scaleShift(
  x: Float32Array,
  scale: Float32Array,
  shift: Float32Array,
  out: Float32Array,
): Float32Array {
  const c = scale.length;
  for (let i = 0; i < x.length; i += c)
    for (let k = 0; k < c; k++) out[i + k] = x[i + k] * scale[k] + shift[k];
  return out;
}

/** BatchNormalization's inference form as a per-channel scale and shift (TF.js: (x - mean) * rsqrt(var + eps) * gamma + beta). */
export function batchNormAffine(
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array | undefined,
  beta: Float32Array | undefined,
  epsilon: number,
): { scale: Float32Array; shift: Float32Array } {
  const c = mean.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    const s = (gamma ? gamma[k] : 1) / Math.sqrt(variance[k] + epsilon);
    scale[k] = s;
    shift[k] = (beta ? beta[k] : 0) - mean[k] * s;
  }
  return { scale, shift };
}
