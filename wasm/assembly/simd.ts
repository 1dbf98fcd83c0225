/**
 * SIMD helpers shared by the kernels. Small enough that Binaryen always inlines them, so a call costs
 * nothing (the module is one compilation unit: these are not calls across modules at run time).
 */

/** acc + a * b, fused when relaxed SIMD is enabled (ASC_FEATURE_RELAXED_SIMD is a compile-time constant). */
export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
