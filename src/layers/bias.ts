/**
 * The bias of Conv2D and Dense: added to every row of the pre-activation values (rows of `width`, the
 * channels or units), and its gradient, the column sums of the pre-activation gradient.
 */
import { activate, bitsOf, reluOfBits, type ActivationName } from './activations.js';
import { scratchFloats } from './workspace.js';

/** Adds `bias` to every row of `values` (rows of bias.length). */
export function addBiasRows(values: Float32Array, bias: Float32Array): void {
  const width = bias.length;
  // Column by column: one bias value in a register, and no short inner loop per row.
  for (let j = 0; j < width; j++) {
    const b = bias[j];
    for (let i = j; i < values.length; i += width) values[i] += b;
  }
}

/** out[j] = sum over rows of values[row, j] (rows of `width`), summed in float64. */
export function sumRowsInto(values: Float32Array, width: number, out: Float32Array): void {
  const n = values.length;
  let j = 0;
  // Four columns at a time, each summed in a local (row order, as a plain loop would).
  for (; j + 4 <= width; j += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = j; i < n; i += width) {
      s0 += values[i];
      s1 += values[i + 1];
      s2 += values[i + 2];
      s3 += values[i + 3];
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
  }
  for (; j < width; j++) {
    let sum = 0;
    for (let i = j; i < n; i += width) sum += values[i];
    out[j] = sum;
  }
}

/**
 * Adds `bias` (when given) to the rows of z in place and returns activation(z), as addBiasRows then
 * activate; for relu both happen in one pass over z, with relu's branch-free mask (see activations.ts).
 */
export function biasThenActivate(
  activation: ActivationName,
  z: Float32Array,
  bias: Float32Array | null,
  width: number,
): Float32Array {
  if (!bias || activation !== 'relu') {
    if (bias) addBiasRows(z, bias);
    return activate(activation, z, width);
  }
  const out = scratchFloats(z.length);
  const zBits = bitsOf(z);
  const outBits = bitsOf(out);
  const n = z.length;
  for (let j = 0; j < width; j++) {
    const b = bias[j];
    for (let i = j; i < n; i += width) {
      z[i] += b;
      outBits[i] = reluOfBits(zBits[i]);
    }
  }
  return out;
}
