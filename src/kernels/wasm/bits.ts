/** Float32 bit patterns, for kernel arguments the worker pool passes as int32 (its call words). */
const scratch = new Float32Array(1);
const bits = new Int32Array(scratch.buffer);

/** The float32 bit pattern of x (rounded to float32 first), as an int32. */
export function float32Bits(x: number): number {
  scratch[0] = x;
  return bits[0];
}
