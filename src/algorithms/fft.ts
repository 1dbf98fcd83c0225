/**
 * fft: conv2d in the Fourier domain, where the convolution becomes a pointwise product (the seed's
 * "visualise it in the Fourier domain" answer, made into an algorithm). For large filters it does far
 * fewer multiplications than any spatial method: per tile, (in + out channels) FFTs plus one small
 * complex [1 x in] x [in x out] product per frequency bin, instead of kh * kw * in * out per pixel.
 *
 * Per tile of the (zero-padded) input, overlap-save (src/algorithms/fft_tiling.ts):
 *   1. the tile's input rows are copied into memory, channels padded to a multiple of 8; outside the
 *      input, TF's padding, they are zeros (rows wholly in the padding are not transformed at all);
 *   2. real-to-complex 2-D FFT: along each row, two blocks of 4 channels in one complex FFT, then split
 *      into their half spectra (the other half is their mirror image); then down the columns;
 *   3. per frequency bin, the products with the cached filter spectra summed over input channels;
 *   4. inverse 2-D FFT (columns, then complex-to-real rows) of the output channels, keeping only the
 *      outputs whose window lies inside the tile.
 * Why this equals conv2d: the product of two DFTs is the DFT of a *circular* correlation, whose window
 * wraps around the tile's edges. The window of output (y, x) covers tile rows y .. y + kh - 1 and
 * columns x .. x + kw - 1, so for y <= tileHeight - kh and x <= tileWidth - kw it never wraps and the
 * circular sum is the ordinary one; those are exactly the outputs kept. The zeros of TF's padding (and
 * past the input's end) are real zeros in the tile, so the sum is conv2d's, padding split included.
 *
 * The transform cannot reproduce TF's rules for NaN and Infinity (one NaN spreads over a whole tile),
 * so when a result is not finite the convolution is redone with igemm, which follows them.
 */
import type { ConvGeometry } from '../geometry.js';
import {
  ArrayHeap,
  typescriptFftKernels,
  type FftBackend,
  type FftHeap,
  type FftKernels,
} from '../kernels/fft.js';
import { filterSpectra, spectraLayout, type SpectraShape } from '../kernels/fft_spectra.js';
import { wasmEngine } from '../kernels/wasm/engine.js';
import { ISA_NAME } from '../kernels/wasm/features.js';
import { align64 } from '../kernels/wasm/heap.js';
import { fftTiling, type FftTiling } from './fft_tiling.js';
import { conv2dIgemm } from './igemm.js';

let typescriptBackend: FftBackend | null = null;

/** The wasm kernels when WebAssembly SIMD is available (or forced), else the TypeScript ones. */
export function fftBackend(forceTypescript = false): FftBackend {
  const engine = forceTypescript ? null : wasmEngine();
  if (engine) {
    return {
      heap: engine.heap,
      kernels: engine.kernels as unknown as FftKernels,
      isa: ISA_NAME[engine.variant],
    };
  }
  if (!typescriptBackend) {
    const heap = new ArrayHeap();
    typescriptBackend = { heap, kernels: typescriptFftKernels(() => heap.f32), isa: 'typescript' };
  }
  return typescriptBackend;
}

/**
 * igemm's speed on the suite's shapes (flops / ns, single thread, x86-64 Node 20, measured with
 * wasm/probe/fft.ts), for the planner's comparison; FFT wins only when its modelled time is below
 * igemm's by this margin, so a wrong guess near the break-even point costs little.
 */
const IGEMM_FLOPS_PER_NS = 30;
const PREFERENCE_MARGIN = 1.5;

/** Why the FFT convolution cannot run g, or null when it can (any stride-1, one-group geometry). */
export function fftUnavailable(g: ConvGeometry): string | null {
  const t = fftTiling(g);
  return typeof t === 'string' ? t : null;
}

/** Why 'auto' should pick fft for g (its modelled time well below igemm's), or null when it should not. */
export function fftPreferred(g: ConvGeometry): string | null {
  const t = fftTiling(g);
  if (typeof t === 'string') return null;
  const igemmNs = g.flops / IGEMM_FLOPS_PER_NS;
  if (t.costNs * PREFERENCE_MARGIN > igemmNs) return null;
  return (
    `${g.effectiveFilterHeight}x${g.effectiveFilterWidth} filter at stride 1: in the Fourier domain ` +
    `(${t.tileHeight}x${t.tileWidth} FFT tiles) the convolution is a pointwise product, modelled ` +
    `${(igemmNs / t.costNs).toFixed(1)}x faster than indirect GEMM`
  );
}

/** Modelled nanoseconds of the FFT convolution of g (Infinity where it cannot run). */
export function fftModelNs(g: ConvGeometry): number {
  const t = fftTiling(g);
  return typeof t === 'string' ? Infinity : t.costNs;
}

/** The plan's kernel name for g, e.g. fft-80x80-wasmsimd (tile size and ISA). */
export function fftKernelName(g: ConvGeometry): string | undefined {
  const t = fftTiling(g);
  if (typeof t === 'string') return undefined;
  return `fft-${t.tileHeight}x${t.tileWidth}-${fftBackend().isa}`;
}

/** `out` (optional, the output's size): written and returned instead of a new array. */
export function conv2dFft(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  out?: Float32Array,
): Float32Array {
  return conv2dFftWith(g, input, filter, fftBackend(), undefined, out);
}

/** conv2dFft on a given backend and, optionally, a given tiling (tests compare the two backends). */
export function conv2dFftWith(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  backend: FftBackend,
  tiling?: FftTiling,
  out?: Float32Array,
): Float32Array {
  const output = out ?? new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  if (output.length === 0) return output;
  const t = tiling ?? fftTiling(g);
  // The planner sends only geometries with a tiling here; a direct call with another one gets igemm.
  if (typeof t === 'string') return conv2dIgemm(g, input, filter, out);
  const finite = runTiles(g, t, stageInput(g, input, t.inPairs), filter, output, backend);
  if (!finite) return conv2dIgemm(g, input, filter, out);
  zeroPaddingOnlyOutputs(g, output);
  return output;
}

/** Output positions along one axis whose every tap falls outside the input (on padding). */
function paddingOnly(outSize: number, inSize: number, pad: number, taps: number, dilation: number): number[] {
  const found: number[] = [];
  for (let o = 0; o < outSize; o++) {
    let touches = false;
    for (let k = 0; k < taps && !touches; k++) {
      const i = o - pad + k * dilation;
      touches = i >= 0 && i < inSize;
    }
    if (!touches) found.push(o);
  }
  return found;
}

/**
 * Sets to exactly 0 the outputs whose window lies wholly on padding (or between the taps of a dilated
 * filter): spatial algorithms sum only zeros there, while the transform leaves rounding noise.
 */
function zeroPaddingOnlyOutputs(g: ConvGeometry, output: Float32Array): void {
  const rows = paddingOnly(g.outHeight, g.inHeight, g.padTop, g.filterHeight, g.dilationHeight);
  const cols = paddingOnly(g.outWidth, g.inWidth, g.padLeft, g.filterWidth, g.dilationWidth);
  if (rows.length === 0 && cols.length === 0) return;
  const k = g.outChannels;
  const nhwc = g.dataFormat === 'NHWC';
  // Element offset of (image/channel plane p, row, col); NHWC planes are whole images, NCHW single channels.
  const planes = nhwc ? g.batch : g.batch * k;
  const pixel = nhwc ? k : 1;
  const plane = g.outHeight * g.outWidth * pixel;
  for (let p = 0; p < planes; p++) {
    for (const oy of rows) {
      const at = p * plane + oy * g.outWidth * pixel;
      output.fill(0, at, at + g.outWidth * pixel);
    }
    for (const ox of cols) {
      for (let oy = 0; oy < g.outHeight; oy++) {
        const at = p * plane + (oy * g.outWidth + ox) * pixel;
        output.fill(0, at, at + pixel);
      }
    }
  }
}

/**
 * The last staging copy's buffer, reused by the next call of the same size (a model runs the same
 * layer again and again): a call then allocates nothing. stageInput writes every element of it.
 * Copies past STAGING_KEEP_FLOATS are not kept (a large batch's would stay alive between calls).
 */
let lastStaging: Float32Array | null = null;
const STAGING_KEEP_FLOATS = 4 << 20;

function stagingBuffer(size: number): Float32Array {
  if (size > STAGING_KEEP_FLOATS) return new Float32Array(size);
  if (lastStaging?.length !== size) lastStaging = new Float32Array(size);
  return lastStaging;
}

/**
 * The input as NHWC with channels padded to 8 * pairs (zeros), which is how a tile row is laid out:
 * the input itself when it already is, else a copy.
 */
function stageInput(g: ConvGeometry, input: Float32Array, pairs: number): Float32Array {
  const c = g.inChannels;
  const padded = 8 * pairs;
  if (g.dataFormat === 'NHWC' && c === padded) return input;
  const pixels = g.inHeight * g.inWidth;
  const staged = stagingBuffer(g.batch * pixels * padded);
  for (let b = 0; b < g.batch; b++) {
    for (let i = 0; i < pixels; i++) {
      const to = (b * pixels + i) * padded;
      if (g.dataFormat === 'NHWC') {
        const from = (b * pixels + i) * c;
        for (let ch = 0; ch < c; ch++) staged[to + ch] = input[from + ch];
      } else {
        for (let ch = 0; ch < c; ch++) staged[to + ch] = input[(b * c + ch) * pixels + i];
      }
      staged.fill(0, to + c, to + padded);
    }
  }
  return staged;
}

/** Byte addresses of one run's buffers, and the row sizes the kernels step by. */
interface Buffers {
  heightPlan: number;
  widthPlan: number;
  spectra: number;
  tileIn: number;
  xSlots: number;
  ySlots: number;
  tA: number;
  tB: number;
  tC: number;
  tD: number;
  tileOut: number;
  xSlotBytes: number;
  ySlotBytes: number;
  xRowBytes: number;
  yRowBytes: number;
}

function placeBuffers(g: ConvGeometry, t: FftTiling, filter: Float32Array, backend: FftBackend): Buffers {
  const { heap } = backend;
  const shape: SpectraShape = {
    filterHeight: g.filterHeight,
    filterWidth: g.filterWidth,
    inChannels: g.inChannels,
    outChannels: g.outChannels,
    dilationHeight: g.dilationHeight,
    dilationWidth: g.dilationWidth,
    tileHeight: t.tileHeight,
    tileWidth: t.tileWidth,
    outPairs: t.outPairs,
  };
  const layout = spectraLayout(shape);
  const base = heap.placeWeights(filterSpectra(filter, shape, backend));
  const xRowBytes = t.binsWide * 2 * t.inPairs * 32;
  const yRowBytes = t.binsWide * 2 * t.outPairs * 32;
  const xSlotBytes = t.tileHeight * xRowBytes;
  const ySlotBytes = t.tileHeight * yRowBytes;
  const pairs = Math.max(t.inPairs, t.outPairs);
  const temporaryBytes =
    32 *
    Math.max(
      t.tileWidth * pairs,
      t.tileHeight * Math.max(t.forwardColumnGroup * 2 * t.inPairs, t.inverseColumnGroup * 2 * t.outPairs),
    );
  const tileIn = heap.scratchBase;
  const xSlots = align64(tileIn + t.tileHeight * t.tileWidth * t.inPairs * 32);
  const ySlots = align64(xSlots + t.slots * xSlotBytes);
  const tA = align64(ySlots + t.slots * ySlotBytes);
  const tB = align64(tA + temporaryBytes);
  const tC = align64(tB + temporaryBytes);
  const tD = align64(tC + t.tileWidth * pairs * 32);
  const tileOut = align64(tD + t.tileWidth * pairs * 32);
  heap.ensure(tileOut + t.validHeight * t.validWidth * t.outPairs * 32);
  return {
    heightPlan: base + layout.heightPlan * 4,
    widthPlan: base + layout.widthPlan * 4,
    spectra: base + layout.spectra * 4,
    tileIn,
    xSlots,
    ySlots,
    tA,
    tB,
    tC,
    tD,
    tileOut,
    xSlotBytes,
    ySlotBytes,
    xRowBytes,
    yRowBytes,
  };
}

/** Every tile of every image, `slots` tiles at a time. Returns false when a result was not finite. */
function runTiles(
  g: ConvGeometry,
  t: FftTiling,
  source: Float32Array,
  filter: Float32Array,
  output: Float32Array,
  backend: FftBackend,
): boolean {
  const { heap, kernels } = backend;
  const buffers = placeBuffers(g, t, filter, backend);
  const perImage = t.tilesDown * t.tilesAcross;
  const tiles = g.batch * perImage;
  for (let first = 0; first < tiles; first += t.slots) {
    const count = Math.min(t.slots, tiles - first);
    for (let i = 0; i < count; i++) {
      const tile = first + i;
      const b = Math.floor(tile / perImage);
      const ty = Math.floor((tile % perImage) / t.tilesAcross);
      forwardTile(g, t, buffers, heap, kernels, source, b, ty, (tile % perImage) % t.tilesAcross, i);
    }
    const { xSlots, xSlotBytes, spectra, ySlots, ySlotBytes } = buffers;
    const bins = t.tileHeight * t.binsWide;
    kernels.fft_cgemm(
      xSlots,
      xSlotBytes,
      spectra,
      ySlots,
      ySlotBytes,
      count,
      bins,
      g.inChannels,
      2 * t.inPairs,
      2 * t.outPairs,
    );
    for (let i = 0; i < count; i++) {
      const tile = first + i;
      const b = Math.floor(tile / perImage);
      const ty = Math.floor((tile % perImage) / t.tilesAcross);
      const tx = (tile % perImage) % t.tilesAcross;
      if (!inverseTile(g, t, buffers, heap, kernels, output, b, ty, tx, i)) return false;
    }
  }
  return true;
}

/** Input tile (b, ty, tx) into its 2-D half spectrum in slot `slot`. */
function forwardTile(
  g: ConvGeometry,
  t: FftTiling,
  buf: Buffers,
  heap: FftHeap,
  kernels: FftKernels,
  source: Float32Array,
  b: number,
  ty: number,
  tx: number,
  slot: number,
): void {
  const pixelFloats = 8 * t.inPairs;
  const slotAt = buf.xSlots + slot * buf.xSlotBytes;
  // Tile row u is input row ty * validHeight + u - padTop; tile column x likewise.
  const firstRow = Math.max(0, g.padTop - ty * t.validHeight);
  const endRow = Math.min(t.tileHeight, g.inHeight + g.padTop - ty * t.validHeight);
  const firstCol = Math.max(0, g.padLeft - tx * t.validWidth);
  const endCol = Math.min(t.tileWidth, g.inWidth + g.padLeft - tx * t.validWidth);
  const f32 = heap.f32;
  const slotFloat = slotAt >> 2;
  const rowFloats = buf.xRowBytes >> 2;
  if (endRow <= firstRow || endCol <= firstCol) {
    f32.fill(0, slotFloat, slotFloat + t.tileHeight * rowFloats);
    return;
  }
  // Rows wholly in the padding transform to zero rows.
  f32.fill(0, slotFloat, slotFloat + firstRow * rowFloats);
  f32.fill(0, slotFloat + endRow * rowFloats, slotFloat + t.tileHeight * rowFloats);
  const tileRowFloats = t.tileWidth * pixelFloats;
  const inRow0 = ty * t.validHeight - g.padTop;
  const inCol0 = tx * t.validWidth - g.padLeft;
  for (let u = firstRow; u < endRow; u++) {
    const to = (buf.tileIn >> 2) + (u - firstRow) * tileRowFloats;
    const from = ((b * g.inHeight + inRow0 + u) * g.inWidth + inCol0 + firstCol) * pixelFloats;
    f32.fill(0, to, to + firstCol * pixelFloats);
    f32.set(source.subarray(from, from + (endCol - firstCol) * pixelFloats), to + firstCol * pixelFloats);
    f32.fill(0, to + endCol * pixelFloats, to + tileRowFloats);
  }
  kernels.fft_rows_r2c(
    buf.tileIn,
    tileRowFloats * 4,
    endRow - firstRow,
    t.tileWidth,
    t.inPairs,
    buf.widthPlan,
    buf.tA,
    buf.tB,
    buf.tC,
    slotAt + firstRow * buf.xRowBytes,
    buf.xRowBytes,
  );
  kernels.fft_columns(
    slotAt,
    buf.xRowBytes,
    t.tileHeight,
    t.binsWide,
    2 * t.inPairs,
    t.forwardColumnGroup,
    buf.tA,
    buf.tB,
    buf.heightPlan,
  );
}

/** Slot `slot`'s output spectrum back to space, its valid part stored at tile (b, ty, tx). */
function inverseTile(
  g: ConvGeometry,
  t: FftTiling,
  buf: Buffers,
  heap: FftHeap,
  kernels: FftKernels,
  output: Float32Array,
  b: number,
  ty: number,
  tx: number,
  slot: number,
): boolean {
  const slotAt = buf.ySlots + slot * buf.ySlotBytes;
  const rows = Math.min(t.validHeight, g.outHeight - ty * t.validHeight);
  const cols = Math.min(t.validWidth, g.outWidth - tx * t.validWidth);
  kernels.fft_columns(
    slotAt,
    buf.yRowBytes,
    t.tileHeight,
    t.binsWide,
    2 * t.outPairs,
    t.inverseColumnGroup,
    buf.tA,
    buf.tB,
    buf.heightPlan,
  );
  const pixelFloats = 8 * t.outPairs;
  const nonFinite = kernels.fft_rows_c2r(
    slotAt,
    buf.yRowBytes,
    rows,
    t.tileWidth,
    t.outPairs,
    buf.widthPlan,
    buf.tA,
    buf.tB,
    buf.tC,
    buf.tD,
    buf.tileOut,
    t.validWidth * pixelFloats * 4,
    cols,
  );
  if (nonFinite) return false;
  storeTile(g, t, heap.f32, buf.tileOut >> 2, output, b, ty * t.validHeight, tx * t.validWidth, rows, cols);
  return true;
}

/** Copies rows x cols output pixels ([row][col][8 * outPairs] floats at `from`) into the output. */
function storeTile(
  g: ConvGeometry,
  t: FftTiling,
  f32: Float32Array,
  from: number,
  output: Float32Array,
  b: number,
  oy: number,
  ox: number,
  rows: number,
  cols: number,
): void {
  const k = g.outChannels;
  const pixelFloats = 8 * t.outPairs;
  const rowFloats = t.validWidth * pixelFloats;
  if (g.dataFormat === 'NCHW') {
    const plane = g.outHeight * g.outWidth;
    for (let ch = 0; ch < k; ch++) {
      const to = (b * k + ch) * plane + oy * g.outWidth + ox;
      for (let u = 0; u < rows; u++) {
        for (let x = 0; x < cols; x++) {
          output[to + u * g.outWidth + x] = f32[from + u * rowFloats + x * pixelFloats + ch];
        }
      }
    }
    return;
  }
  for (let u = 0; u < rows; u++) {
    const to = ((b * g.outHeight + oy + u) * g.outWidth + ox) * k;
    const at = from + u * rowFloats;
    if (k === pixelFloats) {
      output.set(f32.subarray(at, at + cols * k), to);
      continue;
    }
    for (let x = 0; x < cols; x++) {
      for (let ch = 0; ch < k; ch++) output[to + x * k + ch] = f32[at + x * pixelFloats + ch];
    }
  }
}
