/**
 * f32-igemm-4x8: indirect GEMM, the core of every convolution in the fast engine.
 *
 * C[m, n] = A[m, K] x W[K, n]. Row r of A is not stored as one row: it is `ks` segments of `kc`
 * contiguous floats, found through an indirection table (for a convolution: one segment per filter
 * row, or per filter tap, of the input window under output pixel r). The table is tile-major: for the
 * tile of rows 4t..4t+3 it holds, for each segment s, one entry per row, so
 * ind[(t * ks + s) * 4 + i] locates segment s of row 4t + i. Entries are byte offsets and `aOffset` is
 * added to each: the host stores offsets from the start of its input buffer, so one table serves every
 * image and band, and a grouped convolution moves to a group's channels by adding them to aOffset.
 * Rows past m repeat a valid entry.
 *
 * W is packed in panels of 8 columns: panel p is K x 8 floats, contiguous, zero past n.
 *
 * The microkernel holds a 4 x 8 tile of C in eight v128 accumulators; each step over K broadcasts one
 * float of each of the 4 rows (load32_splat) and multiplies it with the panel's two vectors. One step
 * per loop iteration is deliberate: TurboFan unrolls the loop twice by itself, and a k loop unrolled
 * here (2x, 3x, 4x, constant load offsets) measured slower, plain and relaxed: Binaryen merges the
 * steps so that all their weight vectors are live at once, and V8 (15 xmm registers on x86-64) spills.
 * With fused multiply-add, rows in segments of at most 128 floats, and GEMMs of 128 rows or more, go
 * two at a time over three panels (tile2x24, see wideGemm); rows in segments of at least 64 floats
 * otherwise end in 5-row tiles (tile5x8: the
 * last 5t rows, m - 5t a multiple of 4, so that the 4-row tiles before them need no tail; see
 * fiveRowTiles). On Sapphire Rapids, whose 128-bit peak is 56 GFLOP/s (a loop of independent fused
 * multiply-adds), 4-row tiles run at 46-48 and 5-row ones at 50-54: eight accumulators only just
 * cover the instruction's latency, ten leave slack. With multiply, then add, 5-row tiles spill and run
 * at 33 against 40. Also measured and not faster: one long segment of contiguous rows (explicit
 * im2col), and one call per row tile over all its panels
 * (the extra live integers make V8 spill the loop counter in the relaxed build).
 *
 * One source builds two modules: plain SIMD (multiply, then add) and relaxed SIMD (fused
 * multiply-add where the hardware has it); ASC_FEATURE_RELAXED_SIMD is a compile-time constant.
 */
import { madd } from './simd';

/** Stores the first `cols` (1..7) lanes of lo:hi at ptr. */
function storePartial(ptr: usize, lo: v128, hi: v128, cols: i32): void {
  if (cols >= 4) {
    v128.store(ptr, lo);
    ptr += 16;
    cols -= 4;
    lo = hi;
  }
  if (cols >= 2) {
    v128.store64_lane(ptr, lo, 0);
    ptr += 8;
    cols -= 2;
    lo = v128.shuffle<f32>(lo, lo, 2, 3, 2, 3);
  }
  if (cols == 1) v128.store32_lane(ptr, lo, 0);
}

/**
 * One 4 x 8 tile: p is the tile's block of the indirection table, w its panel, c its origin; only the
 * first `rows` rows are stored.
 */
function tile4x8(
  rows: i32,
  cols: i32,
  ks: i32,
  kc: i32,
  p: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: usize,
): void {
  let c0l = f32x4.splat(0);
  let c0h = c0l;
  let c1l = c0l;
  let c1h = c0l;
  let c2l = c0l;
  let c2h = c0l;
  let c3l = c0l;
  let c3h = c0l;
  const pEnd = p + ((<usize>ks) << 4);
  do {
    let a0 = <usize>load<u32>(p) + aOffset;
    let a1 = <usize>load<u32>(p, 4) + aOffset;
    let a2 = <usize>load<u32>(p, 8) + aOffset;
    let a3 = <usize>load<u32>(p, 12) + aOffset;
    p += 16;
    let k = kc;
    do {
      const wl = v128.load(w);
      const wh = v128.load(w, 16);
      let x = v128.load32_splat(a0);
      c0l = madd(x, wl, c0l);
      c0h = madd(x, wh, c0h);
      x = v128.load32_splat(a1);
      c1l = madd(x, wl, c1l);
      c1h = madd(x, wh, c1h);
      x = v128.load32_splat(a2);
      c2l = madd(x, wl, c2l);
      c2h = madd(x, wh, c2h);
      x = v128.load32_splat(a3);
      c3l = madd(x, wl, c3l);
      c3h = madd(x, wh, c3h);
      a0 += 4;
      a1 += 4;
      a2 += 4;
      a3 += 4;
      w += 32;
    } while (--k);
  } while (p < pEnd);
  store8(c, c0l, c0h, cols);
  if (rows > 1) store8(c + ldc, c1l, c1h, cols);
  if (rows > 2) store8(c + 2 * ldc, c2l, c2h, cols);
  if (rows > 3) store8(c + 3 * ldc, c3l, c3h, cols);
}

/**
 * One 5 x 8 tile (see panelTiles): p0..p4 are its rows' entries in the indirection table (16 bytes
 * apart from one segment to the next, whichever 4-row block each row lies in). The same steps as
 * tile4x8 row by row, so each row gets the same bits; ten accumulators give the fused multiply-adds
 * slack beyond their latency, where tile4x8's eight only just cover it (measured on Sapphire Rapids, a
 * loop of 4-row steps ran at 47, of 5-row steps at 56 GFLOP/s, the core's 128-bit peak).
 */
function tile5x8(
  cols: i32,
  ks: i32,
  kc: i32,
  p0: usize,
  p1: usize,
  p2: usize,
  p3: usize,
  p4: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: usize,
): void {
  let c0l = f32x4.splat(0);
  let c0h = c0l;
  let c1l = c0l;
  let c1h = c0l;
  let c2l = c0l;
  let c2h = c0l;
  let c3l = c0l;
  let c3h = c0l;
  let c4l = c0l;
  let c4h = c0l;
  for (let s = 0; s < ks; s++) {
    let a0 = <usize>load<u32>(p0) + aOffset;
    let a1 = <usize>load<u32>(p1) + aOffset;
    let a2 = <usize>load<u32>(p2) + aOffset;
    let a3 = <usize>load<u32>(p3) + aOffset;
    let a4 = <usize>load<u32>(p4) + aOffset;
    p0 += 16;
    p1 += 16;
    p2 += 16;
    p3 += 16;
    p4 += 16;
    let k = kc;
    do {
      const wl = v128.load(w);
      const wh = v128.load(w, 16);
      let x = v128.load32_splat(a0);
      c0l = madd(x, wl, c0l);
      c0h = madd(x, wh, c0h);
      x = v128.load32_splat(a1);
      c1l = madd(x, wl, c1l);
      c1h = madd(x, wh, c1h);
      x = v128.load32_splat(a2);
      c2l = madd(x, wl, c2l);
      c2h = madd(x, wh, c2h);
      x = v128.load32_splat(a3);
      c3l = madd(x, wl, c3l);
      c3h = madd(x, wh, c3h);
      x = v128.load32_splat(a4);
      c4l = madd(x, wl, c4l);
      c4h = madd(x, wh, c4h);
      a0 += 4;
      a1 += 4;
      a2 += 4;
      a3 += 4;
      a4 += 4;
      w += 32;
    } while (--k);
  }
  store8(c, c0l, c0h, cols);
  store8(c + ldc, c1l, c1h, cols);
  store8(c + 2 * ldc, c2l, c2h, cols);
  store8(c + 3 * ldc, c3l, c3h, cols);
  store8(c + 4 * ldc, c4l, c4h, cols);
}

/**
 * Stores one row of a tile: 8 columns, or the first `cols`. With the output stage on (see
 * f32_igemm_4x8_epilogue) the values first become clamp(v + bias + residual) in registers; the bias of
 * the row's first column is at epilogueColBias + biasOffset.
 */
function store8(ptr: usize, lo: v128, hi: v128, cols: i32, biasOffset: usize = 0): void {
  if (epilogueOn) {
    const bias = epilogueColBias + biasOffset;
    lo = stage(lo, bias, ptr);
    if (cols > 4) hi = stage(hi, bias + 16, ptr + 16);
  }
  if (cols == 8) {
    v128.store(ptr, lo);
    v128.store(ptr, hi, 16);
  } else {
    storePartial(ptr, lo, hi, cols);
  }
}

/**
 * The last 1 to 3 rows of A, when m is not a multiple of 4: a 2 x 8 tile for two of them, and a lone
 * row as a 1 x 16 tile over this panel and the next (`w2`, wider than 4 columns; 0 for none: then a
 * 1 x 8 tile, whose loop costs as much as its arithmetic). The same steps as tile4x8 row by row, so
 * each row gets the same bits, and no rows past m: a 4 x 8 tile there would waste up to 3/4 of its
 * work, and Winograd's GEMMs have as few as 9 rows. p is the first row's entry in its 4-row block of
 * the indirection table (blocks stay 16 bytes a segment).
 */
function tailRows(
  rows: i32,
  cols: i32,
  ks: i32,
  kc: i32,
  p: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: usize,
  w2: usize,
  cols2: i32,
): void {
  if (rows >= 2) {
    tile2x8(cols, ks, kc, p, aOffset, w, c, ldc);
    if (w2) tile2x8(cols2, ks, kc, p, aOffset, w2, c + 32, ldc, 32);
    p += 8;
    c += 2 * ldc;
  }
  if (rows & 1) {
    if (w2) tile1x16(cols2, ks, kc, p, aOffset, w, w2, c);
    else tile1x8(cols, ks, kc, p, aOffset, w, c);
  }
}

function tile2x8(
  cols: i32,
  ks: i32,
  kc: i32,
  p: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: usize,
  biasOffset: usize = 0,
): void {
  let c0l = f32x4.splat(0);
  let c0h = c0l;
  let c1l = c0l;
  let c1h = c0l;
  const pEnd = p + ((<usize>ks) << 4);
  do {
    let a0 = <usize>load<u32>(p) + aOffset;
    let a1 = <usize>load<u32>(p, 4) + aOffset;
    p += 16;
    let k = kc;
    do {
      const wl = v128.load(w);
      const wh = v128.load(w, 16);
      let x = v128.load32_splat(a0);
      c0l = madd(x, wl, c0l);
      c0h = madd(x, wh, c0h);
      x = v128.load32_splat(a1);
      c1l = madd(x, wl, c1l);
      c1h = madd(x, wh, c1h);
      a0 += 4;
      a1 += 4;
      w += 32;
    } while (--k);
  } while (p < pEnd);
  store8(c, c0l, c0h, cols, biasOffset);
  store8(c + ldc, c1l, c1h, cols, biasOffset);
}

function tile1x8(cols: i32, ks: i32, kc: i32, p: usize, aOffset: usize, w: usize, c: usize): void {
  let c0l = f32x4.splat(0);
  let c0h = c0l;
  const pEnd = p + ((<usize>ks) << 4);
  do {
    let a0 = <usize>load<u32>(p) + aOffset;
    p += 16;
    let k = kc;
    do {
      const x = v128.load32_splat(a0);
      c0l = madd(x, v128.load(w), c0l);
      c0h = madd(x, v128.load(w, 16), c0h);
      a0 += 4;
      w += 32;
    } while (--k);
  } while (p < pEnd);
  store8(c, c0l, c0h, cols);
}

/** One row over two panels: w (8 full columns) and w2 (its first cols2 columns stored). */
function tile1x16(
  cols2: i32,
  ks: i32,
  kc: i32,
  p: usize,
  aOffset: usize,
  w: usize,
  w2: usize,
  c: usize,
): void {
  let c0l = f32x4.splat(0);
  let c0h = c0l;
  let c1l = c0l;
  let c1h = c0l;
  const pEnd = p + ((<usize>ks) << 4);
  do {
    let a0 = <usize>load<u32>(p) + aOffset;
    p += 16;
    let k = kc;
    do {
      const x = v128.load32_splat(a0);
      c0l = madd(x, v128.load(w), c0l);
      c0h = madd(x, v128.load(w, 16), c0h);
      c1l = madd(x, v128.load(w2), c1l);
      c1h = madd(x, v128.load(w2, 16), c1h);
      a0 += 4;
      w += 32;
      w2 += 32;
    } while (--k);
  } while (p < pEnd);
  store8(c, c0l, c0h, 8);
  store8(c + 32, c1l, c1h, cols2, 32);
}

/**
 * Two rows over two panels: w (8 full columns) and w2 (its first cols2 columns stored). Each of its
 * eight accumulators takes the same steps as in tile4x8, so every row gets the same bits.
 */
function tile2x16(
  cols2: i32,
  ks: i32,
  kc: i32,
  p: usize,
  aOffset: usize,
  w: usize,
  w2: usize,
  c: usize,
  ldc: usize,
): void {
  let c0l = f32x4.splat(0);
  let c0h = c0l;
  let c1l = c0l;
  let c1h = c0l;
  let d0l = c0l;
  let d0h = c0l;
  let d1l = c0l;
  let d1h = c0l;
  const pEnd = p + ((<usize>ks) << 4);
  do {
    let a0 = <usize>load<u32>(p) + aOffset;
    let a1 = <usize>load<u32>(p, 4) + aOffset;
    p += 16;
    let k = kc;
    do {
      // One weight vector live at a time: 8 accumulators + 2 broadcasts + 1 vector fit V8's registers.
      const x0 = v128.load32_splat(a0);
      const x1 = v128.load32_splat(a1);
      let b = v128.load(w);
      c0l = madd(x0, b, c0l);
      c1l = madd(x1, b, c1l);
      b = v128.load(w, 16);
      c0h = madd(x0, b, c0h);
      c1h = madd(x1, b, c1h);
      b = v128.load(w2);
      d0l = madd(x0, b, d0l);
      d1l = madd(x1, b, d1l);
      b = v128.load(w2, 16);
      d0h = madd(x0, b, d0h);
      d1h = madd(x1, b, d1h);
      a0 += 4;
      a1 += 4;
      w += 32;
      w2 += 32;
    } while (--k);
  } while (p < pEnd);
  store8(c, c0l, c0h, 8);
  store8(c + ldc, c1l, c1h, 8);
  store8(c + 32, d0l, d0h, cols2, 32);
  store8(c + 32 + ldc, d1l, d1h, cols2, 32);
}

/**
 * Two rows over three full panels (w, w2, w3: 24 columns), for rows in short segments (see wideGemm).
 * Twelve accumulators, two broadcasts and one weight vector live at a time: 15 registers, what V8
 * leaves on x86-64 (a 3 x 16 tile, 16 of them, spilled and ran 5-15% slower than 4 x 8). Each
 * accumulator takes the same steps as in tile4x8, so every row gets the same bits.
 */
function tile2x24(
  ks: i32,
  kc: i32,
  p0: usize,
  p1: usize,
  aOffset: usize,
  w: usize,
  w2: usize,
  w3: usize,
  c: usize,
  ldc: usize,
): void {
  let c0l = f32x4.splat(0);
  let c0h = c0l;
  let c1l = c0l;
  let c1h = c0l;
  let d0l = c0l;
  let d0h = c0l;
  let d1l = c0l;
  let d1h = c0l;
  let e0l = c0l;
  let e0h = c0l;
  let e1l = c0l;
  let e1h = c0l;
  for (let s = 0; s < ks; s++) {
    let a0 = <usize>load<u32>(p0) + aOffset;
    let a1 = <usize>load<u32>(p1) + aOffset;
    p0 += 16;
    p1 += 16;
    let k = kc;
    do {
      const x0 = v128.load32_splat(a0);
      const x1 = v128.load32_splat(a1);
      let b = v128.load(w);
      c0l = madd(x0, b, c0l);
      c1l = madd(x1, b, c1l);
      b = v128.load(w, 16);
      c0h = madd(x0, b, c0h);
      c1h = madd(x1, b, c1h);
      b = v128.load(w2);
      d0l = madd(x0, b, d0l);
      d1l = madd(x1, b, d1l);
      b = v128.load(w2, 16);
      d0h = madd(x0, b, d0h);
      d1h = madd(x1, b, d1h);
      b = v128.load(w3);
      e0l = madd(x0, b, e0l);
      e1l = madd(x1, b, e1l);
      b = v128.load(w3, 16);
      e0h = madd(x0, b, e0h);
      e1h = madd(x1, b, e1h);
      a0 += 4;
      a1 += 4;
      w += 32;
      w2 += 32;
      w3 += 32;
    } while (--k);
  }
  store8(c, c0l, c0h, 8);
  store8(c + ldc, c1l, c1h, 8);
  store8(c + 32, d0l, d0h, 8, 32);
  store8(c + 32 + ldc, d1l, d1h, 8, 32);
  store8(c + 64, e0l, e0h, 8, 64);
  store8(c + 64 + ldc, e1l, e1h, 8, 64);
}

/**
 * A lone row over three full panels from panel q at w, C's row at c: six accumulators in flight where
 * a 1 x 16 and then a 1 x 8 tile would have four and two (the row is bound by the multiply-adds'
 * latency: Winograd's F(5x5) GEMMs of 9 rows, 1.50-1.54 -> 1.42-1.43 ms with their weights in cache).
 * The same steps as tile4x8's.
 */
function rowOverTriple(
  ks: i32,
  kc: i32,
  p: usize,
  aOffset: usize,
  w: usize,
  panelBytes: usize,
  c: usize,
  q: i32,
): void {
  let c0l = f32x4.splat(0);
  let c0h = c0l;
  let d0l = c0l;
  let d0h = c0l;
  let e0l = c0l;
  let e0h = c0l;
  let w2 = w + panelBytes;
  let w3 = w2 + panelBytes;
  const pEnd = p + ((<usize>ks) << 4);
  do {
    let a0 = <usize>load<u32>(p) + aOffset;
    p += 16;
    let k = kc;
    do {
      const x = v128.load32_splat(a0);
      c0l = madd(x, v128.load(w), c0l);
      c0h = madd(x, v128.load(w, 16), c0h);
      d0l = madd(x, v128.load(w2), d0l);
      d0h = madd(x, v128.load(w2, 16), d0h);
      e0l = madd(x, v128.load(w3), e0l);
      e0h = madd(x, v128.load(w3, 16), e0h);
      a0 += 4;
      w += 32;
      w2 += 32;
      w3 += 32;
    } while (--k);
  } while (p < pEnd);
  epilogueColBias = epilogueBias + ((<usize>q) << 5);
  store8(c, c0l, c0h, 8);
  store8(c + 32, d0l, d0h, 8, 32);
  store8(c + 64, e0l, e0h, 8, 64);
}

/**
 * A 4 x 4 tile: the first 4 columns of a panel, for a last panel with 1 to 4 columns (e.g. 10 output
 * channels = one panel of 8 and one of 2). The same steps as tile4x8 on the low half, so the columns
 * it computes get the same bits, at half the work of a full-width tile.
 */
function tile4x4(
  rows: i32,
  cols: i32,
  ks: i32,
  kc: i32,
  p: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: usize,
): void {
  let c0 = f32x4.splat(0);
  let c1 = c0;
  let c2 = c0;
  let c3 = c0;
  const pEnd = p + ((<usize>ks) << 4);
  do {
    let a0 = <usize>load<u32>(p) + aOffset;
    let a1 = <usize>load<u32>(p, 4) + aOffset;
    let a2 = <usize>load<u32>(p, 8) + aOffset;
    let a3 = <usize>load<u32>(p, 12) + aOffset;
    p += 16;
    let k = kc;
    do {
      const wl = v128.load(w);
      c0 = madd(v128.load32_splat(a0), wl, c0);
      c1 = madd(v128.load32_splat(a1), wl, c1);
      c2 = madd(v128.load32_splat(a2), wl, c2);
      c3 = madd(v128.load32_splat(a3), wl, c3);
      a0 += 4;
      a1 += 4;
      a2 += 4;
      a3 += 4;
      w += 32;
    } while (--k);
  } while (p < pEnd);
  if (epilogueOn) {
    // cols is 4 here: the stage needs output channels a multiple of 4.
    c0 = stage(c0, epilogueColBias, c);
    c1 = stage(c1, epilogueColBias, c + ldc);
    c2 = stage(c2, epilogueColBias, c + 2 * ldc);
    c3 = stage(c3, epilogueColBias, c + 3 * ldc);
  }
  storePartial(c, c0, c0, cols);
  if (rows > 1) storePartial(c + ldc, c1, c1, cols);
  if (rows > 2) storePartial(c + 2 * ldc, c2, c2, cols);
  if (rows > 3) storePartial(c + 3 * ldc, c3, c3, cols);
}

/**
 * Three last rows: with fused multiply-add a 4 x 8 tile (one row wasted) beats a 2 x 8 and a 1 x 16
 * tile (measured 12.2 against 15.7 us for 256 x 256 panels); with multiply, then add, the two small
 * tiles win (14.1 against 16.3 us).
 */
const FULL_TILE_FOR_3_ROWS: bool = ASC_FEATURE_RELAXED_SIMD;

/** 5-row tiles (tile5x8) where the rows allow; see tile5x8. */
const FIVE_ROW_TILES: bool = ASC_FEATURE_RELAXED_SIMD;

/**
 * Rows whose segments (kc) are shorter than this keep 4-row tiles: there a tile's or a segment's fixed
 * costs weigh more than the loop's speed (measured on Sapphire Rapids: 1x1 convolutions with K of 16-32
 * 8-16% slower in 5-row tiles, 64 the same, 96-2048 7-11% faster; ResNet's 7x7 stem, 7 segments of 21,
 * 48 -> 44 GFLOP/s; 3x3 ones in segments of 160-768 floats 48 -> 53).
 */
const FIVE_ROW_MIN_KC: i32 = 64;

/** Bytes of packed weights kept hot in cache while every row tile passes over them. */
const PANEL_CHUNK_BYTES: usize = 192 << 10;

/**
 * GEMMs of at most this many rows take panels two at a time (fewRowsGemm). Winograd's GEMMs on small
 * images are that short: 9 rows on ResNet's 14x14 layers in F(5x5,3x3) tiles, 16 on its 7x7 ones in
 * F(2x2,3x3) tiles (16 rather than 12: those three layers 13.2-13.9 -> 12.2-12.5 ms at batch 1 with
 * relaxed SIMD, 16.9 -> 13.8 with plain SIMD, their 16 MB of weights streamed two panels at a time
 * instead of by the first of four row tiles).
 */
const FEW_ROWS: i32 = 16;

/**
 * With fused multiply-add, fewRowsGemm takes panels three at a time (2 x 24 tiles) while whole triples
 * remain, when there are at least two rows: twelve accumulators instead of 2 x 16's eight. Measured on
 * Sapphire Rapids (weights evicted from cache first): ResNet-50's 7x7x512 F(2x2,3x3) GEMMs (16 rows,
 * K 512) 4.2 -> 3.7 ms a layer, Dense at batch 8 (K 1280 and 2048, 1000 units) 0.85 -> 0.79 and
 * 1.32 -> 1.20 ms; 9 rows (14x14 F(5x5,3x3)) the same.
 */
const FEW_TRIPLES: bool = ASC_FEATURE_RELAXED_SIMD;

/**
 * Read-ahead of the packed weights. A GEMM whose weights come from memory (a layer's weights are read
 * once a predict, and ResNet-50's are 100 MB) would otherwise wait for each chunk while its first row
 * tile streams it in, then compute from cache: the two add up instead of overlapping (ResNet-50's 7x7
 * 1x1 layers ran at 40-42 GFLOP/s, the sum of their 4-8 MB at 9 GB/s and their arithmetic at 52). So
 * while the rows pass over one chunk, each tile also reads its share of the next chunk's cache lines
 * (touchAhead), and the next chunk's first tile finds them in cache. The stream runs past the GEMM's
 * own weights where the caller says more follow (setWeightStream: Winograd's transform points, one
 * GEMM each, lie one after the other). fewRowsGemm does not read ahead: there the extra reads made
 * Winograd's F(5x5) layers slower (they stream their weights at the memory's rate already).
 */
let weightStreamEnd: usize = 0;
/** The end of the current GEMM's stream: the larger of its own weights' end and weightStreamEnd. */
let streamEnd: usize = 0;
/** The next line to read ahead, where to stop, and the bytes a tile reads. */
let touchAt: usize = 0;
let touchEnd: usize = 0;
let touchStep: usize = 0;
/** Keeps the read-ahead loads from being optimized away. */
let touchSink: i32 = 0;

/** The packed weights the next GEMMs read continue, one after the other, up to `end` (0: no further than each GEMM's own). */
export function setWeightStream(end: usize): void {
  weightStreamEnd = end;
}

/** Reads ahead [from, to) (clipped to the stream's end) over `tiles` tiles. */
function touchRange(from: usize, to: usize, tiles: i32): void {
  if (to > streamEnd) to = streamEnd;
  touchAt = from;
  touchEnd = to;
  touchStep = to > from && tiles > 0 ? ((to - from) / <usize>tiles + 63) & ~(<usize>63) : 0;
}

/** One tile's share of the read-ahead. */
function touchAhead(): void {
  let a = touchAt;
  const z = min(a + touchStep, touchEnd);
  let s = touchSink;
  for (; a < z; a += 64) s |= load<i32>(a);
  touchAt = a;
  touchSink = s;
}

/**
 * The output stage of f32_igemm_4x8_epilogue: each tile's values become clamp(C + bias + residual,
 * lo, hi) in registers before they are stored (store8, tile4x4), the model runtime's fused bias +
 * residual Add + ReLU/ReLU6 (the same operations in the same order as f32_bias_clamp, so the same
 * bits), instead of a second pass over an output that may have left the cache. Set only for the
 * duration of one call (instance globals: each worker of the pool has its own).
 */
let epilogueOn = false;
/** Bias (one float per output column) or 0 for none. */
let epilogueBias: usize = 0;
/** The residual of C[i, j] lies at (address of C[i, j]) + epilogueResidualDelta; used if epilogueResidual. */
let epilogueResidual = false;
let epilogueResidualDelta: usize = 0;
let epilogueLo: f32 = 0;
let epilogueHi: f32 = 0;

/** The bias of the current tile's first column (set by the loops before each tile when the stage is on). */
let epilogueColBias: usize = 0;

/**
 * clamp(v + bias + residual): v is C's four values at address p, their bias at `bias`. pmax / pmin, as
 * in f32_bias_clamp (one instruction each on x86; f32x4.max / min took 1.6 instead of 1.24 ms on
 * MobileNetV2's 112x112x16 -> 96 expansion, whose K of 16 leaves the stage a third of the work).
 */
function stage(v: v128, bias: usize, p: usize): v128 {
  if (epilogueBias) v = f32x4.add(v, v128.load(bias));
  if (epilogueResidual) v = f32x4.add(v, v128.load(p + epilogueResidualDelta));
  return f32x4.pmin(f32x4.pmax(v, f32x4.splat(epilogueLo)), f32x4.splat(epilogueHi));
}

/**
 * f32_igemm_4x8 with the output stage C = clamp(C + bias + residual, lo, hi) applied to each tile's
 * values in registers, before they are stored:
 * bias is 0 for none; residual: 1 when C[i, j]'s residual lies at its address + residualDelta (bytes,
 * modulo 2^32, so it may be below), 0 for none; lo and hi as float32 bit patterns (the worker pool
 * passes every argument as an i32). n must be a multiple of 4 (every tile's columns are whole
 * vectors); the host checks.
 */
export function f32_igemm_4x8_epilogue(
  m: i32,
  n: i32,
  ks: i32,
  kc: i32,
  ind: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: i32,
  bias: usize,
  residual: i32,
  residualDelta: usize,
  loBits: i32,
  hiBits: i32,
): void {
  epilogueOn = true;
  epilogueBias = bias;
  epilogueResidual = residual != 0;
  epilogueResidualDelta = residualDelta;
  epilogueLo = reinterpret<f32>(loBits);
  epilogueHi = reinterpret<f32>(hiBits);
  f32_igemm_4x8(m, n, ks, kc, ind, aOffset, w, c, ldc);
  epilogueOn = false;
}

/**
 * C (m x n floats at c, leading dimension ldc floats) = indirect A x packed W, as described above.
 * ks and kc must be >= 1. Walks the weight panels in chunks that stay in cache and, within a chunk,
 * every 4-row tile, so a panel is reused by all rows while it is hot; at most FEW_ROWS rows take
 * fewRowsGemm instead, and rows in short segments wideGemm.
 */
export function f32_igemm_4x8(
  m: i32,
  n: i32,
  ks: i32,
  kc: i32,
  ind: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: i32,
): void {
  if (m <= 0 || n <= 0 || ks <= 0 || kc <= 0) return;
  const ownEnd = w + <usize>((n + 7) >> 3) * panelBytesOf(ks, kc);
  streamEnd = max(ownEnd, weightStreamEnd);
  if (m <= FEW_ROWS) {
    fewRowsGemm(m, n, ks, kc, ind, aOffset, w, c, ldc);
    return;
  }
  if (WIDE_TILES && n >= 24 && (kc <= WIDE_MAX_KC || m >= WIDE_MIN_ROWS)) {
    wideGemm(m, n, ks, kc, ind, aOffset, w, c, ldc);
    return;
  }
  const panels = (n + 7) >> 3;
  const chunk = max<i32>(1, <i32>(PANEL_CHUNK_BYTES / panelBytesOf(ks, kc)));
  for (let first = 0; first < panels; first += chunk) {
    panelTiles(m, n, ks, kc, ind, aOffset, w, c, ldc, first, min(panels, first + chunk));
  }
}

function panelBytesOf(ks: i32, kc: i32): usize {
  return (<usize>(ks * kc)) << 5;
}

/** Panels [first, last) for every row: each 4-row tile over all of them, then the next row tile. */
function panelTiles(
  m: i32,
  n: i32,
  ks: i32,
  kc: i32,
  ind: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: i32,
  first: i32,
  last: i32,
): void {
  const panelBytes = panelBytesOf(ks, kc);
  const tileBytes = (<usize>ks) << 4;
  const ldcBytes = (<usize>ldc) << 2;
  // Rows [0, a) in 4-row tiles, then [a, m) in 5-row tiles (none where fiveRowTiles says so).
  const five = fiveRowTiles(m, kc);
  const a = m - 5 * five;
  // While the rows pass over panels [first, last), read ahead as many bytes after them.
  const next = w + <usize>last * panelBytes;
  touchRange(next, next + <usize>(last - first) * panelBytes, (((a + 3) >> 2) + five) * (last - first));
  for (let r = 0; r < a; r += 4) {
    const rows = min(4, a - r);
    const p = ind + <usize>(r >> 2) * tileBytes;
    const crow = c + <usize>r * ldcBytes;
    for (let q = first; q < last; q++) {
      const cols = min(8, n - (q << 3));
      const wq = w + <usize>q * panelBytes;
      const cq = crow + ((<usize>q) << 5);
      epilogueColBias = epilogueBias + ((<usize>q) << 5);
      if (cols <= 4) tile4x4(rows, cols, ks, kc, p, aOffset, wq, cq, ldcBytes);
      else if (rows == 4 || (rows == 3 && FULL_TILE_FOR_3_ROWS)) {
        tile4x8(rows, cols, ks, kc, p, aOffset, wq, cq, ldcBytes);
      } else {
        // A lone last row pairs this panel with the next one when that one is wider than 4 columns.
        const cols2 = rows & 1 && q + 1 < last ? n - ((q + 1) << 3) : 0;
        const w2 = cols2 > 4 ? wq + panelBytes : 0;
        tailRows(rows, cols, ks, kc, p, aOffset, wq, cq, ldcBytes, w2, min(8, cols2));
        if (w2) q++;
      }
      if (touchAt < touchEnd) touchAhead();
    }
  }
  if (a == m) return;
  // A narrow last panel (1-4 columns) takes tile4x4 over these rows too (a is a multiple of 4).
  const wide = last == (n + 7) >> 3 && n - ((last - 1) << 3) <= 4 ? last - 1 : last;
  for (let r = a; r < m; r += 5) {
    const crow = c + <usize>r * ldcBytes;
    const p0 = rowEntry(ind, r, tileBytes);
    const p1 = rowEntry(ind, r + 1, tileBytes);
    const p2 = rowEntry(ind, r + 2, tileBytes);
    const p3 = rowEntry(ind, r + 3, tileBytes);
    const p4 = rowEntry(ind, r + 4, tileBytes);
    for (let q = first; q < wide; q++) {
      const cols = min(8, n - (q << 3));
      epilogueColBias = epilogueBias + ((<usize>q) << 5);
      const wq = w + <usize>q * panelBytes;
      tile5x8(cols, ks, kc, p0, p1, p2, p3, p4, aOffset, wq, crow + ((<usize>q) << 5), ldcBytes);
      if (touchAt < touchEnd) touchAhead();
    }
  }
  if (wide < last) {
    const q = wide;
    epilogueColBias = epilogueBias + ((<usize>q) << 5);
    const wq = w + <usize>q * panelBytes;
    for (let r = a; r < m; r += 4) {
      const p = ind + <usize>(r >> 2) * tileBytes;
      const cq = c + <usize>r * ldcBytes + ((<usize>q) << 5);
      tile4x4(min(4, m - r), n - (q << 3), ks, kc, p, aOffset, wq, cq, ldcBytes);
    }
  }
}

/** Row r's first entry in the indirection table (4-row blocks of tileBytes, 4 bytes a row). */
function rowEntry(ind: usize, r: i32, tileBytes: usize): usize {
  return ind + <usize>(r >> 2) * tileBytes + ((<usize>(r & 3)) << 2);
}

/**
 * How many 5-row tiles end a GEMM of m rows in segments of kc floats: the most, t, that leaves the rows
 * before them a multiple of 4 (m - 5t = 0 mod 4, i.e. t = m mod 4), so that those take 4-row tiles from
 * a table block's start without a tail; none in the plain SIMD build or below FIVE_ROW_MIN_KC.
 */
function fiveRowTiles(m: i32, kc: i32): i32 {
  if (!FIVE_ROW_TILES || kc < FIVE_ROW_MIN_KC) return 0;
  const t = m / 5;
  const fit = t - ((((t - m) % 4) + 4) % 4);
  return fit > 0 ? fit : 0;
}

/**
 * A GEMM of at most FEW_ROWS rows, whose weights are used by few rows and so mostly come from memory
 * (Winograd's 14x14 layer streams 12.8 MB of them a call): two panels at a time, every row pair on
 * them (2 x 16 tiles, a lone last row as 1 x 16) before the next pair. The first row pair then reads
 * two sequential streams at once, which the hardware prefetchers fetch in parallel: measured on
 * Sapphire Rapids, the 14x14 layer after 16 ms of other work went from about 3.2 to 2.8 ms (2.1 when
 * its weights are still in cache, either way). With fused multiply-add (and at least two rows) it is
 * wideGemm one triple of panels at a time, without read-ahead (see FEW_TRIPLES). A last odd panel
 * takes the 4-row tiles.
 */
function fewRowsGemm(
  m: i32,
  n: i32,
  ks: i32,
  kc: i32,
  ind: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: i32,
): void {
  if (FEW_TRIPLES && m >= 2 && n >= 24) {
    wideGemm(m, n, ks, kc, ind, aOffset, w, c, ldc, true);
    return;
  }
  const panelBytes = panelBytesOf(ks, kc);
  const panels = (n + 7) >> 3;
  const tileBytes = (<usize>ks) << 4;
  const ldcBytes = (<usize>ldc) << 2;
  let q = 0;
  for (; q + 1 < panels; q += 2) {
    const wq = w + <usize>q * panelBytes;
    const cols2 = min(8, n - ((q + 1) << 3));
    for (let r = 0; r < m; r += 2) {
      const p = rowEntry(ind, r, tileBytes);
      const cq = c + <usize>r * ldcBytes + ((<usize>q) << 5);
      epilogueColBias = epilogueBias + ((<usize>q) << 5);
      if (r + 1 < m) tile2x16(cols2, ks, kc, p, aOffset, wq, wq + panelBytes, cq, ldcBytes);
      else tile1x16(cols2, ks, kc, p, aOffset, wq, wq + panelBytes, cq);
    }
  }
  if (q < panels) panelTiles(m, n, ks, kc, ind, aOffset, w, c, ldc, q, panels);
}

/**
 * With fused multiply-add, rows in segments of at most 128 floats, and GEMMs of at least 128 rows,
 * take 2 x 24 tiles when there are three panels or more (wideGemm). Short segments: a 4 x 8 tile's
 * fixed costs (its table entries, zeroing and storing eight accumulators, the output stage) weigh on a
 * loop of 16-32 steps, and twelve accumulators give the multiply-adds slack beyond their latency.
 * Measured on Sapphire Rapids with the output stage, kernel alone: MobileNetV2's 112x112x16 -> 96
 * expansion 31-34 -> 37 GFLOP/s, 56x56x24 -> 144 38-40 -> 41-45, in the model block_1's expansion
 * 1.13-1.17 -> 1.02-1.06 ms; ResNet-50's 1x1 layers 1-5% faster (56x56x64 -> 256 43-44 -> 45-47), its
 * igemm steps 80 -> 77-79 ms. GEMMs of few rows and long segments (7x7 images, K of 512 and more)
 * measured 1-6% slower: each row pair reads the panels again, so they keep panelTiles.
 */
const WIDE_TILES: bool = ASC_FEATURE_RELAXED_SIMD;
const WIDE_MAX_KC: i32 = 128;
const WIDE_MIN_ROWS: i32 = 128;

/**
 * Rows two at a time over three panels (tile2x24), panels in chunks of about PANEL_CHUNK_BYTES that
 * every row pair passes over while they are in cache (and the next chunk read ahead, as in
 * panelTiles). The last odd row takes rowOverTriple; two panels past the last full triple go with the
 * last chunk in 2 x 16 tiles, one in panelTiles. With `fewRows` (fewRowsGemm) a chunk is one triple
 * and nothing is read ahead.
 */
function wideGemm(
  m: i32,
  n: i32,
  ks: i32,
  kc: i32,
  ind: usize,
  aOffset: usize,
  w: usize,
  c: usize,
  ldc: i32,
  fewRows: bool = false,
): void {
  const panelBytes = panelBytesOf(ks, kc);
  const panels = (n + 7) >> 3;
  const triples = (n >> 3) / 3;
  const tileBytes = (<usize>ks) << 4;
  const ldcBytes = (<usize>ldc) << 2;
  const m2 = m & ~1;
  // Two panels past the last triple (the second possibly partial) go with the last chunk as a pair.
  const pair = panels - triples * 3 == 2;
  const cols2 = min(8, n - ((triples * 3 + 1) << 3));
  const chunk = fewRows ? 1 : max<i32>(1, <i32>(PANEL_CHUNK_BYTES / (3 * panelBytes)));
  for (let first = 0; first < triples; first += chunk) {
    const last = min(triples, first + chunk);
    const next = w + <usize>(last * 3) * panelBytes;
    const ahead = fewRows ? 0 : <usize>((last - first) * 3) * panelBytes;
    touchRange(next, next + ahead, ((m + 1) >> 1) * (last - first));
    for (let r = 0; r < m2; r += 2) {
      const p0 = rowEntry(ind, r, tileBytes);
      const p1 = rowEntry(ind, r + 1, tileBytes);
      const crow = c + <usize>r * ldcBytes;
      for (let t = first; t < last; t++) {
        const q = t * 3;
        const wq = w + <usize>q * panelBytes;
        epilogueColBias = epilogueBias + ((<usize>q) << 5);
        tile2x24(
          ks,
          kc,
          p0,
          p1,
          aOffset,
          wq,
          wq + panelBytes,
          wq + 2 * panelBytes,
          crow + ((<usize>q) << 5),
          ldcBytes,
        );
        if (touchAt < touchEnd) touchAhead();
      }
      if (pair && last == triples) {
        const q = triples * 3;
        const wq = w + <usize>q * panelBytes;
        epilogueColBias = epilogueBias + ((<usize>q) << 5);
        tile2x16(cols2, ks, kc, p0, aOffset, wq, wq + panelBytes, crow + ((<usize>q) << 5), ldcBytes);
      }
    }
    if (m2 < m) {
      const p = rowEntry(ind, m2, tileBytes);
      const crow = c + <usize>m2 * ldcBytes;
      for (let t = first; t < last; t++) {
        const q = t * 3;
        rowOverTriple(ks, kc, p, aOffset, w + <usize>q * panelBytes, panelBytes, crow + ((<usize>q) << 5), q);
        if (touchAt < touchEnd) touchAhead();
      }
      if (pair && last == triples) {
        const q = triples * 3;
        const wq = w + <usize>q * panelBytes;
        epilogueColBias = epilogueBias + ((<usize>q) << 5);
        tile1x16(cols2, ks, kc, p, aOffset, wq, wq + panelBytes, crow + ((<usize>q) << 5));
      }
    }
  }
  if (!pair && triples * 3 < panels) panelTiles(m, n, ks, kc, ind, aOffset, w, c, ldc, triples * 3, panels);
}
