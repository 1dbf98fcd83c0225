// TensorFlow keeps strides, dilations, explicit pads and every dimension of a convolution in int32
// (its kernels read the attributes as std::vector<int32> and check each size with FastBoundsCheck
// against INT_MAX). convkit refuses what TensorFlow refuses, with an InvalidArgumentError naming the
// op, the argument, the value and the limit, and at the limit itself computes the right values on
// every algorithm, or falls back (saying why) rather than planning something absurd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONV2D_ALGORITHMS,
  DEPTHWISE_ALGORITHMS,
  InvalidArgumentError,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dTranspose,
  convGeometry,
  depthwiseConv2d,
  explainConv2d,
  extractImagePatches,
  nn,
  planConv2d,
  tensor,
  zeros,
} from '../src/index.js';
import { conv2dBackpropFilterDirect, conv2dBackpropInputDirect } from '../src/algorithms/backprop_direct.js';

const INT32_MAX = 2 ** 31 - 1;

function throwsInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

const x = tensor([1, 2, 3, 4], [1, 2, 2, 1]);
const w2 = tensor([5, 7, 8, 9], [2, 2, 1, 1]);

test('strides, dilations and explicit pads past int32 are refused by every op, with the limit named', () => {
  for (const big of [2 ** 31, 2 ** 40, 2 ** 52]) {
    const limit = new RegExp(`${big}.*2147483647`);
    throwsInvalid(() => conv2d(x, w2, { dilations: big, padding: 'SAME' }), /^conv2d: dilations /);
    throwsInvalid(() => conv2d(x, w2, { dilations: big, padding: 'SAME' }), limit);
    throwsInvalid(() => conv2d(x, w2, { strides: [1, big, 1, 1] }), /^conv2d: strides .*2147483647/);
    throwsInvalid(() => nn.conv2d(x, w2, 1, 'SAME', 'NHWC', big), /^conv2d: dilations .*2147483647/);
    throwsInvalid(
      () =>
        conv2d(x, w2, {
          padding: [
            [0, big],
            [0, 0],
          ],
        }),
      /^conv2d: padding .*2147483647/,
    );
    throwsInvalid(
      () => depthwiseConv2d(x, w2, { dilations: [big, 1], padding: 'SAME' }),
      /^depthwiseConv2d: dilations .*2147483647/,
    );
    throwsInvalid(
      () => conv2dBackpropInput([1, 2, 2, 1], w2, zeros([1, 2, 2, 1]), { dilations: big, padding: 'SAME' }),
      /^conv2dBackpropInput: dilations .*2147483647/,
    );
    throwsInvalid(
      () => conv2dBackpropFilter(x, [2, 2, 1, 1], zeros([1, 2, 2, 1]), { dilations: big, padding: 'SAME' }),
      /^conv2dBackpropFilter: dilations .*2147483647/,
    );
    throwsInvalid(
      () => conv2dTranspose(zeros([1, 2, 2, 1]), w2, [1, 2, 2, 1], { dilations: big }),
      /^conv2dTranspose: dilations .*2147483647/,
    );
    throwsInvalid(
      () =>
        extractImagePatches(x, {
          sizes: [1, 2, 2, 1],
          strides: [1, 1, 1, 1],
          rates: [1, big, 1, 1],
          padding: 'SAME',
        }),
      /^extractImagePatches: rates .*2147483647/,
    );
    throwsInvalid(
      () => explainConv2d([1, 2, 2, 1], [2, 2, 1, 1], { dilations: big, padding: 'SAME' }),
      /^explainConv2d: dilations .*2147483647/,
    );
    throwsInvalid(
      () =>
        planConv2d(convGeometry('conv2d', [1, 2, 2, 1], [2, 2, 1, 1], { dilations: big, padding: 'SAME' })),
      /^conv2d: dilations .*2147483647/,
    );
  }
});

test('dimensions past int32 are refused even when the tensor is empty', () => {
  const huge = 2 ** 40;
  throwsInvalid(
    () => conv2d(tensor([], [1, huge, 0, 1]), zeros([1, 1, 1, 1]), { padding: 'SAME' }),
    /^conv2d: input .*height 1099511627776.*2147483647/,
  );
  throwsInvalid(
    () => conv2d(tensor([], [0, 2, 2, 2 ** 31]), zeros([1, 1, 1, 1])),
    /^conv2d: input .*channels 2147483648.*2147483647/,
  );
  throwsInvalid(
    () => conv2d(tensor([], [2 ** 31, 2, 0, 1]), zeros([1, 1, 1, 1])),
    /^conv2d: input .*batch 2147483648.*2147483647/,
  );
  throwsInvalid(
    () => conv2d(tensor([], [1, 2, 2, 0]), tensor([], [1, huge, 0, 1])),
    /^conv2d: filter .*1099511627776.*2147483647/,
  );
  throwsInvalid(
    () => explainConv2d([1, huge, 0, 1], [1, 1, 1, 1]),
    /^explainConv2d: input .*height 1099511627776.*2147483647/,
  );
  throwsInvalid(
    () => conv2dBackpropInput([1, huge, 0, 1], zeros([1, 1, 1, 1]), tensor([], [1, huge, 0, 1])),
    /^conv2dBackpropInput: inputShape .*height 1099511627776.*2147483647/,
  );
  throwsInvalid(
    () => conv2dBackpropFilter(tensor([], [1, 2, 0, 1]), [huge, 1, 1, 1], tensor([], [1, 2, 0, 1])),
    /^conv2dBackpropFilter: filterShape .*1099511627776.*2147483647/,
  );
  throwsInvalid(
    () => depthwiseConv2d(tensor([], [1, huge, 0, 1]), zeros([1, 1, 1, 1])),
    /^depthwiseConv2d: input .*height 1099511627776.*2147483647/,
  );
  throwsInvalid(
    () =>
      extractImagePatches(tensor([], [1, huge, 0, 1]), {
        sizes: [1, 1, 1, 1],
        strides: [1, 1, 1, 1],
        rates: [1, 1, 1, 1],
        padding: 'SAME',
      }),
    /^extractImagePatches: images .*height 1099511627776.*2147483647/,
  );
});

// Dilation INT32_MAX with the bottom/right padding just as large: tap (0, 0) of the 2x2 filter lands on
// each input pixel, the other three on padding (zeros times 7, 8, 9), so the output is 5 * x.
const atLimit = {
  dilations: INT32_MAX,
  padding: [
    [0, INT32_MAX],
    [0, INT32_MAX],
  ],
};

test(
  'at the int32 limit every conv2d algorithm computes the values (or falls back), without hanging',
  { timeout: 60_000 },
  () => {
    for (const algorithm of CONV2D_ALGORITHMS) {
      const y = conv2d(x, w2, { ...atLimit, algorithm });
      assert.deepEqual(y.shape, [1, 2, 2, 1], `${algorithm}: shape`);
      assert.deepEqual(Array.from(y.data), [5, 10, 15, 20], `${algorithm}: values`);
    }
    for (const algorithm of DEPTHWISE_ALGORITHMS) {
      const y = depthwiseConv2d(x, w2, { ...atLimit, algorithm });
      assert.deepEqual(Array.from(y.data), [5, 10, 15, 20], `depthwise ${algorithm}: values`);
    }
    const dx = conv2dBackpropInput([1, 2, 2, 1], w2, tensor([1, 1, 1, 1], [1, 2, 2, 1]), atLimit);
    assert.deepEqual(Array.from(dx.data), [5, 5, 5, 5], 'conv2dBackpropInput at the limit');
    const dw = conv2dBackpropFilter(x, [2, 2, 1, 1], tensor([1, 1, 1, 1], [1, 2, 2, 1]), atLimit);
    assert.deepEqual(Array.from(dw.data), [10, 0, 0, 0], 'conv2dBackpropFilter at the limit');
  },
);

test('gradients of a filter spread far past the image run (in JavaScript memory) and match the direct sums', () => {
  // Too many FLOPs for the direct loops, and a dilation whose wasm bands would need 160 GB.
  const d = 100_000;
  const options = {
    dilations: d,
    padding: [
      [0, d],
      [0, d],
    ],
  };
  const g = convGeometry('test', [1, 64, 64, 4], [2, 2, 4, 4], options);
  const x = Float32Array.from({ length: 64 * 64 * 4 }, (_, i) => (i % 7) - 3);
  const dy = Float32Array.from({ length: 64 * 64 * 4 }, (_, i) => (i % 5) - 2);
  const w = Float32Array.from({ length: 64 }, (_, i) => (i % 3) - 1);
  const dw = conv2dBackpropFilter(
    tensor(x, [1, 64, 64, 4]),
    [2, 2, 4, 4],
    tensor(dy, [1, 64, 64, 4]),
    options,
  );
  assert.deepEqual(Array.from(dw.data), Array.from(conv2dBackpropFilterDirect(g, x, dy)), 'filter gradient');
  const dx = conv2dBackpropInput(
    [1, 64, 64, 4],
    tensor(w, [2, 2, 4, 4]),
    tensor(dy, [1, 64, 64, 4]),
    options,
  );
  assert.deepEqual(Array.from(dx.data), Array.from(conv2dBackpropInputDirect(g, w, dy)), 'input gradient');
});

test(
  'forced fft and winograd on a geometry with a huge effective filter fall back and say why',
  { timeout: 60_000 },
  () => {
    for (const dilation of [2 ** 30 - 1, 2 ** 30, 1073741000, INT32_MAX]) {
      const g = convGeometry('conv2d', [1, 2, 2, 1], [2, 2, 1, 1], { dilations: dilation, padding: 'SAME' });
      for (const forced of ['fft', 'winograd'] as const) {
        const plan = planConv2d(g, forced);
        assert.notEqual(plan.algorithm, forced, `${forced} at dilation ${dilation} must fall back`);
        assert.match(
          plan.reason,
          new RegExp(`^${forced} was requested but `),
          `${forced}: the reason says why`,
        );
        const y = conv2d(x, w2, { dilations: dilation, padding: 'SAME', algorithm: forced });
        // SAME padding puts every tap of so spread a filter on padding.
        assert.deepEqual(Array.from(y.data), [0, 0, 0, 0], `${forced} at dilation ${dilation}: values`);
      }
      const explained = explainConv2d([1, 2, 2, 1], [2, 2, 1, 1], { dilations: dilation, padding: 'SAME' });
      assert.ok(explained.plan.reason.length > 0, 'explainConv2d reports a plan');
    }
    // An effective filter past 2^53 could not be placed exactly in float64: refused, not rounded.
    throwsInvalid(
      () =>
        conv2dBackpropFilter(tensor([], [1, 2, 0, 1]), [2 ** 22 + 2, 1, 1, 0], tensor([], [1, 2, 0, 0]), {
          dilations: INT32_MAX,
          padding: 'SAME',
        }),
      /^conv2dBackpropFilter: dilations 2147483647 spreads the filter height 4194306 .*past 2\^52/,
    );
  },
);
