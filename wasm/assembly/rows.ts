/**
 * Strided row kernels for the model runtime's data-movement and elementwise layers
 * (src/runtime/wasm_rows.ts): Concatenate (each input's rows into their columns of the output),
 * ZeroPadding2D (the image's rows into the padded output, the border zeroed), and broadcasting Add and
 * Multiply. Copies move the values as bits (v128 loads and stores, then 32-bit ones for a row's last
 * 1-3 floats), so NaN payloads and -0 survive, as with Float32Array.set.
 */

/** Copies `rows` rows of n floats from src (rows srcStride floats apart) to dst (dstStride apart). */
export function f32_copy_rows(
  dst: usize,
  dstStride: i32,
  src: usize,
  srcStride: i32,
  rows: i32,
  n: i32,
): void {
  const bytes = (<usize>n) << 2;
  const vecBytes = (<usize>(n & ~3)) << 2;
  const dstStep = (<usize>dstStride) << 2;
  const srcStep = (<usize>srcStride) << 2;
  for (let r = 0; r < rows; r++) {
    let k: usize = 0;
    for (; k + 64 <= vecBytes; k += 64) {
      const a = v128.load(src + k);
      const b = v128.load(src + k, 16);
      const c = v128.load(src + k, 32);
      const d = v128.load(src + k, 48);
      v128.store(dst + k, a);
      v128.store(dst + k, b, 16);
      v128.store(dst + k, c, 32);
      v128.store(dst + k, d, 48);
    }
    for (; k < vecBytes; k += 16) v128.store(dst + k, v128.load(src + k));
    for (; k < bytes; k += 4) store<u32>(dst + k, load<u32>(src + k));
    dst += dstStep;
    src += srcStep;
  }
}

/** Zeroes `rows` rows of n floats at dst, rows dstStride floats apart. */
export function f32_zero_rows(dst: usize, dstStride: i32, rows: i32, n: i32): void {
  const bytes = (<usize>n) << 2;
  const vecBytes = (<usize>(n & ~3)) << 2;
  const dstStep = (<usize>dstStride) << 2;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    let k: usize = 0;
    for (; k < vecBytes; k += 16) v128.store(dst + k, zero);
    for (; k < bytes; k += 4) store<u32>(dst + k, 0);
    dst += dstStep;
  }
}

/**
 * dst = a (mode 0), a + b (1) or a * b (2) over `rows` rows of n floats, dst's rows n floats apart;
 * a's and b's rows aRow / bRow floats apart, and within a row aCol / bCol (1: consecutive, 0: one value
 * for the whole row, broadcast). Float32 adds and multiplies, as kernels.ts' broadcastBinary rounds its
 * float64 ones (a sum or product of two float32 values rounded once to float32 is the same number);
 * dst may be a (in place).
 */
export function f32_binary_rows(
  dst: usize,
  a: usize,
  aRow: i32,
  aCol: i32,
  b: usize,
  bRow: i32,
  bCol: i32,
  rows: i32,
  n: i32,
  mode: i32,
): void {
  const vecBytes = (<usize>(n & ~3)) << 2;
  const bytes = (<usize>n) << 2;
  const aStep: usize = aCol !== 0 ? 4 : 0;
  const bStep: usize = bCol !== 0 ? 4 : 0;
  for (let r = 0; r < rows; r++) {
    const ap = a + ((<usize>(r * aRow)) << 2);
    const bp = b + ((<usize>(r * bRow)) << 2);
    const dp = dst + ((<usize>(r * n)) << 2);
    const aSplat = v128.load32_splat(ap);
    const bSplat = mode !== 0 ? v128.load32_splat(bp) : aSplat;
    let k: usize = 0;
    for (; k < vecBytes; k += 16) {
      const va = aCol !== 0 ? v128.load(ap + k) : aSplat;
      if (mode === 0) {
        v128.store(dp + k, va);
        continue;
      }
      const vb = bCol !== 0 ? v128.load(bp + k) : bSplat;
      v128.store(dp + k, mode === 1 ? f32x4.add(va, vb) : f32x4.mul(va, vb));
    }
    for (; k < bytes; k += 4) {
      const x = load<f32>(ap + (k >> 2) * aStep);
      if (mode === 0) {
        store<f32>(dp + k, x);
        continue;
      }
      const y = load<f32>(bp + (k >> 2) * bStep);
      store<f32>(dp + k, mode === 1 ? x + y : x * y);
    }
  }
}

/**
 * y = min(max(x, lo), hi) over n floats (x and y may be the same), as pmax then pmin: kernels.ts'
 * ReLU rules (`v < lo ? lo : v`, then `v > hi ? hi : v`), so NaN and -0 come through; -Infinity and
 * Infinity as the bounds leave values as they are.
 */
export function f32_clamp_rows(x: usize, y: usize, n: i32, loBits: i32, hiBits: i32): void {
  const vlo = f32x4.splat(reinterpret<f32>(loBits));
  const vhi = f32x4.splat(reinterpret<f32>(hiBits));
  const vecBytes = (<usize>(n & ~3)) << 2;
  const bytes = (<usize>n) << 2;
  let k: usize = 0;
  for (; k < vecBytes; k += 16) v128.store(y + k, f32x4.pmin(f32x4.pmax(v128.load(x + k), vlo), vhi));
  const lo = reinterpret<f32>(loBits);
  const hi = reinterpret<f32>(hiBits);
  for (; k < bytes; k += 4) {
    let v = load<f32>(x + k);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    store<f32>(y + k, v);
  }
}

/**
 * y = x * scale[k] + shift[k] along the last axis (c channels, `pixels` of them), in float64 and rounded
 * to float32 once at the end: the product of two float32 values is exact in float64, so this is the
 * number kernels.ts' scaleShift computes with JavaScript's doubles. BatchNormalization at inference and
 * Rescaling; scale and shift are c floats each, at s and s + 4c.
 */
export function f32_affine_rows(x: usize, y: usize, pixels: i32, c: i32, s: usize): void {
  const px = (<usize>c) << 2;
  const pairBytes = (<usize>(c & ~1)) << 2;
  const shift = s + px;
  for (let p = 0; p < pixels; p++) {
    let k: usize = 0;
    for (; k < pairBytes; k += 8) {
      const v = f64x2.promote_low_f32x4(v128.load64_zero(x + k));
      const m = f64x2.promote_low_f32x4(v128.load64_zero(s + k));
      const a = f64x2.promote_low_f32x4(v128.load64_zero(shift + k));
      v128.store64_lane(y + k, f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(v, m), a)), 0);
    }
    if (k < px) {
      const v = <f64>load<f32>(x + k) * <f64>load<f32>(s + k) + <f64>load<f32>(shift + k);
      store<f32>(y + k, <f32>v);
    }
    x += px;
    y += px;
  }
}

/**
 * kernels.ts' general ReLU over n floats (x and y may be the same), in float64 as its doubles:
 * v >= threshold ? v : slope * (v - threshold), then at most max (Infinity: no bound), rounded to
 * float32 once. LeakyReLU, and ReLU with a negative slope, a threshold or a max_value.
 */
export function f32_relu_general_rows(
  x: usize,
  y: usize,
  n: i32,
  slope: f64,
  threshold: f64,
  max: f64,
): void {
  const vs = f64x2.splat(slope);
  const vt = f64x2.splat(threshold);
  const vm = f64x2.splat(max);
  const pairBytes = (<usize>(n & ~1)) << 2;
  const bytes = (<usize>n) << 2;
  let k: usize = 0;
  for (; k < pairBytes; k += 8) {
    const v = f64x2.promote_low_f32x4(v128.load64_zero(x + k));
    let r = v128.bitselect(v, f64x2.mul(vs, f64x2.sub(v, vt)), f64x2.ge(v, vt));
    r = v128.bitselect(vm, r, f64x2.gt(r, vm));
    v128.store64_lane(y + k, f32x4.demote_f64x2_zero(r), 0);
  }
  if (k < bytes) {
    const v = <f64>load<f32>(x + k);
    let r = v >= threshold ? v : slope * (v - threshold);
    if (r > max) r = max;
    store<f32>(y + k, <f32>r);
  }
}

/**
 * kernels.ts' hard sigmoid over n floats (x and y may be the same): min(1, max(0, 0.2 x + 0.5)) in
 * float64 (0.2 is the double), rounded to float32 once. 0.2 x + 0.5 is never -0, so pmax / pmin give
 * Math.max / Math.min's values, NaN included.
 */
export function f32_hard_sigmoid_rows(x: usize, y: usize, n: i32): void {
  const a = f64x2.splat(0.2);
  const b = f64x2.splat(0.5);
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const pairBytes = (<usize>(n & ~1)) << 2;
  const bytes = (<usize>n) << 2;
  let k: usize = 0;
  for (; k < pairBytes; k += 8) {
    const v = f64x2.promote_low_f32x4(v128.load64_zero(x + k));
    const r = f64x2.pmin(f64x2.pmax(f64x2.add(f64x2.mul(a, v), b), zero), one);
    v128.store64_lane(y + k, f32x4.demote_f64x2_zero(r), 0);
  }
  if (k < bytes) {
    let r = 0.2 * <f64>load<f32>(x + k) + 0.5;
    if (r < 0) r = 0;
    if (r > 1) r = 1;
    store<f32>(y + k, <f32>r);
  }
}
