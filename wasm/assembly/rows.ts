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
