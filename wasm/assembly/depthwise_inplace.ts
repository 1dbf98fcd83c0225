/**
 * f32-dwconv-inplace: depthwise convolution (channel multiplier 1) of one NHWC image that is already in
 * wasm memory, unpadded, into an NHWC output also in wasm memory (the model runtime's arena), with the
 * padding handled here instead of by a padded copy, and the bias + clamp epilogue applied to the sums
 * while they are still in registers.
 *
 * The arithmetic is f32_dwconv's (wasm/assembly/depthwise.ts): 4 channels per v128, each sum starts
 * from +0 and takes the taps in (ky, kx) order, and a padding tap is a multiplied zero (0 * Infinity
 * gives NaN, as in TensorFlow), so the results have the same bits as f32_dwconv on a padded copy.
 * The epilogue gives f32_bias_clamp's values: min(max(sum + bias, lo), hi) (see finish).
 *
 * Padding:
 *   - rows: for each output row a row table holds, per filter row, the address of its input row, or of
 *     `zero` (a row of zeros iw * c floats + 16 bytes long) when the row is padding, so rows above and
 *     below the image take the same loops as any other;
 *   - columns, 3x3 filters with width dilation 1 and at least 4 channels (MobileNet's): a padding
 *     column is a zero vector, loaded as such by the first and last step of a row with at most one
 *     padding column a side at stride 1 or 2 (row3x3Wide, row3x3Padded), else in an edge loop (row3x3);
 *   - columns, other filters: pixels whose window lies inside the image's width (interiorGeneric) take
 *     a tap loop over the row table; the others (edgePixel) gather each tap's address, `zero` for a
 *     padding tap, into a tap table.
 *
 * Memory (byte addresses, laid out by the host, src/algorithms/depthwise_wasm.ts):
 *   x     the image, ih * iw pixels of c floats; y  the output, oh * ow pixels of c floats;
 *   w     the filter in tiles of 4 channels (f32_dwconv's packing); b  c bias floats + 16 spare bytes;
 *   zero  iw * c + 4 zero floats; t  scratch: kh row addresses, kh * kw tap addresses, a 16-byte
 *         aligned spare pixel of c + 4 floats, then 16 bytes: the bounds lo, hi, and 16 more.
 * A channel count that is not a multiple of 4 ends in a partial tile, computed with full vectors, whose
 * stores spill into the next pixel's first channels (overwritten when that pixel's first tile is
 * computed later: tiles go from last to first, and with fewer than 4 channels pixels go left to right).
 * The image's last pixel has no next pixel in the output, so it (the last 3 pixels for 1 channel) is
 * computed into the spare pixel and copied: nothing is written past y's last float.
 * Loads of a partial tile read up to 12 bytes past a pixel (lanes computed and never kept).
 *
 * One source builds plain SIMD (multiply, then add) and relaxed SIMD (fused multiply-add) modules.
 */
import { madd } from './simd';
import { lastTile } from './depthwise';

/**
 * The stored value: min(max(sum + bias, lo), hi). pmax / pmin are one instruction each (max / min
 * order -0 and +0 and canonicalize NaN in several); on these sums they give the same values: a sum
 * starts from +0, so it is never -0 (nor is sum + bias), and a NaN stays NaN. No epilogue is a zero
 * bias and infinite bounds: sum + 0 is the sum, and pmax / pmin pass it through.
 */
function finish(acc: v128, bias: v128, vlo: v128, vhi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(f32x4.add(acc, bias), vlo), vhi);
}

/** Bytes of one 3x3 weight tile (9 vectors). */
const TILE3X3: usize = 144;

/**
 * Input floats per input row of a chunk (at least 8 output pixels): the chunk's 3 input rows (about
 * 24 KiB) stay in L1 across its tile passes (measured: 10% faster than whole rows on 112x112x32).
 */
const CHUNK_FLOATS: i32 = 2048;

/** Input images larger than this (bytes) are read ahead row by row (see row3x3). */
const TOUCH_BYTES: u64 = 1 << 20;

/**
 * Fewest pixels in a chunk of row3x3Padded: rows of up to 21 pixels go whole (each chunk reloads the
 * weights per tile and may redo a triple). Measured on MobileNetV2's stride-1 layers, kernel alone:
 * 14x14 ones 0.052 -> 0.046 ms at 21 against 9, 28x28x192 0.105 -> 0.100; 56x56x144 got slower past 21.
 */
const CHUNK_MIN_PADDED: i32 = 21;

/** The vector at column ix of the row at r (tile offset included), or zero outside [0, iw). */
function column(r: usize, ix: i32, iw: i32, px: usize): v128 {
  return ix >= 0 && ix < iw ? v128.load(r + <usize>ix * px) : f32x4.splat(0);
}

/** One channel tile of a 3x3 pixel whose window starts at column ix: padding columns are zero vectors. */
function edge3x3(
  s0: usize,
  s1: usize,
  s2: usize,
  ix: i32,
  iw: i32,
  px: usize,
  k0: v128,
  k1: v128,
  k2: v128,
  k3: v128,
  k4: v128,
  k5: v128,
  k6: v128,
  k7: v128,
  k8: v128,
  bias: v128,
  lim: usize,
  at: usize,
): void {
  let acc = madd(column(s0, ix, iw, px), k0, f32x4.splat(0));
  acc = madd(column(s0, ix + 1, iw, px), k1, acc);
  acc = madd(column(s0, ix + 2, iw, px), k2, acc);
  acc = madd(column(s1, ix, iw, px), k3, acc);
  acc = madd(column(s1, ix + 1, iw, px), k4, acc);
  acc = madd(column(s1, ix + 2, iw, px), k5, acc);
  acc = madd(column(s2, ix, iw, px), k6, acc);
  acc = madd(column(s2, ix + 1, iw, px), k7, acc);
  acc = madd(column(s2, ix + 2, iw, px), k8, acc);
  v128.store(at, finish(acc, bias, v128.load32_splat(lim), v128.load32_splat(lim, 4)));
}

/**
 * One pixel of one channel tile from the input columns at p0, p1, p2 (its window's start in filter
 * rows 0-2); zl / zr: the window's first / last column is padding (a zero vector, still multiplied).
 * The partial sum is stored after each filter row (see row3x3).
 */
function single3x3(
  p0: usize,
  p1: usize,
  p2: usize,
  qq: usize,
  px: usize,
  k0: v128,
  k1: v128,
  k2: v128,
  k3: v128,
  k4: v128,
  k5: v128,
  k6: v128,
  k7: v128,
  k8: v128,
  bias: v128,
  lim: usize,
  zl: bool,
  zr: bool,
): void {
  let acc = madd(zl ? f32x4.splat(0) : v128.load(p0), k0, f32x4.splat(0));
  acc = madd(v128.load(p0 + px), k1, acc);
  acc = madd(zr ? f32x4.splat(0) : v128.load(p0 + 2 * px), k2, acc);
  v128.store(qq, acc);
  acc = madd(zl ? f32x4.splat(0) : v128.load(p1), k3, acc);
  acc = madd(v128.load(p1 + px), k4, acc);
  acc = madd(zr ? f32x4.splat(0) : v128.load(p1 + 2 * px), k5, acc);
  v128.store(qq, acc);
  acc = madd(zl ? f32x4.splat(0) : v128.load(p2), k6, acc);
  acc = madd(v128.load(p2 + px), k7, acc);
  acc = madd(zr ? f32x4.splat(0) : v128.load(p2 + 2 * px), k8, acc);
  v128.store(qq, finish(acc, bias, v128.load32_splat(lim), v128.load32_splat(lim, 4)));
}

/**
 * STEP_S1 (7) stride-1 pixels of one channel tile: their windows start at the input columns at r0, r1,
 * r2 (filter rows 0-2) and share their columns, so a filter row takes 9 loads for 21 multiply-adds.
 * Seven independent sums, each from +0 in (ky, kx) order (f32_dwconv's bits), keep the multiply-add
 * units busy where three pixels a step left their latency exposed; with 7 sums in registers the
 * weights are loaded per filter row (3 vectors) instead of held (9). zl / zr: the first / last of the
 * 9 columns is padding (a zero vector, still multiplied). b: the tile's bias; the clamp bounds are
 * splats at lim.
 */
function sevenStride1(
  r0: usize,
  r1: usize,
  r2: usize,
  qq: usize,
  px: usize,
  wt: usize,
  b: usize,
  lim: usize,
  zl: bool,
  zr: bool,
): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0);
  let a5 = f32x4.splat(0);
  let a6 = f32x4.splat(0);
  for (let ky = 0; ky < 3; ky++) {
    const p = ky == 0 ? r0 : ky == 1 ? r1 : r2;
    const w = wt + <usize>ky * 48;
    const k0 = v128.load(w);
    const k1 = v128.load(w, 16);
    const k2 = v128.load(w, 32);
    let x = zl ? f32x4.splat(0) : v128.load(p);
    a0 = madd(x, k0, a0);
    x = v128.load(p + px);
    a0 = madd(x, k1, a0);
    a1 = madd(x, k0, a1);
    x = v128.load(p + 2 * px);
    a0 = madd(x, k2, a0);
    a1 = madd(x, k1, a1);
    a2 = madd(x, k0, a2);
    x = v128.load(p + 3 * px);
    a1 = madd(x, k2, a1);
    a2 = madd(x, k1, a2);
    a3 = madd(x, k0, a3);
    x = v128.load(p + 4 * px);
    a2 = madd(x, k2, a2);
    a3 = madd(x, k1, a3);
    a4 = madd(x, k0, a4);
    x = v128.load(p + 5 * px);
    a3 = madd(x, k2, a3);
    a4 = madd(x, k1, a4);
    a5 = madd(x, k0, a5);
    x = v128.load(p + 6 * px);
    a4 = madd(x, k2, a4);
    a5 = madd(x, k1, a5);
    a6 = madd(x, k0, a6);
    x = v128.load(p + 7 * px);
    a5 = madd(x, k2, a5);
    a6 = madd(x, k1, a6);
    x = zr ? f32x4.splat(0) : v128.load(p + 8 * px);
    a6 = madd(x, k2, a6);
  }
  const bias = v128.load(b);
  const lo = v128.load32_splat(lim);
  const hi = v128.load32_splat(lim, 4);
  v128.store(qq, finish(a0, bias, lo, hi));
  v128.store(qq + px, finish(a1, bias, lo, hi));
  v128.store(qq + 2 * px, finish(a2, bias, lo, hi));
  v128.store(qq + 3 * px, finish(a3, bias, lo, hi));
  v128.store(qq + 4 * px, finish(a4, bias, lo, hi));
  v128.store(qq + 5 * px, finish(a5, bias, lo, hi));
  v128.store(qq + 6 * px, finish(a6, bias, lo, hi));
}

/**
 * STEP_S2 (4) stride-2 pixels of one channel tile, as sevenStride1: 9 columns a filter row for 12
 * multiply-adds.
 */
function fourStride2(
  r0: usize,
  r1: usize,
  r2: usize,
  qq: usize,
  px: usize,
  wt: usize,
  b: usize,
  lim: usize,
  zl: bool,
  zr: bool,
): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  for (let ky = 0; ky < 3; ky++) {
    const p = ky == 0 ? r0 : ky == 1 ? r1 : r2;
    const w = wt + <usize>ky * 48;
    const k0 = v128.load(w);
    const k1 = v128.load(w, 16);
    const k2 = v128.load(w, 32);
    let x = zl ? f32x4.splat(0) : v128.load(p);
    a0 = madd(x, k0, a0);
    x = v128.load(p + px);
    a0 = madd(x, k1, a0);
    x = v128.load(p + 2 * px);
    a0 = madd(x, k2, a0);
    a1 = madd(x, k0, a1);
    x = v128.load(p + 3 * px);
    a1 = madd(x, k1, a1);
    x = v128.load(p + 4 * px);
    a1 = madd(x, k2, a1);
    a2 = madd(x, k0, a2);
    x = v128.load(p + 5 * px);
    a2 = madd(x, k1, a2);
    x = v128.load(p + 6 * px);
    a2 = madd(x, k2, a2);
    a3 = madd(x, k0, a3);
    x = v128.load(p + 7 * px);
    a3 = madd(x, k1, a3);
    x = zr ? f32x4.splat(0) : v128.load(p + 8 * px);
    a3 = madd(x, k2, a3);
  }
  const bias = v128.load(b);
  const lo = v128.load32_splat(lim);
  const hi = v128.load32_splat(lim, 4);
  v128.store(qq, finish(a0, bias, lo, hi));
  v128.store(qq + px, finish(a1, bias, lo, hi));
  v128.store(qq + 2 * px, finish(a2, bias, lo, hi));
  v128.store(qq + 3 * px, finish(a3, bias, lo, hi));
}

/**
 * Three stride-1 pixels of one channel tile, from the input columns at p0, p1, p2 (the first pixel's
 * window start in filter rows 0-2) on: their windows share columns, so a filter row takes 5 loads
 * instead of 9, each sum still in (ky, kx) order. zl: the first of the 5 columns is padding (a zero
 * vector, still multiplied), zr: the last one is; constants at each call site, so each inlined copy
 * keeps only its own loads. The partial sums are stored after each filter row (see row3x3).
 */
function triple3x3(
  p0: usize,
  p1: usize,
  p2: usize,
  qq: usize,
  px: usize,
  k0: v128,
  k1: v128,
  k2: v128,
  k3: v128,
  k4: v128,
  k5: v128,
  k6: v128,
  k7: v128,
  k8: v128,
  bias: v128,
  lim: usize,
  zl: bool,
  zr: bool,
): void {
  let x = zl ? f32x4.splat(0) : v128.load(p0);
  let a = madd(x, k0, f32x4.splat(0));
  x = v128.load(p0 + px);
  a = madd(x, k1, a);
  let d = madd(x, k0, f32x4.splat(0));
  x = v128.load(p0 + 2 * px);
  a = madd(x, k2, a);
  d = madd(x, k1, d);
  let e = madd(x, k0, f32x4.splat(0));
  x = v128.load(p0 + 3 * px);
  d = madd(x, k2, d);
  e = madd(x, k1, e);
  x = zr ? f32x4.splat(0) : v128.load(p0 + 4 * px);
  e = madd(x, k2, e);
  v128.store(qq, a);
  v128.store(qq + px, d);
  v128.store(qq + 2 * px, e);
  x = zl ? f32x4.splat(0) : v128.load(p1);
  a = madd(x, k3, a);
  x = v128.load(p1 + px);
  a = madd(x, k4, a);
  d = madd(x, k3, d);
  x = v128.load(p1 + 2 * px);
  a = madd(x, k5, a);
  d = madd(x, k4, d);
  e = madd(x, k3, e);
  x = v128.load(p1 + 3 * px);
  d = madd(x, k5, d);
  e = madd(x, k4, e);
  x = zr ? f32x4.splat(0) : v128.load(p1 + 4 * px);
  e = madd(x, k5, e);
  v128.store(qq, a);
  v128.store(qq + px, d);
  v128.store(qq + 2 * px, e);
  x = zl ? f32x4.splat(0) : v128.load(p2);
  a = madd(x, k6, a);
  x = v128.load(p2 + px);
  a = madd(x, k7, a);
  d = madd(x, k6, d);
  x = v128.load(p2 + 2 * px);
  a = madd(x, k8, a);
  d = madd(x, k7, d);
  e = madd(x, k6, e);
  x = v128.load(p2 + 3 * px);
  d = madd(x, k8, d);
  e = madd(x, k7, e);
  x = zr ? f32x4.splat(0) : v128.load(p2 + 4 * px);
  e = madd(x, k8, e);
  const lo = v128.load32_splat(lim);
  const hi = v128.load32_splat(lim, 4);
  v128.store(qq, finish(a, bias, lo, hi));
  v128.store(qq + px, finish(d, bias, lo, hi));
  v128.store(qq + 2 * px, finish(e, bias, lo, hi));
}

/**
 * Reads input columns [ca, cb) of the window's last row (and of its middle row at stride 2) line by
 * line, so that they stream in from memory in address order (see row3x3); the loads are kept live by
 * an OR into the 16 spare bytes after the clamp bounds at lim.
 */
function touchColumns(r1: usize, r2: usize, ca: i32, cb: i32, px: usize, sw: i32, lim: usize): void {
  const from0 = <usize>ca * px;
  const to0 = <usize>cb * px;
  let t = v128.load(lim, 16);
  for (let a = r2 + from0, z = r2 + to0; a < z; a += 64) t = v128.or(t, v128.load(a));
  if (sw == 2) for (let a = r1 + from0, z = r1 + to0; a < z; a += 64) t = v128.or(t, v128.load(a));
  v128.store(lim, t, 16);
}

/** One channel tile of a row3x3Wide step (inlined where called). */
function wideTile(
  s0: usize,
  s1: usize,
  s2: usize,
  qo: usize,
  sw: i32,
  px: usize,
  wt: usize,
  b: usize,
  lim: usize,
  zl: bool,
  zr: bool,
): void {
  if (sw == 1) inline.always(sevenStride1(s0, s1, s2, qo, px, wt, b, lim, zl, zr));
  else inline.always(fourStride2(s0, s1, s2, qo, px, wt, b, lim, zl, zr));
}

/**
 * Rows in steps of several pixels, all channels a step (row3x3Wide), in the relaxed SIMD build; the
 * plain SIMD build (multiply, then add) keeps a tile at a time over the row with the weights in
 * registers (row3x3Padded): there the steps measured 6% slower (MobileNetV2's layers, kernel alone,
 * Node 20), with fused multiply-add 27% faster (Node 24).
 */
const WIDE_STEPS: bool = ASC_FEATURE_RELAXED_SIMD;

/**
 * Pixels a step of row3x3Wide: 7 at stride 1 (MobileNet's widths 112, 56, 28, 14 and 7 need no
 * moved-back step; 6, 8 and 10 measured slower), 4 at stride 2 (2, 3, 5 and 7 slower).
 */
const STEP_S1: i32 = 7;
const STEP_S2: i32 = 4;

/**
 * One output row of a 3x3 filter at stride 1 or 2 whose padding is at most one column a side (padL:
 * the first pixel's window starts at column -1; padR: the last one's ends at column iw), at least one
 * step long: steps of STEP_S1 / STEP_S2 pixels left to right, the last one moved back to end at the
 * row's end (pixels computed twice get the same bits), and in each step every channel tile, last to
 * first (so a partial tile's spill into the next pixel is overwritten, as in row3x3). Pixel by pixel
 * all channels: each step reads its input lines for all tiles at once, while they are in L1 (tile by
 * tile over a row, the former order, read each line four times from L2: MobileNetV2's depthwise layers
 * 2.2 -> 1.6 ms inside the model). touch (large images) at stride 2: each step's new input columns are
 * first read line by line (see touchColumns; measured slower at stride 1, whose input the producer
 * left in cache).
 */
function row3x3Wide(
  r0: usize,
  r1: usize,
  r2: usize,
  end: i32,
  sw: i32,
  padL: bool,
  padR: bool,
  c: i32,
  iw: i32,
  w: usize,
  q: usize,
  b: usize,
  lim: usize,
  touch: bool,
): void {
  const px = (<usize>c) << 2;
  const step = <usize>sw * px;
  const n = sw == 1 ? STEP_S1 : STEP_S2;
  const last = lastTile(c);
  const wLast = w + ((<usize>last) >> 4) * TILE3X3;
  const left = padL ? 1 : 0;
  for (let ox = 0; ox < end; ox += n) {
    const first = ox + n <= end ? ox : end - n;
    if (touch && sw == 2) {
      const ca = first * sw - left;
      let cb = (first + n) * sw + 2 - left;
      if (cb > iw) cb = iw;
      touchColumns(r1, r2, ca < 0 ? 0 : ca, cb, px, sw, lim);
    }
    // Pixel ox's window starts at column ox * sw - 1 with a left padding column, ox * sw without.
    const col = <usize>first * step - (padL ? px : 0);
    const zl = padL && first == 0;
    const zr = padR && first + n == end;
    const s0 = r0 + col;
    const s1 = r1 + col;
    const s2 = r2 + col;
    const qo = q + <usize>first * px;
    // Channel tiles in ascending order where none spills (channels a multiple of 4): the step's lines
    // are then met in address order (MobileNetV2's ten shapes 1.08-1.11 -> 1.03-1.04 ms, kernel alone;
    // one loop choosing the direction per tile lost it). A partial last tile must go first, its spill
    // into the next pixel overwritten after.
    if ((c & 3) == 0) {
      for (let o: isize = 0, wt = w; o <= last; o += 16, wt += TILE3X3) {
        inline.always(wideTile(s0 + o, s1 + o, s2 + o, qo + o, sw, px, wt, b + o, lim, zl, zr));
      }
    } else {
      for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) {
        inline.always(wideTile(s0 + o, s1 + o, s2 + o, qo + o, sw, px, wt, b + o, lim, zl, zr));
      }
    }
  }
}

/**
 * One output row of a 3x3 filter at stride 1 or 2 whose padding is at most one column on each side
 * (padL: the first pixel's window starts at column -1; padR: the last one's ends at column iw). An
 * edge pixel is computed like the others with its padding column as a zero vector (zl / zr, still
 * multiplied); otherwise edge pixels cost about three interior ones each (a per-tap column test, or
 * a tap table): a third of a 14x14 layer's time, nearly half of a 7x7 one's. At stride 1 every pixel
 * goes three at a time: the first three, the last three, and triples between, the last of which is
 * moved back to end at its range's end when the range is not a multiple of 3 (up to two pixels are
 * computed twice, to the same bits). Chunks of the row as in row3x3, a multiple of 3 pixels each.
 */
function row3x3Padded(
  r0: usize,
  r1: usize,
  r2: usize,
  end: i32,
  sw: i32,
  padL: bool,
  padR: bool,
  c: i32,
  iw: i32,
  w: usize,
  q: usize,
  b: usize,
  lim: usize,
  touch: bool,
): void {
  const px = (<usize>c) << 2;
  const step = <usize>sw * px;
  const last = lastTile(c);
  const wLast = w + ((<usize>last) >> 4) * TILE3X3;
  const shift: usize = padL ? px : 0;
  const edge = sw == 1 ? 3 : 1; // pixels of the first and of the last step
  let chunk = CHUNK_FLOATS / (c * sw);
  if (chunk < CHUNK_MIN_PADDED) chunk = CHUNK_MIN_PADDED;
  chunk = ((chunk + 2) / 3) * 3;
  for (let c0 = 0; c0 < end; c0 += chunk) {
    const c1 = c0 + chunk < end ? c0 + chunk : end;
    const left = padL && c0 == 0;
    const right = padR && c1 == end;
    // The steps between the edges cover [a, z).
    const a = left ? edge : c0;
    const z = padR && c1 > end - edge ? end - edge : c1;
    if (touch) {
      let ca = c0 * sw - (padL ? 1 : 0);
      if (ca < 0) ca = 0;
      let cb = c1 * sw + 2 - (padL ? 1 : 0);
      if (cb > iw) cb = iw;
      if (ca < cb) touchColumns(r1, r2, ca, cb, px, sw, lim);
    }
    for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) {
      const k0 = v128.load(wt);
      const k1 = v128.load(wt, 16);
      const k2 = v128.load(wt, 32);
      const k3 = v128.load(wt, 48);
      const k4 = v128.load(wt, 64);
      const k5 = v128.load(wt, 80);
      const k6 = v128.load(wt, 96);
      const k7 = v128.load(wt, 112);
      const k8 = v128.load(wt, 128);
      const bias = v128.load(b + o);
      // Pixel ox's window starts at column ox * sw - 1 with a left padding column, ox * sw without.
      const s0 = r0 + o - shift;
      const s1 = r1 + o - shift;
      const s2 = r2 + o - shift;
      const qo = q + o;
      if (sw == 1) {
        // The left triple, the triples between (the last one moved back to end at z), the right triple.
        if (left)
          inline.always(
            triple3x3(s0, s1, s2, qo, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, true, false),
          );
        let ox = a;
        for (; ox + 3 <= z; ox += 3) {
          const col = <usize>ox * px;
          const p0 = s0 + col;
          const p1 = s1 + col;
          const p2 = s2 + col;
          inline.always(
            triple3x3(p0, p1, p2, qo + col, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, false, false),
          );
        }
        if (ox < z) {
          const col = <usize>(z - 3) * px;
          const p0 = s0 + col;
          const p1 = s1 + col;
          const p2 = s2 + col;
          inline.always(
            triple3x3(p0, p1, p2, qo + col, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, false, false),
          );
        }
        if (right) {
          const col = <usize>(end - 3) * px;
          const p0 = s0 + col;
          const p1 = s1 + col;
          const p2 = s2 + col;
          inline.always(
            triple3x3(p0, p1, p2, qo + col, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, false, true),
          );
        }
      } else {
        if (left)
          inline.always(
            single3x3(s0, s1, s2, qo, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, true, false),
          );
        for (let ox = a; ox < z; ox++) {
          const col = <usize>ox * step;
          const p0 = s0 + col;
          const p1 = s1 + col;
          const p2 = s2 + col;
          const at = qo + <usize>ox * px;
          inline.always(
            single3x3(p0, p1, p2, at, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, false, false),
          );
        }
        if (right) {
          const col = <usize>z * step;
          const p0 = s0 + col;
          const p1 = s1 + col;
          const p2 = s2 + col;
          const at = qo + <usize>z * px;
          inline.always(
            single3x3(p0, p1, p2, at, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, false, true),
          );
        }
      }
    }
  }
}

/**
 * Pixels [0, end) of one output row, 3x3 filter, width dilation 1, width stride sw; pixels [from, to)
 * are interior (their window inside the image's width). The row goes in chunks; in a chunk, channel
 * tile by channel tile (last to first), the tile's 9 weight vectors and its bias stay in registers
 * while the chunk's pixels go by: each pixel loads its 9 input vectors (an edge pixel's padding
 * columns are zero vectors; a padding row is the zero row) and stores its partial sum after each
 * filter row (V8 issues a block's loads before its arithmetic; the stores keep it from loading all 9
 * inputs at once and spilling the weights). The clamp bounds are loaded as splats at `lim` (lo, hi).
 * touch: read each chunk's new input rows ahead (images past TOUCH_BYTES).
 */
function row3x3(
  r0: usize,
  r1: usize,
  r2: usize,
  end: i32,
  from: i32,
  to: i32,
  c: i32,
  sw: i32,
  iw: i32,
  padLeft: i32,
  w: usize,
  q: usize,
  b: usize,
  lim: usize,
  touch: bool,
): void {
  const px = (<usize>c) << 2;
  const step = <usize>sw * px;
  const last = lastTile(c);
  const wLast = w + ((<usize>last) >> 4) * TILE3X3;
  let chunk = CHUNK_FLOATS / (c * sw);
  if (chunk < 8) chunk = 8;
  for (let c0 = 0; c0 < end; c0 += chunk) {
    const c1 = c0 + chunk < end ? c0 + chunk : end;
    const fastFrom = from > c0 ? (from < c1 ? from : c1) : c0;
    const fastTo = to > fastFrom ? (to < c1 ? to : c1) : fastFrom;
    // On images past the L2 cache (touch), the chunk's new input row(s) (the window's last rows) are
    // first read line by line in
    // address order, so that they stream in from memory instead of arriving one 16-byte tile of each
    // pixel at a time across the tile passes (measured: ~7% on MobileNetV2's 112x112x96 stride 2).
    let ca = c0 * sw - padLeft;
    if (ca < 0) ca = 0;
    let cb = c1 * sw - padLeft + 2;
    if (cb > iw) cb = iw;
    if (touch && ca < cb) touchColumns(r1, r2, ca, cb, px, sw, lim);
    for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) {
      const k0 = v128.load(wt);
      const k1 = v128.load(wt, 16);
      const k2 = v128.load(wt, 32);
      const k3 = v128.load(wt, 48);
      const k4 = v128.load(wt, 64);
      const k5 = v128.load(wt, 80);
      const k6 = v128.load(wt, 96);
      const k7 = v128.load(wt, 112);
      const k8 = v128.load(wt, 128);
      const bias = v128.load(b + o);
      const s0 = r0 + o;
      const s1 = r1 + o;
      const s2 = r2 + o;
      // Interior pixels.
      const col = <usize>(fastFrom * sw - padLeft) * px;
      let p0 = s0 + col;
      let p1 = s1 + col;
      let p2 = s2 + col;
      let qq = q + <usize>fastFrom * px + o;
      let ox = fastFrom;
      // At stride 1, three pixels a step: their windows share columns, so a filter row takes 5 loads
      // instead of 9, each sum still in (ky, kx) order (measured on MobileNetV2's stride-1 layers,
      // kernel alone: 14x14 and 7x7 ones 10-15% faster, 56x56x144 7-10%; two pixels a step gained less
      // on the small images, and dropping the partial-sum stores here was slower, as above).
      if (sw == 1) {
        for (; ox + 3 <= fastTo; ox += 3) {
          inline.always(
            triple3x3(p0, p1, p2, qq, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, false, false),
          );
          p0 += 3 * step;
          p1 += 3 * step;
          p2 += 3 * step;
          qq += 3 * px;
        }
      }
      for (; ox < fastTo; ox++) {
        inline.always(
          single3x3(p0, p1, p2, qq, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, false, false),
        );
        p0 += step;
        p1 += step;
        p2 += step;
        qq += px;
      }
      // Edge pixels (before and after the interior) in one loop: one call site, so edge3x3 is inlined.
      // Computed after the interior: with 4 or more channels only a partial last tile spills, into the
      // next pixel's first tile, which a later pass writes (f32_dwconv_inplace keeps 1-3 channels off
      // this path, where one pass would need the pixels in order).
      const left = fastFrom - c0;
      const edges = left + (c1 - fastTo);
      for (let e = 0; e < edges; e++) {
        const ox = e < left ? c0 + e : fastTo + (e - left);
        const at = q + <usize>ox * px + o;
        edge3x3(s0, s1, s2, ox * sw - padLeft, iw, px, k0, k1, k2, k3, k4, k5, k6, k7, k8, bias, lim, at);
      }
    }
  }
}

/**
 * Interior pixels [from, to) of one output row, any filter: taps in loops over the row table `rt`
 * (kh input row addresses), two pixels at a time sharing each weight vector's load.
 */
function interiorGeneric(
  from: i32,
  to: i32,
  c: i32,
  kh: i32,
  kw: i32,
  sw: i32,
  dw: i32,
  rt: usize,
  col0: usize,
  w: usize,
  q: usize,
  bias: usize,
  vlo: v128,
  vhi: v128,
): void {
  const px = (<usize>c) << 2;
  const tileBytes = (<usize>(kh * kw)) << 4;
  const last = lastTile(c);
  const wLast = w + ((<usize>last) >> 4) * tileBytes;
  const step = <usize>sw * px;
  const col = <usize>dw * px;
  let p = col0;
  let ox = from;
  for (; ox + 2 <= to; ox += 2) {
    for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= tileBytes) {
      let a = f32x4.splat(0);
      let b = a;
      let k = wt;
      for (let ky = 0; ky < kh; ky++) {
        let r = load<usize>(rt + ((<usize>ky) << 2)) + p + o;
        for (let kx = 0; kx < kw; kx++) {
          const kv = v128.load(k);
          a = madd(v128.load(r), kv, a);
          b = madd(v128.load(r + step), kv, b);
          r += col;
          k += 16;
        }
      }
      v128.store(q + o, finish(a, v128.load(bias + o), vlo, vhi));
      v128.store(q + px + o, finish(b, v128.load(bias + o), vlo, vhi));
    }
    p += 2 * step;
    q += 2 * px;
  }
  if (ox < to) {
    for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= tileBytes) {
      let a = f32x4.splat(0);
      let k = wt;
      for (let ky = 0; ky < kh; ky++) {
        let r = load<usize>(rt + ((<usize>ky) << 2)) + p + o;
        for (let kx = 0; kx < kw; kx++) {
          a = madd(v128.load(r), v128.load(k), a);
          r += col;
          k += 16;
        }
      }
      v128.store(q + o, finish(a, v128.load(bias + o), vlo, vhi));
    }
  }
}

/**
 * One output pixel at column ox whose window leaves the image's width (or any pixel, when asked): each
 * tap's address (the input pixel, or `zero` for padding) goes into the tap table tt, then every channel
 * tile runs the taps in (ky, kx) order.
 */
function edgePixel(
  ox: i32,
  c: i32,
  iw: i32,
  kh: i32,
  kw: i32,
  sw: i32,
  dw: i32,
  padLeft: i32,
  rt: usize,
  tt: usize,
  zero: usize,
  w: usize,
  q: usize,
  bias: usize,
  vlo: v128,
  vhi: v128,
): void {
  const px = (<usize>c) << 2;
  const taps = kh * kw;
  let t = tt;
  for (let ky = 0; ky < kh; ky++) {
    const r = load<usize>(rt + ((<usize>ky) << 2));
    for (let kx = 0; kx < kw; kx++, t += 4) {
      const ix = ox * sw - padLeft + kx * dw;
      store<usize>(t, r != zero && ix >= 0 && ix < iw ? r + <usize>ix * px : zero);
    }
  }
  const tileBytes = (<usize>taps) << 4;
  const last = lastTile(c);
  for (let o = last, wt = w + ((<usize>last) >> 4) * tileBytes; o >= 0; o -= 16, wt -= tileBytes) {
    let a = f32x4.splat(0);
    for (let i = 0; i < taps; i++) {
      const at = load<usize>(tt + ((<usize>i) << 2)) + o;
      a = madd(v128.load(at), v128.load(wt + ((<usize>i) << 4)), a);
    }
    v128.store(q + o, finish(a, v128.load(bias + o), vlo, vhi));
  }
}

/**
 * The oh x ow x c output image at y from the ih x iw x c image at x: kh x kw filter at w, strides sh,
 * sw, dilations dh, dw, padTop / padLeft padding rows / columns before the image (those after it
 * follow from the output size). Each stored value is min(max(sum + bias, lo), hi), bias at b (c floats;
 * zeros and infinite bounds for none); lo and hi come as float32 bit patterns (the worker pool passes
 * every argument as an i32). zero and t: see the top of this file. Rows [r0, r1) of an image are the
 * oh = r1 - r0 rows of the output at y + r0 * ow * c floats with padTop - r0 * sh: calls over separate
 * row ranges (each with its own t) may run at the same time, as nothing is written past y's rows.
 */
export function f32_dwconv_inplace(
  oh: i32,
  ow: i32,
  c: i32,
  ih: i32,
  iw: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dw: i32,
  padTop: i32,
  padLeft: i32,
  x: usize,
  w: usize,
  y: usize,
  zero: usize,
  t: usize,
  b: usize,
  loBits: i32,
  hiBits: i32,
): void {
  if (oh <= 0 || ow <= 0 || c <= 0 || kh <= 0 || kw <= 0) return;
  const lo = reinterpret<f32>(loBits);
  const hi = reinterpret<f32>(hiBits);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const px = (<usize>c) << 2;
  const rowBytes = <usize>iw * px;
  const rt = t;
  const tt = rt + ((<usize>kh) << 2);
  const pixel = (tt + ((<usize>(kh * kw)) << 2) + 15) & ~(<usize>15);
  // The sliding-window rows: 3x3, width dilation 1, and no window starting left of column -2 (-1 at
  // stride 2), so that entering columns are never left of the image.
  const fast3x3 = kh == 3 && kw == 3 && dw == 1 && c >= 4;
  const touch = <u64>ih * <u64>rowBytes > TOUCH_BYTES;
  // The clamp bounds as two floats after the spare pixel, for row3x3's splat loads.
  const lim = pixel + px + 16;
  store<f32>(lim, lo);
  store<f32>(lim, hi, 4);
  // Otherwise interior columns (the whole window inside [0, iw)) and edge pixels.
  let from = (padLeft + sw - 1) / sw;
  const span = iw - 1 - (kw - 1) * dw + padLeft;
  let to = span < 0 ? 0 : span / sw + 1;
  if (from > ow) from = ow;
  if (to > ow) to = ow;
  if (to < from) to = from;
  // Pixels at the image's end whose last tile's store would pass y's end (a tile spans 4 pixels of 1
  // channel; of 2 or 3 channels, it spills only into the next pixel).
  const tail = (c & 3) == 0 ? 0 : c == 1 ? 3 : 1;
  // Padding columns past the last pixel's window start + 2; rows with at most one on each side take
  // row3x3Wide (relaxed SIMD, at least one step long) or row3x3Padded (stride 1 rows of 6 pixels or
  // more: a first and a last triple; stride 2 of 2 or more).
  const padRight = (ow - 1) * sw - padLeft + 3 - iw;
  const fastPadded =
    fast3x3 && padLeft <= 1 && padRight <= 1 && ((sw == 1 && ow >= 6) || (sw == 2 && ow >= 2));
  const fastWide = WIDE_STEPS && fastPadded && ((sw == 1 && ow >= STEP_S1) || (sw == 2 && ow >= STEP_S2));
  for (let oy = 0; oy < oh; oy++) {
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - padTop + ky * dh;
      store<usize>(rt + ((<usize>ky) << 2), iy >= 0 && iy < ih ? x + <usize>iy * rowBytes : zero);
    }
    const q = y + <usize>oy * <usize>ow * px;
    // The image's last pixels whose partial tile would spill past y go through the scratch pixel.
    let tailHere = tail - (oh - 1 - oy) * ow;
    if (tailHere < 0) tailHere = 0;
    if (tailHere > ow) tailHere = ow;
    const end = ow - tailHere;
    const padded = fastPadded && end == ow;
    const wide = fastWide && end == ow;
    if (fast3x3) {
      const r0 = load<usize>(rt);
      const r1 = load<usize>(rt, 4);
      const r2 = load<usize>(rt, 8);
      if (wide) {
        row3x3Wide(r0, r1, r2, end, sw, padLeft == 1, padRight == 1, c, iw, w, q, b, lim, touch);
      } else if (padded) {
        row3x3Padded(r0, r1, r2, end, sw, padLeft == 1, padRight == 1, c, iw, w, q, b, lim, touch);
      } else {
        row3x3(r0, r1, r2, end, from, to, c, sw, iw, padLeft, w, q, b, lim, touch);
      }
    } else {
      const mid = to < end ? to : end;
      const start = from < end ? from : end;
      for (let ox = 0; ox < start; ox++) {
        edgePixel(ox, c, iw, kh, kw, sw, dw, padLeft, rt, tt, zero, w, q + <usize>ox * px, b, vlo, vhi);
      }
      if (start < mid) {
        const col0 = <usize>(start * sw - padLeft) * px;
        const qs = q + <usize>start * px;
        interiorGeneric(start, mid, c, kh, kw, sw, dw, rt, col0, w, qs, b, vlo, vhi);
      }
      for (let ox = mid > start ? mid : start; ox < end; ox++) {
        edgePixel(ox, c, iw, kh, kw, sw, dw, padLeft, rt, tt, zero, w, q + <usize>ox * px, b, vlo, vhi);
      }
    }
    for (let ox = end; ox < ow; ox++) {
      edgePixel(ox, c, iw, kh, kw, sw, dw, padLeft, rt, tt, zero, w, pixel, b, vlo, vhi);
      memory.copy(q + <usize>ox * px, pixel, px);
    }
  }
}
