/**
 * The WebAssembly depthwise algorithm: depthwiseConv2d on the SIMD kernel f32_dwconv
 * (wasm/assembly/depthwise.ts), NHWC with 4 channels per vector.
 *
 * The output is computed a band of output rows at a time (bands sized to stay in cache, and never
 * past DWCONV_SCRATCH_BYTES of scratch). For each band:
 *   1. the input rows under the band are copied into wasm memory, NHWC, with padding written out as
 *      zeros: zero columns left and right, zero rows above and below the image. The copy into wasm
 *      memory is needed anyway, so padding costs a few zero stores and no padded tensor is ever built;
 *      only the columns some window touches are copied. NCHW is transposed to NHWC in the same pass.
 *      A channel multiplier M > 1 is expanded there too: input channel k is written M times, as band
 *      channels k * M .. k * M + M - 1, so the kernel only ever sees multiplier 1 (the filter
 *      [kh, kw, C, M] read as [kh, kw, C * M] is then exactly the filter for those channels);
 *      The padding columns are zeroed once per call (every band row has them at the same place);
 *   2. the kernel computes the band's output rows into wasm memory;
 *   3. they are copied out (transposed back for NCHW). A small NHWC output (WHOLE_OUTPUT_BYTES) is
 *      instead computed whole in wasm memory and leaves in one slice at the end; when such an output
 *      already lives in wasm memory (the model runtime's arena), channels a multiple of 4, it is
 *      written in place and never copied.
 * When the input (NHWC, multiplier 1) and the output both already live in wasm memory (the model
 * runtime's arena), none of that happens: depthwiseInPlace hands their addresses to f32_dwconv_inplace
 * (wasm/assembly/depthwise_inplace.ts), which reads the input where it is, handles the padding itself
 * (a zero row for padding rows, zero vectors or an edge path for padding columns) and writes each
 * output float once, with the optional clamp applied in its stores: no copy in, no copy out, no
 * second pass, and the same bits (a NaN's payload aside: the clamp keeps NaN as NaN either way).
 * The filter is re-laid once per filter array into tiles of 4 channels (all taps of a tile together)
 * and kept in the weights cache (a WeakMap keyed by the filter's Float32Array) and resident in wasm
 * memory. Without WebAssembly SIMD, or when even a one-row band would not fit the scratch limit
 * (huge dilations or widths), the plain-TypeScript fast algorithm runs instead.
 */
import type { DepthwiseGeometry } from '../geometry.js';
import { wasmEngine } from '../kernels/wasm/engine.js';
import { float32Bits } from '../kernels/wasm/bits.js';
import { engineFor } from '../parallel/engine_for.js';
import { existingParallelEngine } from '../parallel/parallel_engine.js';
import { PoolBrokenError } from '../parallel/pool.js';
import { align64, WasmMemoryError, type WasmHeap } from '../kernels/wasm/heap.js';
import { packedWeights } from '../plan/weights_cache.js';
import { depthwiseConv2dFast } from './depthwise_fast.js';
import { DWCONV_ARG, recordDwconv, replayable, type DwconvRecord } from './depthwise_replay.js';

/** The kernel's signature (see wasm/assembly/depthwise.ts): addresses and steps in bytes. */
interface DwconvExports {
  f32_dwconv(
    rows: number,
    outWidth: number,
    channels: number,
    filterHeight: number,
    filterWidth: number,
    strideWidth: number,
    dilationWidth: number,
    x: number,
    xStep: number,
    tapRow: number,
    w: number,
    y: number,
  ): void;
  /** See wasm/assembly/depthwise_inplace.ts; absent from modules built before it existed. */
  f32_dwconv_inplace?(
    outHeight: number,
    outWidth: number,
    channels: number,
    inHeight: number,
    inWidth: number,
    filterHeight: number,
    filterWidth: number,
    strideHeight: number,
    strideWidth: number,
    dilationHeight: number,
    dilationWidth: number,
    padTop: number,
    padLeft: number,
    x: number,
    w: number,
    y: number,
    zero: number,
    tables: number,
    bias: number,
    loBits: number,
    hiBits: number,
  ): void;
  /** See wasm/assembly/epilogue.ts; absent from modules built before it existed. */
  f32_bias_clamp?(y: number, n: number, b: number, c: number, r: number, lo: number, hi: number): void;
}

/**
 * An output stage for the model runtime: y = clamp(y + bias, lo, hi) applied to each band in wasm
 * memory before it leaves (bias + ReLU / ReLU6 fused into the depthwise call). `applied` is set when it
 * ran (NHWC with the kernel present); otherwise the caller applies it itself.
 */
export interface DwconvOutputClamp {
  bias: Float32Array | null;
  lo: number;
  hi: number;
  applied?: boolean;
}

/**
 * For a caller whose filter array never changes (the model runtime's steps): the packed filter is kept
 * here after the first call, so later calls skip the weights cache's lookups (between a model's
 * layers its maps are out of cache: 3-10 us a call on the 2-core Xeon).
 */
export interface DwconvFilterCache {
  packed?: Float32Array;
  /** The last in-place call on one thread, to replay (depthwise_replay.ts). */
  recorded?: DwconvRecord;
}

/** Hard limit on one call's scratch (input band + output band). */
export const DWCONV_SCRATCH_BYTES = 8 << 20;
/** Band size aimed at: input and output band stay in the L2 cache between copy-in, kernel and copy-out. */
const DWCONV_BAND_BYTES = 512 << 10;
/** Spare bytes after each band: a partial channel tile reads and writes up to 12 bytes past a pixel. */
const SPILL_BYTES = 16;
/**
 * Largest NHWC output computed whole in wasm memory and sliced out at the end (measured: faster up to
 * about this size; beyond it the per-band copy-out, reading each band while it is in cache, wins).
 */
const WHOLE_OUTPUT_BYTES = 512 << 10;

/** How one depthwise convolution is laid out in wasm memory. */
export interface DwconvLayout {
  /** Channels in the bands: in_channels * channel_multiplier (the output's channels). */
  channels: number;
  /** Padded input columns any window touches, and floats per padded row (columns x channels). */
  paddedWidth: number;
  rowFloats: number;
  /** Output rows per band, and bands per image. */
  bandRows: number;
  bands: number;
  inputBytes: number;
  outputBytes: number;
}

/** The band layout of `g`, or null when a one-row band would pass DWCONV_SCRATCH_BYTES. */
export function dwconvLayout(g: DepthwiseGeometry): DwconvLayout | null {
  const channels = g.outChannels;
  const paddedWidth = g.outWidth > 0 ? (g.outWidth - 1) * g.strideWidth + g.effectiveFilterWidth : 0;
  const rowFloats = paddedWidth * channels;
  const sizes = (rows: number) => {
    const inputBytes = ((rows - 1) * g.strideHeight + g.effectiveFilterHeight) * rowFloats * 4 + SPILL_BYTES;
    const outputBytes = rows * g.outWidth * channels * 4 + SPILL_BYTES;
    return { inputBytes, outputBytes, total: align64(inputBytes) + align64(outputBytes) };
  };
  if (sizes(1).total > DWCONV_SCRATCH_BYTES) return null;
  const outHeight = Math.max(g.outHeight, 1);
  // Bytes grow linearly with the band's rows: the most rows within the target, then evened out.
  const perRow = sizes(2).total - sizes(1).total;
  let rows = Math.max(1, Math.min(outHeight, Math.floor((DWCONV_BAND_BYTES - sizes(1).total) / perRow) + 1));
  const bands = Math.ceil(outHeight / rows);
  rows = Math.ceil(outHeight / bands);
  const { inputBytes, outputBytes } = sizes(rows);
  return { channels, paddedWidth, rowFloats, bandRows: rows, bands, inputBytes, outputBytes };
}

/**
 * [kh, kw, C, M] read as [taps][channels] (channels = C * M) into tiles of 4 channels: tile t holds
 * the taps' vectors one after another, packed[(t * taps + tap) * 4 + lane], zero past the last channel.
 */
export function packDwconvFilter(filter: Float32Array, taps: number, channels: number): Float32Array {
  const tiles = Math.ceil(channels / 4);
  const packed = new Float32Array(tiles * taps * 4);
  for (let t = 0; t < tiles; t++) {
    const lanes = Math.min(4, channels - 4 * t);
    for (let tap = 0; tap < taps; tap++) {
      const from = tap * channels + 4 * t;
      const to = (t * taps + tap) * 4;
      for (let l = 0; l < lanes; l++) packed[to + l] = filter[from + l];
    }
  }
  return packed;
}

/** Names the packed filter in the weights cache (the packing depends on the taps and channels). */
export function dwconvPackKey(taps: number, channels: number): string {
  return `f32-dwconv/${taps}x${channels}`;
}

/** Whether the WebAssembly SIMD kernels can run here ('auto' picks this algorithm where they can). */
export function depthwiseWasmAvailable(): boolean {
  return wasmEngine() !== null;
}

/**
 * `out`, `clamp`, `filterCache`: the model runtime's arena slot, epilogue and packed filter. `threads`:
 * an input and output in the worker pool's memory (a threaded plan's arena) are computed there on that
 * many threads, rows split between them (same bits: every row is computed alike).
 */
export function depthwiseConv2dWasm(
  g: DepthwiseGeometry,
  input: Float32Array,
  filter: Float32Array,
  out?: Float32Array,
  clamp?: DwconvOutputClamp,
  filterCache?: DwconvFilterCache,
  threads = 1,
): Float32Array {
  const recorded = filterCache?.recorded;
  if (recorded && out && threads <= 1 && replayDwconv(recorded, g, input, out, clamp, filterCache!))
    return out;
  const engine = wasmEngine();
  const kernels = engine?.kernels as unknown as Partial<DwconvExports> | undefined;
  const layout = engine ? dwconvLayout(g) : null;
  // A module built before f32_dwconv existed (stale generated files) also takes the TypeScript path.
  if (!engine || !layout || !kernels?.f32_dwconv) return depthwiseConv2dFast(g, input, filter);
  if (g.batch * g.outHeight * g.outWidth * g.outChannels === 0) return new Float32Array(0);
  const { heap } = engine;
  if (out && kernels.f32_dwconv_inplace && g.dataFormat === 'NHWC' && g.channelMultiplier === 1) {
    const done = depthwiseInPlace(g, input, filter, out, clamp, filterCache, threads);
    if (done) return done;
  }
  // Below, the input is not in wasm memory (or the multiplier is not 1, or the layout is NCHW).
  // A small NHWC output already in wasm memory (the model runtime's arena) is written in place when
  // its channels fill whole vectors (a partial tile writes past the pixel's last channel). Larger ones
  // measured slower in place (0.9x on MobileNetV2's 56x56x144) than computed a band at a time in
  // cache and copied out. The address is taken before placing the filter and scratch can grow memory.
  const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
  const outAt =
    out && g.dataFormat === 'NHWC' && g.outChannels % 4 === 0 && size * 4 <= WHOLE_OUTPUT_BYTES
      ? heap.addressOf(out)
      : -1;
  const taps = g.filterHeight * g.filterWidth;
  const packed = packedWeights(filter, dwconvPackKey(taps, layout.channels), () =>
    packDwconvFilter(filter, taps, layout.channels),
  );
  const weights = heap.placeWeights(packed);
  const inputBand = heap.scratchBase;
  // Small NHWC outputs are computed whole into wasm memory (where they stay in cache) and leave in one
  // slice; larger ones leave band by band, each band copied out while it is still in cache.
  const whole = outAt < 0 && g.dataFormat === 'NHWC' && size * 4 <= WHOLE_OUTPUT_BYTES;
  const outputBand = align64(inputBand + layout.inputBytes);
  const outputEnd = outputBand + (whole ? size * 4 + SPILL_BYTES : layout.outputBytes);
  const biasClamp = clamp && g.dataFormat === 'NHWC' ? kernels.f32_bias_clamp : undefined;
  const biasAt = align64(outputEnd);
  heap.ensure(biasClamp && clamp?.bias ? biasAt + clamp.bias.length * 4 : outputEnd);
  if (biasClamp && clamp?.bias) heap.f32.set(clamp.bias, biasAt >> 2);
  const output = whole || outAt >= 0 ? null : (out ?? new Float32Array(size));
  zeroPaddingColumns(heap.f32, inputBand >> 2, g, layout);
  const rowBytes = layout.rowFloats * 4;
  const imageBytes = g.outHeight * g.outWidth * g.outChannels * 4;
  const bandBytes = layout.bandRows * g.outWidth * g.outChannels * 4;
  for (let b = 0; b < g.batch; b++) {
    for (let band = 0; band < layout.bands; band++) {
      const first = band * layout.bandRows;
      const rows = Math.min(layout.bandRows, g.outHeight - first);
      if (rows <= 0) break;
      const inputRows = (rows - 1) * g.strideHeight + g.effectiveFilterHeight;
      copyInputRows(heap.f32, inputBand >> 2, input, g, layout, b, first * g.strideHeight, inputRows);
      const y =
        outAt >= 0
          ? outAt + b * imageBytes + band * bandBytes
          : whole
            ? outputBand + b * imageBytes + band * bandBytes
            : outputBand;
      kernels.f32_dwconv(
        rows,
        g.outWidth,
        layout.channels,
        g.filterHeight,
        g.filterWidth,
        g.strideWidth,
        g.dilationWidth,
        inputBand,
        g.strideHeight * rowBytes,
        g.dilationHeight * rowBytes,
        weights,
        y,
      );
      if (biasClamp && clamp) {
        const c = clamp.bias ? g.outChannels : 0;
        biasClamp(y, rows * g.outWidth * g.outChannels, biasAt, c, 0, clamp.lo, clamp.hi);
      }
      if (output) copyOutputRows(heap.f32, outputBand >> 2, output, g, b, first, rows);
    }
  }
  if (clamp && biasClamp) clamp.applied = true;
  if (output) return output;
  if (outAt >= 0) return out!;
  const result = heap.f32.subarray(outputBand >> 2, (outputBand >> 2) + size);
  if (!out) return result.slice();
  out.set(result);
  return out;
}

/** The smallest zero row pinned: most rows fit, so it is pinned again (dropping the weights) rarely. */
const ZERO_ROW_BYTES = 64 << 10;
/** Each heap's zero row: a pinned region nothing writes, so it stays zero from call to call. */
const zeroRows = new WeakMap<WasmHeap, { address: number; bytes: number }>();

/**
 * Address of at least `bytes` zero bytes in `heap` that stay zero: a region pinned once (WasmHeap.pin)
 * and pinned again, larger, when a wider row needs it. Kept out of the per-call scratch so that the
 * row is not written again on every call (43 KiB on MobileNetV2's widest depthwise input).
 */
function zeroRow(heap: WasmHeap, bytes: number): number {
  const known = zeroRows.get(heap);
  if (known && known.bytes >= bytes) return known.address;
  if (known) {
    heap.unpin(known.address);
    zeroRows.delete(heap);
  }
  const size = align64(Math.max(bytes, ZERO_ROW_BYTES, known ? 2 * known.bytes : 0));
  let address: number;
  try {
    address = heap.pin(size);
  } catch (error) {
    // The memory cannot grow for it: the caller takes the banded path, which needs no zero row.
    if (error instanceof WasmMemoryError) return -1;
    throw error;
  }
  heap.f32.fill(0, address >> 2, (address + size) >> 2);
  zeroRows.set(heap, { address, bytes: size });
  return address;
}

/**
 * The in-place path: an NHWC, multiplier-1 input and an output that both already live in wasm memory
 * (the model runtime's arena) go straight to f32_dwconv_inplace, one call per image: the input is read
 * where it is (no copy-in; padding rows read a pinned zero row, padding columns are zero vectors or
 * the kernel's edge path) and every output float is written once, with the clamp's bias and bounds
 * applied in the kernel's stores. Same bits as the banded path (same sums in the same order, same
 * epilogue values; a NaN's payload aside). The arrays may live in the fast engine's memory or in the
 * worker pool's (engineFor); in the pool's, with `threads` > 1, each image's rows are split into calls
 * that the pool's threads share, each call with its own tables. Returns null when the arrays are not
 * both in one heap, overlap, or no zero row can be pinned.
 */
function depthwiseInPlace(
  g: DepthwiseGeometry,
  input: Float32Array,
  filter: Float32Array,
  out: Float32Array,
  clamp: DwconvOutputClamp | undefined,
  filterCache: DwconvFilterCache | undefined,
  threads: number,
): Float32Array | null {
  const engine = engineFor(out);
  const kernels = engine?.kernels as Partial<DwconvExports> | undefined;
  if (!engine || !kernels?.f32_dwconv_inplace) return null;
  const { heap } = engine;
  const pool = existingParallelEngine();
  const onPool = threads > 1 && pool !== null && pool.heap === heap;
  const c = g.outChannels;
  const inImageBytes = g.inHeight * g.inWidth * c * 4;
  const outImageBytes = g.outHeight * g.outWidth * c * 4;
  // Addresses are taken before placing the filter and scratch can grow the memory (which detaches
  // these views but keeps their byte offsets).
  const inAt = heap.addressOf(input);
  const outAt = heap.addressOf(out);
  if (inAt < 0 || outAt < 0) return null;
  const inEnd = inAt + g.batch * inImageBytes;
  const outEnd = outAt + g.batch * outImageBytes;
  if (input.length * 4 < inEnd - inAt || out.length * 4 < outEnd - outAt) return null;
  if (inAt < outEnd && outAt < inEnd) return null;
  const taps = g.filterHeight * g.filterWidth;
  // The zero row first: pinning a larger one drops the resident weights (placed just after).
  const rowBytes = g.inWidth * c * 4;
  const zero = zeroRow(heap, rowBytes + SPILL_BYTES);
  if (zero < 0) return null;
  const packed =
    filterCache?.packed ??
    packedWeights(filter, dwconvPackKey(taps, c), () => packDwconvFilter(filter, taps, c));
  if (filterCache) filterCache.packed = packed;
  const weights = heap.placeWeights(packed);
  // Each call's rows: the whole image, or on the pool a few row ranges per thread.
  const parts = onPool ? Math.min(g.outHeight, threads * DWCONV_CALLS_PER_THREAD) : 1;
  const calls = g.batch * parts;
  // Scratch: each call's row and tap tables and spare pixel, then the bias (+ overreach).
  const tables = heap.scratchBase;
  const tableBytes = align64(align64(g.filterHeight * 4 + taps * 4) + c * 4 + 64);
  const biasAt = tables + calls * tableBytes;
  heap.ensure(biasAt + c * 4 + SPILL_BYTES);
  const f32 = heap.f32;
  // No epilogue is a zero bias and infinite bounds (the kernel's stores then keep the sums as they are).
  const bias = clamp?.bias ?? null;
  if (bias) f32.set(bias, biasAt >> 2);
  else f32.fill(0, biasAt >> 2, (biasAt >> 2) + c);
  const lo = float32Bits(clamp ? clamp.lo : -Infinity);
  const hi = float32Bits(clamp ? clamp.hi : Infinity);
  const rowOutBytes = g.outWidth * c * 4;
  const args: number[][] = [];
  for (let b = 0; b < g.batch; b++) {
    for (let part = 0; part < parts; part++) {
      const r0 = Math.floor((part * g.outHeight) / parts);
      const r1 = Math.floor(((part + 1) * g.outHeight) / parts);
      args.push([
        r1 - r0,
        g.outWidth,
        c,
        g.inHeight,
        g.inWidth,
        g.filterHeight,
        g.filterWidth,
        g.strideHeight,
        g.strideWidth,
        g.dilationHeight,
        g.dilationWidth,
        g.padTop - r0 * g.strideHeight,
        g.padLeft,
        inAt + b * inImageBytes,
        weights,
        outAt + b * outImageBytes + r0 * rowOutBytes,
        zero,
        tables + args.length * tableBytes,
        biasAt,
        lo,
        hi,
      ]);
    }
  }
  let done = false;
  if (onPool) {
    try {
      pool.pool.runSync(DWCONV_INPLACE_KERNEL, args, threads);
      done = true;
    } catch (error) {
      // A worker died or stalled: every call again on this thread (they only write their own rows).
      if (!(error instanceof PoolBrokenError)) throw error;
    }
  }
  if (!done) for (const a of args) kernels.f32_dwconv_inplace(...(a as Parameters<DwconvInPlace>));
  if (clamp) clamp.applied = true;
  if (filterCache) {
    filterCache.recorded =
      threads > 1
        ? undefined
        : recordDwconv(
            {
              heap,
              geometry: g,
              kernel: kernels.f32_dwconv_inplace as (...args: number[]) => void,
              inputAt: inAt,
              outputAt: outAt,
              clampBias: bias,
              lo: clamp ? clamp.lo : -Infinity,
              hi: clamp ? clamp.hi : Infinity,
              packed,
              weights,
              bias: bias ?? new Float32Array(c),
              zero,
              scratchBytes: biasAt - tables,
              calls: args,
            },
            tables,
          );
  }
  return out;
}

/** Runs a recorded in-place call again when nothing it names has moved (see depthwise_replay.ts). */
function replayDwconv(
  r: DwconvRecord,
  g: DepthwiseGeometry,
  input: Float32Array,
  out: Float32Array,
  clamp: DwconvOutputClamp | undefined,
  filterCache: DwconvFilterCache,
): boolean {
  const lo = clamp ? clamp.lo : -Infinity;
  const hi = clamp ? clamp.hi : Infinity;
  const zero = zeroRows.get(r.heap)?.address ?? -1;
  if (!replayable(r, g, input, out, clamp?.bias ?? null, lo, hi, filterCache.packed, zero)) return false;
  const base = r.heap.scratchBase;
  const t = DWCONV_ARG.tables;
  for (const a of r.calls) {
    r.kernel(
      a[0],
      a[1],
      a[2],
      a[3],
      a[4],
      a[5],
      a[6],
      a[7],
      a[8],
      a[9],
      a[10],
      a[11],
      a[12],
      a[13],
      a[14],
      a[15],
      a[16],
      base + a[t],
      a[18],
      a[19],
      a[20],
    );
  }
  if (clamp) clamp.applied = true;
  return true;
}

type DwconvInPlace = NonNullable<DwconvExports['f32_dwconv_inplace']>;

/** The in-place kernel's name, for the worker pool. */
const DWCONV_INPLACE_KERNEL = 'f32_dwconv_inplace';

/** Row ranges per thread and image on the pool: shares small enough to even out a slow thread. */
const DWCONV_CALLS_PER_THREAD = 2;

/** Padded columns [first, end) of a band row hold input columns; the others are padding. */
function inputColumns(g: DepthwiseGeometry, layout: DwconvLayout): { first: number; end: number } {
  const first = Math.min(layout.paddedWidth, g.padLeft);
  return { first, end: Math.max(first, Math.min(layout.paddedWidth, g.padLeft + g.inWidth)) };
}

/**
 * Writes the zero padding columns of every row of the input band, once per call: the band copies only
 * ever write input columns (or whole zero rows), so the padding columns stay zero from band to band.
 */
function zeroPaddingColumns(
  heap: Float32Array,
  dst: number,
  g: DepthwiseGeometry,
  layout: DwconvLayout,
): void {
  const { channels, paddedWidth, rowFloats } = layout;
  const { first, end } = inputColumns(g, layout);
  if (first === 0 && end === paddedWidth) return;
  const rows = (layout.bandRows - 1) * g.strideHeight + g.effectiveFilterHeight;
  for (let r = 0, d = dst; r < rows; r++, d += rowFloats) {
    if (first > 0) heap.fill(0, d, d + first * channels);
    if (end < paddedWidth) heap.fill(0, d + end * channels, d + rowFloats);
  }
}

/**
 * Copies padded rows [firstPaddedRow, firstPaddedRow + count) of image b into wasm memory at float
 * index `dst`, NHWC, layout.paddedWidth columns of layout.channels a row. Padded row r is input row
 * r - padTop, padded column p is input column p - padLeft. Rows outside the input are written as
 * zeros; padding columns are left as they are (zeroPaddingColumns wrote them). Band channel k * M + q
 * holds input channel k.
 */
function copyInputRows(
  heap: Float32Array,
  dst: number,
  input: Float32Array,
  g: DepthwiseGeometry,
  layout: DwconvLayout,
  b: number,
  firstPaddedRow: number,
  count: number,
): void {
  const { channels, rowFloats } = layout;
  const { inChannels, inHeight, inWidth, channelMultiplier: m } = g;
  const { first, end } = inputColumns(g, layout);
  const nhwc = g.dataFormat === 'NHWC';
  for (let r = 0; r < count; r++) {
    const iy = firstPaddedRow + r - g.padTop;
    const d = dst + r * rowFloats;
    if (iy < 0 || iy >= inHeight || end <= first) {
      heap.fill(0, d, d + rowFloats);
      continue;
    }
    const columns = end - first;
    const at = d + first * channels;
    if (nhwc && m === 1) {
      const src = (b * inHeight + iy) * inWidth * inChannels;
      heap.set(input.subarray(src, src + columns * inChannels), at);
    } else if (nhwc) {
      let src = (b * inHeight + iy) * inWidth * inChannels;
      for (let p = 0, o = at; p < columns; p++) {
        for (let k = 0; k < inChannels; k++, src++) {
          const v = input[src];
          for (let q = 0; q < m; q++) heap[o++] = v;
        }
      }
    } else {
      const plane = inHeight * inWidth;
      for (let k = 0; k < inChannels; k++) {
        const src = (b * inChannels + k) * plane + iy * inWidth;
        for (let q = 0; q < m; q++) {
          for (let p = 0, o = at + k * m + q; p < columns; p++, o += channels) heap[o] = input[src + p];
        }
      }
    }
  }
}

/** Copies output rows [first, first + rows) of image b from the output band into `output`, g's layout. */
function copyOutputRows(
  heap: Float32Array,
  src: number,
  output: Float32Array,
  g: DepthwiseGeometry,
  b: number,
  first: number,
  rows: number,
): void {
  const n = g.outChannels;
  if (g.dataFormat === 'NHWC') {
    const rowFloats = g.outWidth * n;
    output.set(heap.subarray(src, src + rows * rowFloats), (b * g.outHeight + first) * rowFloats);
    return;
  }
  const pixels = rows * g.outWidth;
  const plane = g.outHeight * g.outWidth;
  for (let ch = 0; ch < n; ch++) {
    const dst = (b * n + ch) * plane + first * g.outWidth;
    for (let j = 0, s = src + ch; j < pixels; j++, s += n) output[dst + j] = heap[s];
  }
}
