/** Axis permutation of a row-major array: the kernel behind transpose and the NCHW <-> NHWC moves. */

/** Returns data (of `shape`) with its axes reordered so that output axis i is input axis perm[i]. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const out = new Float32Array(data.length);
  if (data.length === 0) return out;
  const inStrides = new Array<number>(rank);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = stride;
    stride *= shape[d];
  }
  const outShape = perm.map((p) => shape[p]);
  const step = perm.map((p) => inStrides[p]);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src];
    // Odometer increment over the output index, moving `src` by the matching input strides.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += step[d];
      if (index[d] < outShape[d]) break;
      src -= step[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** [N, C, H, W] -> [N, H, W, C] */
export function nchwToNhwc(data: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  return permute(data, [n, c, h, w], [0, 2, 3, 1]);
}

/** [N, H, W, C] -> [N, C, H, W] */
export function nhwcToNchw(data: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  return permute(data, [n, h, w, c], [0, 3, 1, 2]);
}
