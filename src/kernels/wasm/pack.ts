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

/**
 * Packs a grouped conv2d filter [filter_height, filter_width, in_per_group, out_channels] (HWIO) with
 * `groupsPerPanel` groups sharing each NR-column panel, as a block-diagonal matrix: panel p holds the
 * output columns of groups p * groupsPerPanel onwards (out_per_group each, side by side) and, for each
 * filter tap, one K row per input channel of those groups (in_per_group rows a group, in group order),
 * the weight where row and column belong to the same group and zero elsewhere. So panel p multiplies
 * one contiguous run of input channels a tap. Every panel but the last (which may hold fewer groups,
 * hence fewer rows and columns) is taps * groupsPerPanel * in_per_group x NR floats.
 */
export function packGroupBlockPanels(
  filter: Float32Array,
  taps: number,
  outChannels: number,
  groups: number,
  groupsPerPanel: number,
): Float32Array {
  const outPerGroup = outChannels / groups;
  const inPerGroup = filter.length / (taps * outChannels);
  const panels = Math.ceil(groups / groupsPerPanel);
  const packed = new Float32Array(taps * groups * inPerGroup * NR);
  let dst = 0;
  for (let p = 0; p < panels; p++) {
    const first = p * groupsPerPanel;
    const count = Math.min(groupsPerPanel, groups - first);
    for (let t = 0; t < taps; t++) {
      for (let j = 0; j < count; j++) {
        const col0 = (first + j) * outPerGroup;
        for (let c = 0; c < inPerGroup; c++) {
          const src = (t * inPerGroup + c) * outChannels + col0;
          const at = dst + j * outPerGroup;
          for (let o = 0; o < outPerGroup; o++) packed[at + o] = filter[src + o];
          dst += NR;
        }
      }
    }
  }
  return packed;
}
