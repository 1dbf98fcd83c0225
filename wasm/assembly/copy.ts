/**
 * Strided row copies and fills for the model runtime's data-movement layers (src/runtime/wasm_copy.ts):
 * Concatenate (each input's rows into their columns of the output), ZeroPadding2D (the image's rows
 * into the padded output, the border zeroed). The values are moved as bits (v128 loads and stores, then
 * 32-bit ones for a row's last 1-3 floats), so NaN payloads and -0 survive, as with Float32Array.set.
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
