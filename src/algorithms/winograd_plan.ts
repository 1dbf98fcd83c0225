/**
 * Planning Winograd convolution (src/algorithms/winograd.ts runs it): whether it can take a geometry,
 * whether 'auto' should, which tile F(m x m, r x r) to use (a cost model of GEMM work, padding waste
 * and transform cost), and how one run is laid out in wasm memory (blocks of tiles, slices of V and M,
 * work slots). The planner, the explainer's memory figures and the thread jobs read it too.
 *
 * Winograd computes stride-1 geometries with 3x3, 4x4 or 5x5 filters. A stride-2 geometry with a 3x3 to
 * 10x10 filter is first rewritten by space-to-depth (src/algorithms/space_to_depth.ts) as a stride-1
 * one with a 2x2 to 5x5 filter: winogradGeometry gives the geometry Winograd really computes, which the
 * layout, tile and cost functions below take.
 */
import type { ConvGeometry } from '../geometry.js';
import { wasmEngine } from '../kernels/wasm/engine.js';
import { ISA_NAME } from '../kernels/wasm/features.js';
import { align64 } from '../kernels/wasm/heap.js';
import { winogradSliceFloats } from '../kernels/winograd_filter.js';
import { winogradMatrices, winogradTilesFor, type WinogradTile } from '../kernels/winograd_matrices.js';
import { spaceToDepthGeometry, spaceToDepthUnavailable } from './space_to_depth.js';

/** Bytes of V and M (the transformed tiles of one block): small enough to stay in a 4 MB L2 cache. */
export const WINOGRAD_BLOCK_BYTES = 2 << 20;
/** Pointer table at the start of the input transform's work area (see wasm/assembly/winograd.ts). */
const INPUT_TABLE_BYTES = 256;
/** Beyond these, winograd declines (the planner then uses igemm or im2col). */
const MAX_WEIGHT_BYTES = 256 << 20;
export const WINOGRAD_MAX_SCRATCH_BYTES = 512 << 20;

/** How one winograd convolution is laid out in wasm memory. */
export interface WinogradLayout {
  tile: WinogradTile;
  alpha: number;
  tileRows: number;
  tileCols: number;
  /** Channel strides in wasm memory: in and out channels rounded up to a multiple of 4. */
  cp: number;
  kp: number;
  /** A block is rowsPerBlock tile rows of colsPerBlock tiles (colsPerBlock < tileCols only when 1 row). */
  rowsPerBlock: number;
  colsPerBlock: number;
  blockTiles: number;
  /** Input rows in the band of a full block, and output rows. */
  bandRows: number;
  outBandRows: number;
  vSliceBytes: number;
  mSliceBytes: number;
  /** One transform call's work area (its pointer table and first-pass results), and its slot with a trash pixel. */
  workBytes: number;
  slotBytes: number;
  /** Work slots: one per transform call of a phase (calls running at once must not share one). */
  slots: number;
  inputBytes: number;
  vBytes: number;
  mBytes: number;
  outputBytes: number;
  /** Everything one call places in the scratch area (the row table, zero pixel and the above). */
  scratchBytes: number;
}

export const round4 = (n: number) => Math.ceil(n / 4) * 4;

/** Filter sizes (r x r) Winograd computes at stride 1, and after space-to-depth (3x3 to 10x10 at stride 2). */
const WINOGRAD_FILTERS = [3, 4, 5];
const SPACE_TO_DEPTH_FILTERS = [2, 3, 4, 5];

/** The stride-1 geometry Winograd computes for g: g itself, or its space-to-depth form at stride 2. */
export function winogradGeometry(g: ConvGeometry): ConvGeometry {
  return g.strideHeight === 1 && g.strideWidth === 1 ? g : spaceToDepthGeometry(g);
}

/**
 * The layout of stride-1 `g` (see winogradGeometry) in F(tile x tile) blocks of at most `blockBytes` of
 * V and M, with `slots` work areas (one per transform call of a phase).
 */
export function winogradLayout(
  g: ConvGeometry,
  tile: WinogradTile,
  blockBytes = WINOGRAD_BLOCK_BYTES,
  slots = 1,
): WinogradLayout {
  const m = tile;
  const alpha = winogradMatrices(tile, g.filterHeight).alpha;
  const alpha2 = alpha * alpha;
  const tileRows = Math.ceil(g.outHeight / m);
  const tileCols = Math.ceil(g.outWidth / m);
  const cp = round4(g.inChannels);
  const kp = round4(g.outChannels);
  const budgetTiles = Math.max(1, Math.floor(blockBytes / (alpha2 * (cp + kp) * 4)));
  let rowsPerBlock: number;
  let colsPerBlock: number;
  if (tileCols <= budgetTiles) {
    rowsPerBlock = Math.max(1, Math.min(tileRows, Math.floor(budgetTiles / Math.max(tileCols, 1))));
    rowsPerBlock = Math.ceil(tileRows / Math.ceil(tileRows / rowsPerBlock)) || 1;
    colsPerBlock = tileCols;
  } else {
    rowsPerBlock = 1;
    colsPerBlock = Math.ceil(tileCols / Math.ceil(tileCols / budgetTiles));
  }
  const blockTiles = Math.max(1, rowsPerBlock * colsPerBlock);
  const bandRows = Math.min(g.inHeight, (rowsPerBlock - 1) * m + alpha);
  const outBandRows = Math.min(g.outHeight, rowsPerBlock * m);
  const vSliceBytes = round4(blockTiles) * cp * 4;
  const mSliceBytes = blockTiles * kp * 4;
  const workBytes = Math.max(INPUT_TABLE_BYTES + alpha2 * cp * 4, m * alpha * kp * 4);
  const slotBytes = align64(workBytes) + align64(kp * 4);
  const inputBytes = bandRows * g.inWidth * cp * 4;
  const vBytes = alpha2 * vSliceBytes;
  const mBytes = alpha2 * mSliceBytes;
  const outputBytes = outBandRows * g.outWidth * kp * 4;
  const scratchBytes =
    align64(round4(blockTiles) * 4) +
    align64(cp * 4) +
    slots * slotBytes +
    align64(inputBytes) +
    align64(vBytes) +
    align64(mBytes) +
    align64(outputBytes);
  return {
    tile,
    alpha,
    tileRows,
    tileCols,
    cp,
    kp,
    rowsPerBlock,
    colsPerBlock,
    blockTiles,
    bandRows,
    outBandRows,
    vSliceBytes,
    mSliceBytes,
    workBytes,
    slotBytes,
    slots,
    inputBytes,
    vBytes,
    mBytes,
    outputBytes,
    scratchBytes,
  };
}

/**
 * Cost of a transformed float, in units of one multiply-add of the GEMM, for the input transform
 * (per float of V) and the output transform (per float of M), by tile size: F(5x5)'s points are not
 * symmetric, so its transforms share fewer terms. Measured with wasm/probe/winograd.ts --stages on the
 * suite's 3x3 shapes (plain SIMD, one thread). The copies in and out cost the same for every tile size.
 */
const INPUT_COST: Record<WinogradTile, number> = { 2: 4.8, 4: 6.3, 5: 11.5, 6: 8.5 };
const OUTPUT_COST: Record<WinogradTile, number> = { 2: 2.3, 4: 4.1, 5: 6.2, 6: 7.1 };
/** F(4x4, 4x4): F(5x5, 3x3)'s input transform and a shorter output transform. */
const R4_COSTS = { input: 11.5, output: 5.5 };
/**
 * F(4x4, 5x5): F(6x6, 3x3)'s input transform and a shorter output transform, but fitted on 5x5 layers
 * of 8 to 64 channels (wasm/probe timings against the FFT), where the per-tile overheads show.
 */
const R5_COSTS = { input: 14, output: 10 };
/** F(5x5, 2x2): F(4x4, 3x3)'s input transform and an output transform one row longer. */
const R2_COSTS = { input: 6.3, output: 5 };

function transformCosts(m: WinogradTile, r: number): { input: number; output: number } {
  if (r === 2) return R2_COSTS;
  if (r === 4) return R4_COSTS;
  if (r === 5) return R5_COSTS;
  return { input: INPUT_COST[m], output: OUTPUT_COST[m] };
}

/** A larger tile must be modelled this much cheaper to be chosen (its filter takes more memory). */
const LARGER_TILE_MARGIN = 0.03;

/**
 * The GEMMs' multiply-adds as the microkernel runs them: one row per tile (the microkernel computes a
 * block's last 1 to 3 rows without rounding them up to 4), each group's outputs rounded up to its 8
 * columns.
 */
export function winogradGemmMacs(g: ConvGeometry, m: WinogradTile): number {
  const alpha = winogradMatrices(m, g.filterHeight).alpha;
  const tiles = g.batch * Math.ceil(g.outHeight / m) * Math.ceil(g.outWidth / m);
  const opg = g.outChannels / g.groups;
  return tiles * alpha * alpha * g.filterInChannels * Math.ceil(opg / 8) * 8 * g.groups;
}

/**
 * Cost of reading a byte of the transformed filter, which a call streams from memory once when it is
 * larger than the caches, in GEMM multiply-adds (about 10 GB/s against 14 G multiply-adds a second).
 * It matters where few tiles meet a large filter: [1,16,16,256] x [4,4,256,512] at stride 2 would
 * stream a 75 MB filter for 4 tiles of an 8x8 output (measured 0.78x igemm's speed).
 */
const FILTER_BYTE_COST = 1.4;

/**
 * The modelled time of `g` in F(m x m) tiles, in GEMM multiply-adds: the GEMMs (winogradGemmMacs), both
 * transforms, which run over every tile, partial tiles at the image's edge included, and the stream of
 * the transformed filter.
 */
export function winogradCost(g: ConvGeometry, m: WinogradTile): number {
  const alpha = winogradMatrices(m, g.filterHeight).alpha;
  const tiles = g.batch * Math.ceil(g.outHeight / m) * Math.ceil(g.outWidth / m);
  const cost = transformCosts(m, g.filterHeight);
  const transformed =
    tiles * alpha * alpha * (round4(g.inChannels) * cost.input + round4(g.outChannels) * cost.output);
  return winogradGemmMacs(g, m) + transformed + winogradFilterBytes(g, m) * FILTER_BYTE_COST;
}

/**
 * Nanoseconds per unit of winogradCost (a GEMM multiply-add), to compare winograd with the FFT's model
 * (which is in nanoseconds): the F(4x4, 3x3) GEMMs run at about 32 GFLOP/s on the 2-core Xeon, plain
 * SIMD, one thread (wasm/probe/winograd.ts --stages); the copies in and out add about 10%.
 */
const NS_PER_COST_UNIT = 0.07;

/** Modelled nanoseconds of conv2d g by winograd (its stride-1 form's tile and cost), one thread. */
export function winogradModelNs(g: ConvGeometry): number {
  const inner = winogradGeometry(g);
  return winogradCost(inner, winogradTile(inner)) * NS_PER_COST_UNIT;
}

/**
 * The tile size for a stride-1 geometry: for 3x3 filters the cheapest by winogradCost of F(2x2),
 * F(4x4), F(5x5) and F(6x6), preferring the smaller tile unless a larger one is LARGER_TILE_MARGIN
 * cheaper (smaller tiles round less, and their transformed filters are smaller); F(4x4) for 4x4 and 5x5
 * filters. Every one is within the 1e-4 accuracy bound.
 */
export function winogradTile(g: ConvGeometry): WinogradTile {
  let tile = chosenTiles.get(g);
  if (tile === undefined) {
    tile = cheapestTile(g);
    chosenTiles.set(g, tile);
  }
  return tile;
}

/** The planner asks several times about one conv2d call's geometry object. */
const chosenTiles = new WeakMap<ConvGeometry, WinogradTile>();

function cheapestTile(g: ConvGeometry): WinogradTile {
  const [first, ...others] = winogradTilesFor(g.filterHeight);
  let best = first;
  let bestCost = winogradCost(g, first);
  for (const m of others) {
    const cost = winogradCost(g, m);
    if (cost < bestCost * (1 - LARGER_TILE_MARGIN)) {
      best = m;
      bestCost = cost;
    }
  }
  return best;
}

/** Why winograd cannot compute this geometry here, or null when it can. */
export function winogradUnavailable(g: ConvGeometry): string | null {
  const stride1 = g.strideHeight === 1 && g.strideWidth === 1;
  if (stride1 && (g.filterHeight !== g.filterWidth || !WINOGRAD_FILTERS.includes(g.filterHeight))) {
    return (
      `the filter is ${g.filterHeight}x${g.filterWidth} and winograd computes 3x3, 4x4 and 5x5 filters ` +
      `(3x3 to 10x10 at stride 2)`
    );
  }
  if (!stride1) {
    if (g.strideHeight !== 2 || g.strideWidth !== 2) {
      return (
        `strides are [${g.strideHeight}, ${g.strideWidth}] and winograd needs stride 1, or 2 ` +
        `(through space-to-depth)`
      );
    }
    const cannot = spaceToDepthUnavailable(g, SPACE_TO_DEPTH_FILTERS);
    if (cannot) return `strides are [2, 2]: winograd would rewrite it by space-to-depth, but ${cannot}`;
  }
  if (g.dilationHeight !== 1 || g.dilationWidth !== 1) {
    return `dilations are [${g.dilationHeight}, ${g.dilationWidth}] and winograd needs dilation 1`;
  }
  if (!wasmEngine()) return 'WebAssembly SIMD is not available in this JavaScript engine';
  const inner = winogradGeometry(g);
  const weightBytes = winogradFilterBytes(inner);
  if (weightBytes > MAX_WEIGHT_BYTES) return `its transformed filter would take ${weightBytes} bytes`;
  const { scratchBytes } = winogradLayout(inner, winogradTile(inner));
  if (scratchBytes > WINOGRAD_MAX_SCRATCH_BYTES) return `one block of tiles would need ${scratchBytes} bytes`;
  return null;
}

/** Bytes of the transformed filter of stride-1 g in F(m x m) tiles (by default the planner's). */
export function winogradFilterBytes(g: ConvGeometry, m: WinogradTile = winogradTile(g)): number {
  const { alpha } = winogradMatrices(m, g.filterHeight);
  return alpha * alpha * winogradSliceFloats(g.filterInChannels, g.outChannels, g.groups) * 4;
}

/**
 * Channels (per group) below which 'auto' keeps igemm: with fewer, the transforms cost more than the
 * multiplications they save (measured on the 2-core Xeon: 8 in/8 out channels and up is faster).
 */
const AUTO_MIN_CHANNELS = 8;

/**
 * Through space-to-depth, 'auto' takes winograd only when its modelled cost is at most this share of
 * igemm's multiply-adds on the original geometry. Fitted on 14 stride-2 layers (3x3 to 8x8, 2-256
 * channels; 2-core Xeon, one thread): every layer below 0.8 ran 1.1-2.1x faster with winograd; above
 * it, the 3x3 layers and a 4x4 one with a 75 MB transformed filter ran as fast or slower, and one
 * 2-channel 5x5 layer (0.81) 1.6x faster.
 */
const SPACE_TO_DEPTH_MAX_COST_SHARE = 0.8;

/** Why 'auto' should compute g with winograd, or null when igemm is expected to be as fast. */
export function winogradPreferred(g: ConvGeometry): string | null {
  // Channels first (cheap; tiny problems come here on every call): space-to-depth stacks 4 phases.
  const stacked = g.strideHeight === 1 && g.strideWidth === 1 ? 1 : 4;
  if (stacked * g.filterInChannels < AUTO_MIN_CHANNELS || g.outChannels / g.groups < AUTO_MIN_CHANNELS) {
    return null;
  }
  if (winogradUnavailable(g)) return null;
  const inner = winogradGeometry(g);
  const m = winogradTile(inner);
  const r = inner.filterHeight;
  const { alpha } = winogradMatrices(m, r);
  // Multiplications per output and input channel: direct kh * kw; winograd alpha^2 / m^2 per phase.
  const phases = inner === g ? 1 : 4;
  const saving = ((g.filterHeight * g.filterWidth * m * m) / (phases * alpha * alpha)).toFixed(2);
  const method = `Winograd F(${m}x${m},${r}x${r}) does ${saving}x fewer multiplications than the direct sum`;
  if (inner === g)
    return `${g.flops} FLOPs, ${r}x${r} filter, stride 1: ${method} (GEMMs on WebAssembly SIMD)`;
  const igemmMacs = g.batch * g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.inChannels;
  const share = winogradCost(inner, m) / (igemmMacs * Math.ceil(g.outChannels / 8) * 8);
  if (share > SPACE_TO_DEPTH_MAX_COST_SHARE) return null;
  return (
    `${g.flops} FLOPs, ${g.filterHeight}x${g.filterWidth} filter, stride 2: space-to-depth makes it a ` +
    `${r}x${r} stride-1 filter over ${inner.inChannels} channels, and ${method}`
  );
}

/** The microkernel name for plans, e.g. f32-winograd-4x4-3x3-wasmsimd. */
export function winogradKernelName(g: ConvGeometry): string | undefined {
  const engine = wasmEngine();
  if (!engine) return undefined;
  const inner = winogradGeometry(g);
  const m = winogradTile(inner);
  const r = inner.filterHeight;
  return `f32-winograd-${m}x${m}-${r}x${r}-${ISA_NAME[engine.variant]}`;
}
