// An op whose result has no elements returns it at once, as TensorFlow does, however large the other
// dimensions are (up to TensorFlow's int32 limits): no loop over rows that hold nothing, no algorithm
// planned for work that does not exist. Each case below used to walk its 2^31 - 1 empty rows (seconds
// each) or search FFT tile sizes up to 2^31 (minutes); the plan now says there is nothing to compute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONV2D_ALGORITHMS,
  DEPTHWISE_ALGORITHMS,
  conv2d,
  conv2dAsync,
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
  type Conv2dOptions,
} from '../src/index.js';

const M = 2 ** 31 - 1;

/** Empty inputs with huge other dimensions, and the options that keep their outputs empty. */
const cases: { input: number[]; filter: number[]; options: Conv2dOptions; output: number[] }[] = [
  { input: [1, M, 0, 1], filter: [1, 1, 1, 1], options: { padding: 'SAME' }, output: [1, M, 0, 1] },
  { input: [1, 0, M, 1], filter: [3, 3, 1, 2], options: { padding: 'SAME' }, output: [1, 0, M, 2] },
  { input: [0, M, M, 1], filter: [3, 3, 1, 1], options: { padding: 'SAME' }, output: [0, M, M, 1] },
  { input: [0, M, M, 1], filter: [5, 5, 1, 1], options: { padding: 'VALID' }, output: [0, M - 4, M - 4, 1] },
  {
    input: [0, 1, M, M],
    filter: [3, 3, 1, 1],
    options: {
      padding: [
        [0, 0],
        [0, 0],
        [1, 1],
        [M, M],
      ],
      dataFormat: 'NCHW',
      strides: [1, 1, 1, 2],
    },
    output: [0, 1, M, Math.floor((3 * M - 3) / 2) + 1],
  },
];

test('conv2d, nn.conv2d and conv2dAsync return an empty result at once on every algorithm', async () => {
  for (const { input, filter, options, output } of cases) {
    const x = tensor([], input);
    const w = zeros(filter);
    for (const algorithm of ['auto', ...CONV2D_ALGORITHMS] as const) {
      const y = conv2d(x, w, { ...options, algorithm });
      assert.deepEqual(y.shape, output, `conv2d ${algorithm} on ${JSON.stringify(input)}`);
      assert.equal(y.data.length, 0, 'no values');
      const plan = planConv2d(convGeometry('conv2d', input, filter, options), algorithm);
      assert.match(
        plan.reason,
        /output .*no elements/,
        `the plan for ${algorithm} says there is nothing to compute`,
      );
      const z = await conv2dAsync(x, w, { ...options, algorithm, threads: 2 });
      assert.deepEqual(z.shape, output, `conv2dAsync ${algorithm}`);
    }
    const positional = nn.conv2d(x, w, options.strides ?? 1, options.padding ?? 'VALID', options.dataFormat);
    assert.deepEqual(positional.shape, output, 'nn.conv2d');
  }
});

test('depthwiseConv2d and extractImagePatches return an empty result at once', () => {
  for (const algorithm of ['auto', ...DEPTHWISE_ALGORITHMS] as const) {
    const y = depthwiseConv2d(tensor([], [1, M, 0, 2]), zeros([3, 3, 2, 2]), { padding: 'SAME', algorithm });
    assert.deepEqual(y.shape, [1, M, 0, 4], `depthwise ${algorithm}`);
    const z = depthwiseConv2d(tensor([], [0, M, M, 1]), zeros([3, 3, 1, 1]), { padding: 'SAME', algorithm });
    assert.deepEqual(z.shape, [0, M, M, 1], `depthwise ${algorithm}, batch 0`);
  }
  const patches = extractImagePatches(tensor([], [1, M, 0, 1]), {
    sizes: [1, 2, 2, 1],
    strides: [1, 1, 1, 1],
    rates: [1, 1, 1, 1],
    padding: 'SAME',
  });
  assert.deepEqual(patches.shape, [1, M, 0, 4], 'extractImagePatches');
});

test('the gradients and conv2dTranspose of empty tensors return at once', () => {
  const w = zeros([3, 3, 1, 1]);
  const dx = conv2dBackpropInput([1, M, 0, 1], w, tensor([], [1, M, 0, 1]), { padding: 'SAME' });
  assert.deepEqual(dx.shape, [1, M, 0, 1], 'conv2dBackpropInput');
  const dw = conv2dBackpropFilter(tensor([], [0, M, M, 1]), [3, 3, 1, 1], tensor([], [0, M, M, 1]), {
    padding: 'SAME',
  });
  assert.deepEqual(Array.from(dw.data), new Array(9).fill(0), 'conv2dBackpropFilter: zeros');
  const t = conv2dTranspose(tensor([], [1, M, 0, 1]), w, [1, M, 0, 1]);
  assert.deepEqual(t.shape, [1, M, 0, 1], 'conv2dTranspose');
});

test('explainConv2d of an empty output explains it at once, values included', () => {
  for (const { input, filter, options, output } of cases) {
    const { strides, padding, dataFormat } = options;
    const e = explainConv2d(input, filter, { strides, padding, dataFormat });
    assert.deepEqual(e.outputShape, output, `explain ${JSON.stringify(input)}`);
    assert.match(e.plan.reason, /no elements/, 'the plan says there is nothing to compute');
  }
  const e = explainConv2d(tensor([], [1, M, 0, 1]), zeros([1, 1, 1, 1]), { padding: 'SAME' });
  assert.deepEqual(e.values?.output, [], 'no output values');
});
