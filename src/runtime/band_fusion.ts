/**
 * A 1x1 convolution whose only reader is a depthwise convolution (MobileNetV2's expansion, then its
 * depthwise layer) runs as one step, a band of rows at a time: the 1x1 convolution writes the rows
 * that the next few depthwise output rows read into a small band buffer, and the depthwise
 * convolution reads them from there while they are still in the L2 cache, instead of the expansion
 * writing its whole output (4.8 MB on MobileNetV2's block_1) to memory for the depthwise layer to read
 * back. Rows that two bands share (the window's overlap: eff - stride rows) are moved to the buffer's
 * start rather than computed again. Each band calls the same igemm and depthwise paths as the unfused
 * steps (conv2dIgemm, depthwiseConv2dWasm: in place in the arena, with their replays), on geometries
 * planned once, so every value has the same bits as the unfused steps.
 *
 * Only where both run on one thread: with several, each layer's rows are already shared out between
 * the threads. The band buffer is an arena slot of the step's own (the 1x1 convolution's output
 * tensor, at the band's size), so it lives beside the other activations in wasm memory.
 */
import { convGeometry, depthwiseGeometry, type ConvGeometry, type DepthwiseGeometry } from '../geometry.js';
import { conv2dIgemm, type OutputClamp } from '../algorithms/igemm.js';
import type { IgemmReplay } from '../algorithms/igemm_replay.js';
import {
  depthwiseConv2dWasm,
  type DwconvFilterCache,
  type DwconvOutputClamp,
} from '../algorithms/depthwise_wasm.js';
import { clampOf, epilogueFast } from './wasm_epilogue.js';
import type { ConvOp } from './fuse.js';

/** The 1x1 convolution's output (per image) from which banding pays: larger than the L2 cache's share. */
export const BAND_FUSION_MIN_BYTES = 1 << 20;
/** Bytes of the band buffer aimed at (rows of the 1x1 convolution's output). */
const BAND_BYTES = 512 << 10;

let enabled = true;

/**
 * Whether plans compiled from now on band such pairs (default true): tests and probes compare a plan
 * with bands against one without (the same bits). A model's plans are compiled at their first use.
 */
export function setBandFusion(on: boolean): void {
  enabled = on;
}

export function bandFusionEnabled(): boolean {
  return enabled;
}

/** One band of depthwise output rows [o0, o1) of an image. */
interface Band {
  /** The 1x1 convolution's output rows the band reads: [g0, g1). */
  g0: number;
  g1: number;
  /** Rows [g0, keep) are already in the buffer (from the band before), moved there from `from`. */
  keep: number;
  from: number;
  /** The 1x1 convolution over rows [keep, g1), written after the kept rows. */
  pointwise: ConvGeometry | null;
  /** The depthwise convolution of the band's rows (its own padding rows) into output rows [o0, o1). */
  depthwise: DepthwiseGeometry;
  o0: number;
  o1: number;
}

/** The two ops a band step stands for, with the geometries each would have alone. */
export interface BandPair {
  pointwise: ConvOp;
  depthwise: ConvOp;
  /** [height, width, channels in, channels between, channels out] of one image. */
  shape: [number, number, number, number, number];
  /** The depthwise convolution of one whole image (as the unbanded step would run it). */
  whole: DepthwiseGeometry;
  bands: Band[];
  /** Floats of the band buffer. */
  bufferFloats: number;
}

/**
 * The banded form of `a` (a 1x1 Conv2D) feeding `b` (its one reader, a DepthwiseConv2D) on images of
 * `xShape` ([batch, h, w, c]), or null where it does not apply: a 1x1 stride-1 ungrouped convolution
 * and a multiplier-1 depthwise one, both with an epilogue of bias and a clamp (ReLU, ReLU6, linear) and
 * no residual, an output large enough to gain, and every band reading at least one row.
 */
export function bandPair(
  op: string,
  a: ConvOp,
  b: ConvOp,
  xShape: number[],
  pads: [[number, number], [number, number]] | null,
): BandPair | null {
  const da = a.def;
  const db = b.def;
  if (da.kind !== 'conv' || db.kind !== 'depthwise' || b.input !== a.output) return null;
  if (a.residual !== null || b.residual !== null || a.pointwise !== null) return null;
  if (clampOf(a.activation) === null || clampOf(b.activation) === null) return null;
  if (da.kernel[0] !== 1 || da.kernel[1] !== 1 || da.groups !== 1 || db.multiplier !== 1) return null;
  if (da.strides[0] !== 1 || da.strides[1] !== 1 || da.dilations[0] !== 1 || da.dilations[1] !== 1)
    return null;
  const [, h, w, cin] = xShape;
  const mid = da.filters;
  if (h * w * mid * 4 < BAND_FUSION_MIN_BYTES) return null;
  const padding = pads ? [[0, 0], pads[0], pads[1], [0, 0]] : db.padding;
  const conv = { strides: db.strides, padding, dilations: db.dilations };
  const whole = depthwiseGeometry(op, [1, h, w, mid], [...db.kernel, mid, 1], conv);
  const sh = whole.strideHeight;
  const eff = whole.effectiveFilterHeight;
  const rowBytes = w * mid * 4;
  const perBand = Math.max(1, Math.floor((Math.floor(BAND_BYTES / rowBytes) - eff) / sh) + 1);
  const bands: Band[] = [];
  let held0 = 0;
  let held1 = 0;
  let bufferRows = 0;
  for (let o0 = 0; o0 < whole.outHeight; o0 += perBand) {
    const o1 = Math.min(whole.outHeight, o0 + perBand);
    const lo = o0 * sh - whole.padTop;
    const hi = (o1 - 1) * sh - whole.padTop + eff;
    const g0 = Math.max(0, lo);
    const g1 = Math.min(h, hi);
    if (g1 <= g0) return null;
    // Rows of the band before that this one reads again stay; the rest are computed.
    const keep = Math.max(g0, Math.min(held1, g1));
    const from = held1 > g0 ? g0 - held0 : 0;
    const rows = g1 - keep;
    const pointwise = rows > 0 ? convGeometry(op, [1, rows, w, cin], [1, 1, cin, mid]) : null;
    const bandConv = {
      strides: db.strides,
      padding: [
        [0, 0],
        [g0 - lo, hi - g1],
        [whole.padLeft, whole.padRight],
        [0, 0],
      ],
      dilations: db.dilations,
    };
    const depthwise = depthwiseGeometry(op, [1, g1 - g0, w, mid], [...db.kernel, mid, 1], bandConv);
    if (depthwise.outHeight !== o1 - o0 || depthwise.outWidth !== whole.outWidth) return null;
    bands.push({ g0, g1, keep, from, pointwise, depthwise, o0, o1 });
    held0 = g0;
    held1 = g1;
    bufferRows = Math.max(bufferRows, g1 - g0);
  }
  return {
    pointwise: a,
    depthwise: b,
    shape: [h, w, cin, mid, whole.outWidth],
    whole,
    bands,
    bufferFloats: bufferRows * w * mid,
  };
}

/** Views of one image's band calls, kept while the arrays they are views of stay the same. */
interface Views {
  input: Float32Array;
  buffer: Float32Array;
  output: Float32Array;
  /** Per band: the 1x1 convolution's input rows and where its output goes; the depthwise input and output. */
  calls: { x: Float32Array | null; mid: Float32Array | null; dwIn: Float32Array; dwOut: Float32Array }[];
}

/**
 * The step's work for `batch` images: run(input, buffer, output, partMs?) computes the depthwise
 * output from the 1x1 convolution's input, using `buffer` (bufferFloats) in between; with partMs, adds
 * each part's time (1x1 convolution, depthwise convolution) in ms to partMs[0] and partMs[1].
 */
export function bandRunner(
  pair: BandPair,
  batch: number,
): (input: Float32Array, buffer: Float32Array, output: Float32Array, partMs?: number[]) => void {
  const { pointwise: a, depthwise: b, bands } = pair;
  const [h, w, cin, mid, ow] = pair.shape;
  const boundsA = clampOf(a.activation)!;
  const boundsB = clampOf(b.activation)!;
  const clampA: OutputClamp = { bias: a.bias, residual: null, lo: boundsA[0], hi: boundsA[1] };
  const clampB: DwconvOutputClamp = { bias: b.bias, lo: boundsB[0], hi: boundsB[1] };
  // One replay record (and filter cache) per image and band: each call's data lie at its own addresses.
  const replays: IgemmReplay[] = [];
  const caches: DwconvFilterCache[] = [];
  for (let i = 0; i < batch * bands.length; i++) {
    replays.push({});
    caches.push({});
  }
  const rowIn = w * cin;
  const rowMid = w * mid;
  const rowOut = ow * mid;
  const outImage = (bands[bands.length - 1]?.o1 ?? 0) * rowOut;
  let views: Views | null = null;
  const viewsFor = (input: Float32Array, buffer: Float32Array, output: Float32Array): Views => {
    if (views && views.input === input && views.buffer === buffer && views.output === output) return views;
    const calls: Views['calls'] = [];
    for (let n = 0; n < batch; n++) {
      for (const band of bands) {
        const x0 = n * h * rowIn;
        calls.push({
          x: band.pointwise ? input.subarray(x0 + band.keep * rowIn, x0 + band.g1 * rowIn) : null,
          mid: band.pointwise
            ? buffer.subarray((band.keep - band.g0) * rowMid, (band.g1 - band.g0) * rowMid)
            : null,
          dwIn: buffer.subarray(0, (band.g1 - band.g0) * rowMid),
          dwOut: output.subarray(n * outImage + band.o0 * rowOut, n * outImage + band.o1 * rowOut),
        });
      }
    }
    views = { input, buffer, output, calls };
    return views;
  };
  // The parts' timer, made once (a predict allocates nothing here): lap(k) adds the time since the
  // last lap to part k's, when the run is timed.
  const timer: { ms: number[] | null; t: number } = { ms: null, t: 0 };
  const lap = (k: number) => {
    if (!timer.ms) return;
    const now = performance.now();
    timer.ms[k] += now - timer.t;
    timer.t = now;
  };
  return (input, buffer, output, partMs) => {
    const { calls } = viewsFor(input, buffer, output);
    timer.ms = partMs ?? null;
    timer.t = partMs ? performance.now() : 0;
    for (let i = 0; i < calls.length; i++) {
      const band = bands[i % bands.length];
      const call = calls[i];
      if (band.keep > band.g0) {
        buffer.copyWithin(0, band.from * rowMid, (band.from + band.keep - band.g0) * rowMid);
      }
      if (band.pointwise) {
        clampA.applied = false;
        const rows = call.mid!;
        const result = conv2dIgemm(band.pointwise, call.x!, a.filter, rows, clampA, replays[i]);
        if (result !== rows) rows.set(result);
        if (!clampA.applied) epilogueFast(rows, a.bias, null, a.activation, mid);
      }
      lap(0);
      clampB.applied = false;
      const dwOut = call.dwOut;
      const result = depthwiseConv2dWasm(band.depthwise, call.dwIn, b.filter, dwOut, clampB, caches[i], 1);
      if (result !== dwOut) dwOut.set(result);
      if (!clampB.applied) epilogueFast(dwOut, b.bias, null, b.activation, mid);
      lap(1);
    }
  };
}
