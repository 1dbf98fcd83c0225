// Tensor.toString follows NumPy's printing of float32 arrays (what TensorFlow shows for a tensor's values).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros } from '../src/index.js';

test('whole numbers get a trailing point and shared column widths', () => {
  assert.equal(
    tensor([
      [14, 6],
      [6, 12],
    ]).toString(),
    '[[14.  6.]\n [ 6. 12.]]',
  );
});

test('fractions use the shortest float32 digits, padded to the longest', () => {
  assert.equal(tensor([1.5, 2]).toString(), '[1.5 2. ]');
  assert.equal(tensor([0.1, -0.25]).toString(), '[ 0.1  -0.25]');
  assert.equal(tensor([-0.59594476]).toString(), '[-0.59594476]');
  // Values whose shortest digits come out in exponent form (10 -> "1e+1") are still written plainly.
  assert.equal(tensor([10, 14]).toString(), '[10. 14.]');
  assert.equal(tensor([100, 0.5]).toString(), '[100.    0.5]');
});

test('rank-4 tensors print as the seed shows them', () => {
  const t = tensor([
    [
      [[1.5], [-0.5]],
      [[0.25], [-0.75]],
    ],
  ]);
  assert.equal(t.toString(), '[[[[ 1.5 ]\n   [-0.5 ]]\n\n  [[ 0.25]\n   [-0.75]]]]');
});

test('widely spread magnitudes switch to scientific notation', () => {
  assert.equal(tensor([1e-5, 1]).toString(), '[1.e-05 1.e+00]');
  assert.equal(tensor([1.5e-5, 1]).toString(), '[1.5e-05 1.0e+00]');
  assert.equal(tensor([1e9]).toString(), '[1.e+09]');
});

test('scalars, empty tensors and non-finite values', () => {
  assert.equal(tensor(3).toString(), '3.');
  assert.equal(zeros([2, 0]).toString(), '[]');
  assert.equal(tensor([NaN, 1.5]).toString(), '[nan 1.5]');
});

test('long rows wrap at 75 columns and large tensors are summarised', () => {
  const row = tensor(Array.from({ length: 30 }, (_, i) => i + 0.5)).toString();
  const lines = row.split('\n');
  assert.ok(lines.length > 1, 'lines.length > 1');
  assert.ok(
    lines.every((l) => l.length <= 75),
    row,
  );
  const big = zeros([40, 40]).toString();
  assert.match(big, /\.\.\./);
  assert.ok(big.split('\n').length <= 8, big);
});
