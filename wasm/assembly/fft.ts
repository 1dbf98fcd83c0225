/**
 * FFT convolution kernels (the host side is src/algorithms/fft.ts; the same kernels in plain TypeScript,
 * the reference these are tested against, are in src/kernels/fft.ts).
 *
 * Data: a "complex vector" is 32 bytes, four real parts (one v128) then four imaginary parts, so one
 * SIMD operation works on four channels at once. Every transform works on "elements" that are blocks
 * of `blk` complex vectors; element e of a line starts at base + e * stride. One transform therefore
 * does 4 * blk independent 1-D FFTs (channels, and columns too when columns are batched).
 *
 * The FFT is Stockham's autosort form, decimation in frequency, mixed radix 2/3/4/5, out of place. A
 * pass of radix r over (n, s) (current length n, s interleaved sequences, m = n / r) reads
 * a_j = x[q + s * (p + j * m)] and writes y[q + s * (r * p + k)] = DFT_r(a)_k * w_n^(p k); after it the
 * length is m and the interleave s * r. Every pass is forward (e^(-2 pi i ...)); the inverse transform
 * the convolution needs is done as swap(FFT(swap(z))), where swap exchanges real and imaginary parts,
 * and the swaps cost nothing: they are folded into the stores of the kernels before and after.
 *
 * A plan (built by the host, src/kernels/fft_plan.ts) is: i32 pass count, then per pass i32 radix and
 * i32 byte offset (from the plan) of its twiddles: for each p < m, w_n^(p k) for k = 1..r-1 as f32 pairs.
 */
import { madd } from './simd';

/** acc - a * b (fused when relaxed SIMD is enabled). */
function nmadd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, acc);
  return f32x4.sub(acc, f32x4.mul(a, b));
}

/** Real part of (xr + i xi) * (wr + i wi). */
function cmulRe(xr: v128, xi: v128, wr: v128, wi: v128): v128 {
  return nmadd(xi, wi, f32x4.mul(xr, wr));
}

/** Imaginary part of (xr + i xi) * (wr + i wi). */
function cmulIm(xr: v128, xi: v128, wr: v128, wi: v128): v128 {
  return madd(xi, wr, f32x4.mul(xr, wi));
}

/** Stores (re, im) at ptr, multiplied by the twiddle whose f32 pair is at tw (skipped when tw is 0). */
function storeTwiddled(ptr: usize, re: v128, im: v128, tw: usize): void {
  if (tw != 0) {
    const wr = v128.load32_splat(tw);
    const wi = v128.load32_splat(tw, 4);
    v128.store(ptr, cmulRe(re, im, wr, wi));
    v128.store(ptr, cmulIm(re, im, wr, wi), 16);
  } else {
    v128.store(ptr, re);
    v128.store(ptr, im, 16);
  }
}

/**
 * One radix-2 pass. For each p: `runs` runs of `len` complex vectors; in0 and out0 step through a run
 * 32 bytes at a time, a run starts `srcStride` / `dstStride` bytes after the previous one.
 */
function pass2(
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  n: i32,
  s: i32,
  blk: i32,
  tw: usize,
): void {
  const m = n >> 1;
  const contiguous = srcStride == (<usize>blk) << 5 && dstStride == (<usize>blk) << 5;
  const len = contiguous ? s * blk : blk;
  const runs = contiguous ? 1 : s;
  const inStep = <usize>(s * m) * srcStride;
  const outStep = <usize>s * dstStride;
  for (let p = 0; p < m; p++) {
    const t1: usize = p == 0 ? 0 : tw + <usize>p * 8;
    for (let q = 0; q < runs; q++) {
      let i0 = src + <usize>(q + s * p) * srcStride;
      let o0 = dst + <usize>(q + s * 2 * p) * dstStride;
      for (let v = 0; v < len; v++) {
        const a0r = v128.load(i0);
        const a0i = v128.load(i0, 16);
        const a1r = v128.load(i0 + inStep);
        const a1i = v128.load(i0 + inStep, 16);
        v128.store(o0, f32x4.add(a0r, a1r));
        v128.store(o0, f32x4.add(a0i, a1i), 16);
        storeTwiddled(o0 + outStep, f32x4.sub(a0r, a1r), f32x4.sub(a0i, a1i), t1);
        i0 += 32;
        o0 += 32;
      }
    }
  }
}

function pass3(
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  n: i32,
  s: i32,
  blk: i32,
  tw: usize,
): void {
  const m = n / 3;
  const contiguous = srcStride == (<usize>blk) << 5 && dstStride == (<usize>blk) << 5;
  const len = contiguous ? s * blk : blk;
  const runs = contiguous ? 1 : s;
  const inStep = <usize>(s * m) * srcStride;
  const outStep = <usize>s * dstStride;
  const half = f32x4.splat(0.5);
  const h = f32x4.splat(0.8660254037844386); // sin(2 pi / 3)
  for (let p = 0; p < m; p++) {
    const t1: usize = p == 0 ? 0 : tw + <usize>p * 16;
    const t2: usize = p == 0 ? 0 : t1 + 8;
    for (let q = 0; q < runs; q++) {
      let i0 = src + <usize>(q + s * p) * srcStride;
      let o0 = dst + <usize>(q + s * 3 * p) * dstStride;
      for (let v = 0; v < len; v++) {
        const a0r = v128.load(i0);
        const a0i = v128.load(i0, 16);
        const a1r = v128.load(i0 + inStep);
        const a1i = v128.load(i0 + inStep, 16);
        const a2r = v128.load(i0 + 2 * inStep);
        const a2i = v128.load(i0 + 2 * inStep, 16);
        const tr = f32x4.add(a1r, a2r);
        const ti = f32x4.add(a1i, a2i);
        const dr = f32x4.sub(a1r, a2r);
        const di = f32x4.sub(a1i, a2i);
        v128.store(o0, f32x4.add(a0r, tr));
        v128.store(o0, f32x4.add(a0i, ti), 16);
        const mr = nmadd(half, tr, a0r);
        const mi = nmadd(half, ti, a0i);
        // b1 = m - i h d, b2 = m + i h d
        storeTwiddled(o0 + outStep, madd(h, di, mr), nmadd(h, dr, mi), t1);
        storeTwiddled(o0 + 2 * outStep, nmadd(h, di, mr), madd(h, dr, mi), t2);
        i0 += 32;
        o0 += 32;
      }
    }
  }
}

function pass4(
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  n: i32,
  s: i32,
  blk: i32,
  tw: usize,
): void {
  const m = n >> 2;
  const contiguous = srcStride == (<usize>blk) << 5 && dstStride == (<usize>blk) << 5;
  const len = contiguous ? s * blk : blk;
  const runs = contiguous ? 1 : s;
  const inStep = <usize>(s * m) * srcStride;
  const outStep = <usize>s * dstStride;
  for (let p = 0; p < m; p++) {
    const t1: usize = p == 0 ? 0 : tw + <usize>p * 24;
    const t2: usize = p == 0 ? 0 : t1 + 8;
    const t3: usize = p == 0 ? 0 : t1 + 16;
    for (let q = 0; q < runs; q++) {
      let i0 = src + <usize>(q + s * p) * srcStride;
      let o0 = dst + <usize>(q + s * 4 * p) * dstStride;
      for (let v = 0; v < len; v++) {
        const a0r = v128.load(i0);
        const a0i = v128.load(i0, 16);
        const a1r = v128.load(i0 + inStep);
        const a1i = v128.load(i0 + inStep, 16);
        const a2r = v128.load(i0 + 2 * inStep);
        const a2i = v128.load(i0 + 2 * inStep, 16);
        const a3r = v128.load(i0 + 3 * inStep);
        const a3i = v128.load(i0 + 3 * inStep, 16);
        const s02r = f32x4.add(a0r, a2r);
        const s02i = f32x4.add(a0i, a2i);
        const d02r = f32x4.sub(a0r, a2r);
        const d02i = f32x4.sub(a0i, a2i);
        const s13r = f32x4.add(a1r, a3r);
        const s13i = f32x4.add(a1i, a3i);
        const d13r = f32x4.sub(a1r, a3r);
        const d13i = f32x4.sub(a1i, a3i);
        v128.store(o0, f32x4.add(s02r, s13r));
        v128.store(o0, f32x4.add(s02i, s13i), 16);
        // b1 = d02 - i d13, b2 = s02 - s13, b3 = d02 + i d13
        storeTwiddled(o0 + outStep, f32x4.add(d02r, d13i), f32x4.sub(d02i, d13r), t1);
        storeTwiddled(o0 + 2 * outStep, f32x4.sub(s02r, s13r), f32x4.sub(s02i, s13i), t2);
        storeTwiddled(o0 + 3 * outStep, f32x4.sub(d02r, d13i), f32x4.add(d02i, d13r), t3);
        i0 += 32;
        o0 += 32;
      }
    }
  }
}

function pass5(
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  n: i32,
  s: i32,
  blk: i32,
  tw: usize,
): void {
  const m = n / 5;
  const contiguous = srcStride == (<usize>blk) << 5 && dstStride == (<usize>blk) << 5;
  const len = contiguous ? s * blk : blk;
  const runs = contiguous ? 1 : s;
  const inStep = <usize>(s * m) * srcStride;
  const outStep = <usize>s * dstStride;
  const c1 = f32x4.splat(0.30901699437494745); // cos(2 pi / 5)
  const c2 = f32x4.splat(-0.8090169943749473); // cos(4 pi / 5)
  const s1 = f32x4.splat(0.9510565162951535); // sin(2 pi / 5)
  const s2 = f32x4.splat(0.5877852522924732); // sin(4 pi / 5)
  for (let p = 0; p < m; p++) {
    const t1: usize = p == 0 ? 0 : tw + <usize>p * 32;
    const t2: usize = p == 0 ? 0 : t1 + 8;
    const t3: usize = p == 0 ? 0 : t1 + 16;
    const t4: usize = p == 0 ? 0 : t1 + 24;
    for (let q = 0; q < runs; q++) {
      let i0 = src + <usize>(q + s * p) * srcStride;
      let o0 = dst + <usize>(q + s * 5 * p) * dstStride;
      for (let v = 0; v < len; v++) {
        const a0r = v128.load(i0);
        const a0i = v128.load(i0, 16);
        const a1r = v128.load(i0 + inStep);
        const a1i = v128.load(i0 + inStep, 16);
        const a4r = v128.load(i0 + 4 * inStep);
        const a4i = v128.load(i0 + 4 * inStep, 16);
        const t14r = f32x4.add(a1r, a4r);
        const t14i = f32x4.add(a1i, a4i);
        const d14r = f32x4.sub(a1r, a4r);
        const d14i = f32x4.sub(a1i, a4i);
        const a2r = v128.load(i0 + 2 * inStep);
        const a2i = v128.load(i0 + 2 * inStep, 16);
        const a3r = v128.load(i0 + 3 * inStep);
        const a3i = v128.load(i0 + 3 * inStep, 16);
        const t23r = f32x4.add(a2r, a3r);
        const t23i = f32x4.add(a2i, a3i);
        const d23r = f32x4.sub(a2r, a3r);
        const d23i = f32x4.sub(a2i, a3i);
        v128.store(o0, f32x4.add(a0r, f32x4.add(t14r, t23r)));
        v128.store(o0, f32x4.add(a0i, f32x4.add(t14i, t23i)), 16);
        const m1r = madd(c2, t23r, madd(c1, t14r, a0r));
        const m1i = madd(c2, t23i, madd(c1, t14i, a0i));
        const m2r = madd(c1, t23r, madd(c2, t14r, a0r));
        const m2i = madd(c1, t23i, madd(c2, t14i, a0i));
        const e1r = madd(s2, d23r, f32x4.mul(s1, d14r));
        const e1i = madd(s2, d23i, f32x4.mul(s1, d14i));
        const e2r = nmadd(s1, d23r, f32x4.mul(s2, d14r));
        const e2i = nmadd(s1, d23i, f32x4.mul(s2, d14i));
        // b1 = m1 - i e1, b4 = m1 + i e1, b2 = m2 - i e2, b3 = m2 + i e2
        storeTwiddled(o0 + outStep, f32x4.add(m1r, e1i), f32x4.sub(m1i, e1r), t1);
        storeTwiddled(o0 + 4 * outStep, f32x4.sub(m1r, e1i), f32x4.add(m1i, e1r), t4);
        storeTwiddled(o0 + 2 * outStep, f32x4.add(m2r, e2i), f32x4.sub(m2i, e2r), t2);
        storeTwiddled(o0 + 3 * outStep, f32x4.sub(m2r, e2i), f32x4.add(m2i, e2r), t3);
        i0 += 32;
        o0 += 32;
      }
    }
  }
}

/**
 * Forward FFT of length n (at least two passes) over elements of `blk` complex vectors: from src
 * (element stride srcStride bytes) to dst (dstStride); tA and tB hold n * blk vectors each. dst may be
 * src: the first pass reads all of src before the last one writes.
 */
export function fft_run(
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  tA: usize,
  tB: usize,
  n: i32,
  blk: i32,
  plan: usize,
): void {
  const passes = load<i32>(plan);
  const tmpStride = (<usize>blk) << 5;
  let from = src;
  let fromStride = srcStride;
  let s = 1;
  for (let i = 0; i < passes; i++) {
    const radix = load<i32>(plan + 4 + 8 * i);
    const tw = plan + <usize>load<i32>(plan + 8 + 8 * i);
    const last = i == passes - 1;
    const to = last ? dst : from == tA ? tB : tA;
    const toStride = last ? dstStride : tmpStride;
    if (radix == 4) pass4(from, fromStride, to, toStride, n, s, blk, tw);
    else if (radix == 2) pass2(from, fromStride, to, toStride, n, s, blk, tw);
    else if (radix == 3) pass3(from, fromStride, to, toStride, n, s, blk, tw);
    else pass5(from, fromStride, to, toStride, n, s, blk, tw);
    from = to;
    fromStride = toStride;
    n /= radix;
    s *= radix;
  }
}

/**
 * Forward real-to-complex transforms of `rows` rows, two real channel blocks at a time. A row of src is
 * n elements of `pairs` complex vectors whose real and imaginary parts are two blocks of four real
 * channels (a + i b). After the FFT Z of a row, the spectra of a and b are A_f = Z_f + conj(Z_-f) and
 * B_f = -i (Z_f - conj(Z_-f)) (twice their true values: the host folds the 1/2 into the filter
 * spectra), written for f = 0 .. n/2 to dst as [f][2 * pairs] vectors (A of pair p at block 2p, B at
 * 2p + 1: channel c is block c / 4, lane c % 4). tC holds one transformed row (n * pairs vectors).
 */
export function fft_rows_r2c(
  src: usize,
  srcRowBytes: usize,
  rows: i32,
  n: i32,
  pairs: i32,
  plan: usize,
  tA: usize,
  tB: usize,
  tC: usize,
  dst: usize,
  dstRowBytes: usize,
): void {
  const elementBytes = (<usize>pairs) << 5;
  const bins = (n >> 1) + 1;
  for (let r = 0; r < rows; r++) {
    fft_run(src + <usize>r * srcRowBytes, elementBytes, tC, elementBytes, tA, tB, n, pairs, plan);
    let out = dst + <usize>r * dstRowBytes;
    for (let f = 0; f < bins; f++) {
      let zf = tC + <usize>f * elementBytes;
      let zm = tC + <usize>((n - f) % n) * elementBytes;
      for (let p = 0; p < pairs; p++) {
        const fr = v128.load(zf);
        const fi = v128.load(zf, 16);
        const mr = v128.load(zm);
        const mi = v128.load(zm, 16);
        v128.store(out, f32x4.add(fr, mr));
        v128.store(out, f32x4.sub(fi, mi), 16);
        v128.store(out, f32x4.add(fi, mi), 32);
        v128.store(out, f32x4.sub(mr, fr), 48);
        zf += 32;
        zm += 32;
        out += 64;
      }
    }
  }
}

/**
 * Forward FFTs down the columns of a plane of `rows` x `cols` elements of `blk` complex vectors
 * (row stride rowBytes), in place, `group` columns per call of fft_run (tA and tB hold
 * rows * group * blk vectors).
 */
export function fft_columns(
  base: usize,
  rowBytes: usize,
  rows: i32,
  cols: i32,
  blk: i32,
  group: i32,
  tA: usize,
  tB: usize,
  plan: usize,
): void {
  for (let c = 0; c < cols; c += group) {
    const width = min(group, cols - c);
    const at = base + ((<usize>(c * blk)) << 5);
    fft_run(at, rowBytes, at, rowBytes, tA, tB, rows, width * blk, plan);
  }
}

/**
 * The pointwise products, summed over input channels: for each of `bins` frequency bins and each of
 * `m` tiles, Y[kb] = sum over channels ch < c of X[ch] * conj(W[ch][kb]), a complex [1 x c] x [c x kb]
 * product per bin (conj: conv2d is a correlation; see src/kernels/fft_spectra.ts). X: tile i at x + i * xSlot, [bin][cb] vectors (channel ch at block ch / 4, lane
 * ch % 4). W: [bin][ch][kb] vectors. Y: tile i at y + i * ySlot, [bin][kb] vectors, stored swapped (real
 * parts in the imaginary half and the reverse), ready for the inverse transform. kb is even.
 */
export function fft_cgemm(
  x: usize,
  xSlot: usize,
  w: usize,
  y: usize,
  ySlot: usize,
  m: i32,
  bins: i32,
  c: i32,
  cb: i32,
  kb: i32,
): void {
  const xBinBytes = (<usize>cb) << 5;
  const yBinBytes = (<usize>kb) << 5;
  const wBinBytes = <usize>c * yBinBytes;
  for (let bin = 0; bin < bins; bin++) {
    const xb = x + <usize>bin * xBinBytes;
    const wb = w + <usize>bin * wBinBytes;
    const yb = y + <usize>bin * yBinBytes;
    let j = 0;
    for (; j + 4 <= kb; j += 4) {
      for (let i = 0; i < m; i++)
        cgemm4(
          xb + <usize>i * xSlot,
          c,
          wb + ((<usize>j) << 5),
          yBinBytes,
          yb + <usize>i * ySlot + ((<usize>j) << 5),
        );
    }
    if (j < kb) {
      for (let i = 0; i < m; i++)
        cgemm2(
          xb + <usize>i * xSlot,
          c,
          wb + ((<usize>j) << 5),
          yBinBytes,
          yb + <usize>i * ySlot + ((<usize>j) << 5),
        );
    }
  }
}

/** Address of channel ch's real part in a bin's [cb] vectors at x. */
function laneOf(x: usize, ch: i32): usize {
  return x + ((<usize>(ch >> 2)) << 5) + ((<usize>(ch & 3)) << 2);
}

/** Four output blocks of one bin of one tile (eight accumulators). */
function cgemm4(x: usize, c: i32, w: usize, wRowBytes: usize, y: usize): void {
  let r0 = f32x4.splat(0);
  let i0 = r0;
  let r1 = r0;
  let i1 = r0;
  let r2 = r0;
  let i2 = r0;
  let r3 = r0;
  let i3 = r0;
  for (let ch = 0; ch < c; ch++) {
    const xa = laneOf(x, ch);
    const xr = v128.load32_splat(xa);
    const xi = v128.load32_splat(xa, 16);
    let wr = v128.load(w);
    let wi = v128.load(w, 16);
    r0 = madd(xi, wi, madd(xr, wr, r0));
    i0 = nmadd(xr, wi, madd(xi, wr, i0));
    wr = v128.load(w, 32);
    wi = v128.load(w, 48);
    r1 = madd(xi, wi, madd(xr, wr, r1));
    i1 = nmadd(xr, wi, madd(xi, wr, i1));
    wr = v128.load(w, 64);
    wi = v128.load(w, 80);
    r2 = madd(xi, wi, madd(xr, wr, r2));
    i2 = nmadd(xr, wi, madd(xi, wr, i2));
    wr = v128.load(w, 96);
    wi = v128.load(w, 112);
    r3 = madd(xi, wi, madd(xr, wr, r3));
    i3 = nmadd(xr, wi, madd(xi, wr, i3));
    w += wRowBytes;
  }
  v128.store(y, i0);
  v128.store(y, r0, 16);
  v128.store(y, i1, 32);
  v128.store(y, r1, 48);
  v128.store(y, i2, 64);
  v128.store(y, r2, 80);
  v128.store(y, i3, 96);
  v128.store(y, r3, 112);
}

/** Two output blocks of one bin of one tile. */
function cgemm2(x: usize, c: i32, w: usize, wRowBytes: usize, y: usize): void {
  let r0 = f32x4.splat(0);
  let i0 = r0;
  let r1 = r0;
  let i1 = r0;
  for (let ch = 0; ch < c; ch++) {
    const xa = laneOf(x, ch);
    const xr = v128.load32_splat(xa);
    const xi = v128.load32_splat(xa, 16);
    let wr = v128.load(w);
    let wi = v128.load(w, 16);
    r0 = madd(xi, wi, madd(xr, wr, r0));
    i0 = nmadd(xr, wi, madd(xi, wr, i0));
    wr = v128.load(w, 32);
    wi = v128.load(w, 48);
    r1 = madd(xi, wi, madd(xr, wr, r1));
    i1 = nmadd(xr, wi, madd(xi, wr, i1));
    w += wRowBytes;
  }
  v128.store(y, i0);
  v128.store(y, r0, 16);
  v128.store(y, i1, 32);
  v128.store(y, r1, 48);
}

/**
 * Inverse complex-to-real transforms of `rows` rows, two real output blocks at a time. A src row holds,
 * swapped (see fft_cgemm), the n/2 + 1 column-transformed bins [f][2 * pairs] of the real outputs a
 * (block 2q) and b (block 2q + 1). Each row is packed as Z = A + i B over all n bins (the upper half
 * from conj(A_(n-f)) + i conj(B_(n-f))), inverse-transformed (swapped, so with a forward FFT), and its
 * first `cols` elements stored to dst as a + i b, i.e. [col][8 * pairs] floats in channel order.
 * Returns 1 when any stored value is NaN or infinite, else 0.
 */
export function fft_rows_c2r(
  src: usize,
  srcRowBytes: usize,
  rows: i32,
  n: i32,
  pairs: i32,
  plan: usize,
  tA: usize,
  tB: usize,
  tC: usize,
  tD: usize,
  dst: usize,
  dstRowBytes: usize,
  cols: i32,
): i32 {
  const elementBytes = (<usize>pairs) << 5;
  const bins = (n >> 1) + 1;
  let check = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const row = src + <usize>r * srcRowBytes;
    let z = tC;
    for (let f = 0; f < n; f++) {
      const upper = f >= bins;
      let a = row + <usize>(upper ? n - f : f) * (elementBytes << 1);
      for (let q = 0; q < pairs; q++) {
        // In memory, at +0 the imaginary part and at +16 the real part (swapped).
        const ai = v128.load(a);
        const ar = v128.load(a, 16);
        const bi = v128.load(a, 32);
        const br = v128.load(a, 48);
        if (upper) {
          v128.store(z, f32x4.sub(br, ai));
          v128.store(z, f32x4.add(ar, bi), 16);
        } else {
          v128.store(z, f32x4.add(ai, br));
          v128.store(z, f32x4.sub(ar, bi), 16);
        }
        a += 64;
        z += 32;
      }
    }
    fft_run(tC, elementBytes, tD, elementBytes, tA, tB, n, pairs, plan);
    let from = tD;
    let to = dst + <usize>r * dstRowBytes;
    const vectors = cols * pairs;
    for (let v = 0; v < vectors; v++) {
      const hi = v128.load(from);
      const lo = v128.load(from, 16);
      check = f32x4.add(check, f32x4.add(f32x4.sub(lo, lo), f32x4.sub(hi, hi)));
      v128.store(to, lo);
      v128.store(to, hi, 16);
      from += 32;
      to += 32;
    }
  }
  // x - x is 0 for every finite x and NaN otherwise; NaN survives the sums.
  return i32(v128.any_true(f32x4.ne(check, check)));
}
