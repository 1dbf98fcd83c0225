/**
 * f32-dwconv-inplace: depthwise convolution (channel multiplier 1) of one NHWC image that is already in
 * wasm memory, unpadded, into an NHWC output also in wasm memory (the model runtime's arena), with the
 * padding handled here instead of by a padded copy, and the bias + clamp epilogue applied to the sums
 * while they are still in registers.
 *
 * The arithmetic is f32_dwconv's (wasm/assembly/depthwise.ts): 4 channels per v128, each sum starts
 * from +0 and takes the taps in (ky, kx) order, and a padding tap is a multiplied zero (0 * Infinity
 * gives NaN, as in TensorFlow), so the results have the same bits as f32_dwconv on a padded copy.
 * The epilogue is f32_bias_clamp's: min(max(sum + bias, lo), hi).
 *
 * Padding:
 *   - rows: for each output row the host-independent row table holds, per filter row, the address of
 *     its input row, or of `zero` (a row of zeros at least iw * c floats + 16 bytes long) when the row
 *     is padding. Rows above and below the image then take the same loops as any other.
 *   - columns: output pixels whose whole window lies inside the image's width (the interior) take the
 *     fast loops; the others (a few at each end of a row) take an edge path that gathers each tap's
 *     address, `zero` for a padding tap, into a tap table and runs one generic tap loop.
 *
 * Memory (byte addresses, laid out by the host, src/algorithms/depthwise_wasm.ts):
 *   x     the image, ih * iw pixels of c floats; y  the output, oh * ow pixels of c floats;
 *   w     the filter in tiles of 4 channels (f32_dwconv's packing); b  c bias floats + 16 spare bytes;
 *   zero  iw * c + 4 zero floats; t  scratch: kh row addresses, kh * kw tap addresses, then a
 *         16-byte aligned pixel of c + 4 floats.
 * A channel count that is not a multiple of 4 ends in a partial tile, computed with full vectors, whose
 * stores spill into the next pixel's first channels (overwritten when that pixel is computed: tiles go
 * from last to first, pixels left to right). The image's last pixel has no next pixel in the
 * output, so it (the last 3 pixels for 1 channel) is computed into the scratch pixel and copied:
 * nothing is written past y's last float.
 * Loads of a partial tile read up to 12 bytes past a pixel (lanes computed and never kept).
 *
 * One source builds plain SIMD (multiply, then add) and relaxed SIMD (fused multiply-add) modules.
 */

/** acc + a * b, fused when relaxed SIMD is enabled. */
function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** Epilogue modes. */
const NONE = 0;
const CLAMP = 1;
const BIAS_CLAMP = 2;

/** The sum as stored: as is, clamped, or bias added then clamped (f32_bias_clamp's order). */
function finish(acc: v128, mode: i32, bias: usize, vlo: v128, vhi: v128): v128 {
  if (mode == NONE) return acc;
  let v = acc;
  if (mode == BIAS_CLAMP) v = f32x4.add(v, v128.load(bias));
  return f32x4.min(f32x4.max(v, vlo), vhi);
}

/** Bytes of one 3x3 weight tile (9 vectors). */
const TILE3X3: usize = 144;

/**
 * One channel tile of two stride-1 pixels: filter rows at r0, r1, r2 (the first pixel's window start
 * in each), the second pixel one pixel (px) to the right. Partial sums are stored after each filter
 * row (see f32_dwconv: it keeps V8 from issuing every load first and spilling registers).
 */
function pairS1(
  r0: usize,
  r1: usize,
  r2: usize,
  px: usize,
  wt: usize,
  q: usize,
  mode: i32,
  bias: usize,
  vlo: v128,
  vhi: v128,
): void {
  const zero = f32x4.splat(0);
  let x0 = v128.load(r0);
  let x1 = v128.load(r0 + px);
  let k = v128.load(wt);
  let a = madd(x0, k, zero);
  let b = madd(x1, k, zero);
  k = v128.load(wt, 16);
  x0 = v128.load(r0 + 2 * px);
  a = madd(x1, k, a);
  b = madd(x0, k, b);
  k = v128.load(wt, 32);
  x1 = v128.load(r0 + 3 * px);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  v128.store(q, a);
  v128.store(q + px, b);
  x0 = v128.load(r1);
  x1 = v128.load(r1 + px);
  k = v128.load(wt, 48);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  k = v128.load(wt, 64);
  x0 = v128.load(r1 + 2 * px);
  a = madd(x1, k, a);
  b = madd(x0, k, b);
  k = v128.load(wt, 80);
  x1 = v128.load(r1 + 3 * px);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  v128.store(q, a);
  v128.store(q + px, b);
  x0 = v128.load(r2);
  x1 = v128.load(r2 + px);
  k = v128.load(wt, 96);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  k = v128.load(wt, 112);
  x0 = v128.load(r2 + 2 * px);
  a = madd(x1, k, a);
  b = madd(x0, k, b);
  k = v128.load(wt, 128);
  x1 = v128.load(r2 + 3 * px);
  a = madd(x0, k, a);
  b = madd(x1, k, b);
  v128.store(q, finish(a, mode, bias, vlo, vhi));
  v128.store(q + px, finish(b, mode, bias, vlo, vhi));
}

/** One channel tile of two stride-2 pixels (windows two pixels apart: they share column 2). */
function pairS2(
  r0: usize,
  r1: usize,
  r2: usize,
  px: usize,
  wt: usize,
  q: usize,
  mode: i32,
  bias: usize,
  vlo: v128,
  vhi: v128,
): void {
  const zero = f32x4.splat(0);
  let k0 = v128.load(wt);
  let k1 = v128.load(wt, 16);
  let k2 = v128.load(wt, 32);
  let a = madd(v128.load(r0), k0, zero);
  a = madd(v128.load(r0 + px), k1, a);
  let x2 = v128.load(r0 + 2 * px);
  a = madd(x2, k2, a);
  let b = madd(x2, k0, zero);
  b = madd(v128.load(r0 + 3 * px), k1, b);
  b = madd(v128.load(r0 + 4 * px), k2, b);
  v128.store(q, a);
  v128.store(q + px, b);
  k0 = v128.load(wt, 48);
  k1 = v128.load(wt, 64);
  k2 = v128.load(wt, 80);
  a = madd(v128.load(r1), k0, a);
  a = madd(v128.load(r1 + px), k1, a);
  x2 = v128.load(r1 + 2 * px);
  a = madd(x2, k2, a);
  b = madd(x2, k0, b);
  b = madd(v128.load(r1 + 3 * px), k1, b);
  b = madd(v128.load(r1 + 4 * px), k2, b);
  v128.store(q, a);
  v128.store(q + px, b);
  k0 = v128.load(wt, 96);
  k1 = v128.load(wt, 112);
  k2 = v128.load(wt, 128);
  a = madd(v128.load(r2), k0, a);
  a = madd(v128.load(r2 + px), k1, a);
  x2 = v128.load(r2 + 2 * px);
  a = madd(x2, k2, a);
  b = madd(x2, k0, b);
  b = madd(v128.load(r2 + 3 * px), k1, b);
  b = madd(v128.load(r2 + 4 * px), k2, b);
  v128.store(q, finish(a, mode, bias, vlo, vhi));
  v128.store(q + px, finish(b, mode, bias, vlo, vhi));
}

/** One channel tile of one 3x3 pixel, width dilation 1 (an unpaired interior pixel). */
function one3x3(
  r0: usize,
  r1: usize,
  r2: usize,
  px: usize,
  wt: usize,
  q: usize,
  mode: i32,
  bias: usize,
  vlo: v128,
  vhi: v128,
): void {
  let a = madd(v128.load(r0), v128.load(wt), f32x4.splat(0));
  a = madd(v128.load(r0 + px), v128.load(wt, 16), a);
  a = madd(v128.load(r0 + 2 * px), v128.load(wt, 32), a);
  v128.store(q, a);
  a = madd(v128.load(r1), v128.load(wt, 48), a);
  a = madd(v128.load(r1 + px), v128.load(wt, 64), a);
  a = madd(v128.load(r1 + 2 * px), v128.load(wt, 80), a);
  v128.store(q, a);
  a = madd(v128.load(r2), v128.load(wt, 96), a);
  a = madd(v128.load(r2 + px), v128.load(wt, 112), a);
  a = madd(v128.load(r2 + 2 * px), v128.load(wt, 128), a);
  v128.store(q, finish(a, mode, bias, vlo, vhi));
}

/**
 * Interior pixels [from, to) of one output row, 3x3 filter, width dilation 1, width stride 1 or 2.
 * r0, r1, r2: the filter rows' input rows (or the zero row); col0: bytes from a row's start to pixel
 * `from`'s window.
 */
function interior3x3(
  from: i32,
  to: i32,
  c: i32,
  sw: i32,
  r0: usize,
  r1: usize,
  r2: usize,
  col0: usize,
  w: usize,
  q: usize,
  mode: i32,
  b: usize,
  lo: f32,
  hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const px = (<usize>c) << 2;
  const last = lastTile(c);
  const wLast = w + ((<usize>last) >> 4) * TILE3X3;
  const pairStep = <usize>(2 * sw) * px;
  let p = col0;
  let ox = from;
  if (sw == 1) {
    for (; ox + 2 <= to; ox += 2) {
      for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) {
        pairS1(r0 + p + o, r1 + p + o, r2 + p + o, px, wt, q + o, mode, b + o, vlo, vhi);
      }
      p += pairStep;
      q += 2 * px;
    }
  } else {
    for (; ox + 2 <= to; ox += 2) {
      for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) {
        pairS2(r0 + p + o, r1 + p + o, r2 + p + o, px, wt, q + o, mode, b + o, vlo, vhi);
      }
      p += pairStep;
      q += 2 * px;
    }
  }
  if (ox < to) {
    for (let o = last, wt = wLast; o >= 0; o -= 16, wt -= TILE3X3) {
      one3x3(r0 + p + o, r1 + p + o, r2 + p + o, px, wt, q + o, mode, b + o, vlo, vhi);
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
  mode: i32,
  bias: usize,
  lo: f32,
  hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
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
      v128.store(q + o, finish(a, mode, bias + o, vlo, vhi));
      v128.store(q + px + o, finish(b, mode, bias + o, vlo, vhi));
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
      v128.store(q + o, finish(a, mode, bias + o, vlo, vhi));
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
  mode: i32,
  bias: usize,
  lo: f32,
  hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
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
    v128.store(q + o, finish(a, mode, bias + o, vlo, vhi));
  }
}

/** Byte offset of the last channel tile within a pixel (tiles run from the last down to the first). */
function lastTile(c: i32): isize {
  return ((<isize>c + 3) >> 2) * 16 - 16;
}

/**
 * The oh x ow x c output image at y from the ih x iw x c image at x: kh x kw filter at w, strides sh,
 * sw, dilations dh, dw, padTop / padLeft padding rows / columns before the image (those after it
 * follow from the output size). mode: 0 stores the sums, 1 clamps them to [lo, hi], 2 adds the bias
 * at b first. zero and t: see the top of this file.
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
  mode: i32,
  lo: f32,
  hi: f32,
): void {
  if (oh <= 0 || ow <= 0 || c <= 0 || kh <= 0 || kw <= 0) return;
  const px = (<usize>c) << 2;
  const rowBytes = <usize>iw * px;
  const rt = t;
  const tt = rt + ((<usize>kh) << 2);
  const pixel = (tt + ((<usize>(kh * kw)) << 2) + 15) & ~(<usize>15);
  // Interior columns: the whole window inside [0, iw).
  let from = (padLeft + sw - 1) / sw;
  const span = iw - 1 - (kw - 1) * dw + padLeft;
  let to = span < 0 ? 0 : span / sw + 1;
  if (from > ow) from = ow;
  if (to > ow) to = ow;
  if (to < from) to = from;
  // Pixels at the image's end whose last tile's store would pass y's end (a tile spans 4 pixels of 1
  // channel; of 2 or 3 channels, it spills only into the next pixel).
  const tail = (c & 3) == 0 ? 0 : c == 1 ? 3 : 1;
  const fast3x3 = kh == 3 && kw == 3 && dw == 1 && (sw == 1 || sw == 2);
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
    const mid = to < end ? to : end;
    const start = from < end ? from : end;
    for (let ox = 0; ox < start; ox++) {
      edgePixel(ox, c, iw, kh, kw, sw, dw, padLeft, rt, tt, zero, w, q + <usize>ox * px, mode, b, lo, hi);
    }
    if (start < mid) {
      const col0 = <usize>(start * sw - padLeft) * px;
      const qs = q + <usize>start * px;
      if (fast3x3) {
        const r0 = load<usize>(rt);
        const r1 = load<usize>(rt, 4);
        const r2 = load<usize>(rt, 8);
        interior3x3(start, mid, c, sw, r0, r1, r2, col0, w, qs, mode, b, lo, hi);
      } else {
        interiorGeneric(start, mid, c, kh, kw, sw, dw, rt, col0, w, qs, mode, b, lo, hi);
      }
    }
    for (let ox = mid > start ? mid : start; ox < end; ox++) {
      edgePixel(ox, c, iw, kh, kw, sw, dw, padLeft, rt, tt, zero, w, q + <usize>ox * px, mode, b, lo, hi);
    }
    for (let ox = end; ox < ow; ox++) {
      edgePixel(ox, c, iw, kh, kw, sw, dw, padLeft, rt, tt, zero, w, pixel, mode, b, lo, hi);
      memory.copy(q + <usize>ox * px, pixel, px);
    }
  }
}
