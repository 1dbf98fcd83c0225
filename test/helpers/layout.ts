/**
 * Plain-array helpers for building test data: TensorFlow's 1..N inputs and NHWC <-> NCHW reordering.
 * Written here (not imported from src/) so expectations never pass through the code under test.
 */

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** [1, 2, ..., n], as TensorFlow's tests fill their inputs (`np.arange(1, n + 1)`). */
export function oneToN(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** [0, 1, ..., n - 1] (`range(n)`). */
export function zeroToN(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Reorders the row-major values of a tensor: output axis i is input axis perm[i]. Works for any rank
 * (the tests use it for NHWC <-> NCHW and HWC <-> CHW).
 */
export function permuteValues(values: ArrayLike<number>, shape: readonly number[], perm: number[]): number[] {
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const outShape = perm.map((p) => shape[p]);
  const out = new Array<number>(sizeOfShape(shape));
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    for (let d = 0; d < rank; d++) source += index[d] * inStrides[perm[d]];
    out[o] = values[source];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** Permutations between channels-last and channels-first, for rank 4 (batched) or 3 (one image). */
export function toChannelsFirstPerm(rank: number): number[] {
  return rank === 4 ? [0, 3, 1, 2] : [2, 0, 1];
}

export function toChannelsLastPerm(rank: number): number[] {
  return rank === 4 ? [0, 2, 3, 1] : [1, 2, 0];
}

/** Values and shape of an NHWC (or HWC) tensor rewritten as NCHW (or CHW). */
export function nhwcToNchw(
  values: ArrayLike<number>,
  shape: readonly number[],
): { values: number[]; shape: number[] } {
  const perm = toChannelsFirstPerm(shape.length);
  return { values: permuteValues(values, shape, perm), shape: perm.map((p) => shape[p]) };
}

/** Values and shape of an NCHW (or CHW) tensor rewritten as NHWC (or HWC). */
export function nchwToNhwc(
  values: ArrayLike<number>,
  shape: readonly number[],
): { values: number[]; shape: number[] } {
  const perm = toChannelsLastPerm(shape.length);
  return { values: permuteValues(values, shape, perm), shape: perm.map((p) => shape[p]) };
}

/** A small seeded generator (mulberry32) of uniform values in [-1, 1): repeatable test data. */
export function seededUniform(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
