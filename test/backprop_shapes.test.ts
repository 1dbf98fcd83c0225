// Shapes the gradient ops must take as conv2d does: one image (rank 3, NHWC and NCHW), TensorFlow's
// [height, width] input sizes, and every zero-size case, which gives zeros (or an empty tensor) of the
// right shape. Also: the ops never write to their arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dTranspose,
  tensor,
  type Tensor,
} from '../src/index.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';

function random(shape: number[], seed: number): Tensor {
  return tensor(seededUniform(sizeOfShape(shape), seed), shape);
}

function assertZeros(t: Tensor, shape: number[]): void {
  assert.deepEqual(t.shape, shape);
  assert.equal(t.data.length, sizeOfShape(shape));
  assert.ok(
    t.data.every((v) => v === 0),
    `expected all zeros, got ${Array.from(t.data.slice(0, 8))}`,
  );
}

test('one image (rank 3) gives the batch-of-one result without the batch axis, NHWC and NCHW', () => {
  const filter = random([3, 2, 4, 6], 1);
  for (const dataFormat of ['NHWC', 'NCHW'] as const) {
    const image = dataFormat === 'NHWC' ? [7, 5, 8] : [8, 7, 5];
    const dyImage = dataFormat === 'NHWC' ? [4, 2, 6] : [6, 4, 2];
    const options = { strides: [2, 3], dilations: [1, 2], padding: 'SAME' as const, dataFormat };
    const x = random(image, 2);
    const dy = random(dyImage, 3);
    const dx3 = conv2dBackpropInput(image, filter, dy, options);
    const dx4 = conv2dBackpropInput([1, ...image], filter, tensor(dy.data, [1, ...dyImage]), options);
    assert.deepEqual(dx3.shape, image);
    assert.deepEqual(dx3.data, dx4.data);
    const dw3 = conv2dBackpropFilter(x, [3, 2, 4, 6], dy, options);
    const dw4 = conv2dBackpropFilter(
      tensor(x.data, [1, ...image]),
      [3, 2, 4, 6],
      tensor(dy.data, [1, ...dyImage]),
      options,
    );
    assert.deepEqual(dw3.shape, [3, 2, 4, 6]);
    assert.deepEqual(dw3.data, dw4.data);
    // 2 groups: 8 input channels over filter in_channels 4.
    assert.ok(
      dx3.data.some((v) => v !== 0),
      'dx3.data.some((v) => v !== 0)',
    );
  }
});

test("TensorFlow's [height, width] input sizes take the batch from dy and the channels from the filter", () => {
  const filter = random([3, 3, 2, 4], 4);
  const dy = random([3, 2, 2, 4], 5);
  const options = { strides: 2, padding: 'SAME' as const };
  const short = conv2dBackpropInput([4, 3], filter, dy, options);
  const full = conv2dBackpropInput([3, 4, 3, 2], filter, dy, options);
  assert.deepEqual(short.shape, [3, 4, 3, 2]);
  assert.deepEqual(short.data, full.data);
  const nchw = conv2dBackpropInput([4, 3], filter, random([3, 4, 2, 2], 6), {
    ...options,
    dataFormat: 'NCHW',
  });
  assert.deepEqual(nchw.shape, [3, 2, 4, 3]);
  const oneImage = conv2dBackpropInput([4, 3], filter, random([2, 2, 4], 7), options);
  assert.deepEqual(oneImage.shape, [4, 3, 2]);
  const transposed = conv2dTranspose(dy, filter, [4, 3], options);
  assert.deepEqual(transposed.data, full.data);
  // conv2dTranspose's padding defaults to SAME, as tf.nn.conv2d_transpose's does.
  assert.deepEqual(conv2dTranspose(dy, filter, [3, 4, 3, 2], { strides: 2 }).data, full.data);
});

test('an empty batch: the input gradient is empty, the filter gradient is zeros', () => {
  const options = { strides: [2, 1], padding: 'SAME' as const };
  const dx = conv2dBackpropInput([0, 5, 4, 3], random([3, 3, 3, 2], 1), tensor([], [0, 3, 4, 2]), options);
  assert.deepEqual(dx.shape, [0, 5, 4, 3]);
  assertZeros(
    conv2dBackpropFilter(tensor([], [0, 5, 4, 3]), [3, 3, 3, 2], tensor([], [0, 3, 4, 2]), options),
    [3, 3, 3, 2],
  );
  const t = conv2dTranspose(tensor([], [0, 3, 4, 2]), random([3, 3, 3, 2], 1), [0, 5, 4, 3], options);
  assert.deepEqual(t.shape, [0, 5, 4, 3]);
});

test('an output with no pixels (VALID overhang under one stride): zeros of the input and filter shapes', () => {
  // Width 2 with a 3-wide filter under VALID: TensorFlow's truncating division gives an empty axis.
  const filter = random([1, 3, 2, 2], 1);
  const dy = tensor([], [2, 4, 0, 2]);
  assertZeros(conv2dBackpropInput([2, 4, 2, 2], filter, dy), [2, 4, 2, 2]);
  assertZeros(conv2dBackpropFilter(random([2, 4, 2, 2], 2), [1, 3, 2, 2], dy), [1, 3, 2, 2]);
  assertZeros(conv2dBackpropInput([4, 2, 2], filter, tensor([], [4, 0, 2])), [4, 2, 2]);
});

test('an input that is only padding: its gradient is empty and the filter gradient is zeros', () => {
  const padding = [
    [1, 1],
    [2, 0],
  ];
  const dy = random([1, 2, 1, 3], 3);
  const dx = conv2dBackpropInput([1, 0, 0, 2], random([1, 2, 2, 3], 4), dy, { padding });
  assert.deepEqual(dx.shape, [1, 0, 0, 2]);
  assertZeros(conv2dBackpropFilter(tensor([], [1, 0, 0, 2]), [1, 2, 2, 3], dy, { padding }), [1, 2, 2, 3]);
});

test('a filter with 0 out_channels (allowed by the gradient ops, as in TensorFlow) gives zeros / empty', () => {
  assertZeros(
    conv2dBackpropInput([2, 5, 5, 3], tensor([], [3, 3, 3, 0]), tensor([], [2, 3, 3, 0])),
    [2, 5, 5, 3],
  );
  assertZeros(
    conv2dBackpropInput([2, 3, 5, 5], tensor([], [3, 3, 1, 0]), tensor([], [2, 0, 3, 3]), {
      dataFormat: 'NCHW',
    }),
    [2, 3, 5, 5],
  );
  assertZeros(
    conv2dBackpropInput([5, 5, 4], tensor([], [3, 3, 2, 0]), tensor([], [5, 5, 0]), { padding: 'SAME' }),
    [5, 5, 4],
  );
  const dw = conv2dBackpropFilter(random([2, 5, 5, 3], 1), [3, 3, 3, 0], tensor([], [2, 3, 3, 0]));
  assert.deepEqual(dw.shape, [3, 3, 3, 0]);
});

test('the ops return new tensors and leave their arguments untouched', () => {
  const x = random([2, 6, 6, 4], 1);
  const w = random([3, 3, 4, 5], 2);
  const dy = random([2, 3, 3, 5], 3);
  const copies = [x, w, dy].map((t) => Float32Array.from(t.data));
  const options = { strides: 2, padding: 'SAME' as const };
  const dx = conv2dBackpropInput([2, 6, 6, 4], w, dy, options);
  const dw = conv2dBackpropFilter(x, [3, 3, 4, 5], dy, options);
  const y = conv2dTranspose(dy, w, [2, 6, 6, 4], options);
  [x, w, dy].forEach((t, i) => assert.deepEqual(t.data, copies[i]));
  assert.notEqual(dx.data, y.data);
  assert.deepEqual(dx.data, y.data);
  assert.notEqual(dw.data.buffer, x.data.buffer);
});
