/**
 * f32-dwconv: depthwise convolution (channel multiplier 1) of a band of output rows, NHWC, 4 channels
 * per v128 (XNNPACK's dwconv "up" scheme: a channel tile goes through every tap of its output pixel
 * before the next tile, so the pixel's channels are read contiguously).
 *
 * Memory (byte addresses; the host lays it out, see src/algorithms/depthwise_wasm.ts):
 *   x  the band's input, already padded: output pixel (oy, ox) reads its window from
 *      x + oy * xStep + ox * sw * px + ky * tapRow + kx * dw * px, px = c * 4 bytes a pixel. No window
 *      leaves the buffer, so there are no bounds checks; padding is a stored zero that is multiplied,
 *      as in TensorFlow (0 * Infinity gives NaN).
 *   w  the filter in tiles of 4 channels: tile t holds kh * kw vectors, tap-major (ky, kx), channels
 *      4t .. 4t + 3, zero past c.
 *   y  rows * ow pixels of c floats, contiguous.
 * A channel count that is not a multiple of 4 ends in a partial tile, computed with full vectors: its
 * loads read a little of the next pixel (lanes that are computed and never kept) and its stores spill
 * into the next pixel's first channels. Tiles go from the last to the first, so the spill is always
 * overwritten later by the next pixel's own first tile. The host leaves 16 spare bytes after x and y.
 *
 * 3x3 filters with dilation 1 along the width and stride 1 or 2 take two output pixels per step,
 * sharing the window columns they have in common. V8 issues a straight-line block's loads before its
 * arithmetic, which would need more than the 15 xmm registers it allocates on x86-64, so the pair
 * stores its partial sums after each filter row: a store orders the loads after it, and the sums are
 * overwritten by the final stores (measured: 20-30% faster than without the stores).
 * Sums start from +0, so that a sum of -0 products is +0 as in a loop that starts from zero.
 *
 * One source builds plain SIMD (multiply, then add) and relaxed SIMD (fused multiply-add) modules.
 */
import { madd } from './simd';

/**
 * One channel tile of two stride-1 pixels whose windows start at p and p + px (filter rows at p,
 * p + tapRow, p + 2 * tapRow), taps at wt, sums stored at q and q + px.
 */
function pair3x3s1(p: usize, px: usize, tapRow: usize, wt: usize, q: usize): void {
  const zero = f32x4.splat(0);
  let x0 = v128.load(p);
  let x1 = v128.load(p + px);
  let k = v128.load(wt);
  let a = madd(x0, k, zero);
  let b = madd(x1, k, zero);
  k = v128.load(wt, 16);
  x0 = v128.load(p + 2 * px);
  a = madd(x1, k, a);
  b = madd(x0, k, b);
  k = v128.load(wt, 32);
  x1 = v128.load(p + 3 * px);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  v128.store(q, a);
  v128.store(q + px, b);
  p += tapRow;
  x0 = v128.load(p);
  x1 = v128.load(p + px);
  k = v128.load(wt, 48);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  k = v128.load(wt, 64);
  x0 = v128.load(p + 2 * px);
  a = madd(x1, k, a);
  b = madd(x0, k, b);
  k = v128.load(wt, 80);
  x1 = v128.load(p + 3 * px);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  v128.store(q, a);
  v128.store(q + px, b);
  p += tapRow;
  x0 = v128.load(p);
  x1 = v128.load(p + px);
  k = v128.load(wt, 96);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  k = v128.load(wt, 112);
  x0 = v128.load(p + 2 * px);
  a = madd(x1, k, a);
  b = madd(x0, k, b);
  k = v128.load(wt, 128);
  x1 = v128.load(p + 3 * px);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  v128.store(q, a);
  v128.store(q + px, b);
}

/** One channel tile of two stride-2 pixels (windows at p and p + 2 * px: they share column 2). */
function pair3x3s2(p: usize, px: usize, tapRow: usize, wt: usize, q: usize): void {
  const zero = f32x4.splat(0);
  let k0 = v128.load(wt);
  let k1 = v128.load(wt, 16);
  let k2 = v128.load(wt, 32);
  let a = madd(v128.load(p), k0, zero);
  a = madd(v128.load(p + px), k1, a);
  let x2 = v128.load(p + 2 * px);
  a = madd(x2, k2, a);
  let b = madd(x2, k0, zero);
  b = madd(v128.load(p + 3 * px), k1, b);
  b = madd(v128.load(p + 4 * px), k2, b);
  v128.store(q, a);
  v128.store(q + px, b);
  p += tapRow;
  k0 = v128.load(wt, 48);
  k1 = v128.load(wt, 64);
  k2 = v128.load(wt, 80);
  a = madd(v128.load(p), k0, a);
  a = madd(v128.load(p + px), k1, a);
  x2 = v128.load(p + 2 * px);
  a = madd(x2, k2, a);
  b = madd(x2, k0, b);
  b = madd(v128.load(p + 3 * px), k1, b);
  b = madd(v128.load(p + 4 * px), k2, b);
  v128.store(q, a);
  v128.store(q + px, b);
  p += tapRow;
  k0 = v128.load(wt, 96);
  k1 = v128.load(wt, 112);
  k2 = v128.load(wt, 128);
  a = madd(v128.load(p), k0, a);
  a = madd(v128.load(p + px), k1, a);
  x2 = v128.load(p + 2 * px);
  a = madd(x2, k2, a);
  b = madd(x2, k0, b);
  b = madd(v128.load(p + 3 * px), k1, b);
  b = madd(v128.load(p + 4 * px), k2, b);
  v128.store(q, a);
  v128.store(q + px, b);
}

/** One channel tile of one pixel, 3x3 with dilation 1 along the width (the odd pixel at a row's end). */
function one3x3(p: usize, px: usize, tapRow: usize, wt: usize, q: usize): void {
  let a = madd(v128.load(p), v128.load(wt), f32x4.splat(0));
  a = madd(v128.load(p + px), v128.load(wt, 16), a);
  a = madd(v128.load(p + 2 * px), v128.load(wt, 32), a);
  v128.store(q, a);
  p += tapRow;
  a = madd(v128.load(p), v128.load(wt, 48), a);
  a = madd(v128.load(p + px), v128.load(wt, 64), a);
  a = madd(v128.load(p + 2 * px), v128.load(wt, 80), a);
  v128.store(q, a);
  p += tapRow;
  a = madd(v128.load(p), v128.load(wt, 96), a);
  a = madd(v128.load(p + px), v128.load(wt, 112), a);
  a = madd(v128.load(p + 2 * px), v128.load(wt, 128), a);
  v128.store(q, a);
}

/** Bytes of one 3x3 weight tile (9 vectors). */
const TILE3X3: usize = 144;

/**
 * Byte offset of the last channel tile within a pixel. Tiles run from the last down to the first, so
 * that a partial last tile's spill into the next pixel is overwritten by that pixel's own tiles.
 */
export function lastTile(c: i32): isize {
  return ((<isize>c + 3) >> 2) * 16 - 16;
}

/**
 * 3x3, width stride 1 or 2 (sw), width dilation 1. One function for both strides, so that each tile
 * routine has a single call site and Binaryen inlines it.
 */
function rows3x3(
  rows: i32,
  ow: i32,
  c: i32,
  sw: i32,
  x: usize,
  xStep: usize,
  tapRow: usize,
  w: usize,
  y: usize,
): void {
  const px = (<usize>c) << 2;
  const last = lastTile(c);
  const wLast = w + ((<usize>last) >> 4) * TILE3X3;
  const pairStep = <usize>(2 * sw) * px;
  for (let oy = 0; oy < rows; oy++) {
    let p = x + <usize>oy * xStep;
    let q = y + <usize>oy * <usize>ow * px;
    let ox = 0;
    for (; ox + 2 <= ow; ox += 2) {
      if (sw == 1) {
        for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) {
          pair3x3s1(p + o, px, tapRow, wt, q + o);
        }
      } else {
        for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) {
          pair3x3s2(p + o, px, tapRow, wt, q + o);
        }
      }
      p += pairStep;
      q += 2 * px;
    }
    if (ox < ow) {
      for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) one3x3(p + o, px, tapRow, wt, q + o);
    }
  }
}

/**
 * One channel tile of two pixels (windows at p and p + step), any filter: taps in loops, each weight
 * vector loaded once for both pixels.
 */
function pairGeneric(
  p: usize,
  step: usize,
  kh: i32,
  kw: i32,
  col: usize,
  tapRow: usize,
  wt: usize,
  q: usize,
  px: usize,
): void {
  let a = f32x4.splat(0);
  let b = a;
  for (let ky = 0; ky < kh; ky++) {
    let r = p + <usize>ky * tapRow;
    for (let kx = 0; kx < kw; kx++) {
      const k = v128.load(wt);
      a = madd(v128.load(r), k, a);
      b = madd(v128.load(r + step), k, b);
      r += col;
      wt += 16;
    }
  }
  v128.store(q, a);
  v128.store(q + px, b);
}

function oneGeneric(p: usize, kh: i32, kw: i32, col: usize, tapRow: usize, wt: usize, q: usize): void {
  let a = f32x4.splat(0);
  for (let ky = 0; ky < kh; ky++) {
    let r = p + <usize>ky * tapRow;
    for (let kx = 0; kx < kw; kx++) {
      a = madd(v128.load(r), v128.load(wt), a);
      r += col;
      wt += 16;
    }
  }
  v128.store(q, a);
}

/** Any filter size, width stride and width dilation. */
function rowsGeneric(
  rows: i32,
  ow: i32,
  c: i32,
  kh: i32,
  kw: i32,
  sw: i32,
  dw: i32,
  x: usize,
  xStep: usize,
  tapRow: usize,
  w: usize,
  y: usize,
): void {
  const px = (<usize>c) << 2;
  const tileBytes = (<usize>(kh * kw)) << 4;
  const last = lastTile(c);
  const wLast = w + ((<usize>last) >> 4) * tileBytes;
  const step = <usize>sw * px;
  const col = <usize>dw * px;
  for (let oy = 0; oy < rows; oy++) {
    let p = x + <usize>oy * xStep;
    let q = y + <usize>oy * <usize>ow * px;
    let ox = 0;
    for (; ox + 2 <= ow; ox += 2) {
      for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= tileBytes) {
        pairGeneric(p + o, step, kh, kw, col, tapRow, wt, q + o, px);
      }
      p += 2 * step;
      q += 2 * px;
    }
    if (ox < ow) {
      for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= tileBytes) {
        oneGeneric(p + o, kh, kw, col, tapRow, wt, q + o);
      }
    }
  }
}

/**
 * `rows` output rows of `ow` pixels and `c` channels (multiplier 1) into y, from the padded input at x
 * (see the top of this file). kh x kw filter, width stride sw and dilation dw (in pixels); xStep: bytes
 * from one output row's window to the next (height stride x input row bytes); tapRow: bytes from one
 * filter row to the next (height dilation x input row bytes).
 */
export function f32_dwconv(
  rows: i32,
  ow: i32,
  c: i32,
  kh: i32,
  kw: i32,
  sw: i32,
  dw: i32,
  x: usize,
  xStep: usize,
  tapRow: usize,
  w: usize,
  y: usize,
): void {
  if (rows <= 0 || ow <= 0 || c <= 0 || kh <= 0 || kw <= 0) return;
  if (kh == 3 && kw == 3 && dw == 1 && (sw == 1 || sw == 2)) rows3x3(rows, ow, c, sw, x, xStep, tapRow, w, y);
  else rowsGeneric(rows, ow, c, kh, kw, sw, dw, x, xStep, tapRow, w, y);
}
