/**
 * The activations Conv2D and Dense apply to their last axis (channels / units): relu, linear and
 * softmax. Forward writes in place into a buffer the layer owns; backward maps the gradient with
 * respect to the activation's output to the gradient with respect to its input.
 */
import { invalid, show } from '../errors.js';

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

/** Applies `activation` to `z` (rows of `width` values), returning a new buffer (or z itself for linear). */
export function activate(activation: ActivationName, z: Float32Array, width: number): Float32Array {
  if (activation === 'linear') return z;
  const out = new Float32Array(z.length);
  if (activation === 'relu') {
    for (let i = 0; i < z.length; i++) out[i] = z[i] > 0 ? z[i] : 0;
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
  const dz = new Float32Array(da.length);
  if (activation === 'relu') {
    for (let i = 0; i < da.length; i++) dz[i] = a[i] > 0 ? da[i] : 0;
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
