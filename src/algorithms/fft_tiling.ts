/**
 * How the FFT convolution cuts a geometry into tiles, what that costs, and when it applies at all.
 *
 * Overlap-save: a tile is tileHeight x tileWidth input pixels (an FFT length each way), and its circular
 * correlation with the filter is exact at the (tileHeight - kh + 1) x (tileWidth - kw + 1) positions
 * whose window does not wrap around the tile (kh, kw: the effective, dilated filter size). Tiles step
 * by that many outputs, so they overlap by kh - 1 rows and kw - 1 columns of input. The tile size is
 * chosen per geometry by a cost model of the kernels (constants measured on x86-64, Node 20): larger
 * tiles waste less overlap, smaller ones keep the spectra small; one tile for a whole image is common.
 */
import type { ConvGeometry } from '../geometry.js';
import { fftLengthsBetween, fftRadices, nextFftLength } from '../kernels/fft_plan.js';
import { align64 } from '../kernels/wasm/heap.js';

/** Largest tile edge considered (beyond it, more tiles beat a longer transform). */
const MAX_TILE = 256;
/**
 * Largest filter spectra (they stand in for the filter in the weights cache and in wasm memory). The
 * per-bin products pass over all of them once per batch of tiles, so larger spectra turn that stage
 * into a stream from memory; the cost model below has no term for that, so the planner stops here.
 */
export const FFT_MAX_SPECTRA_BYTES = 16 << 20;
/** Spectra of the tiles that share one pass over the filter spectra (see FftTiling.slots). */
const SLOT_BUDGET_BYTES = 4 << 20;
/** Complex vectors per column of the column transforms' working set (keeps it in L1). */
const COLUMN_BLOCK_VECTORS = 16;

/**
 * Cost model, in nanoseconds: plain-SIMD kernels on x86-64 (Xeon, Node 20), fitted to
 * `node --import tsx wasm/probe/fft.ts --calibrate` over tile sizes 16 to 144. Relaxed SIMD is faster
 * still, so the model errs on the slow side there.
 */
const NS_PER_FFT_VECTOR_PASS = 1.9; // one complex vector through one radix-4-equivalent pass
const NS_PER_CGEMM_VECTOR = 1.4; // one complex multiply-add of 4 channels in the per-bin products
const NS_PER_SPECTRA_BYTE = 0.03; // one pass of the per-bin products over the filter spectra
const NS_PER_COPIED_FLOAT = 1.0; // input into the tile, output out of it (JavaScript copies)
const NS_PER_TILE = 3000; // kernel calls and bookkeeping

export interface FftTiling {
  tileHeight: number;
  tileWidth: number;
  /** Outputs each tile yields per axis: tile - effective filter + 1. */
  validHeight: number;
  validWidth: number;
  tilesDown: number;
  tilesAcross: number;
  /** Columns of the half spectrum: tileWidth / 2 + 1. */
  binsWide: number;
  /** Input and output channels in pairs of blocks of 4 (one complex vector carries 8 real channels). */
  inPairs: number;
  outPairs: number;
  /** Tiles transformed before one pass of the per-bin products over the filter spectra. */
  slots: number;
  /** Columns per call of the column transforms, forward (input spectra) and inverse (output). */
  forwardColumnGroup: number;
  inverseColumnGroup: number;
  spectraBytes: number;
  /** Wasm scratch of one call (tile input, slots, temporaries, tile output). */
  scratchBytes: number;
  /** Modelled time of the whole convolution, in nanoseconds. */
  costNs: number;
}

const passWorkOf = new Map<number, number>();

/** The work of an FFT of length n, in radix-4-equivalent passes (a radix-5 pass costs more than a radix-4 one). */
function passWork(n: number): number {
  let work = passWorkOf.get(n);
  if (work === undefined) {
    work = 0;
    for (const r of fftRadices(n)) work += r === 4 ? 1 : r === 2 ? 0.6 : r === 3 ? 0.9 : 1.3;
    passWorkOf.set(n, work);
  }
  return work;
}

/** What the cost model reads of a geometry (a small plain object: the search reads it thousands of times). */
interface ModelInput {
  batch: number;
  inChannels: number;
  outChannels: number;
  effectiveFilterHeight: number;
  effectiveFilterWidth: number;
}

function modelInput(g: ConvGeometry): ModelInput {
  const { batch, inChannels, outChannels, effectiveFilterHeight, effectiveFilterWidth } = g;
  return { batch, inChannels, outChannels, effectiveFilterHeight, effectiveFilterWidth };
}

/**
 * The modelled time (ns) of g with tiles of tileHeight x tileWidth, or Infinity when the filter spectra
 * would pass FFT_MAX_SPECTRA_BYTES. Plain arithmetic: the tile search calls it thousands of times.
 */
function modelledNs(
  g: ModelInput,
  tileHeight: number,
  tileWidth: number,
  outHeight: number,
  outWidth: number,
): number {
  const validHeight = tileHeight - g.effectiveFilterHeight + 1;
  const validWidth = tileWidth - g.effectiveFilterWidth + 1;
  const tiles = g.batch * Math.ceil(outHeight / validHeight) * Math.ceil(outWidth / validWidth);
  const bins = tileHeight * ((tileWidth >> 1) + 1);
  const inPairs = Math.ceil(g.inChannels / 8);
  const outPairs = Math.ceil(g.outChannels / 8);
  const spectraBytes = bins * g.inChannels * 2 * outPairs * 32;
  if (spectraBytes > FFT_MAX_SPECTRA_BYTES) return Infinity;
  const rowWork = passWork(tileWidth);
  const fftVectors =
    tileHeight * tileWidth * inPairs * rowWork +
    bins * 2 * (inPairs + outPairs) * passWork(tileHeight) +
    validHeight * tileWidth * outPairs * rowWork;
  const perTile =
    NS_PER_FFT_VECTOR_PASS * fftVectors +
    NS_PER_CGEMM_VECTOR * bins * g.inChannels * 2 * outPairs +
    NS_PER_COPIED_FLOAT * 8 * (tileHeight * tileWidth * inPairs + validHeight * validWidth * outPairs) +
    NS_PER_TILE;
  const spectraPasses = Math.ceil(tiles / slotsOf(tiles, bins, inPairs, outPairs));
  return tiles * perTile + spectraPasses * spectraBytes * NS_PER_SPECTRA_BYTE;
}

/** Tiles per pass over the filter spectra: as many as SLOT_BUDGET_BYTES of their spectra allow. */
function slotsOf(tiles: number, bins: number, inPairs: number, outPairs: number): number {
  const slotBytes = bins * 2 * (inPairs + outPairs) * 32;
  return Math.max(1, Math.min(tiles, Math.floor(SLOT_BUDGET_BYTES / slotBytes)));
}

/** The tiling of g with the given tile size; outHeight and outWidth default to g's (at least 1 each). */
function tilingFor(
  g: ConvGeometry,
  tileHeight: number,
  tileWidth: number,
  outHeight = Math.max(1, g.outHeight),
  outWidth = Math.max(1, g.outWidth),
): FftTiling {
  const validHeight = tileHeight - g.effectiveFilterHeight + 1;
  const validWidth = tileWidth - g.effectiveFilterWidth + 1;
  const tilesDown = Math.ceil(outHeight / validHeight);
  const tilesAcross = Math.ceil(outWidth / validWidth);
  const binsWide = (tileWidth >> 1) + 1;
  const bins = tileHeight * binsWide;
  const inPairs = Math.ceil(g.inChannels / 8);
  const outPairs = Math.ceil(g.outChannels / 8);
  const slots = slotsOf(g.batch * tilesDown * tilesAcross, bins, inPairs, outPairs);
  const forwardColumnGroup = Math.max(1, Math.floor(COLUMN_BLOCK_VECTORS / (2 * inPairs)));
  const inverseColumnGroup = Math.max(1, Math.floor(COLUMN_BLOCK_VECTORS / (2 * outPairs)));
  const pairs = Math.max(inPairs, outPairs);
  const temporary = Math.max(
    tileWidth * pairs,
    tileHeight * Math.max(forwardColumnGroup * 2 * inPairs, inverseColumnGroup * 2 * outPairs),
  );
  const scratchBytes =
    align64(tileHeight * tileWidth * inPairs * 32) +
    align64(slots * bins * 2 * (inPairs + outPairs) * 32) +
    2 * align64(temporary * 32) +
    2 * align64(tileWidth * pairs * 32) +
    align64(validHeight * validWidth * outPairs * 32);
  return {
    tileHeight,
    tileWidth,
    validHeight,
    validWidth,
    tilesDown,
    tilesAcross,
    binsWide,
    inPairs,
    outPairs,
    slots,
    forwardColumnGroup,
    inverseColumnGroup,
    spectraBytes: bins * g.inChannels * 2 * outPairs * 32,
    scratchBytes,
    costNs: modelledNs(modelInput(g), tileHeight, tileWidth, outHeight, outWidth),
  };
}

/** FFT lengths worth trying along one axis: from the filter up to one tile for the whole axis. */
function candidateLengths(outSize: number, filter: number): number[] {
  // Capped before the search: FFT lengths are sparse among large numbers (nextFftLength steps by one).
  const whole = nextFftLength(Math.min(outSize + filter - 1, MAX_TILE));
  const from = nextFftLength(filter);
  return fftLengthsBetween(from, Math.max(from, Math.min(whole, MAX_TILE)));
}

const TOO_LARGE = `its filter spectra would pass ${FFT_MAX_SPECTRA_BYTES} bytes at every tile size`;
const chosen = new Map<string, FftTiling | string>();
const CHOSEN_ENTRIES = 256;

/**
 * The cheapest tiling of g under the model, or why the FFT convolution cannot run it: it needs stride 1
 * and one group, and filter spectra within FFT_MAX_SPECTRA_BYTES. Dilations are fine (the filter's
 * spectrum is taken with its taps spread out).
 */
export function fftTiling(g: ConvGeometry): FftTiling | string {
  if (g.strideHeight !== 1 || g.strideWidth !== 1) {
    return `it supports stride 1 only (strides are [${g.strideHeight},${g.strideWidth}])`;
  }
  if (g.groups !== 1) return `it does not support grouped convolution (${g.groups} groups)`;
  // A tile is at least the effective filter, so its spectra are at least this: checked before the
  // search, which would otherwise walk lengths up to a (dilated) filter of any size.
  const smallestBins = g.effectiveFilterHeight * (Math.floor(g.effectiveFilterWidth / 2) + 1);
  if (smallestBins * g.inChannels * 2 * Math.ceil(g.outChannels / 8) * 32 > FFT_MAX_SPECTRA_BYTES) {
    return TOO_LARGE;
  }
  const key =
    `${g.batch},${g.outHeight},${g.outWidth},${g.inChannels},${g.outChannels},` +
    `${g.effectiveFilterHeight},${g.effectiveFilterWidth}`;
  let best = chosen.get(key);
  if (best === undefined) {
    const outHeight = Math.max(1, g.outHeight);
    const outWidth = Math.max(1, g.outWidth);
    const widths = candidateLengths(outWidth, g.effectiveFilterWidth);
    const input = modelInput(g);
    let bestNs = Infinity;
    let bestSize: [number, number] | null = null;
    for (const th of candidateLengths(outHeight, g.effectiveFilterHeight)) {
      for (const tw of widths) {
        const ns = modelledNs(input, th, tw, outHeight, outWidth);
        if (ns < bestNs) {
          bestNs = ns;
          bestSize = [th, tw];
        }
      }
    }
    best = bestSize ? tilingFor(g, bestSize[0], bestSize[1], outHeight, outWidth) : TOO_LARGE;
    if (chosen.size >= CHOSEN_ENTRIES) chosen.delete(chosen.keys().next().value as string);
    chosen.set(key, best);
  }
  return best;
}

/** A tiling with the given tile size (for tests and probes). */
export function fftTilingWith(g: ConvGeometry, tileHeight: number, tileWidth: number): FftTiling {
  return tilingFor(g, tileHeight, tileWidth);
}
