/**
 * The Winograd filter transform U = G g G^T of every (input channel, output channel) pair of an r x r
 * filter, packed for the f32-igemm-4x8 kernel: the elementwise stage is alpha^2 GEMMs
 * M[ij] = V[ij] x U[ij], so U is stored as alpha^2 matrices of in_per_group x out_per_group (per group),
 * each in 8-column panels (see src/kernels/wasm/pack.ts). Computed in float64, rounded once.
 */
import { NR } from './wasm/pack.js';
import type { WinogradMatrices } from './winograd_matrices.js';

/** Floats of one position's U (all groups): groups * panels * inPerGroup * NR. */
export function winogradSliceFloats(inPerGroup: number, outChannels: number, groups: number): number {
  return groups * Math.ceil(outChannels / groups / NR) * inPerGroup * NR;
}

/**
 * Packs filter [r, r, inPerGroup, outChannels] (HWIO): U[ij] starts at ij * winogradSliceFloats(...);
 * within it, group g's panels start at g * panels * inPerGroup * NR, panel p holding output columns
 * g * outPerGroup + 8p .. + 7 of the group, row c (input channel) at c * NR; zeros past the group's
 * last column.
 */
export function packWinogradFilter(
  filter: Float32Array,
  inPerGroup: number,
  outChannels: number,
  groups: number,
  { alpha, r, G }: WinogradMatrices,
): Float32Array {
  const outPerGroup = outChannels / groups;
  const panels = Math.ceil(outPerGroup / NR);
  const slice = winogradSliceFloats(inPerGroup, outChannels, groups);
  const packed = new Float32Array(alpha * alpha * slice);
  const tapStride = inPerGroup * outChannels;
  const gg = new Float64Array(alpha * r); // G g, alpha x r
  const tap = new Float64Array(r * r); // g of one (input channel, output channel) pair
  for (let c = 0; c < inPerGroup; c++) {
    for (let k = 0; k < outChannels; k++) {
      const group = Math.floor(k / outPerGroup);
      const col = k - group * outPerGroup;
      const base = (group * panels + (col >> 3)) * inPerGroup * NR + c * NR + (col & 7);
      const f = c * outChannels + k;
      for (let t = 0; t < r * r; t++) tap[t] = filter[f + t * tapStride];
      for (let i = 0; i < alpha; i++) {
        const gi = G[i];
        for (let x = 0; x < r; x++) {
          let sum = 0;
          for (let y = 0; y < r; y++) sum += gi[y] * tap[y * r + x];
          gg[i * r + x] = sum;
        }
      }
      for (let i = 0; i < alpha; i++) {
        for (let j = 0; j < alpha; j++) {
          const gj = G[j];
          let sum = 0;
          for (let x = 0; x < r; x++) sum += gg[i * r + x] * gj[x];
          packed[(i * alpha + j) * slice + base] = sum;
        }
      }
    }
  }
  return packed;
}
