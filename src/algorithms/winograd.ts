/**
 * winograd: undilated conv2d as Winograd F(m x m, r x r) on the WebAssembly SIMD engine (matrices in
 * src/kernels/winograd_matrices.ts, kernels in wasm/assembly/winograd.ts). For 3 x 3 stride-1 filters,
 * m = 2, 4, 5 or 6: each m x m block of outputs (a tile) needs alpha^2 = (m + 2)^2
 * multiplications per channel pair instead of 9 m^2: 2.25x fewer for m = 2, 4x for m = 4, 4.6x for
 * m = 5, 5.1x for m = 6. winogradTile picks m by a cost model (see there). 4x4 stride-1 filters take
 * F(4x4, 4x4) (alpha = 7: 5.2x fewer), 5x5 ones F(4x4, 5x5) (alpha = 8: 6.25x fewer). Stride-2 filters
 * of 3x3 to 10x10 are first rewritten as 2x2 to 5x5 stride-1 ones over their input's four phases
 * (space_to_depth.ts; 2x2 ones take F(5x5, 2x2)): the ResNet stem's 7x7 stride-2 filter becomes a 4x4
 * one over 12 channels, 4x fewer multiplications than its direct sum.
 *
 * The output's tiles are processed in blocks (whole tile rows of one image, or part of one row when a
 * row alone is over budget). For each block:
 *   1. the input rows under it are copied into wasm memory as they are (NHWC, channels padded to a
 *      multiple of 4): tiles that overhang the image read a zero pixel instead, so no padded copy exists;
 *   2. f32_winograd_input writes V = B^T d B of every tile, alpha^2 slices of [tiles x channels];
 *   3. f32_winograd_gemm multiplies each slice by the transformed filter U (G g G^T, computed once per
 *      filter and kept in the weights cache): alpha^2 GEMMs on the f32-igemm-4x8 microkernel;
 *   4. f32_winograd_output computes Y = A^T M A into a band of output rows, which is copied out.
 * An input or output that already lies in wasm memory (the model runtime's arena) is used in place
 * instead where its layout allows (WinogradRun.inputAt, outputAt), and an output written in place can
 * take the runtime's bias + clamp in the output transform (WinogradRun.stage).
 * Scratch is bounded by WINOGRAD_BLOCK_BYTES for V and M plus the bands (see winogradLayout).
 *
 * Steps 2-4 are phases of kernel calls (driveWinograd): the transforms split the block's tiles, the
 * GEMM its alpha^2 slices, and each call computes its outputs the same way whoever runs it, so the
 * same driver runs on one thread (runWinograd) or on the worker pool (src/parallel/winograd_jobs.ts)
 * with the same bits. Copies in and out happen during phases that do not touch the band they use.
 *
 * Accuracy (test/winograd_accuracy.test.ts: unit-normal data, max |err| / max |exact| against float64;
 * the bound is 1e-4), for F(2x2), F(4x4), F(5x5), F(6x6): resnet-3x3-56 3.7e-7, 8.1e-6, 1.2e-5, 9.7e-6;
 * resnet-3x3-28 5.8e-7, 8.1e-6, 1.4e-5, 1.4e-5; resnet-3x3-14 5.7e-7, 1.0e-5, 1.6e-5, 1.6e-5;
 * vgg-3x3-b8 3.3e-7, 5.7e-6, 8.7e-6, 1.2e-5 (igemm: about 1e-6); resnet-stem through space-to-depth,
 * F(4x4, 4x4): 3.5e-6; mnist-c2-b64's 5x5 filter, F(4x4, 5x5): 5.1e-6.
 *
 * NaN and infinity: the transforms mix all of a tile's inputs, so one NaN or infinity would reach every
 * output of its tiles (and infinity - infinity gives NaN where TensorFlow gives infinity). The output
 * transform reports any non-finite output; the convolution is then recomputed by igemm, which
 * propagates them exactly as TensorFlow does. Finite data that does not overflow never takes that path.
 */
import type { ConvGeometry } from '../geometry.js';
import { wasmEngine, type WasmEngine } from '../kernels/wasm/engine.js';
import { align64, type WasmHeap } from '../kernels/wasm/heap.js';
import { packWinogradFilter, winogradSliceFloats } from '../kernels/winograd_filter.js';
import { winogradMatrices, type WinogradTile } from '../kernels/winograd_matrices.js';
import { packedWeights } from '../plan/weights_cache.js';
import { float32Bits } from '../kernels/wasm/bits.js';
import { conv2dIgemm, type OutputClamp } from './igemm.js';
import { sizeOf } from '../tensor.js';
import { spaceToDepthFilter, spaceToDepthRows } from './space_to_depth.js';
import {
  round4,
  winogradGeometry,
  winogradLayout,
  winogradTile,
  type WinogradLayout,
} from './winograd_plan.js';

/** The kernels of wasm/assembly/winograd.ts (addresses and strides in bytes unless said otherwise). */
interface WinogradExports {
  f32_winograd_input(
    m: number,
    alpha: number,
    band: number,
    bandFirstRow: number,
    bandRows: number,
    inWidth: number,
    cp: number,
    padTop: number,
    padLeft: number,
    tileCols: number,
    firstTile: number,
    tiles: number,
    zero: number,
    work: number,
    v: number,
    sliceBytes: number,
  ): void;
  f32_winograd_gemm(
    alpha2: number,
    tiles: number,
    groups: number,
    cpg: number,
    opg: number,
    ind: number,
    v: number,
    vSlice: number,
    u: number,
    uSlice: number,
    mOut: number,
    mSlice: number,
    ldm: number,
  ): void;
  /** stage: 1 to store clamp(y + bias, lo, hi) (bias 0: none; bounds as float32 bits), 0 not to. */
  f32_winograd_output(
    m: number,
    alpha: number,
    mIn: number,
    sliceBytes: number,
    kp: number,
    tileCols: number,
    firstTile: number,
    tiles: number,
    out: number,
    outFirstRow: number,
    outHeight: number,
    outWidth: number,
    trash: number,
    work: number,
    stage: number,
    bias: number,
    loBits: number,
    hiBits: number,
  ): number;
}

export type WinogradKernel = keyof WinogradExports;

/**
 * Needs winogradUnavailable(g) null. `out` (optional, the output's size): written and returned instead
 * of a new array. `clamp` (the model runtime's bias + clamp, without a residual): applied by the output
 * transform when `out` lives in wasm memory, and then `clamp.applied` is set; else the caller applies it.
 */
export function conv2dWinograd(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  out?: Float32Array,
  clamp?: OutputClamp,
): Float32Array {
  return conv2dWinogradTile(g, input, filter, winogradTile(winogradGeometry(g)), out, clamp);
}

/** conv2dWinograd with a given tile size (tests and probes compare them). */
export function conv2dWinogradTile(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  tile: WinogradTile,
  out?: Float32Array,
  clamp?: OutputClamp,
): Float32Array {
  const engine = wasmEngine();
  if (!engine) throw new Error('conv2dWinograd: the WebAssembly SIMD engine is not available');
  const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
  if (size === 0) return new Float32Array(0);
  const problem = winogradProblem(g, input, filter);
  const run = placeWinograd(
    engine.heap,
    problem.g,
    problem.filter,
    tile,
    undefined,
    inPlaceAddresses(engine.heap, problem, out, clamp),
  );
  let output: Float32Array | undefined;
  const finite = driveWinograd(
    engine.heap,
    run,
    problem.loadRows,
    () => (output ??= out ?? new Float32Array(size)),
    singleThreadPhases(engine),
  );
  if (finite && output) {
    if (clamp && run.stage) clamp.applied = true;
    return output;
  }
  return conv2dIgemm(g, input, filter, out);
}

/**
 * Writes input rows [first, first + count) of image b of a problem's geometry into wasm memory at float
 * index dst: NHWC, cp floats a pixel (channels past in_channels as zeros).
 */
export type RowLoader = (
  heap: Float32Array,
  dst: number,
  cp: number,
  b: number,
  first: number,
  count: number,
) => void;

/** What the Winograd kernels compute for conv2d g: g itself at stride 1, its space-to-depth form at 2. */
export interface WinogradProblem {
  g: ConvGeometry;
  loadRows: RowLoader;
  filter: Float32Array;
  /** The input itself when the kernels read it as it is (stride 1), else null (space-to-depth). */
  input: Float32Array | null;
}

/**
 * g's stride-1 problem (see winogradGeometry). Its output is g's output, value for value; outputs that
 * are not finite must be recomputed from g itself (see space_to_depth.ts).
 */
export function winogradProblem(g: ConvGeometry, input: Float32Array, filter: Float32Array): WinogradProblem {
  const inner = winogradGeometry(g);
  if (inner === g) {
    return {
      g,
      filter,
      loadRows: (heap, dst, cp, b, first, count) => copyInputRows(heap, dst, input, g, cp, b, first, count),
      input,
    };
  }
  return {
    g: inner,
    filter: spaceToDepthFilter(g, inner, filter),
    loadRows: spaceToDepthRows(g, inner, input),
    input: null,
  };
}

/**
 * Where a run may read and write in place (see placeWinograd): byte addresses of the problem's input
 * and of `out` where they lie in `heap`, each as long as its tensor (the model runtime's arena), else -1. Taken before placing the
 * run, which can grow the memory (and detach the arrays' buffer).
 */
export interface WinogradInPlace {
  inputAt: number;
  outputAt: number;
  clamp?: OutputClamp;
}

export function inPlaceAddresses(
  heap: WasmHeap,
  problem: WinogradProblem,
  out?: Float32Array,
  clamp?: OutputClamp,
): WinogradInPlace {
  const { g, input } = problem;
  const whole = (a: Float32Array, shape: readonly number[]) => a.length >= sizeOf(shape);
  return {
    inputAt: input && whole(input, g.inputShape) ? heap.addressOf(input) : -1,
    outputAt: out && whole(out, g.outputShape) ? heap.addressOf(out) : -1,
    clamp,
  };
}

/** Byte addresses of one run's buffers in wasm memory. */
export interface WinogradRun {
  g: ConvGeometry;
  layout: WinogradLayout;
  weights: number;
  uSliceBytes: number;
  table: number;
  zero: number;
  /** The first work slot (each is layout.slotBytes: the work area, then a trash pixel). */
  work: number;
  inputBand: number;
  v: number;
  m: number;
  outputBand: number;
  /**
   * Byte address of the NHWC output itself when it lives in this heap and the output transform can
   * write it where it lies (no padded channels: kp = out_channels), else -1 (it writes the output band,
   * which is copied out).
   */
  outputAt: number;
  /**
   * Byte address of the NHWC input itself when it lives in this heap with no channels to pad (cp =
   * in_channels): the input transform reads each image where it lies, as a band of all its rows, and no
   * rows are copied in. Else -1 (the input band).
   */
  inputAt: number;
  /**
   * With an output written in place, the model runtime's bias + clamp fused into the output transform:
   * f32_winograd_output's stage arguments [1, bias address or 0, lo bits, hi bits]; else null.
   */
  stage: number[] | null;
}

/** Names the transformed filter in the weights cache (keyed, like igemm's panels, by the filter array). */
export function winogradPackKey(tile: WinogradTile, groups: number, r = 3): string {
  return `winograd-f${tile}x${tile}-${r}x${r}/groups=${groups}`;
}

/**
 * Places the transformed filter (resident) and the scratch of `layout` (see winogradLayout) in the
 * heap, for stride-1 g (a WinogradProblem's).
 */
export function placeWinograd(
  heap: WasmHeap,
  g: ConvGeometry,
  filter: Float32Array,
  tile: WinogradTile,
  layout = winogradLayout(g, tile),
  { inputAt, outputAt, clamp }: WinogradInPlace = { inputAt: -1, outputAt: -1 },
): WinogradRun {
  const matrices = winogradMatrices(tile, g.filterHeight);
  const packed = packedWeights(filter, winogradPackKey(tile, g.groups, g.filterHeight), () =>
    packWinogradFilter(filter, g.filterInChannels, g.outChannels, g.groups, matrices),
  );
  const weights = heap.placeWeights(packed);
  const table = heap.scratchBase;
  const tableEntries = round4(layout.blockTiles);
  const zero = align64(table + tableEntries * 4);
  const work = align64(zero + layout.cp * 4);
  const inputBand = work + layout.slots * layout.slotBytes;
  const v = align64(inputBand + layout.inputBytes);
  const m = align64(v + layout.vBytes);
  const outputBand = align64(m + layout.mBytes);
  heap.ensure(outputBand + layout.outputBytes);
  const i32 = heap.i32;
  for (let r = 0; r < tableEntries; r++) i32[(table >> 2) + r] = r * layout.cp * 4;
  const f32 = heap.f32;
  f32.fill(0, zero >> 2, (zero >> 2) + layout.cp);
  // Columns past out_channels are never written by the GEMM; zero them once so the output transform
  // only ever meets finite numbers there.
  if (layout.kp !== g.outChannels) f32.fill(0, m >> 2, (m + layout.mBytes) >> 2);
  const uSliceBytes = winogradSliceFloats(g.filterInChannels, g.outChannels, g.groups) * 4;
  const inPlace = outputAt >= 0 && g.dataFormat === 'NHWC' && layout.kp === g.outChannels;
  let stage: number[] | null = null;
  if (inPlace && clamp && !clamp.residual) {
    const biasAt = clamp.bias ? align64(outputBand + layout.outputBytes) : 0;
    if (clamp.bias) {
      heap.ensure(biasAt + clamp.bias.length * 4);
      heap.f32.set(clamp.bias, biasAt >> 2);
    }
    stage = [1, biasAt, float32Bits(clamp.lo), float32Bits(clamp.hi)];
  }
  return {
    g,
    layout,
    weights,
    uSliceBytes,
    table,
    zero,
    work,
    inputBand,
    v,
    m,
    outputBand,
    outputAt: inPlace ? outputAt : -1,
    inputAt: inputAt >= 0 && g.dataFormat === 'NHWC' && layout.cp === g.inChannels ? inputAt : -1,
    stage,
  };
}

/** One block: tiles [firstTile, firstTile + tiles) of image b, tile rows ty0.. and columns tx0... */
export interface WinogradBlock {
  b: number;
  ty0: number;
  rows: number;
  tx0: number;
  cols: number;
  firstTile: number;
  tiles: number;
  /** Input rows [bandFirst, bandFirst + bandRows) are in the input band; newBand: this block loads them. */
  bandFirst: number;
  bandRows: number;
  newBand: boolean;
}

/** The blocks of a run in order (image by image, tile row blocks, then parts of a tile row). */
export function winogradBlocks(run: WinogradRun): WinogradBlock[] {
  const { g, layout } = run;
  const m = layout.tile;
  const blocks: WinogradBlock[] = [];
  for (let b = 0; b < g.batch; b++) {
    for (let ty0 = 0; ty0 < layout.tileRows; ty0 += layout.rowsPerBlock) {
      const rows = Math.min(layout.rowsPerBlock, layout.tileRows - ty0);
      const top = ty0 * m - g.padTop;
      const bandFirst = Math.max(0, top);
      const bandEnd = Math.min(g.inHeight, top + (rows - 1) * m + layout.alpha);
      const bandRows = Math.max(0, bandEnd - bandFirst);
      for (let tx0 = 0; tx0 < layout.tileCols; tx0 += layout.colsPerBlock) {
        const cols = Math.min(layout.colsPerBlock, layout.tileCols - tx0);
        const firstTile = ty0 * layout.tileCols + tx0;
        blocks.push({
          b,
          ty0,
          rows,
          tx0,
          cols,
          firstTile,
          tiles: rows * cols,
          bandFirst,
          bandRows,
          newBand: tx0 === 0,
        });
      }
    }
  }
  return blocks;
}

/** [first, count] of `parts` near-equal contiguous shares of n items (no empty share). */
function shares(n: number, parts: number): [number, number][] {
  const count = Math.max(1, Math.min(n, parts));
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const first = Math.floor((i * n) / count);
    out.push([first, Math.floor(((i + 1) * n) / count) - first]);
  }
  return out;
}

/** f32_winograd_input calls for a block, its tiles split in `parts` (each call in its own work slot). */
export function inputCalls(run: WinogradRun, block: WinogradBlock, parts: number): number[][] {
  const { g, layout } = run;
  // In place: image b itself, a band of all its rows.
  const image = g.inHeight * g.inWidth * g.inChannels * 4;
  const [band, bandFirst, bandRows] =
    run.inputAt >= 0
      ? [run.inputAt + block.b * image, 0, g.inHeight]
      : [run.inputBand, block.bandFirst, block.bandRows];
  return shares(block.tiles, Math.min(parts, layout.slots)).map(([s0, n], i) => [
    layout.tile,
    layout.alpha,
    band,
    bandFirst,
    bandRows,
    g.inWidth,
    layout.cp,
    g.padTop,
    g.padLeft,
    layout.tileCols,
    block.firstTile + s0,
    n,
    run.zero,
    run.work + i * layout.slotBytes,
    run.v + s0 * layout.cp * 4,
    layout.vSliceBytes,
  ]);
}

/** f32_winograd_gemm calls for a block, its alpha^2 slices split in `parts`. */
export function gemmCalls(run: WinogradRun, block: WinogradBlock, parts: number): number[][] {
  const { g, layout } = run;
  return shares(layout.alpha * layout.alpha, parts).map(([ij, n]) => [
    n,
    block.tiles,
    g.groups,
    g.filterInChannels,
    g.outChannels / g.groups,
    run.table,
    run.v + ij * layout.vSliceBytes,
    layout.vSliceBytes,
    run.weights + ij * run.uSliceBytes,
    run.uSliceBytes,
    run.m + ij * layout.mSliceBytes,
    layout.mSliceBytes,
    layout.kp,
  ]);
}

/** f32_winograd_output calls for a block, its tiles split in `parts` (each in its own work slot). */
export function outputCalls(run: WinogradRun, block: WinogradBlock, parts: number): number[][] {
  const { g, layout } = run;
  return shares(block.tiles, Math.min(parts, layout.slots)).map(([s0, n], i) => {
    const slot = run.work + i * layout.slotBytes;
    return [
      layout.tile,
      layout.alpha,
      run.m + s0 * layout.kp * 4,
      layout.mSliceBytes,
      layout.kp,
      layout.tileCols,
      block.firstTile + s0,
      n,
      // In place: image b of the output itself, whose row 0 is the image's; else the band.
      run.outputAt >= 0
        ? run.outputAt + block.b * g.outHeight * g.outWidth * g.outChannels * 4
        : run.outputBand,
      run.outputAt >= 0 ? 0 : block.ty0 * layout.tile,
      g.outHeight,
      g.outWidth,
      slot + align64(layout.workBytes),
      slot,
      ...(run.stage ?? NO_STAGE),
    ];
  });
}

/** f32_winograd_output's stage arguments for outputs stored as computed. */
const NO_STAGE = [0, 0, 0, 0];

/**
 * Runs one phase: `kernel` once per argument list, and `meanwhile` (work for the calling thread that
 * touches none of the memory the calls use) in any order with them. Returns the OR of the results.
 */
export interface WinogradPhases {
  /** Calls a transform phase is split into (1 on one thread). */
  parts: number;
  run(kernel: WinogradKernel, calls: number[][], meanwhile?: () => void): number;
}

/** WinogradPhases whose phases complete asynchronously. */
export interface AsyncWinogradPhases {
  parts: number;
  run(kernel: WinogradKernel, calls: number[][], meanwhile?: () => void): Promise<number>;
}

/** Every phase on the calling thread, through the single-threaded engine's exports. */
function singleThreadPhases(engine: WasmEngine): WinogradPhases {
  const kernels = engine.kernels as unknown as Record<WinogradKernel, (...args: number[]) => number | void>;
  return {
    parts: 1,
    run(kernel, calls, meanwhile) {
      meanwhile?.();
      const fn = kernels[kernel];
      let result = 0;
      for (const c of calls) result |= (fn(...c) ?? 0) as number;
      return result;
    },
  };
}

/**
 * Computes the convolution of `run` into output() (allocated on first use), phase by phase; false
 * (output incomplete) as soon as a block produces a NaN or an infinity. The input band is read only by
 * the input transform and the output band written only by the output transform, so the next block's
 * rows are copied in during the output transform and the last block's copied out during the GEMM.
 * The output array is allocated during the first GEMM but its pages are not touched ahead of the
 * stores: touching them while workers compute measured slower on the 2-vCPU VM (each first write to a
 * page of a new array is a page fault, about 2 us alone and several times that while another thread
 * of the process runs; resnet-3x3-56 on 2 threads: 3.7 ms with every page touched during the GEMM,
 * 1.95 ms without).
 */
export function driveWinograd(
  heap: WasmHeap,
  run: WinogradRun,
  loadRows: RowLoader,
  output: () => Float32Array,
  phases: WinogradPhases,
): boolean {
  const steps = winogradPhaseSteps(heap, run, loadRows, output, phases.parts);
  for (let next = steps.next(); ;) {
    if (next.done) return next.value;
    const { kernel, calls, meanwhile } = next.value;
    next = steps.next(phases.run(kernel, calls, meanwhile));
  }
}

/** driveWinograd with phases that run asynchronously (the worker pool, while this thread waits). */
export async function driveWinogradAsync(
  heap: WasmHeap,
  run: WinogradRun,
  loadRows: RowLoader,
  output: () => Float32Array,
  phases: AsyncWinogradPhases,
): Promise<boolean> {
  const steps = winogradPhaseSteps(heap, run, loadRows, output, phases.parts);
  for (let next = steps.next(); ;) {
    if (next.done) return next.value;
    const { kernel, calls, meanwhile } = next.value;
    next = steps.next(await phases.run(kernel, calls, meanwhile));
  }
}

/** One phase to run: its kernel calls and the calling thread's work meanwhile. */
interface WinogradPhase {
  kernel: WinogradKernel;
  calls: number[][];
  meanwhile?: () => void;
}

/**
 * driveWinograd's sequence of phases, as a generator that yields each phase and is resumed with its
 * result (the OR of the calls' results), so one sequence serves both the synchronous and the
 * asynchronous driver. Returns whether every output is finite.
 */
function* winogradPhaseSteps(
  heap: WasmHeap,
  run: WinogradRun,
  loadRows: RowLoader,
  output: () => Float32Array,
  parts: number,
): Generator<WinogradPhase, boolean, number> {
  const blocks = winogradBlocks(run);
  if (blocks.length === 0) return true;
  loadBlockInput(heap, run, loadRows, blocks[0]);
  let previous: WinogradBlock | null = null;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const next = blocks[i + 1];
    yield { kernel: 'f32_winograd_input', calls: inputCalls(run, block, parts) };
    const stored = previous;
    yield {
      kernel: 'f32_winograd_gemm',
      calls: gemmCalls(run, block, parts),
      meanwhile: () => {
        const out = output();
        if (stored && run.outputAt < 0) storeBlockOutput(heap, run, out, stored);
      },
    };
    const loadNext = next?.newBand ? () => loadBlockInput(heap, run, loadRows, next) : undefined;
    if (yield { kernel: 'f32_winograd_output', calls: outputCalls(run, block, parts), meanwhile: loadNext }) {
      return false;
    }
    previous = block;
  }
  const out = output();
  if (run.outputAt < 0) storeBlockOutput(heap, run, out, blocks[blocks.length - 1]);
  return true;
}

/** Copies the input rows under `block` into the input band (unless the run reads the input in place). */
function loadBlockInput(heap: WasmHeap, run: WinogradRun, loadRows: RowLoader, block: WinogradBlock): void {
  if (block.bandRows > 0 && run.inputAt < 0) {
    loadRows(heap.f32, run.inputBand >> 2, run.layout.cp, block.b, block.bandFirst, block.bandRows);
  }
}

/** Copies the outputs of `block` from the output band into `output` (conv2d's whole output). */
function storeBlockOutput(
  heap: WasmHeap,
  run: WinogradRun,
  output: Float32Array,
  block: WinogradBlock,
): void {
  const { g, layout } = run;
  const m = layout.tile;
  const outFirst = block.ty0 * m;
  const outRows = Math.min(g.outHeight, (block.ty0 + block.rows) * m) - outFirst;
  const colFirst = block.tx0 * m;
  const colEnd = Math.min(g.outWidth, (block.tx0 + block.cols) * m);
  copyOutput(
    heap.f32,
    run.outputBand >> 2,
    layout.kp,
    output,
    g,
    block.b,
    outFirst,
    outRows,
    colFirst,
    colEnd,
  );
}

/**
 * Copies input rows [first, first + count) of image b into wasm memory at float index dst: NHWC, cp
 * floats a pixel (channels past in_channels written as zeros).
 */
function copyInputRows(
  heap: Float32Array,
  dst: number,
  input: Float32Array,
  g: ConvGeometry,
  cp: number,
  b: number,
  first: number,
  count: number,
): void {
  const c = g.inChannels;
  const w = g.inWidth;
  if (count <= 0 || w === 0) return;
  if (g.dataFormat === 'NHWC') {
    const src = (b * g.inHeight + first) * w * c;
    if (cp === c) {
      heap.set(input.subarray(src, src + count * w * c), dst);
      return;
    }
    const pixels = count * w;
    for (let p = 0; p < pixels; p++) {
      const s = src + p * c;
      const d = dst + p * cp;
      for (let ch = 0; ch < c; ch++) heap[d + ch] = input[s + ch];
      for (let ch = c; ch < cp; ch++) heap[d + ch] = 0;
    }
    return;
  }
  const plane = g.inHeight * w;
  const pixels = count * w;
  for (let ch = 0; ch < c; ch++) {
    const src = (b * c + ch) * plane + first * w;
    for (let p = 0; p < pixels; p++) heap[dst + p * cp + ch] = input[src + p];
  }
  if (cp !== c) {
    for (let p = 0; p < pixels; p++) heap.fill(0, dst + p * cp + c, dst + (p + 1) * cp);
  }
}

/**
 * Copies output rows [first, first + rows), columns [colFirst, colEnd), of image b from the output band
 * at float index src (row 0 = output row `first`, kp floats a pixel) into `output` in g's layout.
 */
function copyOutput(
  heap: Float32Array,
  src: number,
  kp: number,
  output: Float32Array,
  g: ConvGeometry,
  b: number,
  first: number,
  rows: number,
  colFirst: number,
  colEnd: number,
): void {
  const k = g.outChannels;
  const w = g.outWidth;
  if (g.dataFormat === 'NHWC') {
    if (kp === k && colFirst === 0 && colEnd === w) {
      const at = (b * g.outHeight + first) * w * k;
      output.set(heap.subarray(src, src + rows * w * k), at);
      return;
    }
    for (let r = 0; r < rows; r++) {
      for (let x = colFirst; x < colEnd; x++) {
        const s = src + (r * w + x) * kp;
        const d = ((b * g.outHeight + first + r) * w + x) * k;
        if (kp === k) {
          output.set(heap.subarray(s, s + (colEnd - x) * k), d);
          break;
        }
        for (let ch = 0; ch < k; ch++) output[d + ch] = heap[s + ch];
      }
    }
    return;
  }
  const plane = g.outHeight * w;
  for (let ch = 0; ch < k; ch++) {
    const base = (b * k + ch) * plane;
    for (let r = 0; r < rows; r++) {
      const d = base + (first + r) * w;
      const s = src + r * w * kp + ch;
      for (let x = colFirst; x < colEnd; x++) output[d + x] = heap[s + x * kp];
    }
  }
}
