/** Seeded random values, so a URL with `seed=` shows the same numbers on every machine. */

/** mulberry32: a small, fast 32-bit generator; plenty for example values. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Distribution = 'int' | 'normal';

/**
 * `count` values for one tensor. 'int' gives small whole numbers (inputs 0..4, filters -1..2, as in the
 * seed's worked example) so every sum can be checked by hand; 'normal' mimics tf.random.normal.
 */
export function drawValues(
  count: number,
  seed: number,
  dist: Distribution,
  role: 'input' | 'filter',
): number[] {
  const next = generator(seed * 2 + (role === 'filter' ? 1 : 0));
  const values = new Array<number>(count);
  if (dist === 'int') {
    const [low, high] = role === 'input' ? [0, 4] : [-1, 2];
    for (let i = 0; i < count; i++) values[i] = low + Math.floor(next() * (high - low + 1));
    return values;
  }
  for (let i = 0; i < count; i++) {
    // Box-Muller; 1 - u keeps the logarithm away from 0.
    const u = 1 - next();
    const v = next();
    values[i] = Math.fround(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return values;
}
