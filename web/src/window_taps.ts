/**
 * Where the filter's taps sit on the padded input for one output. This is the sliding window itself
 * (tap ky of output row oy sits on padded row oy * stride + ky * dilation), read off the explanation's
 * geometry; the views use it to draw the window, never to compute values.
 */
import type { ConvGeometry } from 'convkit';
import type { Rect } from './grid.js';

export interface Tap {
  ky: number;
  kx: number;
  /** Row and column on the padded input. */
  row: number;
  col: number;
}

export function windowTaps(g: ConvGeometry, oy: number, ox: number): Tap[] {
  const taps: Tap[] = [];
  for (let ky = 0; ky < g.filterHeight; ky++)
    for (let kx = 0; kx < g.filterWidth; kx++) {
      taps.push({
        ky,
        kx,
        row: oy * g.strideHeight + ky * g.dilationHeight,
        col: ox * g.strideWidth + kx * g.dilationWidth,
      });
    }
  return taps;
}

/** The block of padded cells the window spans (its effective size, dilation included). */
export function windowRect(g: ConvGeometry, oy: number, ox: number): Rect {
  const r0 = oy * g.strideHeight;
  const c0 = ox * g.strideWidth;
  return { r0, c0, r1: r0 + g.effectiveFilterHeight - 1, c1: c0 + g.effectiveFilterWidth - 1 };
}
