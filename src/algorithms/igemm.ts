/**
 * igemm: conv2d as an indirect GEMM on the WebAssembly SIMD kernel f32-igemm-4x8 (XNNPACK's scheme).
 *
 * The output is computed a band of output rows at a time (a whole image when it fits the scratch
 * budget). For each band:
 *   1. the input rows under the band are copied into wasm memory, NHWC, with the left/right padding
 *      columns written as zeros and the top/bottom padding rows as zero rows, so the copy into wasm
 *      memory (needed anyway) is the only pass over the input and no padded tensor is ever built;
 *   2. an indirection table gives, for each output pixel, the address of each input segment under its
 *      window: one segment per filter row (filter_width * in_channels contiguous floats) when the
 *      filter is not dilated along the width and there is one group, else one per filter tap
 *      (in_channels of the group). It depends only on the band shape, so it is built once per call;
 *   3. the kernel multiplies those segments by the packed filter (8-column panels, packed once per
 *      filter and cached) into the band's output rows, which are then copied out.
 * A 1x1 stride-1 convolution is the plain GEMM case: one segment per pixel, the pixel's channels.
 *
 * Groups of few output channels (4 or fewer) would each fill only part of a panel, with short segments
 * (a group's channels of one tap). There several groups share a panel as a block-diagonal matrix (see
 * igemm_groups.ts and packGroupBlockPanels): the kernel then runs full-width tiles over one segment of
 * all their channels a tap, multiplying each output column by the other groups' inputs with zero
 * weights. For finite inputs that adds exact zeros, so the result has the same bits as one group at a
 * time; a NaN or infinity would leak into the other groups' outputs (0 * inf is NaN), so a band whose
 * input is not all finite is computed one group at a time, as TensorFlow does.
 * Scratch (table + input rows + output rows) stays under IGEMM_SCRATCH_BYTES whatever the batch.
 */
import type { ConvGeometry } from '../geometry.js';
import { wasmEngine, type WasmEngine } from '../kernels/wasm/engine.js';
import { align64, type WasmHeap } from '../kernels/wasm/heap.js';
import { float32Bits } from '../kernels/wasm/bits.js';
import { NR, packFilterPanels, packGroupBlockPanels } from '../kernels/wasm/pack.js';
import { packedWeights } from '../plan/weights_cache.js';
import { conv2dIm2col } from './im2col.js';
import { recordIgemm, replayIgemm, type IgemmReplay } from './igemm_replay.js';
import { bandInputFinite, finiteCheckBytes, groupsPerPanel, writeFiniteCheck } from './igemm_groups.js';

/** Names the packed form of a filter in the weights cache. */
const PACK_KEY = 'f32-igemm-4x8';
/**
 * An output written in place goes up the image in pieces of about this many bytes, last rows first
 * (see runIgemm), so that its first rows are the ones still in cache when the next layer starts.
 */
const UPWARD_PIECE_BYTES = 256 << 10;

/** Scratch budget of one band: indirection table, input rows and output rows. */
export const IGEMM_SCRATCH_BYTES = 4 << 20;

/** How igemm lays out one convolution in wasm memory. */
export interface IgemmLayout {
  /** One segment per filter row (true) or per filter tap (false). */
  rowSegments: boolean;
  /** Segments per output pixel, and floats per segment. */
  ks: number;
  kc: number;
  /** Padded input columns any window touches, and floats per padded row (columns x channels). */
  paddedWidth: number;
  rowFloats: number;
  /** Output rows per band, bands per image, and padded input rows a full band reads. */
  bandRows: number;
  bands: number;
  bandInputRows: number;
  indirectionBytes: number;
  inputBytes: number;
  outputBytes: number;
  /** Total scratch of one band (the three buffers, 64-byte aligned). */
  scratchBytes: number;
}

export function igemmLayout(g: ConvGeometry): IgemmLayout {
  const rowSegments = g.dilationWidth === 1 && g.groups === 1;
  const ks = rowSegments ? g.filterHeight : g.filterHeight * g.filterWidth;
  const kc = rowSegments ? g.filterWidth * g.inChannels : g.filterInChannels;
  const paddedWidth = g.outWidth > 0 ? (g.outWidth - 1) * g.strideWidth + g.effectiveFilterWidth : 0;
  const rowFloats = paddedWidth * g.inChannels;
  const sizes = (rows: number) => {
    const indirectionBytes = Math.ceil((rows * g.outWidth) / 4) * ks * 16;
    const bandInputRows = (rows - 1) * g.strideHeight + g.effectiveFilterHeight;
    const inputBytes = bandInputRows * rowFloats * 4;
    const outputBytes = rows * g.outWidth * g.outChannels * 4;
    const scratchBytes = align64(indirectionBytes) + align64(inputBytes) + align64(outputBytes);
    return { indirectionBytes, bandInputRows, inputBytes, outputBytes, scratchBytes };
  };
  const outHeight = Math.max(g.outHeight, 1);
  // Bytes grow linearly with the band's rows: solve for the most rows within budget, then even out.
  const perRow = sizes(2).scratchBytes - sizes(1).scratchBytes;
  let rows = Math.max(
    1,
    Math.min(outHeight, Math.floor((IGEMM_SCRATCH_BYTES - sizes(1).scratchBytes) / perRow) + 1),
  );
  while (rows > 1 && sizes(rows).scratchBytes > IGEMM_SCRATCH_BYTES) rows--;
  const bands = Math.ceil(outHeight / rows);
  rows = Math.ceil(outHeight / bands);
  return { rowSegments, ks, kc, paddedWidth, rowFloats, bandRows: rows, bands, ...sizes(rows) };
}

/** Scratch bytes of the smallest band (one output row): what igemm needs however it splits the image. */
export function igemmMinBandBytes(g: ConvGeometry): number {
  const paddedWidth = g.outWidth > 0 ? (g.outWidth - 1) * g.strideWidth + g.effectiveFilterWidth : 0;
  const segments = g.filterHeight * g.filterWidth;
  return (
    g.effectiveFilterHeight * paddedWidth * g.inChannels * 4 + g.outWidth * (g.outChannels * 4 + segments * 4)
  );
}

/**
 * An output stage for the model runtime: y = clamp(y + bias + residual, lo, hi), bias + residual Add +
 * ReLU / ReLU6 fused into the convolution. Where it can (NHWC, one group, output channels a multiple of
 * 4, a residual that lives in wasm memory: the model's arena) the kernel applies it to each tile right
 * after storing it (f32_igemm_4x8_epilogue); else, without a residual, it runs on each output band
 * while that is in wasm memory, before it is copied out. `applied` is set when it ran; otherwise the
 * caller applies it.
 */
export interface OutputClamp {
  bias: Float32Array | null;
  /** Same shape as the output (the model's residual Add), or null / absent. */
  residual?: Float32Array | null;
  lo: number;
  hi: number;
  applied?: boolean;
}

interface ClampExports {
  f32_bias_clamp?(y: number, n: number, b: number, c: number, r: number, lo: number, hi: number): void;
}

/** Where placeBias puts the clamp's bias: after the run's scratch. */
export function biasAddress(run: IgemmRun): number {
  return align64(run.outputBand + run.layout.outputBytes) + 64;
}

/** Places the clamp's bias after the run's scratch: its address (0 without a bias). */
function placeBias(heap: WasmHeap, run: IgemmRun, clamp: OutputClamp): number {
  const biasAt = biasAddress(run);
  heap.ensure(biasAt + (clamp.bias ? clamp.bias.length * 4 : 0));
  if (!clamp.bias) return 0;
  heap.f32.set(clamp.bias, biasAt >> 2);
  return biasAt;
}

/** The clamp (no residual) as a function of a heap range; or null. */
function clampStage(
  engine: WasmEngine,
  run: IgemmRun,
  clamp?: OutputClamp,
): ((at: number, floats: number) => void) | null {
  const kernel = (engine.kernels as unknown as ClampExports).f32_bias_clamp;
  if (!clamp || clamp.residual || !kernel || run.g.dataFormat !== 'NHWC') return null;
  const biasAt = placeBias(engine.heap, run, clamp);
  const c = clamp.bias ? clamp.bias.length : 0;
  return (at, floats) => kernel(at, floats, biasAt, c, 0, clamp.lo, clamp.hi);
}

/**
 * Turns one f32_igemm_4x8 argument list into f32_igemm_4x8_epilogue's, with the clamp fused into the
 * kernel (see OutputClamp). The list's output lies in a band of consecutive output pixels written at
 * byte address `bandAt`, whose first pixel is pixel `bandPixel` of the whole NHWC output: that places
 * each value's residual.
 */
export type FusedArgs = (call: number[], bandAt: number, bandPixel: number) => number[];

/** The kernel that runs FusedArgs' lists. */
export const IGEMM_EPILOGUE_KERNEL = 'f32_igemm_4x8_epilogue';

/**
 * FusedArgs for a run placed in `heap`, or null where the kernel cannot apply the clamp: no clamp, an
 * NCHW output or groups (the tile's columns are not the output's), output channels not a multiple of
 * 4, or a residual outside wasm memory (`residualAt` < 0; take it before placing the run). Places the
 * bias after the run's scratch.
 */
export function fusedEpilogueArgs(
  heap: WasmHeap,
  run: IgemmRun,
  residualAt: number,
  clamp?: OutputClamp,
): FusedArgs | null {
  const { g } = run;
  if (!clamp || g.dataFormat !== 'NHWC' || g.groups !== 1 || g.outChannels % 4 !== 0) return null;
  if (clamp.residual && residualAt < 0) return null;
  const biasAt = placeBias(heap, run, clamp);
  const hasResidual = clamp.residual ? 1 : 0;
  const pixelBytes = g.outChannels * 4;
  const panelBytes = g.filterHeight * g.filterWidth * g.filterInChannels * NR * 4;
  const lo = float32Bits(clamp.lo);
  const hi = float32Bits(clamp.hi);
  return (c, bandAt, bandPixel) => {
    // The residual of the value at address a lies at a + delta (modulo 2^32: it may be below).
    const delta = hasResidual ? (residualAt + bandPixel * pixelBytes - bandAt) | 0 : 0;
    // A call over some of the panels (bandKernelCalls' column split) starts at panel firstPanel.
    const firstPanel = Math.round((c[6] - run.weights) / panelBytes);
    return [...c, biasAt ? biasAt + firstPanel * NR * 4 : 0, hasResidual, delta, lo, hi];
  };
}

/** Runs one call with the fused epilogue; its argument list is also appended to `keep` when given. */
type FusedCall = (call: number[], bandAt: number, bandPixel: number, keep?: number[][]) => void;

/** fusedEpilogueArgs, run on this thread's kernel instance; null where it cannot (or no kernel). */
function fusedStage(
  engine: WasmEngine,
  run: IgemmRun,
  residualAt: number,
  clamp?: OutputClamp,
): FusedCall | null {
  const kernel = engine.kernels.f32_igemm_4x8_epilogue;
  const args = kernel ? fusedEpilogueArgs(engine.heap, run, residualAt, clamp) : null;
  if (!kernel || !args) return null;
  return (c, bandAt, bandPixel, keep) => {
    const a = args(c, bandAt, bandPixel);
    kernel(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]);
    keep?.push(a);
  };
}

/**
 * `out` (optional, the output's size): written and returned instead of a new array. `clamp`: see
 * OutputClamp. `replay`: kept by a caller that runs the same convolution again and again on data that
 * stays in wasm memory (a model step); see igemm_replay.ts.
 */
export function conv2dIgemm(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  out?: Float32Array,
  clamp?: OutputClamp,
  replay?: IgemmReplay,
): Float32Array {
  const engine = wasmEngine();
  if (!engine) return conv2dIm2col(g, input, filter);
  const output = out ?? new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  if (output.length === 0) return output;
  if (replay && clamp && replayIgemm(engine, replay, input, filter, output, clamp)) return output;
  runIgemm(engine, g, input, filter, output, clamp, replay);
  return output;
}

/** Where one igemm run keeps its data in wasm memory (byte addresses). */
export interface IgemmRun {
  g: ConvGeometry;
  layout: IgemmLayout;
  /** The filter packed one group at a time (packFilterPanels). */
  weights: number;
  /** The packed form placed at `weights`, and its key in the weights cache. */
  packed: Float32Array;
  packKey: string;
  /** Groups sharing a panel in the block-diagonal packing at blockWeights (1: no such packing). */
  groupsPerPanel: number;
  blockWeights: number;
  /** The finiteness check's table, zeros and result (see bandInputFinite); 0 without blockWeights. */
  finiteCheck: number;
  /** The indirection table's address in the scratch area, and its values (the same for every run of the geometry). */
  table: number;
  tableData: Int32Array;
  inputBand: number;
  outputBand: number;
  /** The table addresses the input's own rows (readsInputInPlace): the band is the input, not a copy. */
  inPlaceInput: boolean;
}

/**
 * Places everything a run of `g` needs in the heap: the packed filter (resident, from the weights
 * cache), then the indirection table, input band and output band in the scratch area.
 */
export function placeIgemm(
  heap: WasmHeap,
  g: ConvGeometry,
  filter: Float32Array,
  inPlaceInput = false,
): IgemmRun {
  const { layout, table } = prepareIgemm(g, inPlaceInput);
  const taps = g.filterHeight * g.filterWidth;
  const k = taps * g.filterInChannels;
  const perGroupFloats = g.groups * Math.ceil(g.outChannels / g.groups / NR) * k * NR;
  const blocks = groupsPerPanel(g);
  let packKey = g.groups === 1 ? PACK_KEY : `${PACK_KEY}/groups=${g.groups}`;
  if (blocks > 1) packKey += `/blocks=${blocks}`;
  // Both packings of a blocked filter in one array, so both are resident together.
  const packed = packedWeights(filter, packKey, () => {
    const perGroup = packFilterPanels(filter, k, g.outChannels, g.groups);
    if (blocks === 1) return perGroup;
    const both = new Float32Array(perGroupFloats + taps * g.groups * g.filterInChannels * NR);
    both.set(perGroup);
    both.set(packGroupBlockPanels(filter, taps, g.outChannels, g.groups, blocks), perGroupFloats);
    return both;
  });
  const weights = heap.placeWeights(packed);
  const tableAddress = heap.scratchBase;
  const finiteCheck = align64(tableAddress + layout.indirectionBytes);
  const checkBytes = blocks > 1 ? finiteCheckBytes(layout) : 0;
  const inputBand = align64(finiteCheck + checkBytes);
  const outputBand = align64(inputBand + layout.inputBytes);
  heap.ensure(outputBand + layout.outputBytes);
  heap.i32.set(table, tableAddress >> 2);
  if (blocks > 1) writeFiniteCheck(heap, finiteCheck, layout);
  return {
    g,
    layout,
    weights,
    packed,
    packKey,
    groupsPerPanel: blocks,
    blockWeights: blocks > 1 ? weights + perGroupFloats * 4 : 0,
    finiteCheck: blocks > 1 ? finiteCheck : 0,
    table: tableAddress,
    tableData: table,
    inputBand,
    outputBand,
    inPlaceInput,
  };
}

/** Output rows [first, first + rows) of band `band` (rows 0 past the last band). */
export function bandRows(run: IgemmRun, band: number): { first: number; rows: number } {
  const first = band * run.layout.bandRows;
  return { first, rows: Math.max(0, Math.min(run.layout.bandRows, run.g.outHeight - first)) };
}

/** Copies the input rows under band `band` of image `b` into the input band. */
export function loadInputBand(
  heap: WasmHeap,
  run: IgemmRun,
  input: Float32Array,
  b: number,
  band: number,
): void {
  const { g, layout } = run;
  const { first, rows } = bandRows(run, band);
  const inputRows = (rows - 1) * g.strideHeight + g.effectiveFilterHeight;
  copyInputRows(heap.f32, run.inputBand >> 2, input, g, layout, b, first * g.strideHeight, inputRows);
}

/**
 * Splits `pixels` output pixels into at most `parts` runs of whole 4-pixel tiles (the kernel's rows):
 * [first tile, pixels in the run]. Every thread count then computes each tile with the same kernel steps.
 */
function tileShares(pixels: number, parts: number): [number, number][] {
  const tiles = Math.ceil(pixels / 4);
  const share = Math.ceil(tiles / Math.max(1, parts));
  const runs: [number, number][] = [];
  for (let t0 = 0; t0 < tiles; t0 += share) runs.push([t0, Math.min(pixels, (t0 + share) * 4) - t0 * 4]);
  return runs;
}

/**
 * The kernel calls (f32_igemm_4x8 argument lists) that compute a band of `rows` output rows, split
 * into at most `parts` lists of whole 4-row tiles, for as many threads. `blocked`: with the
 * block-diagonal panels (only for a run that has them, and a band whose input is finite).
 */
export function bandKernelCalls(run: IgemmRun, rows: number, parts: number, blocked = false): number[][][] {
  if (blocked && run.groupsPerPanel > 1) return blockKernelCalls(run, rows, parts);
  const { g, layout } = run;
  const outPerGroup = g.outChannels / g.groups;
  const k = g.filterHeight * g.filterWidth * g.filterInChannels;
  const groupWeightBytes = Math.ceil(outPerGroup / NR) * k * NR * 4;
  const tileTableBytes = layout.ks * 16;
  const tileOutputBytes = 4 * g.outChannels * 4;
  const lists: number[][][] = [];
  // Parts split the rows into R shares and the columns into C runs of whole panels (R x C ~ parts).
  // Each call reads its rows' input and its columns' weights, so the calls together read the input C
  // times and the weights R times: R = sqrt(parts * M / N) keeps that sum least. Large images (M >> N)
  // split their rows only, as before; few rows and many columns (ResNet-50's 7x7 and 14x14 layers, a
  // Dense layer at batch 1, which has one row) mostly their columns, instead of every call streaming
  // all the weights for 4 rows. Every value is still computed by the same kernel steps, whichever
  // call has it.
  const pixels = rows * g.outWidth;
  const panels = Math.ceil(outPerGroup / NR);
  const tiles = Math.ceil(pixels / 4);
  const rowShares =
    g.groups === 1 && parts > 1
      ? Math.max(1, Math.min(tiles, parts, Math.round(Math.sqrt((parts * pixels) / g.outChannels))))
      : parts;
  const shares = tileShares(pixels, rowShares);
  const columnParts = g.groups === 1 ? Math.max(1, Math.min(panels, Math.floor(parts / shares.length))) : 1;
  if (columnParts > 1) {
    const panelBytes = k * NR * 4;
    for (const [t0, count] of shares) {
      for (let part = 0; part < columnParts; part++) {
        const p0 = Math.floor((part * panels) / columnParts);
        const p1 = Math.floor(((part + 1) * panels) / columnParts);
        lists.push([
          [
            count,
            Math.min(outPerGroup, p1 * NR) - p0 * NR,
            layout.ks,
            layout.kc,
            run.table + t0 * tileTableBytes,
            run.inputBand,
            run.weights + p0 * panelBytes,
            run.outputBand + t0 * tileOutputBytes + p0 * NR * 4,
            g.outChannels,
          ],
        ]);
      }
    }
    return lists;
  }
  for (const [t0, count] of shares) {
    const calls: number[][] = [];
    for (let group = 0; group < g.groups; group++) {
      calls.push([
        count,
        outPerGroup,
        layout.ks,
        layout.kc,
        run.table + t0 * tileTableBytes,
        run.inputBand + group * g.filterInChannels * 4,
        run.weights + group * groupWeightBytes,
        run.outputBand + t0 * tileOutputBytes + group * outPerGroup * 4,
        g.outChannels,
      ]);
    }
    lists.push(calls);
  }
  return lists;
}

/** bandKernelCalls with groupsPerPanel groups a panel: one call per panel and part. */
function blockKernelCalls(run: IgemmRun, rows: number, parts: number): number[][][] {
  const { g, layout } = run;
  const blocks = run.groupsPerPanel;
  const inPerGroup = g.filterInChannels;
  const outPerGroup = g.outChannels / g.groups;
  const panels = Math.ceil(g.groups / blocks);
  const panelBytes = layout.ks * blocks * inPerGroup * NR * 4;
  const tileTableBytes = layout.ks * 16;
  const tileOutputBytes = 4 * g.outChannels * 4;
  const lists: number[][][] = [];
  for (const [t0, count] of tileShares(rows * g.outWidth, parts)) {
    const calls: number[][] = [];
    for (let p = 0; p < panels; p++) {
      const groups = Math.min(blocks, g.groups - p * blocks);
      calls.push([
        count,
        groups * outPerGroup,
        layout.ks,
        groups * inPerGroup,
        run.table + t0 * tileTableBytes,
        run.inputBand + p * blocks * inPerGroup * 4,
        run.blockWeights + p * panelBytes,
        run.outputBand + t0 * tileOutputBytes + p * blocks * outPerGroup * 4,
        g.outChannels,
      ]);
    }
    lists.push(calls);
  }
  return lists;
}

/** Copies the output band (rows [first, first + rows) of image b) into `output` in g's layout. */
export function storeOutputBand(
  heap: WasmHeap,
  run: IgemmRun,
  output: Float32Array,
  b: number,
  band: number,
  stage: ((at: number, floats: number) => void) | null = null,
): void {
  const { g } = run;
  const { first, rows } = bandRows(run, band);
  const src = run.outputBand >> 2;
  if (g.dataFormat === 'NHWC') {
    const pixelFloats = g.outWidth * g.outChannels;
    stage?.(run.outputBand, rows * pixelFloats);
    output.set(heap.f32.subarray(src, src + rows * pixelFloats), (b * g.outHeight + first) * pixelFloats);
  } else {
    copyOutputToNchw(heap.f32, src, output, g, b, first, rows);
  }
}

function runIgemm(
  engine: WasmEngine,
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  output: Float32Array,
  clamp?: OutputClamp,
  replay?: IgemmReplay,
): void {
  const { heap, kernels } = engine;
  // Addresses of input and output when they already live in wasm memory (the model runtime's arena),
  // taken before placing the run can grow the memory (which detaches the views, not the data).
  const inputAt = heap.addressOf(input);
  const outputAt = heap.addressOf(output);
  const residualAt = clamp?.residual ? heap.addressOf(clamp.residual) : -1;
  const run = placeIgemm(heap, g, filter, readsInputInPlace(g, inputAt));
  const fused = fusedStage(engine, run, residualAt, clamp);
  const stage = fused ? null : clampStage(engine, run, clamp);
  // An output in wasm memory with the epilogue fused is written once, in place: measured 7-13% faster
  // than chunks through cache on MobileNetV2's 112x112 layers (Node 24, Sapphire Rapids).
  const chunkTiles = fused && outputAt >= 0 ? 0 : outputChunkTiles(run);
  const groupTiles = groupChunkTiles(run);
  const at = inPlace(run, inputAt, chunkTiles > 0 ? -1 : outputAt);
  const inRowBytes = g.inWidth * g.inChannels * 4;
  const outRowBytes = g.outWidth * g.outChannels * 4;
  // Input and output in place (a model's arena): the output is written from its last rows up, since
  // the next layer reads it from the top, and it finds its first rows still in cache (MobileNetV2's
  // 112x112x96 depthwise layer, 4.8 MB of input, 0.36 -> 0.32 ms). Each row's bits are the same.
  const bothInPlace = at.input >= 0 && at.output >= 0;
  const upward = bothInPlace && groupTiles === 0;
  // Calls that read and write in place with the epilogue in the kernel can be replayed (igemm_replay.ts).
  const keep =
    replay && fused && bothInPlace && chunkTiles === 0 && run.groupsPerPanel === 1
      ? ([] as number[][])
      : undefined;
  for (let b = 0; b < g.batch; b++) {
    for (let i = 0; i < run.layout.bands; i++) {
      const band = upward ? run.layout.bands - 1 - i : i;
      const { first, rows } = bandRows(run, band);
      if (rows === 0) continue;
      let here = run;
      if (at.input >= 0 || at.output >= 0) {
        here = {
          ...run,
          inputBand:
            at.input >= 0 ? at.input + (b * g.inHeight + first * g.strideHeight) * inRowBytes : run.inputBand,
          outputBand: at.output >= 0 ? at.output + (b * g.outHeight + first) * outRowBytes : run.outputBand,
        };
      }
      if (at.input < 0) loadInputBand(heap, run, input, b, band);
      const bandPixel = (b * g.outHeight + first) * g.outWidth;
      if (chunkTiles > 0) {
        computeBandInChunks(engine, here, output, b, band, chunkTiles, stage, fused);
        continue;
      }
      const blocked = run.groupsPerPanel > 1 && bandInputFinite(kernels, heap, run, rows);
      // Upward, a band in pieces of rows (as many pixels a piece as output channels at least, so that
      // bandKernelCalls splits rows only), the last piece first.
      const pieces = Math.ceil((rows * outRowBytes) / UPWARD_PIECE_BYTES);
      const inPieces = upward && pieces > 1 && rows * g.outWidth >= pieces * g.outChannels;
      const parts =
        groupTiles > 0 ? Math.ceil(Math.ceil((rows * g.outWidth) / 4) / groupTiles) : inPieces ? pieces : 1;
      const lists = bandKernelCalls(here, rows, parts, blocked);
      if (inPieces) lists.reverse();
      for (const calls of lists) {
        for (const c of calls) {
          if (fused) fused(c, here.outputBand, bandPixel, keep);
          else kernels.f32_igemm_4x8(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
        }
      }
      if (at.output >= 0) stage?.(here.outputBand, rows * g.outWidth * g.outChannels);
      else storeOutputBand(heap, run, output, b, band, stage);
    }
  }
  if (clamp && (stage || fused)) clamp.applied = true;
  if (replay) {
    replay.recorded =
      keep && clamp
        ? recordIgemm(heap, run, keep, { inputAt, outputAt, residualAt }, clamp, biasAddress(run))
        : undefined;
  }
}

/**
 * Byte addresses at which a run reads its input and writes its output in place in wasm memory (the
 * model runtime's arena), -1 where it copies them through its bands as usual. In place: the input when
 * the run's table addresses the input's own rows (placed with readsInputInPlace: NHWC, one group, no
 * padding); the output for NHWC and one group (the kernel writes
 * exactly the output's floats, ldc = its channels), except where the output is computed in chunks
 * (outputChunkTiles) and the epilogue is not fused into the kernel: there a chunk written in cache,
 * clamped and copied out measured faster (1.5x on MobileNetV2's block_1_expand, 112x112x96) than the
 * kernel's stores going to memory directly and a second pass over them.
 */
export function inPlace(run: IgemmRun, inputAt: number, outputAt: number): { input: number; output: number } {
  const { g } = run;
  if (g.dataFormat !== 'NHWC' || g.groups !== 1) return { input: -1, output: -1 };
  return { input: run.inPlaceInput ? inputAt : -1, output: outputAt };
}

/**
 * Whether a run can read an input that lives in wasm memory where it is, through an indirection table
 * over the input's own rows (prepareIgemm's inPlaceInput): NHWC, one group and no padding, so every
 * window lies inside the input (a 1x1 stride-1 convolution or a Dense layer, a strided 1x1 shortcut, a
 * 'valid' convolution). The band copy is then not needed.
 */
export function readsInputInPlace(g: ConvGeometry, inputAt: number): boolean {
  return (
    inputAt >= 0 &&
    g.dataFormat === 'NHWC' &&
    g.groups === 1 &&
    g.padTop === 0 &&
    g.padBottom === 0 &&
    g.padLeft === 0 &&
    g.padRight === 0
  );
}

/** Packed-weight bytes f32_igemm_4x8 keeps in cache while all row tiles pass (its PANEL_CHUNK_BYTES). */
const KERNEL_WEIGHT_CHUNK_BYTES = 192 << 10;

/** Output bytes computed and copied out at a time by computeBandInChunks: well inside L2. */
const OUTPUT_CHUNK_BYTES = 128 << 10;

/**
 * Tiles per chunk when a band is better computed a chunk of output rows at a time (0 when not).
 * Chunking pays when the band's output is larger than L2: the kernel then writes each chunk into the
 * same small buffer, which stays in cache, and the copy out reads it from there, instead of writing
 * megabytes and reading them back from memory. It is used only where the packed weights fit the
 * kernel's weight chunk (PANEL_CHUNK_BYTES in wasm/assembly/igemm.ts), so that every chunk of rows
 * still reads them from cache, and for NHWC outputs of one group, where a chunk is contiguous.
 */
export function outputChunkTiles(run: IgemmRun): number {
  const { g, layout } = run;
  const weightBytes =
    Math.ceil(g.outChannels / NR) * g.filterHeight * g.filterWidth * g.filterInChannels * NR * 4;
  if (g.dataFormat !== 'NHWC' || g.groups !== 1 || weightBytes > KERNEL_WEIGHT_CHUNK_BYTES) return 0;
  if (layout.outputBytes <= 2 * OUTPUT_CHUNK_BYTES) return 0;
  return Math.max(1, Math.floor(OUTPUT_CHUNK_BYTES / (4 * g.outChannels * 4)));
}

/**
 * Tiles per chunk when a grouped band is better computed a chunk of tiles at a time, every group's
 * calls over one chunk before the next (0 when not). One call per group over the whole band passes
 * over the whole input and output band once per group, and when those are larger than L2 each pass
 * reads them from memory again (measured 1.3x to 2.4x slower with 32 to 128 groups of 56x56 pixels).
 * Only where all groups' packed weights fit the kernel's weight chunk, so every chunk reads them
 * from cache (two groups of 5x5x48x128 measured slower in chunks).
 */
export function groupChunkTiles(run: IgemmRun): number {
  const { g } = run;
  const weightBytes =
    g.groups *
    Math.ceil(g.outChannels / g.groups / NR) *
    g.filterHeight *
    g.filterWidth *
    g.filterInChannels *
    NR *
    4;
  if (g.groups === 1 || weightBytes > KERNEL_WEIGHT_CHUNK_BYTES) return 0;
  if (run.layout.outputBytes <= 2 * OUTPUT_CHUNK_BYTES) return 0;
  return Math.max(1, Math.floor(OUTPUT_CHUNK_BYTES / (4 * g.outChannels * 4)));
}

/**
 * One band of image b, `chunkTiles` 4-pixel tiles at a time: the kernel writes each chunk at the start
 * of the output band and the chunk is copied out at once. Every output value is computed by the same
 * kernel steps as in one call over the band (a tile's values do not depend on the other tiles).
 */
function computeBandInChunks(
  engine: WasmEngine,
  run: IgemmRun,
  output: Float32Array,
  b: number,
  band: number,
  chunkTiles: number,
  stage: ((at: number, floats: number) => void) | null,
  fused: FusedCall | null,
): void {
  const { heap, kernels } = engine;
  const { g, layout } = run;
  const { first, rows } = bandRows(run, band);
  const n = g.outChannels;
  const pixels = rows * g.outWidth;
  const tileTableBytes = layout.ks * 16;
  const dst = (b * g.outHeight + first) * g.outWidth * n;
  const src = run.outputBand >> 2;
  for (let p0 = 0; p0 < pixels; p0 += chunkTiles * 4) {
    const count = Math.min(pixels - p0, chunkTiles * 4);
    const call = [
      count,
      n,
      layout.ks,
      layout.kc,
      run.table + (p0 >> 2) * tileTableBytes,
      run.inputBand,
      run.weights,
      run.outputBand,
      n,
    ];
    if (fused) fused(call, run.outputBand, dst / n + p0);
    else
      kernels.f32_igemm_4x8(call[0], call[1], call[2], call[3], call[4], call[5], call[6], call[7], call[8]);
    stage?.(run.outputBand, count * n);
    output.set(heap.f32.subarray(src, src + count * n), dst + p0 * n);
  }
}

/** A geometry's layout and indirection table: they depend on the shapes only, so recent ones are kept. */
interface Prepared {
  layout: IgemmLayout;
  table: Int32Array;
}
const prepared = new Map<string, Prepared>();
/**
 * Geometries kept: enough for every igemm layer of a network (MobileNetV2 has 25 distinct ones,
 * ResNet-50 22), whose steps come round in turn: with 8, each predict rebuilt every table (buildIndirection
 * was 2% of MobileNetV2's time). The tables are a band's, so they stay small; PREPARED_BYTES bounds them.
 */
const PREPARED_ENTRIES = 64;
const PREPARED_BYTES = 16 << 20;
let preparedBytes = 0;

/** The last shapes prepared and their entry: repeated calls on one shape skip building the key. */
let lastGeometry: ConvGeometry | null = null;
let lastPrepared: Prepared | null = null;
let lastInPlace = false;

/** Whether a and b have the fields igemm's layout and table depend on (the cache key's fields) equal. */
function samePreparedShape(a: ConvGeometry, b: ConvGeometry): boolean {
  return (
    a.inHeight === b.inHeight &&
    a.inWidth === b.inWidth &&
    a.inChannels === b.inChannels &&
    a.filterHeight === b.filterHeight &&
    a.filterWidth === b.filterWidth &&
    a.filterInChannels === b.filterInChannels &&
    a.outChannels === b.outChannels &&
    a.strideHeight === b.strideHeight &&
    a.strideWidth === b.strideWidth &&
    a.dilationHeight === b.dilationHeight &&
    a.dilationWidth === b.dilationWidth &&
    a.padTop === b.padTop &&
    a.padLeft === b.padLeft &&
    a.outHeight === b.outHeight &&
    a.outWidth === b.outWidth
  );
}

/**
 * Entries by geometry object: a model's steps keep theirs from predict to predict, and this lookup
 * skips building the string key (about 5 us a call between a network's layers, 0.8% of MobileNetV2).
 * The entry keeps a copy of the shapes it was built for, so a geometry changed since misses.
 */
const byGeometry = new WeakMap<
  ConvGeometry,
  { shape: ConvGeometry; copied?: Prepared; inPlace?: Prepared }
>();

/** Layout and indirection table for `g`, from the cache when a geometry of the same shapes was seen. */
export function prepareIgemm(g: ConvGeometry, inPlaceInput = false): Prepared {
  if (lastPrepared && lastGeometry && lastInPlace === inPlaceInput && samePreparedShape(lastGeometry, g)) {
    return lastPrepared;
  }
  let mine = byGeometry.get(g);
  if (mine && !samePreparedShape(mine.shape, g)) mine = undefined;
  const known = inPlaceInput ? mine?.inPlace : mine?.copied;
  if (known) return known;
  const entry = preparedByKey(g, inPlaceInput);
  mine ??= { shape: { ...g } };
  if (inPlaceInput) mine.inPlace = entry;
  else mine.copied = entry;
  byGeometry.set(g, mine);
  return entry;
}

/** prepareIgemm's cache by shapes (a string key), most recently used last. */
function preparedByKey(g: ConvGeometry, inPlaceInput: boolean): Prepared {
  const key =
    `${g.inHeight},${g.inWidth},${g.inChannels},${g.filterHeight},${g.filterWidth},${g.filterInChannels},` +
    `${g.outChannels},${g.strideHeight},${g.strideWidth},${g.dilationHeight},${g.dilationWidth},` +
    `${g.padTop},${g.padLeft},${g.outHeight},${g.outWidth},${inPlaceInput}`;
  let entry = prepared.get(key);
  if (entry) {
    prepared.delete(key); // re-inserted below as the most recently used
  } else {
    const layout = igemmLayout(g);
    // In place, the rows are the input's own (inWidth pixels), not the band's padded ones.
    const rowBytes = inPlaceInput ? g.inWidth * g.inChannels * 4 : layout.rowFloats * 4;
    entry = { layout, table: buildIndirection(g, layout, rowBytes) };
    preparedBytes += entry.table.byteLength;
    while (prepared.size > 0 && (prepared.size >= PREPARED_ENTRIES || preparedBytes > PREPARED_BYTES)) {
      const oldest = prepared.keys().next().value as string;
      preparedBytes -= prepared.get(oldest)!.table.byteLength;
      prepared.delete(oldest);
    }
  }
  prepared.set(key, entry);
  lastGeometry = { ...g }; // a copy: the caller's object may change afterwards
  lastPrepared = entry;
  lastInPlace = inPlaceInput;
  return entry;
}

/**
 * The tile-major indirection table of a full band (see wasm/assembly/igemm.ts): entry
 * ((t * ks + s) * 4 + i) is the byte offset, from the start of the input band (rows `rowBytes` apart:
 * the band copy's padded rows, or the input's own rows when it is read in place), of segment s of the
 * band's output pixel 4t + i. Pixels past the band's end repeat its last pixel, so every address stays
 * inside the input band. The kernel adds the band's address (and the group's channel offset).
 */
function buildIndirection(g: ConvGeometry, layout: IgemmLayout, rowBytes: number): Int32Array {
  const pixels = layout.bandRows * g.outWidth;
  const tiles = Math.ceil(pixels / 4);
  const { ks } = layout;
  const channelBytes = g.inChannels * 4;
  // Offset of each segment within a window, and of each pixel's window origin.
  const segment = new Int32Array(ks);
  for (let s = 0; s < ks; s++) {
    const ky = layout.rowSegments ? s : Math.floor(s / g.filterWidth);
    const kx = layout.rowSegments ? 0 : s - ky * g.filterWidth;
    segment[s] = ky * g.dilationHeight * rowBytes + kx * g.dilationWidth * channelBytes;
  }
  const origin = new Int32Array(tiles * 4);
  let pixel = 0;
  for (let oy = 0; oy < layout.bandRows; oy++) {
    for (let ox = 0; ox < g.outWidth; ox++) {
      origin[pixel++] = oy * g.strideHeight * rowBytes + ox * g.strideWidth * channelBytes;
    }
  }
  origin.fill(origin[pixels - 1], pixels);
  const table = new Int32Array(tiles * ks * 4);
  let at = 0;
  for (let t = 0; t < tiles; t++) {
    const o0 = origin[t * 4];
    const o1 = origin[t * 4 + 1];
    const o2 = origin[t * 4 + 2];
    const o3 = origin[t * 4 + 3];
    for (let s = 0; s < ks; s++) {
      const d = segment[s];
      table[at] = o0 + d;
      table[at + 1] = o1 + d;
      table[at + 2] = o2 + d;
      table[at + 3] = o3 + d;
      at += 4;
    }
  }
  return table;
}

/**
 * Runs of at most this many floats are copied or zeroed with a loop: for short rows (small images, few
 * channels: 28 floats a row for MNIST) a subarray + set or a fill costs more than the copy itself.
 */
const SHORT_RUN = 64;

/**
 * Copies padded rows [firstPaddedRow, firstPaddedRow + count) of image b into wasm memory at float
 * index `dst`, NHWC, layout.paddedWidth columns a row. Padded row q is input row q - padTop; padded
 * column p is input column p - padLeft; everything outside the input is written as zero.
 */
function copyInputRows(
  heap: Float32Array,
  dst: number,
  input: Float32Array,
  g: ConvGeometry,
  layout: IgemmLayout,
  b: number,
  firstPaddedRow: number,
  count: number,
): void {
  const c = g.inChannels;
  const width = layout.paddedWidth;
  const rowFloats = layout.rowFloats;
  const first = Math.min(width, g.padLeft);
  const end = Math.min(width, g.padLeft + g.inWidth);
  const plane = g.inHeight * g.inWidth;
  const cols = end - first;
  const n = cols * c;
  // Everything that is not input is zero: padding rows, and the padding columns right of one input
  // row and left of the next, which lie next to each other; so one fill per row covers them all.
  let zeroFrom = dst;
  for (let r = 0; r < count; r++) {
    const iy = firstPaddedRow + r - g.padTop;
    if (iy < 0 || iy >= g.inHeight || cols <= 0) continue;
    // `first` equals padLeft here (the input starts inside the touched columns), so input column 0.
    const d = dst + r * rowFloats + first * c;
    if (d - zeroFrom > SHORT_RUN) heap.fill(0, zeroFrom, d);
    else for (let i = zeroFrom; i < d; i++) heap[i] = 0;
    zeroFrom = d + n;
    if (g.dataFormat === 'NHWC') {
      const src = (b * g.inHeight + iy) * g.inWidth * c;
      if (n > SHORT_RUN) heap.set(input.subarray(src, src + n), d);
      else for (let i = 0; i < n; i++) heap[d + i] = input[src + i];
    } else {
      for (let ch = 0; ch < c; ch++) {
        const src = (b * c + ch) * plane + iy * g.inWidth;
        for (let p = 0; p < cols; p++) heap[d + p * c + ch] = input[src + p];
      }
    }
  }
  if (dst + count * rowFloats > zeroFrom) heap.fill(0, zeroFrom, dst + count * rowFloats);
}

/** Copies `rows` NHWC output rows of image b from wasm memory into an NCHW output. */
function copyOutputToNchw(
  heap: Float32Array,
  src: number,
  output: Float32Array,
  g: ConvGeometry,
  b: number,
  firstRow: number,
  rows: number,
): void {
  const n = g.outChannels;
  const pixels = rows * g.outWidth;
  const plane = g.outHeight * g.outWidth;
  for (let ch = 0; ch < n; ch++) {
    const dst = (b * n + ch) * plane + firstRow * g.outWidth;
    for (let j = 0; j < pixels; j++) output[dst + j] = heap[src + j * n + ch];
  }
}
