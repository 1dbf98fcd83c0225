/**
 * f32-pool: the model runtime's MaxPooling2D / AveragePooling2D (f32_pool2d) and global pooling
 * (f32_global_pool), NHWC, one image per call, 4 channels per v128 and a scalar tail for c % 4.
 * Results are bit for bit those of src/runtime/kernels.ts (pool2d, globalPool), which the host runs
 * where this module is absent:
 *   - max: start from the window's first cell, then v replaces m where v > m or v is NaN, cells in
 *     row-major order. So a NaN in the window gives NaN (the last one met), and of equal values
 *     (-0 and +0) the first met is kept. f32x4.max would differ on both, hence gt / ne / bitselect
 *     (or f32x4.pmax where the window holds no NaN, see maxPixel).
 *   - average: a float32 sum from +0 in row-major order, then the sum divided by the count in float64
 *     and rounded to float32 (what kernels.ts' `acc[ch] / count` stored into a Float32Array does).
 *
 * Memory (byte addresses, laid out by the host, src/runtime/wasm_pool.ts): x is h x w pixels of c
 * floats, y is oh x ow pixels of c floats; they do not overlap.
 *
 * Window of output (oy, ox): rows oy * sh - top .. + kh, columns ox * sw - left .. + kw. flags bit 0:
 * average (else max); bit 1: padding is zeros that take part (a ZeroPadding2D folded into a 'valid'
 * pooling: max includes the zeros, the average divides by kh * kw); without it padding is skipped,
 * TensorFlow's SAME rule (the average divides by the count of real cells).
 */

/** kernels.ts' max rule: v where v > m or v is NaN, else m (bits moved, never recomputed). */
function maxStep(m: v128, v: v128): v128 {
  return v128.bitselect(v, m, v128.or(f32x4.gt(v, m), f32x4.ne(v, v)));
}

function maxStep1(m: f32, v: f32): f32 {
  return v > m || v != v ? v : m;
}

/** Each lane of a float32 sum divided by d in float64, rounded to float32. */
function divide(acc: v128, d: f64): v128 {
  const dv = f64x2.splat(d);
  const lo = f64x2.div(f64x2.promote_low_f32x4(acc), dv);
  const hi = f64x2.div(f64x2.promote_low_f32x4(v128.shuffle<f32>(acc, acc, 2, 3, 2, 3)), dv);
  return v128.shuffle<f64>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}

/** The exact max rule over one 4-channel vector of a window (start: its first cell; rows x cols bytes). */
function maxExact(start: usize, rowBytes: usize, px: usize, cols: usize, rows: usize): v128 {
  // The first cell is taken again in the loop: maxStep(m, m) is m, bit for bit.
  let m = v128.load(start);
  for (let r = start; r < start + rows; r += rowBytes) {
    const e = r + cols;
    for (let p = r; p < e; p += px) m = maxStep(m, v128.load(p));
  }
  return m;
}

/**
 * Max over rows y0..y1, columns x0..x1 of the image (the window's real cells). Two vectors at a time
 * take the fast form: f32x4.pmax(m, v) is m < v ? v : m, the exact rule for every v but NaN, and a
 * float32 sum of the cells beside it becomes NaN when the window holds a NaN (or both infinities); only
 * then are the two vectors taken again by the exact rule. The rest go by the exact rule at once.
 */
function maxPixel(
  x: usize,
  rowBytes: usize,
  px: usize,
  vecBytes: usize,
  y0: i32,
  y1: i32,
  x0: i32,
  x1: i32,
  out: usize,
): void {
  const first = x + <usize>y0 * rowBytes + <usize>x0 * px;
  const cols = <usize>(x1 - x0) * px;
  const rows = <usize>(y1 - y0) * rowBytes;
  const end = first + rows;
  let k: usize = 0;
  for (; k + 32 <= vecBytes; k += 32) {
    let m0 = v128.load(first + k);
    let m1 = v128.load(first + k, 16);
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    for (let r = first + k; r < end + k; r += rowBytes) {
      const e = r + cols;
      for (let p = r; p < e; p += px) {
        const v0 = v128.load(p);
        const v1 = v128.load(p, 16);
        m0 = f32x4.pmax(m0, v0);
        m1 = f32x4.pmax(m1, v1);
        s0 = f32x4.add(s0, v0);
        s1 = f32x4.add(s1, v1);
      }
    }
    if (v128.any_true(v128.or(f32x4.ne(s0, s0), f32x4.ne(s1, s1)))) {
      m0 = maxExact(first + k, rowBytes, px, cols, rows);
      m1 = maxExact(first + k + 16, rowBytes, px, cols, rows);
    }
    v128.store(out + k, m0);
    v128.store(out + k, m1, 16);
  }
  for (; k < vecBytes; k += 16) v128.store(out + k, maxExact(first + k, rowBytes, px, cols, rows));
  for (; k < px; k += 4) {
    let m = load<f32>(first + k);
    for (let r = first + k; r < end + k; r += rowBytes) {
      const e = r + cols;
      for (let p = r; p < e; p += px) m = maxStep1(m, load<f32>(p));
    }
    store<f32>(out + k, m);
  }
}

/**
 * Max over the whole kh x kw window at (wy, wx) of the zero-padded image, cells outside the image
 * read as +0 in their place in row-major order (only windows that reach into the padding come here).
 */
function maxPixelPadded(
  x: usize,
  h: i32,
  w: i32,
  px: usize,
  vecBytes: usize,
  wy: i32,
  wx: i32,
  kh: i32,
  kw: i32,
  out: usize,
): void {
  const zero = f32x4.splat(0);
  const inFirst = wy >= 0 && wy < h && wx >= 0 && wx < w;
  const first = x + (<usize>wy * <usize>w + <usize>wx) * px;
  let k: usize = 0;
  for (; k < vecBytes; k += 16) {
    let m = inFirst ? v128.load(first + k) : zero;
    for (let yy = wy; yy < wy + kh; yy++) {
      const rowIn = yy >= 0 && yy < h;
      for (let xx = wx; xx < wx + kw; xx++) {
        const v =
          rowIn && xx >= 0 && xx < w ? v128.load(x + (<usize>yy * <usize>w + <usize>xx) * px + k) : zero;
        m = maxStep(m, v);
      }
    }
    v128.store(out + k, m);
  }
  for (; k < px; k += 4) {
    let m: f32 = inFirst ? load<f32>(first + k) : 0;
    for (let yy = wy; yy < wy + kh; yy++) {
      const rowIn = yy >= 0 && yy < h;
      for (let xx = wx; xx < wx + kw; xx++) {
        const v: f32 =
          rowIn && xx >= 0 && xx < w ? load<f32>(x + (<usize>yy * <usize>w + <usize>xx) * px + k) : 0;
        m = maxStep1(m, v);
      }
    }
    store<f32>(out + k, m);
  }
}

/**
 * Sum over rows y0..y1, columns x0..x1, divided by count. Padding zeros that take part are not
 * added: a sum that starts from +0 is never -0, so adding +0 leaves it unchanged.
 */
function avgPixel(
  x: usize,
  rowBytes: usize,
  px: usize,
  vecBytes: usize,
  y0: i32,
  y1: i32,
  x0: i32,
  x1: i32,
  count: f64,
  out: usize,
): void {
  const first = x + <usize>y0 * rowBytes + <usize>x0 * px;
  const cols = <usize>(x1 - x0) * px;
  const end = first + <usize>(y1 - y0) * rowBytes;
  let k: usize = 0;
  for (; k + 32 <= vecBytes; k += 32) {
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    for (let r = first + k; r < end + k; r += rowBytes) {
      const e = r + cols;
      for (let p = r; p < e; p += px) {
        a0 = f32x4.add(a0, v128.load(p));
        a1 = f32x4.add(a1, v128.load(p, 16));
      }
    }
    v128.store(out + k, divide(a0, count));
    v128.store(out + k, divide(a1, count), 16);
  }
  for (; k < vecBytes; k += 16) {
    let a = f32x4.splat(0);
    for (let r = first + k; r < end + k; r += rowBytes) {
      const e = r + cols;
      for (let p = r; p < e; p += px) a = f32x4.add(a, v128.load(p));
    }
    v128.store(out + k, divide(a, count));
  }
  for (; k < px; k += 4) {
    let a: f32 = 0;
    for (let r = first + k; r < end + k; r += rowBytes) {
      const e = r + cols;
      for (let p = r; p < e; p += px) a += load<f32>(p);
    }
    store<f32>(out + k, <f32>(<f64>a / count));
  }
}

export function f32_pool2d(
  x: usize,
  h: i32,
  w: i32,
  c: i32,
  y: usize,
  oh: i32,
  ow: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  top: i32,
  left: i32,
  flags: i32,
): void {
  const avg = (flags & 1) !== 0;
  const zeros = (flags & 2) !== 0;
  const px = (<usize>c) << 2;
  const vecBytes = (<usize>(c & ~3)) << 2;
  const rowBytes = <usize>w * px;
  const whole = <f64>kh * <f64>kw;
  let out = y;
  for (let oy = 0; oy < oh; oy++) {
    const wy = oy * sh - top;
    const y0 = max(wy, 0);
    const y1 = min(wy + kh, h);
    for (let ox = 0; ox < ow; ox++) {
      const wx = ox * sw - left;
      const x0 = max(wx, 0);
      const x1 = min(wx + kw, w);
      if (avg) {
        const count = zeros ? whole : <f64>(y1 - y0) * <f64>(x1 - x0);
        avgPixel(x, rowBytes, px, vecBytes, y0, y1, x0, x1, count, out);
      } else if (zeros && (y0 !== wy || x0 !== wx || y1 !== wy + kh || x1 !== wx + kw)) {
        maxPixelPadded(x, h, w, px, vecBytes, wy, wx, kh, kw, out);
      } else {
        maxPixel(x, rowBytes, px, vecBytes, y0, y1, x0, x1, out);
      }
      out += px;
    }
  }
}

/**
 * Global max / average over `cells` pixels of c floats at x into c floats at y: y starts at -inf (max)
 * or +0 (average), then takes each pixel in order (kernels.ts' globalPool); the average is divided by
 * cells in float64.
 */
export function f32_global_pool(x: usize, cells: i32, c: i32, y: usize, avg: i32): void {
  const px = (<usize>c) << 2;
  const vecBytes = (<usize>(c & ~3)) << 2;
  const start: f32 = avg !== 0 ? 0 : -Infinity;
  const vstart = f32x4.splat(start);
  let k: usize = 0;
  for (; k < vecBytes; k += 16) v128.store(y + k, vstart);
  for (; k < px; k += 4) store<f32>(y + k, start);
  const end = x + <usize>cells * px;
  if (avg !== 0) {
    for (let p = x; p < end; p += px) {
      for (k = 0; k < vecBytes; k += 16) v128.store(y + k, f32x4.add(v128.load(y + k), v128.load(p + k)));
      for (; k < px; k += 4) store<f32>(y + k, load<f32>(y + k) + load<f32>(p + k));
    }
    const d = <f64>cells;
    for (k = 0; k < vecBytes; k += 16) v128.store(y + k, divide(v128.load(y + k), d));
    for (; k < px; k += 4) store<f32>(y + k, <f32>(<f64>load<f32>(y + k) / d));
    return;
  }
  for (let p = x; p < end; p += px) {
    for (k = 0; k < vecBytes; k += 16) v128.store(y + k, maxStep(v128.load(y + k), v128.load(p + k)));
    for (; k < px; k += 4) store<f32>(y + k, maxStep1(load<f32>(y + k), load<f32>(p + k)));
  }
}
