/**
 * explainConv2d's output stats with NaN among the outputs: min, max and mean are NaN (as TensorFlow's
 * reduce_min / reduce_max / reduce_mean), never the extremes of the other values nor +-Infinity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainConv2d, randomNormal, Tensor } from '../src/index.js';

test('explainConv2d stats: a NaN output makes min, max and mean NaN', () => {
  const filter = randomNormal([3, 3, 2, 2], { seed: 2 });
  const some = randomNormal([1, 6, 6, 2], { seed: 1 });
  some.data[0] = NaN;
  const all = new Tensor(new Float32Array(72).fill(NaN), [1, 6, 6, 2]);
  for (const [label, x] of [
    ['one NaN input', some],
    ['all NaN', all],
  ] as const) {
    const stats = explainConv2d(x, filter, { padding: 'SAME' }).values?.stats;
    assert.ok(stats, `${label}: stats present`);
    for (const key of ['min', 'max', 'mean'] as const) {
      assert.ok(Number.isNaN(stats[key]), `${label}: ${key} is ${stats[key]}, expected NaN`);
    }
  }
  const finite = explainConv2d(randomNormal([1, 6, 6, 2], { seed: 3 }), filter, { padding: 'SAME' }).values
    ?.stats;
  assert.ok(finite && finite.min < finite.max, 'finite outputs keep their min < max');
});
