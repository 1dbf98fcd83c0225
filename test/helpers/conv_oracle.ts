/**
 * An independent float64 oracle for conv2d, depthwiseConv2d and the two conv2d gradients, written from
 * TensorFlow's definitions without any of convkit's code (not src/geometry.ts: output sizes and padding
 * are worked out here, from tensorflow/core/framework/kernel_shape_util.cc's rules):
 *
 *   effective_k = (k - 1) * dilation + 1
 *   SAME:     out = ceil(in / stride), total = max((out - 1) * stride + effective_k - in, 0),
 *             before = floor(total / 2)
 *   VALID:    out = trunc((in - effective_k + stride) / stride)
 *   explicit: out = trunc((in + before + after - effective_k + stride) / stride)
 *   (C++ integer division truncates toward zero; a negative size is an error, 0 an empty axis)
 *
 *   y[b, oy, ox, k] = sum over ky, kx, ci of x[b, oy*sh + ky*dh - top, ox*sw + kx*dw - left, g*Cg + ci]
 *                     * w[ky, kx, ci, k],  g = floor(k / (K / groups)), Cg = filter in_channels
 *
 * Values come back in NHWC with the shape in the problem's layout; `scale` is max |exact| over the
 * output, for the normwise error bounds of the accuracy contract.
 */

export type Padding = 'SAME' | 'VALID' | [[number, number], [number, number]];

export interface OracleProblem {
  /** NHWC or NCHW; the filter is HWIO either way. */
  dataFormat: 'NHWC' | 'NCHW';
  /** false: a rank-3 input (one image, no batch axis). */
  batched: boolean;
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  filterHeight: number;
  filterWidth: number;
  /** The filter's in_channels (inChannels / groups for conv2d; inChannels for depthwise). */
  filterInChannels: number;
  /** The filter's last axis: out_channels for conv2d, the channel multiplier for depthwise. */
  filterOut: number;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
}

/** One axis's output size and padding before it, or null where TensorFlow reports a negative size. */
export function tfAxis(
  inSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'SAME' | 'VALID' | [number, number],
): { out: number; before: number } | null {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'SAME') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max((out - 1) * stride + effective - inSize, 0);
    return { out, before: Math.floor(total / 2) };
  }
  const [before, after] = padding === 'VALID' ? [0, 0] : padding;
  const out = Math.trunc((inSize + before + after - effective + stride) / stride) + 0; // no -0
  return out < 0 ? null : { out, before };
}

export interface Axes {
  outHeight: number;
  outWidth: number;
  padTop: number;
  padLeft: number;
}

/** Both spatial axes, or null when TF rejects the problem (a negative output size). */
export function tfAxes(p: OracleProblem): Axes | null {
  const pads = typeof p.padding === 'string' ? [p.padding, p.padding] : p.padding;
  const h = tfAxis(p.inHeight, p.filterHeight, p.strides[0], p.dilations[0], pads[0]);
  const w = tfAxis(p.inWidth, p.filterWidth, p.strides[1], p.dilations[1], pads[1]);
  if (!h || !w) return null;
  return { outHeight: h.out, outWidth: w.out, padTop: h.before, padLeft: w.before };
}

/** [n, h, w, c] in the problem's layout (without n for a rank-3 input). */
export function shapeIn(p: OracleProblem, h: number, w: number, c: number): number[] {
  const full = p.dataFormat === 'NHWC' ? [p.batch, h, w, c] : [p.batch, c, h, w];
  return p.batched ? full : full.slice(1);
}

/** Index of (b, y, x, c) in a tensor of the problem's layout with the given spatial size and channels. */
function at(
  p: OracleProblem,
  b: number,
  y: number,
  x: number,
  c: number,
  h: number,
  w: number,
  ch: number,
): number {
  return p.dataFormat === 'NHWC' ? ((b * h + y) * w + x) * ch + c : ((b * ch + c) * h + y) * w + x;
}

export interface OracleResult {
  shape: number[];
  /** The exact values, in the problem's layout. */
  values: Float64Array;
  /** max |value|: the scale of the normwise bounds. */
  scale: number;
}

function result(p: OracleProblem, values: Float64Array, h: number, w: number, c: number): OracleResult {
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  return { shape: shapeIn(p, h, w, c), values, scale };
}

/** Visits every (output position, filter tap) pair that reads a real input pixel. */
function forEachTap(
  p: OracleProblem,
  a: Axes,
  visit: (b: number, oy: number, ox: number, ky: number, kx: number, iy: number, ix: number) => void,
): void {
  for (let b = 0; b < p.batch; b++) {
    for (let oy = 0; oy < a.outHeight; oy++) {
      for (let ox = 0; ox < a.outWidth; ox++) {
        for (let ky = 0; ky < p.filterHeight; ky++) {
          const iy = oy * p.strides[0] + ky * p.dilations[0] - a.padTop;
          if (iy < 0 || iy >= p.inHeight) continue;
          for (let kx = 0; kx < p.filterWidth; kx++) {
            const ix = ox * p.strides[1] + kx * p.dilations[1] - a.padLeft;
            if (ix < 0 || ix >= p.inWidth) continue;
            visit(b, oy, ox, ky, kx, iy, ix);
          }
        }
      }
    }
  }
}

/** conv2d (grouped when inChannels is a multiple of filterInChannels); needs tfAxes(p) non-null. */
export function conv2dOracle(p: OracleProblem, x: Float32Array, w: Float32Array): OracleResult {
  const a = tfAxes(p) as Axes;
  const [cg, k] = [p.filterInChannels, p.filterOut];
  const perGroup = k / (p.inChannels / cg);
  const y = new Float64Array(p.batch * a.outHeight * a.outWidth * k);
  forEachTap(p, a, (b, oy, ox, ky, kx, iy, ix) => {
    for (let o = 0; o < k; o++) {
      const first = Math.floor(o / perGroup) * cg;
      let sum = 0;
      for (let ci = 0; ci < cg; ci++) {
        sum +=
          x[at(p, b, iy, ix, first + ci, p.inHeight, p.inWidth, p.inChannels)] *
          w[((ky * p.filterWidth + kx) * cg + ci) * k + o];
      }
      y[at(p, b, oy, ox, o, a.outHeight, a.outWidth, k)] += sum;
    }
  });
  return result(p, y, a.outHeight, a.outWidth, k);
}

/** depthwiseConv2d: output channel c * multiplier + m reads input channel c with w[ky, kx, c, m]. */
export function depthwiseOracle(p: OracleProblem, x: Float32Array, w: Float32Array): OracleResult {
  const a = tfAxes(p) as Axes;
  const [c, m] = [p.inChannels, p.filterOut];
  const y = new Float64Array(p.batch * a.outHeight * a.outWidth * c * m);
  forEachTap(p, a, (b, oy, ox, ky, kx, iy, ix) => {
    for (let ci = 0; ci < c; ci++) {
      const v = x[at(p, b, iy, ix, ci, p.inHeight, p.inWidth, c)];
      for (let j = 0; j < m; j++) {
        y[at(p, b, oy, ox, ci * m + j, a.outHeight, a.outWidth, c * m)] +=
          v * w[((ky * p.filterWidth + kx) * c + ci) * m + j];
      }
    }
  });
  return result(p, y, a.outHeight, a.outWidth, c * m);
}

/** dL/dx of L = sum(conv2d(x, w) * dy): every tap sends dy * w back to the input pixel it read. */
export function backpropInputOracle(p: OracleProblem, w: Float32Array, dy: Float32Array): OracleResult {
  const a = tfAxes(p) as Axes;
  const [cg, k] = [p.filterInChannels, p.filterOut];
  const perGroup = k / (p.inChannels / cg);
  const dx = new Float64Array(p.batch * p.inHeight * p.inWidth * p.inChannels);
  forEachTap(p, a, (b, oy, ox, ky, kx, iy, ix) => {
    for (let o = 0; o < k; o++) {
      const g = dy[at(p, b, oy, ox, o, a.outHeight, a.outWidth, k)];
      const first = Math.floor(o / perGroup) * cg;
      for (let ci = 0; ci < cg; ci++) {
        dx[at(p, b, iy, ix, first + ci, p.inHeight, p.inWidth, p.inChannels)] +=
          g * w[((ky * p.filterWidth + kx) * cg + ci) * k + o];
      }
    }
  });
  return result(p, dx, p.inHeight, p.inWidth, p.inChannels);
}

/** dL/dw of L = sum(conv2d(x, w) * dy), HWIO. */
export function backpropFilterOracle(p: OracleProblem, x: Float32Array, dy: Float32Array): OracleResult {
  const a = tfAxes(p) as Axes;
  const [cg, k] = [p.filterInChannels, p.filterOut];
  const perGroup = k / (p.inChannels / cg);
  const dw = new Float64Array(p.filterHeight * p.filterWidth * cg * k);
  forEachTap(p, a, (b, oy, ox, ky, kx, iy, ix) => {
    for (let o = 0; o < k; o++) {
      const g = dy[at(p, b, oy, ox, o, a.outHeight, a.outWidth, k)];
      const first = Math.floor(o / perGroup) * cg;
      for (let ci = 0; ci < cg; ci++) {
        dw[((ky * p.filterWidth + kx) * cg + ci) * k + o] +=
          g * x[at(p, b, iy, ix, first + ci, p.inHeight, p.inWidth, p.inChannels)];
      }
    }
  });
  let scale = 0;
  for (const v of dw) scale = Math.max(scale, Math.abs(v));
  return { shape: [p.filterHeight, p.filterWidth, cg, k], values: dw, scale };
}

/** max |actual - exact| / scale (0 for an all-zero exact output matched exactly). */
export function normwiseError(actual: Float32Array, exact: OracleResult): number {
  let worst = 0;
  for (let i = 0; i < exact.values.length; i++) {
    const e = Math.abs(actual[i] - exact.values[i]);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  if (worst === 0) return 0;
  return exact.scale === 0 ? Infinity : worst / exact.scale;
}
