/**
 * Winograd F(m x m, r x r) convolution kernels: 3x3 filters with m = 2, 4, 5 or 6, 4x4 and 5x5 filters
 * with m = 4, and 2x2 filters with m = 5 (alpha = m + r - 1), vectorised over channels: NHWC, 4 channels
 * per v128. The matrices, their points and their derivation are in src/kernels/winograd_matrices.ts;
 * the constants below are the same numbers, written as additions.
 *
 * One block of tiles (consecutive in row-major tile order within one image) goes through:
 *   f32_winograd_input   gathers each alpha x alpha input tile from an unpadded band of input rows
 *                        (pixels outside the band or the row read from a zero pixel: padding costs no
 *                        copy) and writes V = B^T d B as alpha^2 slices, slice ij = [tiles][cp];
 *   f32_winograd_gemm    alpha^2 (x groups) GEMMs M[ij] = V[ij] x U[ij] on f32_igemm_4x8 (one segment
 *                        per row: a plain GEMM through a table of row offsets);
 *   f32_winograd_output  Y = A^T M A for each tile, stored into a band of output rows; outputs past the
 *                        image's right edge go to a trash pixel, rows past its bottom are skipped.
 * Both transforms work in two 1-D passes through a work area: first along tile columns into
 * `work`, then along rows out of it. Each pass streams over the channels with the tile's pointers
 * held in locals.
 */
import { madd } from './simd';
import { f32_igemm_4x8, setWeightStream } from './igemm';

function k(x: f32): v128 {
  return f32x4.splat(x);
}

function add(a: v128, b: v128): v128 {
  return f32x4.add(a, b);
}

function sub(a: v128, b: v128): v128 {
  return f32x4.sub(a, b);
}

// ---------------------------------------------------------------------------------------------------
// 1-D input transforms B^T: alpha source pointers (explicit), alpha destinations d + i * ds; `bytes`
// channels (multiple of 16 bytes) at each.

function bt4(s0: usize, s1: usize, s2: usize, s3: usize, d: usize, ds: usize, bytes: usize): void {
  for (let o: usize = 0; o < bytes; o += 16) {
    const d0 = v128.load(s0 + o);
    const d1 = v128.load(s1 + o);
    const d2 = v128.load(s2 + o);
    const d3 = v128.load(s3 + o);
    const p = d + o;
    v128.store(p, sub(d0, d2));
    v128.store(p + ds, add(d1, d2));
    v128.store(p + 2 * ds, sub(d2, d1));
    v128.store(p + 3 * ds, sub(d1, d3));
  }
}

function bt6(
  s0: usize,
  s1: usize,
  s2: usize,
  s3: usize,
  s4: usize,
  s5: usize,
  d: usize,
  ds: usize,
  bytes: usize,
): void {
  for (let o: usize = 0; o < bytes; o += 16) {
    const d0 = v128.load(s0 + o);
    const d1 = v128.load(s1 + o);
    const d2 = v128.load(s2 + o);
    const d3 = v128.load(s3 + o);
    const d4 = v128.load(s4 + o);
    const d5 = v128.load(s5 + o);
    const p = d + o;
    // 4 d0 - 5 d2 + d4
    v128.store(p, madd(d2, k(-5), madd(d0, k(4), d4)));
    // (d4 - 4 d2) +- (d3 - 4 d1)
    const a = madd(d2, k(-4), d4);
    const b = madd(d1, k(-4), d3);
    v128.store(p + ds, add(a, b));
    v128.store(p + 2 * ds, sub(a, b));
    // (d4 - d2) +- 2 (d3 - d1)
    const c = sub(d4, d2);
    const e = f32x4.mul(sub(d3, d1), k(2));
    v128.store(p + 3 * ds, add(c, e));
    v128.store(p + 4 * ds, sub(c, e));
    // 4 d1 - 5 d3 + d5
    v128.store(p + 5 * ds, madd(d3, k(-5), madd(d1, k(4), d5)));
  }
}

function bt7(
  s0: usize,
  s1: usize,
  s2: usize,
  s3: usize,
  s4: usize,
  s5: usize,
  s6: usize,
  d: usize,
  ds: usize,
  bytes: usize,
): void {
  for (let o: usize = 0; o < bytes; o += 16) {
    const d0 = v128.load(s0 + o);
    const d1 = v128.load(s1 + o);
    const d2 = v128.load(s2 + o);
    const d3 = v128.load(s3 + o);
    const d4 = v128.load(s4 + o);
    const d5 = v128.load(s5 + o);
    const d6 = v128.load(s6 + o);
    const p = d + o;
    const e = add(d5, d5); // 2 d5 is in rows 0..4
    // -4 d0 + 8 d1 + 5 d2 - 10 d3 - d4 + 2 d5
    v128.store(p, madd(d3, k(-10), madd(d2, k(5), madd(d1, k(8), madd(d0, k(-4), sub(e, d4))))));
    // 4 d1 - 4 d2 - 9 d3 + d4 + 2 d5
    v128.store(p + ds, madd(d3, k(-9), madd(sub(d1, d2), k(4), add(e, d4))));
    // -4 d1 + 12 d2 - 7 d3 - 3 d4 + 2 d5
    v128.store(p + 2 * ds, madd(d4, k(-3), madd(d3, k(-7), madd(d2, k(12), madd(d1, k(-4), e)))));
    // 2 d1 - 3 d2 - 4 d3 + 3 d4 + 2 d5
    v128.store(p + 3 * ds, madd(d3, k(-4), madd(sub(d4, d2), k(3), madd(d1, k(2), e))));
    // -2 d1 + 5 d2 - 5 d4 + 2 d5
    v128.store(p + 4 * ds, madd(sub(d2, d4), k(5), madd(d1, k(-2), e)));
    // 4 d1 - 5 d3 + d5
    v128.store(p + 5 * ds, madd(d3, k(-5), madd(d1, k(4), d5)));
    // -4 d1 + 8 d2 + 5 d3 - 10 d4 - d5 + 2 d6
    const f = sub(add(d6, d6), d5);
    v128.store(p + 6 * ds, madd(d4, k(-10), madd(d3, k(5), madd(d2, k(8), madd(d1, k(-4), f)))));
  }
}

function bt8(
  s0: usize,
  s1: usize,
  s2: usize,
  s3: usize,
  s4: usize,
  s5: usize,
  s6: usize,
  s7: usize,
  d: usize,
  ds: usize,
  bytes: usize,
): void {
  for (let o: usize = 0; o < bytes; o += 16) {
    const d0 = v128.load(s0 + o);
    const d1 = v128.load(s1 + o);
    const d2 = v128.load(s2 + o);
    const d3 = v128.load(s3 + o);
    const d4 = v128.load(s4 + o);
    const d5 = v128.load(s5 + o);
    const d6 = v128.load(s6 + o);
    const d7 = v128.load(s7 + o);
    const p = d + o;
    // d0 - d6 + 21/4 (d4 - d2)
    v128.store(p, madd(sub(d4, d2), k(5.25), sub(d0, d6)));
    // (d2 + d6 - 17/4 d4) +- (d1 + d5 - 17/4 d3)
    let a = madd(d4, k(-4.25), add(d2, d6));
    let b = madd(d3, k(-4.25), add(d1, d5));
    v128.store(p + ds, add(a, b));
    v128.store(p + 2 * ds, sub(a, b));
    // (d6 + 1/4 d2 - 5/4 d4) +- (1/2 d1 - 5/2 d3 + 2 d5)
    a = madd(d4, k(-1.25), madd(d2, k(0.25), d6));
    b = madd(d5, k(2), madd(d3, k(-2.5), f32x4.mul(d1, k(0.5))));
    v128.store(p + 3 * ds, add(a, b));
    v128.store(p + 4 * ds, sub(a, b));
    // (d6 + 4 d2 - 5 d4) +- (2 d1 - 5/2 d3 + 1/2 d5)
    a = madd(d4, k(-5), madd(d2, k(4), d6));
    b = madd(d5, k(0.5), madd(d3, k(-2.5), f32x4.mul(d1, k(2))));
    v128.store(p + 5 * ds, add(a, b));
    v128.store(p + 6 * ds, sub(a, b));
    // d7 - d1 + 21/4 (d3 - d5)
    v128.store(p + 7 * ds, madd(sub(d3, d5), k(5.25), sub(d7, d1)));
  }
}

// ---------------------------------------------------------------------------------------------------
/**
 * f32_winograd_output's optional output stage: outputs become clamp(y + bias, lo, hi) as they are
 * stored (the model runtime's fused bias + ReLU / ReLU6; the same operations in the same order as
 * f32_bias_clamp, so the same bits). Set only for the duration of one call (instance globals: each
 * worker of the pool has its own).
 */
let outStageOn = false;
/** Bias (one float per output channel) or 0 for none. */
let outStageBias: usize = 0;
let outStageLo: f32 = 0;
let outStageHi: f32 = 0;

/**
 * Stores y at p. In the output pass (`check`: y is the channels at byte offset o of an output pixel)
 * with the stage on, stores clamp(y + bias, lo, hi) instead; the finiteness check has seen y itself.
 */
function put(p: usize, y: v128, o: usize, check: bool): void {
  if (check && outStageOn) {
    if (outStageBias) y = add(y, v128.load(outStageBias + o));
    y = f32x4.pmin(f32x4.pmax(y, f32x4.splat(outStageLo)), f32x4.splat(outStageHi));
  }
  v128.store(p, y);
}

// 1-D output transforms A^T: alpha sources s + i * ss, m destination pointers (explicit). With `check`,
// they return the sum of y - y over every output y: NaN in a lane that met a NaN or an infinity.

function at2(s: usize, ss: usize, t0: usize, t1: usize, bytes: usize, check: bool): v128 {
  let bad = k(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    const p = s + o;
    const m0 = v128.load(p);
    const m1 = v128.load(p + ss);
    const m2 = v128.load(p + 2 * ss);
    const m3 = v128.load(p + 3 * ss);
    const y0 = add(add(m0, m1), m2);
    const y1 = sub(sub(m1, m2), m3);
    put(t0 + o, y0, o, check);
    put(t1 + o, y1, o, check);
    if (check) bad = add(bad, add(sub(y0, y0), sub(y1, y1)));
  }
  return bad;
}

/**
 * Points 0, +-1, +-2 (alpha = 6): F(4,3) (rows = 4), or F(5,2) (rows = 5, for 3x3 stride-2 filters
 * through space-to-depth). The point at infinity (m5) goes to the last row.
 */
function at4(
  s: usize,
  ss: usize,
  t0: usize,
  t1: usize,
  t2: usize,
  t3: usize,
  t4: usize,
  bytes: usize,
  check: bool,
  rows: i32,
): v128 {
  let bad = k(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    const p = s + o;
    const m0 = v128.load(p);
    const m1 = v128.load(p + ss);
    const m2 = v128.load(p + 2 * ss);
    const m3 = v128.load(p + 3 * ss);
    const m4 = v128.load(p + 4 * ss);
    const m5 = v128.load(p + 5 * ss);
    const s12 = add(m1, m2);
    const d12 = sub(m1, m2);
    const s34 = add(m3, m4);
    const d34 = sub(m3, m4);
    const y0 = add(add(m0, s12), s34);
    const y1 = madd(d34, k(2), d12);
    const y2 = madd(s34, k(4), s12);
    let y3 = madd(d34, k(8), d12);
    if (rows == 4) y3 = add(y3, m5);
    put(t0 + o, y0, o, check);
    put(t1 + o, y1, o, check);
    put(t2 + o, y2, o, check);
    put(t3 + o, y3, o, check);
    if (check) bad = add(bad, add(add(sub(y0, y0), sub(y1, y1)), add(sub(y2, y2), sub(y3, y3))));
    if (rows == 4) continue;
    const y4 = add(madd(s34, k(16), s12), m5);
    put(t4 + o, y4, o, check);
    if (check) bad = add(bad, sub(y4, y4));
  }
  return bad;
}

/**
 * Points 0, +-1, +-2, 1/2 (alpha = 7): F(5,3) (rows = 5) or F(4,4) (rows = 4, t4 unused); the point at
 * infinity (m6) goes to the last row.
 */
function at5(
  s: usize,
  ss: usize,
  t0: usize,
  t1: usize,
  t2: usize,
  t3: usize,
  t4: usize,
  bytes: usize,
  check: bool,
  rows: i32,
): v128 {
  let bad = k(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    const p = s + o;
    const m0 = v128.load(p);
    const m1 = v128.load(p + ss);
    const m2 = v128.load(p + 2 * ss);
    const m3 = v128.load(p + 3 * ss);
    const m4 = v128.load(p + 4 * ss);
    const m5 = v128.load(p + 5 * ss);
    const m6 = v128.load(p + 6 * ss);
    const s12 = add(m1, m2);
    const d12 = sub(m1, m2);
    const s34 = add(m3, m4);
    const d34 = sub(m3, m4);
    const y0 = add(add(m0, s12), add(s34, m5));
    const y1 = madd(m5, k(0.5), madd(d34, k(2), d12));
    const y2 = madd(m5, k(0.25), madd(s34, k(4), s12));
    let y3 = madd(m5, k(0.125), madd(d34, k(8), d12));
    if (rows == 4) y3 = add(y3, m6);
    put(t0 + o, y0, o, check);
    put(t1 + o, y1, o, check);
    put(t2 + o, y2, o, check);
    put(t3 + o, y3, o, check);
    if (check) bad = add(bad, add(add(sub(y0, y0), sub(y1, y1)), add(sub(y2, y2), sub(y3, y3))));
    if (rows == 4) continue;
    const y4 = add(madd(m5, k(0.0625), madd(s34, k(16), s12)), m6);
    put(t4 + o, y4, o, check);
    if (check) bad = add(bad, sub(y4, y4));
  }
  return bad;
}

/**
 * Points 0, +-1, +-2, +-1/2 (alpha = 8): F(6,3) (rows = 6) or F(4,5) (rows = 4, t4 and t5 unused); the
 * point at infinity (m7) goes to the last row.
 */
function at6(
  s: usize,
  ss: usize,
  t0: usize,
  t1: usize,
  t2: usize,
  t3: usize,
  t4: usize,
  t5: usize,
  bytes: usize,
  check: bool,
  rows: i32,
): v128 {
  let bad = k(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    const p = s + o;
    const m0 = v128.load(p);
    const m1 = v128.load(p + ss);
    const m2 = v128.load(p + 2 * ss);
    const m3 = v128.load(p + 3 * ss);
    const m4 = v128.load(p + 4 * ss);
    const m5 = v128.load(p + 5 * ss);
    const m6 = v128.load(p + 6 * ss);
    const m7 = v128.load(p + 7 * ss);
    const s12 = add(m1, m2);
    const d12 = sub(m1, m2);
    const s34 = add(m3, m4);
    const d34 = sub(m3, m4);
    const s56 = add(m5, m6);
    const d56 = sub(m5, m6);
    const y0 = add(add(m0, s12), add(s34, s56));
    const y1 = madd(d56, k(0.5), madd(d34, k(2), d12));
    const y2 = madd(s56, k(0.25), madd(s34, k(4), s12));
    let y3 = madd(d56, k(0.125), madd(d34, k(8), d12));
    if (rows == 4) y3 = add(y3, m7);
    put(t0 + o, y0, o, check);
    put(t1 + o, y1, o, check);
    put(t2 + o, y2, o, check);
    put(t3 + o, y3, o, check);
    if (check) bad = add(bad, add(add(sub(y0, y0), sub(y1, y1)), add(sub(y2, y2), sub(y3, y3))));
    if (rows == 4) continue;
    const y4 = madd(s56, k(0.0625), madd(s34, k(16), s12));
    const y5 = add(madd(d56, k(0.03125), madd(d34, k(32), d12)), m7);
    put(t4 + o, y4, o, check);
    put(t5 + o, y5, o, check);
    if (check) bad = add(bad, add(sub(y4, y4), sub(y5, y5)));
  }
  return bad;
}

// ---------------------------------------------------------------------------------------------------

/** Pointer table in `work` (alpha^2 entries of 4 bytes), then the pass-1 results: 64-byte aligned. */
const TABLE_BYTES: usize = 256;

/**
 * V = B^T d B for tiles [firstTile, firstTile + tiles) of an image whose output is tileCols tiles wide.
 * Tile (ty, tx) reads input rows ty*m - padTop .. + alpha - 1 and columns tx*m - padLeft .. + alpha - 1.
 * B^T depends only on alpha (its points): alpha = 4, 6, 7 or 8.
 * The band at `band` holds input rows [bandFirstRow, bandFirstRow + bandRows), each inWidth pixels of
 * cp floats (cp a multiple of 4); every other pixel reads as the cp zeros at `zero`. Tile s of the
 * block goes to v + ij * sliceBytes + s * cp * 4 for each of the alpha^2 positions ij. `work` must hold
 * TABLE_BYTES + alpha^2 * cp * 4 bytes.
 */
export function f32_winograd_input(
  m: i32,
  alpha: i32,
  band: usize,
  bandFirstRow: i32,
  bandRows: i32,
  inWidth: i32,
  cp: i32,
  padTop: i32,
  padLeft: i32,
  tileCols: i32,
  firstTile: i32,
  tiles: i32,
  zero: usize,
  work: usize,
  v: usize,
  sliceBytes: usize,
): void {
  const bytes = (<usize>cp) << 2;
  const pixelBytes = bytes;
  const rowBytes = <usize>inWidth * pixelBytes;
  const table = work;
  const tmp = work + TABLE_BYTES;
  const tmpRow = <usize>alpha * bytes; // pass-1 result (i, j) is at tmp + i * tmpRow + j * bytes
  for (let s = 0; s < tiles; s++) {
    const t = firstTile + s;
    const ty = t / tileCols;
    const tx = t - ty * tileCols;
    const iy0 = ty * m - padTop - bandFirstRow;
    const ix0 = tx * m - padLeft;
    for (let i = 0; i < alpha; i++) {
      const r = iy0 + i;
      const rowOk = r >= 0 && r < bandRows;
      const rowPtr = band + <usize>r * rowBytes;
      for (let j = 0; j < alpha; j++) {
        const c = ix0 + j;
        const p = rowOk && c >= 0 && c < inWidth ? rowPtr + <usize>c * pixelBytes : zero;
        store<u32>(table + ((<usize>(i * alpha + j)) << 2), <u32>p);
      }
    }
    // Pass 1: each tile column j through B^T into tmp[., j].
    for (let j = 0; j < alpha; j++) {
      const col = table + ((<usize>j) << 2);
      const d = tmp + <usize>j * bytes;
      const rs = (<usize>alpha) << 2;
      if (alpha == 6) {
        bt6(
          load<u32>(col),
          load<u32>(col + rs),
          load<u32>(col + 2 * rs),
          load<u32>(col + 3 * rs),
          load<u32>(col + 4 * rs),
          load<u32>(col + 5 * rs),
          d,
          tmpRow,
          bytes,
        );
      } else if (alpha == 4) {
        bt4(
          load<u32>(col),
          load<u32>(col + rs),
          load<u32>(col + 2 * rs),
          load<u32>(col + 3 * rs),
          d,
          tmpRow,
          bytes,
        );
      } else if (alpha == 7) {
        bt7(
          load<u32>(col),
          load<u32>(col + rs),
          load<u32>(col + 2 * rs),
          load<u32>(col + 3 * rs),
          load<u32>(col + 4 * rs),
          load<u32>(col + 5 * rs),
          load<u32>(col + 6 * rs),
          d,
          tmpRow,
          bytes,
        );
      } else {
        bt8(
          load<u32>(col),
          load<u32>(col + rs),
          load<u32>(col + 2 * rs),
          load<u32>(col + 3 * rs),
          load<u32>(col + 4 * rs),
          load<u32>(col + 5 * rs),
          load<u32>(col + 6 * rs),
          load<u32>(col + 7 * rs),
          d,
          tmpRow,
          bytes,
        );
      }
    }
    // Pass 2: each row i of tmp through B^T into the slices (i, 0..alpha-1).
    const tileOffset = <usize>s * bytes;
    for (let i = 0; i < alpha; i++) {
      const row = tmp + <usize>i * tmpRow;
      const d = v + <usize>(i * alpha) * sliceBytes + tileOffset;
      if (alpha == 6) {
        bt6(
          row,
          row + bytes,
          row + 2 * bytes,
          row + 3 * bytes,
          row + 4 * bytes,
          row + 5 * bytes,
          d,
          sliceBytes,
          bytes,
        );
      } else if (alpha == 4) {
        bt4(row, row + bytes, row + 2 * bytes, row + 3 * bytes, d, sliceBytes, bytes);
      } else if (alpha == 7) {
        bt7(
          row,
          row + bytes,
          row + 2 * bytes,
          row + 3 * bytes,
          row + 4 * bytes,
          row + 5 * bytes,
          row + 6 * bytes,
          d,
          sliceBytes,
          bytes,
        );
      } else {
        bt8(
          row,
          row + bytes,
          row + 2 * bytes,
          row + 3 * bytes,
          row + 4 * bytes,
          row + 5 * bytes,
          row + 6 * bytes,
          row + 7 * bytes,
          d,
          sliceBytes,
          bytes,
        );
      }
    }
  }
}

/**
 * M[ij] = V[ij] x U[ij] for the alpha2 positions and each group: `tiles` rows, cpg (channels of a
 * group) deep, opg (outputs of a group) wide. `ind` is the row table of f32_igemm_4x8 with one segment
 * per row (entry r = r * cp * 4, at least tiles rounded up to 4 entries). U[ij] is at u + ij * uSlice,
 * each group's 8-column panels one after the other (ceil(opg / 8) * cpg * 32 bytes a group). M rows are
 * ldm floats apart; group g writes columns g * opg...
 */
export function f32_winograd_gemm(
  alpha2: i32,
  tiles: i32,
  groups: i32,
  cpg: i32,
  opg: i32,
  ind: usize,
  v: usize,
  vSlice: usize,
  u: usize,
  uSlice: usize,
  mOut: usize,
  mSlice: usize,
  ldm: i32,
): void {
  const groupBytes = <usize>((opg + 7) >> 3) * <usize>cpg * 32;
  // The points' weights lie one after the other: each GEMM reads ahead into the next one's.
  setWeightStream(u + <usize>(alpha2 - 1) * uSlice + <usize>groups * groupBytes);
  for (let ij = 0; ij < alpha2; ij++) {
    const vij = v + <usize>ij * vSlice;
    const uij = u + <usize>ij * uSlice;
    const mij = mOut + <usize>ij * mSlice;
    for (let g = 0; g < groups; g++) {
      f32_igemm_4x8(
        tiles,
        opg,
        1,
        cpg,
        ind,
        vij + <usize>(g * cpg) * 4,
        uij + <usize>g * groupBytes,
        mij + <usize>(g * opg) * 4,
        ldm,
      );
    }
  }
  setWeightStream(0);
}

/**
 * Y = A^T M A for tiles [firstTile, firstTile + tiles): M[ij] of tile s at mIn + ij * sliceBytes +
 * s * kp * 4. Output row oy of the image is row oy - outFirstRow of the band at `out` (outWidth pixels
 * of kp floats, kp a multiple of 4). Rows at or past outHeight are not written; columns at or past
 * outWidth are written to the kp floats at `trash`. `work` must hold m * alpha * kp * 4 bytes.
 * (m, alpha) is (2, 4), (4, 6), (5, 7) or (6, 8) for 3x3 filters, (4, 7) for 4x4 ones, (4, 8) for 5x5,
 * and (5, 6) for 2x2 ones.
 * stage != 0: each output is stored as clamp(y + bias, lo, hi) (the model runtime's fused bias +
 * ReLU / ReLU6): bias 0 for none (else kp floats), lo and hi as float32 bit patterns (the worker pool
 * passes every argument as an i32). Else bias, loBits and hiBits are unused.
 * Returns 1 when some output is NaN or infinite (the host then recomputes without Winograd), else 0;
 * the check sees the values before the stage (a clamp would hide an infinity).
 */
export function f32_winograd_output(
  m: i32,
  alpha: i32,
  mIn: usize,
  sliceBytes: usize,
  kp: i32,
  tileCols: i32,
  firstTile: i32,
  tiles: i32,
  out: usize,
  outFirstRow: i32,
  outHeight: i32,
  outWidth: i32,
  trash: usize,
  work: usize,
  stage: i32,
  bias: usize,
  loBits: i32,
  hiBits: i32,
): i32 {
  outStageOn = stage != 0;
  outStageBias = bias;
  outStageLo = reinterpret<f32>(loBits);
  outStageHi = reinterpret<f32>(hiBits);
  let bad = k(0);
  // A^T depends on alpha (its points) and m (its rows: the point at infinity goes to the last one):
  // alpha 6 serves F(4,3) and F(5,2), alpha 7 F(5,3) and F(4,4), alpha 8 F(6,3) and F(4,5).
  const bytes = (<usize>kp) << 2;
  const rowBytes = <usize>outWidth * bytes;
  const tmpRow = <usize>alpha * bytes; // pass-1 result (r, j) is at work + r * tmpRow + j * bytes
  const colStride = <usize>alpha * sliceBytes;
  for (let s = 0; s < tiles; s++) {
    const t = firstTile + s;
    const ty = t / tileCols;
    const tx = t - ty * tileCols;
    const oy0 = ty * m;
    const ox0 = tx * m;
    const src = mIn + <usize>s * bytes;
    // Pass 1: each column j of the tile through A^T into work[., j]; rows past m are never written.
    for (let j = 0; j < alpha; j++) {
      const col = src + <usize>j * sliceBytes;
      const d = work + <usize>j * bytes;
      const d1 = d + tmpRow;
      const d2 = d + 2 * tmpRow;
      const d3 = d + 3 * tmpRow;
      const d4 = d + 4 * tmpRow;
      const d5 = d + 5 * tmpRow;
      if (alpha == 6) {
        at4(col, colStride, d, d1, d2, d3, d4, bytes, false, m);
      } else if (alpha == 4) {
        at2(col, colStride, d, d1, bytes, false);
      } else if (alpha == 7) {
        at5(col, colStride, d, d1, d2, d3, d4, bytes, false, m);
      } else {
        at6(col, colStride, d, d1, d2, d3, d4, d5, bytes, false, m);
      }
    }
    // Pass 2: each row r of work through A^T into output row oy0 + r.
    const rows = min(m, outHeight - oy0);
    const cols = min(m, outWidth - ox0);
    for (let r = 0; r < rows; r++) {
      const row = work + <usize>r * tmpRow;
      const base = out + <usize>(oy0 + r - outFirstRow) * rowBytes + <usize>ox0 * bytes;
      const p0 = base;
      const p1 = cols > 1 ? base + bytes : trash;
      if (alpha == 4) {
        bad = add(bad, at2(row, bytes, p0, p1, bytes, true));
        continue;
      }
      const p2 = cols > 2 ? base + 2 * bytes : trash;
      const p3 = cols > 3 ? base + 3 * bytes : trash;
      const p4 = cols > 4 ? base + 4 * bytes : trash;
      const p5 = cols > 5 ? base + 5 * bytes : trash;
      if (alpha == 6) {
        bad = add(bad, at4(row, bytes, p0, p1, p2, p3, p4, bytes, true, m));
      } else if (alpha == 7) {
        bad = add(bad, at5(row, bytes, p0, p1, p2, p3, p4, bytes, true, m));
      } else {
        bad = add(bad, at6(row, bytes, p0, p1, p2, p3, p4, p5, bytes, true, m));
      }
    }
  }
  outStageOn = false;
  return i32(v128.any_true(f32x4.ne(bad, bad)));
}
