/** Weight packing for the wasm GEMM microkernels. */

/** Columns per packed panel of the f32-igemm-4x8 kernel. */
export const NR = 8;

/**
 * Packs a conv2d filter [filter_height, filter_width, in_per_group, out_channels] (HWIO, flattened to a
 * K x out_channels matrix with K = filter_height * filter_width * in_per_group) for the 4x8 kernel:
 * for each group, the group's output columns in panels of NR, each panel K x NR contiguous, zero-filled
 * past the group's last column. Group g's panels start at g * panels * K * NR floats.
 */
export function packFilterPanels(
  filter: Float32Array,
  k: number,
  outChannels: number,
  groups: number,
): Float32Array {
  const outPerGroup = outChannels / groups;
  const panels = Math.ceil(outPerGroup / NR);
  const packed = new Float32Array(groups * panels * k * NR);
  for (let g = 0; g < groups; g++) {
    for (let p = 0; p < panels; p++) {
      const base = (g * panels + p) * k * NR;
      const col0 = g * outPerGroup + p * NR;
      const cols = Math.min(NR, outPerGroup - p * NR);
      for (let kk = 0; kk < k; kk++) {
        const src = kk * outChannels + col0;
        const dst = base + kk * NR;
        for (let j = 0; j < cols; j++) packed[dst + j] = filter[src + j];
      }
    }
  }
  return packed;
}
