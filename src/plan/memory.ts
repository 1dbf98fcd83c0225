/**
 * The memory a planned conv2d needs, for explanations ("why this algorithm: FLOPs and memory"):
 * scratch (working memory of one call, reused by the next) and the filter's prepared form (packed
 * panels, Winograd transform or spectra: made once per filter and kept between calls). Computed from
 * the same layouts the algorithms use, so the numbers are the ones a call really allocates.
 */
import type { ConvGeometry } from '../geometry.js';
import { igemmLayout } from '../algorithms/igemm.js';
import {
  winogradFilterBytes,
  winogradGeometry,
  winogradLayout,
  winogradTile,
} from '../algorithms/winograd_plan.js';
import { fftTiling } from '../algorithms/fft_tiling.js';
import { NR } from '../kernels/wasm/pack.js';
import { sizeOf } from '../tensor.js';
import type { Conv2dAlgorithm } from './planner.js';

export interface PlanMemory {
  /** Bytes of working memory one call uses besides its input and output. */
  scratchBytes: number;
  /** Bytes of the filter's prepared form, made on the first call and kept for the next ones. */
  preparedFilterBytes: number;
}

/** im2col builds its patch matrix a tile of rows at a time, 1 MiB of floats at most (see im2col.ts). */
const IM2COL_TILE_BYTES = 1 << 20;

export function planMemory(g: ConvGeometry, algorithm: Conv2dAlgorithm): PlanMemory {
  const taps = g.filterHeight * g.filterWidth;
  const outPerGroup = g.outChannels / g.groups;
  switch (algorithm) {
    case 'direct':
      return { scratchBytes: 0, preparedFilterBytes: 0 };
    case 'im2col': {
      const k = taps * g.filterInChannels;
      const rows = g.batch * g.outHeight * g.outWidth;
      const patches = Math.min(rows * k * 4, Math.max(IM2COL_TILE_BYTES, k * 4));
      return { scratchBytes: patches, preparedFilterBytes: g.filterInChannels * taps * g.outChannels * 4 };
    }
    case 'igemm': {
      const panels = g.groups * Math.ceil(outPerGroup / NR);
      return {
        scratchBytes: igemmLayout(g).scratchBytes,
        preparedFilterBytes: panels * taps * g.filterInChannels * NR * 4,
      };
    }
    case 'winograd': {
      // Through space-to-depth (stride 2), the rearranged filter is kept with the transformed one (the
      // phases are written straight into the scratch's input band).
      const inner = winogradGeometry(g);
      const rearranged = inner === g ? 0 : sizeOf(inner.filterShape) * 4;
      return {
        scratchBytes: winogradLayout(inner, winogradTile(inner)).scratchBytes,
        preparedFilterBytes: winogradFilterBytes(inner) + rearranged,
      };
    }
    case 'fft': {
      const tiling = fftTiling(g);
      if (typeof tiling === 'string') return { scratchBytes: 0, preparedFilterBytes: 0 };
      return { scratchBytes: tiling.scratchBytes, preparedFilterBytes: tiling.spectraBytes };
    }
  }
}

/** 1536 -> '1.5 KiB', 2500000 -> '2.4 MiB'. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
