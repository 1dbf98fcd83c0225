/**
 * Non-finite filters in the input gradient. TensorFlow's CPU kernel (Conv2DCustomBackpropInputOp:
 * dy x filter^T, then col2im) adds a tap's product only where it lands inside the input, so a NaN or
 * infinite weight reaches only the input pixels that tap reads; the fast paths (dy with a zero border
 * under an implicit GEMM) multiplied that border by the weight, turning finite gradients into NaN.
 * Every path must give the direct reference's values: NaN exactly where it has NaN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSameSpecials } from './helpers/assert_close.js';
import { conv2dBackpropInput, conv2dTranspose, randomNormal, Tensor } from '../src/index.js';
import { conv2dBackpropInputDirect } from '../src/algorithms/backprop_direct.js';
import { conv2dBackpropInputGemm } from '../src/algorithms/backprop_gemm.js';
import { BACKPROP_INPUT_NAMES, inputGradientGeometry } from '../src/ops/conv2d_backprop_input.js';

for (const special of [NaN, Infinity, -Infinity]) {
  test(`conv2dBackpropInput and conv2dTranspose with ${special} in the filter agree with the direct reference`, () => {
    for (const strides of [1, 2]) {
      for (const padding of ['SAME', 'VALID'] as const) {
        const inputShape = [2, 20, 20, 16];
        const filter = randomNormal([3, 3, 16, 24], { seed: 2 });
        filter.data[100] = special; // tap (0, 1)
        filter.data[3 * 16 * 24 - 1] = special; // tap (0, 2), last channel pair
        const out = padding === 'SAME' ? 20 / strides : Math.floor((20 - 3) / strides) + 1;
        const dy = randomNormal([2, out, out, 24], { seed: 3 });
        const options = { padding, strides };
        const g = inputGradientGeometry(BACKPROP_INPUT_NAMES, inputShape, filter, dy, options);
        const want = conv2dBackpropInputDirect(g, filter.data, dy.data);
        const label = `${special}, strides ${strides}, ${padding}`;
        assertSameSpecials(conv2dBackpropInput(inputShape, filter, dy, options).data, want, label, 1e-5);
        assertSameSpecials(
          conv2dTranspose(dy, filter, inputShape, options).data,
          want,
          `transpose ${label}`,
          1e-5,
        );
        assertSameSpecials(conv2dBackpropInputGemm(g, filter.data, dy.data), want, `GEMM ${label}`, 1e-5);
      }
    }
  });
}

test('a finite filter keeps the fast path (the check only looks at the filter)', () => {
  const filter = randomNormal([3, 3, 16, 24], { seed: 2 });
  const dy = randomNormal([2, 20, 20, 24], { seed: 3 });
  const fast = conv2dBackpropInput([2, 20, 20, 16], filter, dy, { padding: 'SAME' }).data;
  const g = inputGradientGeometry(BACKPROP_INPUT_NAMES, [2, 20, 20, 16], filter, dy, { padding: 'SAME' });
  const direct = conv2dBackpropInputDirect(g, filter.data, dy.data);
  // The fast path sums in float32, the reference in float64: some last bits differ.
  assert.ok(
    fast.some((v, i) => v !== direct[i]),
    'a finite filter still runs the float32 fast path, not the reference',
  );
  assert.ok(new Tensor(fast, [2, 20, 20, 16]).size > 0, 'result');
});
