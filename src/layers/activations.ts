/**
 * The activations Conv2D and Dense apply to their last axis (channels / units): relu, linear and
 * softmax. Forward writes in place into a buffer the layer owns; backward maps the gradient with
 * respect to the activation's output to the gradient with respect to its input.
 */
import { invalid, show } from '../errors.js';
import { scratchFloats } from './workspace.js';

export const ACTIVATIONS = ['linear', 'relu', 'softmax'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export function checkActivation(op: string, value: unknown): ActivationName {
  if (value === undefined) return 'linear';
  if ((ACTIVATIONS as readonly unknown[]).includes(value)) return value as ActivationName;
  return invalid(
    op,
    'activation',
    `must be one of ${ACTIVATIONS.map((n) => `'${n}'`).join(', ')}, got ${show(value)}`,
  );
}

/** softmax over each row of `width` values, from `src` into `dst` (they may be the same buffer). */
export function softmaxRows(src: Float32Array, dst: Float32Array, width: number): void {
  for (let row = 0; row < src.length; row += width) {
    // Subtracting the row maximum keeps exp() from overflowing; it cancels in the ratio.
    let max = -Infinity;
    for (let j = 0; j < width; j++) max = Math.max(max, src[row + j]);
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const e = Math.exp(src[row + j] - max);
      dst[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < width; j++) dst[row + j] /= sum;
  }
}

/**
 * The bits of relu(x) from the bits of x: x > 0 exactly when its bits, as an int32, lie in
 * (0, 0x7f800000] (+0 is 0, negatives have the sign bit, NaNs lie above +Infinity); else +0. The mask
 * is computed without a branch: with random signs a branch mispredicts half the time.
 */
export function reluOfBits(bits: number): number {
  return bits & reluMask(bits);
}

/** -1 (all bits) when the float with these bits is > 0, else 0. */
function reluMask(bits: number): number {
  return ((-bits | 0) >> 31) & (((bits - 0x7f800001) | 0) >> 31);
}

/** The same memory as int32 bits. */
export function bitsOf(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

/** Applies `activation` to `z` (rows of `width` values), returning a new buffer (or z itself for linear). */
export function activate(activation: ActivationName, z: Float32Array, width: number): Float32Array {
  if (activation === 'linear') return z;
  const out = scratchFloats(z.length);
  if (activation === 'relu') {
    const zBits = bitsOf(z);
    const outBits = bitsOf(out);
    for (let i = 0; i < zBits.length; i++) outBits[i] = reluOfBits(zBits[i]);
  } else {
    softmaxRows(z, out, width);
  }
  return out;
}

/** Gradient with respect to z, given the activation output `a = activation(z)` and dL/da. */
export function activationBackward(
  activation: ActivationName,
  a: Float32Array,
  da: Float32Array,
  width: number,
): Float32Array {
  if (activation === 'linear') return da;
  const dz = scratchFloats(da.length);
  if (activation === 'relu') {
    // dz = da where a > 0, else +0.
    const aBits = bitsOf(a);
    const daBits = bitsOf(da);
    const dzBits = bitsOf(dz);
    for (let i = 0; i < dzBits.length; i++) dzBits[i] = daBits[i] & reluMask(aBits[i]);
    return dz;
  }
  // softmax: dz_j = a_j * (da_j - sum_k da_k * a_k), row by row.
  for (let row = 0; row < da.length; row += width) {
    let dot = 0;
    for (let j = 0; j < width; j++) dot += da[row + j] * a[row + j];
    for (let j = 0; j < width; j++) dz[row + j] = a[row + j] * (da[row + j] - dot);
  }
  return dz;
}
