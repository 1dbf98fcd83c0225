/**
 * The fast depthwise algorithm in plain TypeScript. Each output channel oc = k * M + q is a 2-D
 * correlation of input channel k with its own kh x kw filter, so the work is organised as row sweeps:
 * for one (image, output row, output channel) the filter taps sit in local variables and the row is
 * swept left to right.
 *
 *   - The filter is pre-arranged once per call: one float64 run of kh * kw taps per output channel.
 *   - Padding: usually the input is first copied into a zero-padded buffer (reused between calls), so
 *     that every output pixel is an interior one, whose window lies inside the buffer and is read with
 *     no bounds checks. Where that copy costs more than it saves (large images with little padding,
 *     e.g. stride 2 SAME, which pads one row and column), the input is read in place and only the
 *     border pixels clip their windows (see copyPaysOff).
 *   - 3x3 filters with dilation 1 and stride 1 or 2 keep the window columns that the next pixel reuses
 *     in locals (registers), so a pixel loads only its new input column(s), and sweep two output rows
 *     at once, loading the input rows they share once. Width-5 filters (stride 1) slide each filter row
 *     the same way; any other filter accumulates tap by tap into a float64 row.
 *   - Both layouts are read through element strides (NHWC: pixels C apart; NCHW: channel planes), so
 *     NCHW needs no transposes; the loop order follows the layout so that the input rows in use stay
 *     in cache: NHWC walks (rows, channels), NCHW walks (channel plane, rows).
 *   - Sums are float64, rounded to float32 once when stored.
 *   - A padding tap is a zero that gets multiplied, as in the direct algorithm and TensorFlow (whose
 *     kernels also copy into a zero-padded buffer): the padded copy does that by construction, and a
 *     clipped border pixel adds 0 * w for its padding taps when its filter holds Infinity or NaN.
 */
import { layoutStrides, type DepthwiseGeometry } from '../geometry.js';

/** What every row sweep needs: the geometry in element strides, the buffers and the packed filter. */
interface Sweep {
  x: Float32Array;
  y: Float32Array;
  /** Filter taps per output channel: w[oc * taps + ky * kw + kx]. */
  w: Float64Array;
  /** 1 where an output channel's filter holds a non-finite value (padding then contributes NaN). */
  nonFinite: Uint8Array;
  taps: number;
  multiplier: number;
  inHeight: number;
  inWidth: number;
  outWidth: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padLeft: number;
  /** Input element strides: batch, row, column, channel. */
  xn: number;
  xh: number;
  xw: number;
  xc: number;
  /** Output element strides: batch, row, column, channel. */
  yn: number;
  yh: number;
  yw: number;
  yc: number;
  /** Output columns [oxLo, oxHi) have windows inside the input's columns. */
  oxLo: number;
  oxHi: number;
}

/**
 * The output positions [lo, hi) along one axis whose windows lie wholly inside the input:
 * 0 <= o * stride - padBefore and o * stride - padBefore + effectiveKernel - 1 <= inSize - 1.
 */
function interiorRange(
  inSize: number,
  outSize: number,
  stride: number,
  padBefore: number,
  effectiveKernel: number,
): [number, number] {
  const lo = Math.min(Math.ceil(padBefore / stride), outSize);
  const last = inSize - effectiveKernel + padBefore;
  const hi = last < 0 ? 0 : Math.min(Math.floor(last / stride) + 1, outSize);
  return [lo, Math.max(lo, hi)];
}

/** [kh, kw, C, M] (tap-major) to one run of kh * kw taps per output channel, as float64. */
function packFilter(filter: Float32Array, taps: number, outChannels: number): Float64Array {
  const packed = new Float64Array(taps * outChannels);
  for (let t = 0; t < taps; t++) {
    for (let oc = 0; oc < outChannels; oc++) packed[oc * taps + t] = filter[t * outChannels + oc];
  }
  return packed;
}

function nonFiniteChannels(w: Float64Array, taps: number, outChannels: number): Uint8Array {
  const flags = new Uint8Array(outChannels);
  for (let oc = 0; oc < outChannels; oc++) {
    for (let t = 0; t < taps; t++) if (!Number.isFinite(w[oc * taps + t])) flags[oc] = 1;
  }
  return flags;
}

/** One output pixel whose window may overhang the input: the window is clipped to the input. */
function borderPixel(s: Sweep, xBase: number, yAt: number, oc: number, oy: number, ox: number): void {
  const { x, w, kh, kw, dh, dw, inHeight, inWidth, xh, xw } = s;
  const iy0 = oy * s.sh - s.padTop;
  const ix0 = ox * s.sw - s.padLeft;
  const wBase = oc * s.taps;
  let sum = 0;
  if (s.nonFinite[oc]) {
    // Every tap, padding included as a multiplied zero, so that 0 * Infinity gives NaN.
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky * dh;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dw;
        const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
        sum += (inside ? x[xBase + iy * xh + ix * xw] : 0) * w[wBase + ky * kw + kx];
      }
    }
  } else {
    const kyLo = iy0 < 0 ? Math.ceil(-iy0 / dh) : 0;
    const kyHi = Math.min(kh, Math.floor((inHeight - 1 - iy0) / dh) + 1);
    const kxLo = ix0 < 0 ? Math.ceil(-ix0 / dw) : 0;
    const kxHi = Math.min(kw, Math.floor((inWidth - 1 - ix0) / dw) + 1);
    for (let ky = kyLo; ky < kyHi; ky++) {
      const row = xBase + (iy0 + ky * dh) * xh;
      const wRow = wBase + ky * kw;
      for (let kx = kxLo; kx < kxHi; kx++) sum += x[row + (ix0 + kx * dw) * xw] * w[wRow + kx];
    }
  }
  s.y[yAt] = sum;
}

/** Interior pixels of one row, any filter, stride and dilation: tap by tap into a float64 row of sums. */
function interiorGeneric(s: Sweep, xAt: number, yAt: number, oc: number, count: number): void {
  const { x, y, w, kh, kw } = s;
  const acc = rowAccumulator(count);
  const xStep = s.sw * s.xw;
  const wBase = oc * kh * kw;
  for (let ky = 0; ky < kh; ky++) {
    const row = xAt + ky * s.dh * s.xh;
    for (let kx = 0; kx < kw; kx++) {
      const tap = w[wBase + ky * kw + kx];
      let p = row + kx * s.dw * s.xw;
      for (let i = 0; i < count; i++, p += xStep) acc[i] += x[p] * tap;
    }
  }
  for (let i = 0; i < count; i++, yAt += s.yw) y[yAt] = acc[i];
}

/**
 * Interior pixels of one row, filter width 5 with dilation 1 and stride 1 in width (any height): one
 * sliding pass per filter row, each keeping the row's 5 taps and the last 4 window values in locals.
 */
function interiorWidth5s1(s: Sweep, xAt: number, yAt: number, oc: number, count: number): void {
  const { x, y, w, kh, xw } = s;
  const acc = rowAccumulator(count);
  for (let ky = 0; ky < kh; ky++) {
    const o = (oc * kh + ky) * 5;
    const w0 = w[o];
    const w1 = w[o + 1];
    const w2 = w[o + 2];
    const w3 = w[o + 3];
    const w4 = w[o + 4];
    const row = xAt + ky * s.dh * s.xh;
    let a0 = x[row];
    let a1 = x[row + xw];
    let a2 = x[row + 2 * xw];
    let a3 = x[row + 3 * xw];
    for (let i = 0, p = row + 4 * xw; i < count; i++, p += xw) {
      const a4 = x[p];
      acc[i] += w0 * a0 + w1 * a1 + (w2 * a2 + w3 * a3) + w4 * a4;
      a0 = a1;
      a1 = a2;
      a2 = a3;
      a3 = a4;
    }
  }
  for (let i = 0; i < count; i++, yAt += s.yw) y[yAt] = acc[i];
}

/** A zeroed float64 row of `size` sums, reused between sweeps. */
let accumulator = new Float64Array(256);
function rowAccumulator(size: number): Float64Array {
  if (accumulator.length < size) accumulator = new Float64Array(size);
  accumulator.fill(0, 0, size);
  return accumulator;
}

/**
 * Interior pixels of one row, 3x3 filter, dilation 1, stride 1. `r0` is the input element under the
 * first pixel's top-left tap. Window columns 1 and 2 become columns 0 and 1 of the next pixel, so each
 * pixel loads 3 new values.
 */
function interior3x3s1(s: Sweep, r0: number, yAt: number, oc: number, count: number): void {
  const { x, y, w, xh, xw, yw } = s;
  const o = oc * 9;
  const w0 = w[o];
  const w1 = w[o + 1];
  const w2 = w[o + 2];
  const w3 = w[o + 3];
  const w4 = w[o + 4];
  const w5 = w[o + 5];
  const w6 = w[o + 6];
  const w7 = w[o + 7];
  const w8 = w[o + 8];
  const r1 = r0 + xh;
  const r2 = r1 + xh;
  let a0 = x[r0];
  let a1 = x[r0 + xw];
  let b0 = x[r1];
  let b1 = x[r1 + xw];
  let c0 = x[r2];
  let c1 = x[r2 + xw];
  for (let i = 0, p = 2 * xw; i < count; i++, p += xw, yAt += yw) {
    const a2 = x[r0 + p];
    const b2 = x[r1 + p];
    const c2 = x[r2 + p];
    // Summed as three row partials: shorter dependency chains than one running sum. The leading 0 makes
    // a sum of -0 products +0, as a sum that starts from zero (the direct algorithm, TensorFlow) gives.
    y[yAt] = 0 + w0 * a0 + w1 * a1 + w2 * a2 + (w3 * b0 + w4 * b1 + w5 * b2) + (w6 * c0 + w7 * c1 + w8 * c2);
    a0 = a1;
    a1 = a2;
    b0 = b1;
    b1 = b2;
    c0 = c1;
    c1 = c2;
  }
}

/** As interior3x3s1, for output rows oy and oy + 1 at once: they share input rows 1 and 2. */
function interior3x3s1Pair(s: Sweep, r0: number, yAt: number, oc: number, count: number): void {
  const { x, y, w, xh, xw, yw, yh } = s;
  const o = oc * 9;
  const w0 = w[o];
  const w1 = w[o + 1];
  const w2 = w[o + 2];
  const w3 = w[o + 3];
  const w4 = w[o + 4];
  const w5 = w[o + 5];
  const w6 = w[o + 6];
  const w7 = w[o + 7];
  const w8 = w[o + 8];
  const r1 = r0 + xh;
  const r2 = r1 + xh;
  const r3 = r2 + xh;
  let a0 = x[r0];
  let a1 = x[r0 + xw];
  let b0 = x[r1];
  let b1 = x[r1 + xw];
  let c0 = x[r2];
  let c1 = x[r2 + xw];
  let d0 = x[r3];
  let d1 = x[r3 + xw];
  for (let i = 0, p = 2 * xw; i < count; i++, p += xw, yAt += yw) {
    const a2 = x[r0 + p];
    const b2 = x[r1 + p];
    const c2 = x[r2 + p];
    const d2 = x[r3 + p];
    y[yAt] = 0 + w0 * a0 + w1 * a1 + w2 * a2 + (w3 * b0 + w4 * b1 + w5 * b2) + (w6 * c0 + w7 * c1 + w8 * c2);
    y[yAt + yh] =
      0 + w0 * b0 + w1 * b1 + w2 * b2 + (w3 * c0 + w4 * c1 + w5 * c2) + (w6 * d0 + w7 * d1 + w8 * d2);
    a0 = a1;
    a1 = a2;
    b0 = b1;
    b1 = b2;
    c0 = c1;
    c1 = c2;
    d0 = d1;
    d1 = d2;
  }
}

/** Interior pixels of one row, 3x3 filter, dilation 1, stride 2: window column 2 becomes column 0. */
function interior3x3s2(s: Sweep, r0: number, yAt: number, oc: number, count: number): void {
  const { x, y, w, xh, xw, yw } = s;
  const o = oc * 9;
  const w0 = w[o];
  const w1 = w[o + 1];
  const w2 = w[o + 2];
  const w3 = w[o + 3];
  const w4 = w[o + 4];
  const w5 = w[o + 5];
  const w6 = w[o + 6];
  const w7 = w[o + 7];
  const w8 = w[o + 8];
  const r1 = r0 + xh;
  const r2 = r1 + xh;
  let a0 = x[r0];
  let b0 = x[r1];
  let c0 = x[r2];
  for (let i = 0, p = xw; i < count; i++, p += 2 * xw, yAt += yw) {
    const a1 = x[r0 + p];
    const b1 = x[r1 + p];
    const c1 = x[r2 + p];
    const a2 = x[r0 + p + xw];
    const b2 = x[r1 + p + xw];
    const c2 = x[r2 + p + xw];
    y[yAt] = 0 + w0 * a0 + w1 * a1 + w2 * a2 + (w3 * b0 + w4 * b1 + w5 * b2) + (w6 * c0 + w7 * c1 + w8 * c2);
    a0 = a2;
    b0 = b2;
    c0 = c2;
  }
}

/** As interior3x3s2, for output rows oy and oy + 1 (stride 2 in height too): they share input row 2. */
function interior3x3s2Pair(s: Sweep, r0: number, yAt: number, oc: number, count: number): void {
  const { x, y, w, xh, xw, yw, yh } = s;
  const o = oc * 9;
  const w0 = w[o];
  const w1 = w[o + 1];
  const w2 = w[o + 2];
  const w3 = w[o + 3];
  const w4 = w[o + 4];
  const w5 = w[o + 5];
  const w6 = w[o + 6];
  const w7 = w[o + 7];
  const w8 = w[o + 8];
  const r1 = r0 + xh;
  const r2 = r1 + xh;
  const r3 = r2 + xh;
  const r4 = r3 + xh;
  let a0 = x[r0];
  let b0 = x[r1];
  let c0 = x[r2];
  let d0 = x[r3];
  let e0 = x[r4];
  for (let i = 0, p = xw; i < count; i++, p += 2 * xw, yAt += yw) {
    const a1 = x[r0 + p];
    const b1 = x[r1 + p];
    const c1 = x[r2 + p];
    const d1 = x[r3 + p];
    const e1 = x[r4 + p];
    const a2 = x[r0 + p + xw];
    const b2 = x[r1 + p + xw];
    const c2 = x[r2 + p + xw];
    const d2 = x[r3 + p + xw];
    const e2 = x[r4 + p + xw];
    y[yAt] = 0 + w0 * a0 + w1 * a1 + w2 * a2 + (w3 * b0 + w4 * b1 + w5 * b2) + (w6 * c0 + w7 * c1 + w8 * c2);
    y[yAt + yh] =
      0 + w0 * c0 + w1 * c1 + w2 * c2 + (w3 * d0 + w4 * d1 + w5 * d2) + (w6 * e0 + w7 * e1 + w8 * e2);
    a0 = a2;
    b0 = b2;
    c0 = c2;
    d0 = d2;
    e0 = e2;
  }
}

type InteriorSweep = (s: Sweep, xAt: number, yAt: number, oc: number, count: number) => void;

/** The interior sweep for one output row, and the one for two rows at once where there is one. */
function interiorSweepsFor(s: Sweep): { one: InteriorSweep; two?: InteriorSweep } {
  if (s.kh === 3 && s.kw === 3 && s.dh === 1 && s.dw === 1) {
    if (s.sw === 1) return { one: interior3x3s1, two: s.sh === 1 ? interior3x3s1Pair : undefined };
    if (s.sw === 2) return { one: interior3x3s2, two: s.sh === 2 ? interior3x3s2Pair : undefined };
  }
  if (s.kw === 5 && s.dw === 1 && s.sw === 1) return { one: interiorWidth5s1 };
  return { one: interiorGeneric };
}

/**
 * Output rows oy .. oy + rows - 1 (rows is 1, or 2 when both are interior rows and the pair sweep
 * applies) of output channel oc in image b.
 */
function sweepRows(
  s: Sweep,
  sweeps: { one: InteriorSweep; two?: InteriorSweep },
  b: number,
  oy: number,
  rows: number,
  oc: number,
  rowInterior: boolean,
): void {
  const k = (oc / s.multiplier) | 0;
  const xBase = b * s.xn + k * s.xc;
  const yRow = b * s.yn + oy * s.yh + oc * s.yc;
  const { oxLo, oxHi, outWidth, yw } = s;
  if (!rowInterior) {
    for (let ox = 0; ox < outWidth; ox++) borderPixel(s, xBase, yRow + ox * yw, oc, oy, ox);
    return;
  }
  for (let r = 0; r < rows; r++) {
    for (let ox = 0; ox < oxLo; ox++) borderPixel(s, xBase, yRow + r * s.yh + ox * yw, oc, oy + r, ox);
    for (let ox = oxHi; ox < outWidth; ox++) {
      borderPixel(s, xBase, yRow + r * s.yh + ox * yw, oc, oy + r, ox);
    }
  }
  if (oxHi > oxLo) {
    const xAt = xBase + (oy * s.sh - s.padTop) * s.xh + (oxLo * s.sw - s.padLeft) * s.xw;
    const yAt = yRow + oxLo * yw;
    const sweep = rows === 2 ? (sweeps.two as InteriorSweep) : sweeps.one;
    sweep(s, xAt, yAt, oc, oxHi - oxLo);
  }
}

/**
 * How the fast kernel meets padding. 'copy': the input is first copied into a zero-padded buffer, so
 * every output pixel is an interior one; 'clip': the input is read in place and border pixels clip
 * their windows; 'auto' (what depthwiseConv2d uses) picks by copyPaysOff. All give the same values;
 * the choice is exposed so that tests can run both paths.
 */
export type PaddingStrategy = 'auto' | 'copy' | 'clip';

/**
 * The padded copy lives in scratch kept between calls (up to KEPT_SCRATCH_ELEMENTS), so that a call does
 * not pay for allocating and first touching a fresh buffer. JavaScript runs one call at a time per
 * thread, and the buffer never escapes a call.
 */
const KEPT_SCRATCH_ELEMENTS = 4 << 20;
let scratch = new Float32Array(0);

function scratchBuffer(size: number): Float32Array {
  if (size <= scratch.length) return scratch.subarray(0, size);
  const fresh = new Float32Array(size);
  if (size <= KEPT_SCRATCH_ELEMENTS) scratch = fresh;
  return fresh;
}

/**
 * The input with its padding written out as zeros, in the same layout: [N, H', W', C] or [N, C, H', W'].
 * Both are stacks of planes of padded rows: NHWC has one plane per image with rows of W' * C values,
 * NCHW one plane per (image, channel) with rows of W' values.
 */
function zeroPaddedInput(
  g: DepthwiseGeometry,
  input: Float32Array,
  height: number,
  width: number,
): Float32Array {
  const { batch, inHeight, inWidth, inChannels, padTop } = g;
  const padded = scratchBuffer(batch * height * width * inChannels);
  const unit = g.dataFormat === 'NHWC' ? inChannels : 1;
  const planes = g.dataFormat === 'NHWC' ? batch : batch * inChannels;
  const rowLength = width * unit;
  const inRowLength = inWidth * unit;
  const left = g.padLeft * unit;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * height * rowLength;
    padded.fill(0, base, base + padTop * rowLength);
    for (let iy = 0; iy < inHeight; iy++) {
      const row = base + (padTop + iy) * rowLength;
      const from = (plane * inHeight + iy) * inRowLength;
      padded.fill(0, row, row + left);
      padded.set(input.subarray(from, from + inRowLength), row + left);
      padded.fill(0, row + left + inRowLength, row + rowLength);
    }
    padded.fill(0, base + (padTop + inHeight) * rowLength, base + height * rowLength);
  }
  return padded;
}

/**
 * Whether copying the input into a zero-padded buffer beats clipping the border windows. The copy costs
 * about one store per padded element; a clipped border pixel costs about 4 times a multiply-add per tap
 * and output channel (measured on MobileNet's 3x3 layers: the copy wins from a few percent of border
 * pixels at stride 1, clipping wins at stride 2 on large images, where SAME pads one row and column).
 * Padding that dwarfs the data (huge explicit pads with large strides) is never copied.
 */
function copyPaysOff(g: DepthwiseGeometry, paddedSize: number, dataSize: number): boolean {
  if (paddedSize > 2 * dataSize) return false;
  const [oyLo, oyHi] = interiorRange(
    g.inHeight,
    g.outHeight,
    g.strideHeight,
    g.padTop,
    g.effectiveFilterHeight,
  );
  const [oxLo, oxHi] = interiorRange(g.inWidth, g.outWidth, g.strideWidth, g.padLeft, g.effectiveFilterWidth);
  const borderPixels = g.batch * (g.outHeight * g.outWidth - (oyHi - oyLo) * (oxHi - oxLo));
  return 4 * borderPixels * g.filterHeight * g.filterWidth * g.outChannels > paddedSize;
}

export function depthwiseConv2dFast(
  g: DepthwiseGeometry,
  input: Float32Array,
  filter: Float32Array,
  padding: PaddingStrategy = 'auto',
): Float32Array {
  const { batch, outHeight, outWidth, outChannels } = g;
  const output = new Float32Array(batch * outHeight * outWidth * outChannels);
  if (output.length === 0) return output;
  const padded = g.padTop + g.padBottom + g.padLeft + g.padRight > 0;
  let inHeight = g.inHeight;
  let inWidth = g.inWidth;
  let x = input;
  let padTop = g.padTop;
  let padLeft = g.padLeft;
  if (padded && padding !== 'clip') {
    const height = inHeight + g.padTop + g.padBottom;
    const width = inWidth + g.padLeft + g.padRight;
    if (
      padding === 'copy' ||
      copyPaysOff(g, batch * height * width * g.inChannels, input.length + output.length)
    ) {
      x = zeroPaddedInput(g, input, height, width);
      inHeight = height;
      inWidth = width;
      padTop = 0;
      padLeft = 0;
    }
  }
  sweepAll(g, x, inHeight, inWidth, padTop, padLeft, filter, output);
  return output;
}

/** Every output row of every channel: interior sweeps, and clipped border pixels where padding remains. */
function sweepAll(
  g: DepthwiseGeometry,
  input: Float32Array,
  inHeight: number,
  inWidth: number,
  padTop: number,
  padLeft: number,
  filter: Float32Array,
  output: Float32Array,
): void {
  const { batch, inChannels, outHeight, outWidth, outChannels } = g;
  const kh = g.filterHeight;
  const kw = g.filterWidth;
  const taps = kh * kw;
  const x = layoutStrides(g.dataFormat, inHeight, inWidth, inChannels);
  const y = layoutStrides(g.dataFormat, outHeight, outWidth, outChannels);
  const w = packFilter(filter, taps, outChannels);
  const [oyLo, oyHi] = interiorRange(inHeight, outHeight, g.strideHeight, padTop, g.effectiveFilterHeight);
  const [oxLo, oxHi] = interiorRange(inWidth, outWidth, g.strideWidth, padLeft, g.effectiveFilterWidth);
  const s: Sweep = {
    x: input,
    y: output,
    w,
    nonFinite: nonFiniteChannels(w, taps, outChannels),
    taps,
    multiplier: g.channelMultiplier,
    inHeight,
    inWidth,
    outWidth,
    kh,
    kw,
    sh: g.strideHeight,
    sw: g.strideWidth,
    dh: g.dilationHeight,
    dw: g.dilationWidth,
    padTop,
    padLeft,
    xn: x.n,
    xh: x.h,
    xw: x.w,
    xc: x.c,
    yn: y.n,
    yh: y.h,
    yw: y.w,
    yc: y.c,
    oxLo,
    oxHi,
  };
  const sweeps = interiorSweepsFor(s);
  // Two rows per sweep where a pair sweep applies and both rows are interior ones.
  const rowsAt = (oy: number): number => (sweeps.two && oy >= oyLo && oy + 1 < oyHi ? 2 : 1);
  const isInterior = (oy: number): boolean => oy >= oyLo && oy < oyHi;
  for (let b = 0; b < batch; b++) {
    if (g.dataFormat === 'NHWC') {
      // All channels of a row band before the next band: the band's input rows stay in cache.
      for (let oy = 0; oy < outHeight;) {
        const rows = rowsAt(oy);
        const inside = isInterior(oy);
        for (let oc = 0; oc < outChannels; oc++) sweepRows(s, sweeps, b, oy, rows, oc, inside);
        oy += rows;
      }
    } else {
      // One channel plane at a time: its rows are contiguous.
      for (let oc = 0; oc < outChannels; oc++) {
        for (let oy = 0; oy < outHeight;) {
          const rows = rowsAt(oy);
          sweepRows(s, sweeps, b, oy, rows, oc, isInterior(oy));
          oy += rows;
        }
      }
    }
  }
}
