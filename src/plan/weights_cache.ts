/**
 * Packed-weights cache. Fast paths re-lay the filter once (e.g. into the GEMM's 8-column panels) and
 * keep the result here, keyed by the filter's Float32Array and a packing key, so repeated calls with
 * the same filter tensor pay nothing. A WeakMap holds the entries: when the filter is collected, so
 * are its packed forms. Tensors never change their data (see tensor.ts), so an entry cannot go stale.
 */

const cache = new WeakMap<Float32Array, Map<string, Float32Array>>();

/** The packed form of `filter` named `key`, computed by `pack` on first use. */
export function packedWeights(filter: Float32Array, key: string, pack: () => Float32Array): Float32Array {
  let forms = cache.get(filter);
  if (!forms) {
    forms = new Map();
    cache.set(filter, forms);
  }
  let packed = forms.get(key);
  if (!packed) {
    packed = pack();
    forms.set(key, packed);
  }
  return packed;
}

/** Whether a packed form is cached (for tests). */
export function hasPackedWeights(filter: Float32Array, key: string): boolean {
  return cache.get(filter)?.has(key) ?? false;
}
