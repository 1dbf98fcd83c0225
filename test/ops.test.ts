import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONV2D_ALGORITHMS,
  ResourceExhaustedError,
  concat,
  conv2d,
  extractImagePatches,
  multiply,
  nn,
  randomNormal,
  reduceSum,
  squeeze,
  tensor,
  transpose,
  zeros,
  type Tensor,
} from '../src/index.js';

function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  let worst = 0;
  for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
  return worst;
}

test('NCHW gives the NHWC result with the axes moved', () => {
  const x = randomNormal([2, 7, 6, 3], { seed: 1 });
  const w = randomNormal([3, 2, 3, 5], { seed: 2 });
  for (const algorithm of CONV2D_ALGORITHMS) {
    const options = { strides: [2, 1], padding: 'SAME' as const, dilations: [1, 2], algorithm };
    const nhwc = conv2d(x, w, options);
    const nchw = conv2d(transpose(x, [0, 3, 1, 2]), w, {
      ...options,
      dataFormat: 'NCHW',
      strides: [1, 1, 2, 1],
      dilations: [1, 1, 1, 2],
    });
    assert.ok(maxAbsDiff(transpose(nchw, [0, 2, 3, 1]), nhwc) < 1e-5, algorithm);
  }
});

test('a rank-3 input is one image and gives a rank-3 output', () => {
  const x = randomNormal([5, 5, 2], { seed: 3 });
  const w = randomNormal([3, 3, 2, 4], { seed: 4 });
  const single = conv2d(x, w, { padding: 'SAME' });
  assert.deepEqual(single.shape, [5, 5, 4]);
  assert.deepEqual(single.data, conv2d(x.reshape([1, 5, 5, 2]), w, { padding: 'SAME' }).data);
});

test('grouped convolution: each group of input channels meets its own filters', () => {
  const x = randomNormal([1, 4, 4, 6], { seed: 5 });
  const w = randomNormal([3, 3, 3, 4], { seed: 6 });
  const grouped = conv2d(x, w, { padding: 'SAME' });
  assert.deepEqual(grouped.shape, [1, 4, 4, 4]);
  // Group 1 = input channels 3..5 with output channels 2..3.
  const xs = tensor(
    Array.from({ length: 16 * 3 }, (_, i) => x.data[Math.floor(i / 3) * 6 + 3 + (i % 3)]),
    [1, 4, 4, 3],
  );
  const ws = tensor(
    Array.from({ length: 27 * 2 }, (_, i) => w.data[Math.floor(i / 2) * 4 + 2 + (i % 2)]),
    [3, 3, 3, 2],
  );
  const part = conv2d(xs, ws, { padding: 'SAME' });
  for (let p = 0; p < 16; p++)
    for (let c = 0; c < 2; c++)
      assert.ok(
        Math.abs(grouped.data[p * 4 + 2 + c] - part.data[p * 2 + c]) < 1e-5,
        'Math.abs(grouped.data[p * 4 + 2 + c] - part.data[p * 2 + c]) < 1e-5',
      );
});

test('zero-size batches and padding-only inputs give TensorFlow shapes', () => {
  const w = randomNormal([3, 3, 2, 4], { seed: 7 });
  for (const algorithm of CONV2D_ALGORITHMS) {
    assert.deepEqual(conv2d(zeros([0, 5, 5, 2]), w, { padding: 'SAME', algorithm }).shape, [0, 5, 5, 4]);
    assert.deepEqual(conv2d(zeros([1, 2, 5, 2]), w, { padding: 'VALID', algorithm }).shape, [1, 0, 3, 4]);
    const onlyPadding = conv2d(zeros([1, 0, 0, 2]), w, {
      padding: [
        [0, 0],
        [1, 1],
        [1, 2],
        [0, 0],
      ],
      algorithm,
    });
    assert.deepEqual(onlyPadding.shape, [1, 0, 1, 4]);
    const padded = conv2d(zeros([1, 1, 1, 2]), w, {
      padding: [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ],
      algorithm,
    });
    assert.deepEqual(padded.shape, [1, 3, 3, 4]);
    assert.ok(
      padded.data.every((v) => v === 0),
      'padded.data.every((v) => v === 0)',
    );
  }
});

test('NaN and Infinity propagate as in TensorFlow (padding is a multiplied zero)', () => {
  const x = tensor([1, NaN, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  const w = tensor([1, 1, 1, 1], [2, 2, 1, 1]);
  for (const algorithm of CONV2D_ALGORITHMS) {
    const y = conv2d(x, w, { padding: 'VALID', algorithm });
    assert.ok(Number.isNaN(y.data[0]) && Number.isNaN(y.data[1]), algorithm);
    assert.equal(y.data[3], 5 + 6 + 8 + 9);
    const inf = conv2d(tensor([1, 2, 3, 4], [1, 2, 2, 1]), tensor([Infinity, 0, 0, 0], [2, 2, 1, 1]), {
      padding: 'SAME',
      algorithm,
    });
    assert.deepEqual([...inf.data], [Infinity, Infinity, Infinity, Infinity], algorithm);
    // A SAME window whose Infinity weight lands on padding multiplies 0 * Infinity = NaN.
    const pad = conv2d(tensor([1, 2, 3, 4], [1, 2, 2, 1]), tensor([0, 0, 0, Infinity], [2, 2, 1, 1]), {
      padding: 'SAME',
      algorithm,
    });
    assert.equal(pad.data[0], Infinity);
    assert.ok(Number.isNaN(pad.data[3]), algorithm);
  }
});

test('conv2d refuses unknown options, bad algorithms and non-tensors', () => {
  const x = zeros([1, 3, 3, 1]);
  const w = zeros([1, 1, 1, 1]);
  assert.throws(
    () => conv2d(x, w, { stride: 2 } as never),
    /conv2d: options has unknown option "stride"; known options: strides, padding/,
  );
  assert.throws(
    () => conv2d(x, w, { algorithm: 'magic' as never }),
    /conv2d: algorithm must be one of 'auto', 'direct'.*got "magic"/,
  );
  assert.throws(
    () => conv2d('x' as never, w),
    /conv2d: input must be a Tensor or an array of numbers, got "x"/,
  );
  assert.throws(() => conv2d(x, w, 'SAME' as never), /conv2d: options must be an object, got "SAME"/);
});

test('an output too large to allocate is refused before allocating', () => {
  const x = zeros([64, 256, 256, 1]);
  const w = zeros([1, 1, 1, 257]);
  assert.throws(() => conv2d(x, w), ResourceExhaustedError);
  assert.throws(
    () => conv2d(x, w),
    /conv2d: output of shape \[64,256,256,257\] would hold 1077936128 elements/,
  );
});

test('nn.conv2d takes TensorFlow positional arguments', () => {
  const x = randomNormal([1, 6, 6, 3], { seed: 8 });
  const w = randomNormal([3, 3, 3, 2], { seed: 9 });
  const positional = nn.conv2d(x, w, [1, 2, 2, 1], 'SAME', 'NHWC', [1, 1, 1, 1]);
  assert.deepEqual(positional.data, conv2d(x, w, { strides: 2, padding: 'SAME' }).data);
  assert.deepEqual(nn.conv2d(x, w, 1, 'valid').shape, [1, 4, 4, 2]);
});

test('extractImagePatches lays windows along the depth axis in (row, col, depth) order', () => {
  // 1..16 as a 4x4 image; 2x2 patches with stride 2.
  const image = tensor(
    Array.from({ length: 16 }, (_, i) => i + 1),
    [1, 4, 4, 1],
  );
  const p = extractImagePatches(image, {
    sizes: [1, 2, 2, 1],
    strides: [1, 2, 2, 1],
    rates: [1, 1, 1, 1],
    padding: 'VALID',
  });
  assert.deepEqual(p.toArray(), [
    [
      [
        [1, 2, 5, 6],
        [3, 4, 7, 8],
      ],
      [
        [9, 10, 13, 14],
        [11, 12, 15, 16],
      ],
    ],
  ]);
  const dilated = extractImagePatches(image, {
    sizes: [1, 2, 2, 1],
    strides: [1, 1, 1, 1],
    rates: [1, 2, 2, 1],
    padding: 'VALID',
  });
  assert.deepEqual(dilated.shape, [1, 2, 2, 4]);
  assert.deepEqual([...dilated.data.slice(0, 4)], [1, 3, 9, 11]);
  const same = extractImagePatches(image, {
    sizes: [1, 2, 2, 1],
    strides: [1, 3, 3, 1],
    rates: [1, 1, 1, 1],
    padding: 'SAME',
  });
  assert.deepEqual(same.toArray(), [
    [
      [
        [1, 2, 5, 6],
        [4, 0, 8, 0],
      ],
      [
        [13, 14, 0, 0],
        [16, 0, 0, 0],
      ],
    ],
  ]);
  assert.throws(
    () => extractImagePatches(image, undefined as never),
    /extractImagePatches: sizes must be a list of 4 integers/,
  );
});

test('squeeze, transpose, multiply, reduceSum and concat follow TensorFlow', () => {
  const t = tensor([[[1], [2], [3]]]);
  assert.deepEqual(squeeze(t).shape, [3]);
  assert.deepEqual(squeeze(t, 0).shape, [3, 1]);
  assert.deepEqual(squeeze(t, [-1]).shape, [1, 3]);
  assert.throws(() => squeeze(t, 1), /squeeze: axis 1 names axis 1 of size 3/);
  assert.throws(
    () => squeeze(t, 3),
    /squeeze: axis must be an integer in \[-3, 2\] for a rank-3 tensor, got 3/,
  );

  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(transpose(m).toArray(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  assert.deepEqual(transpose(zeros([2, 3, 4]), [2, 0, 1]).shape, [4, 2, 3]);
  assert.throws(() => transpose(m, [0, 0]), /transpose: perm must be a permutation of 0..1/);

  assert.deepEqual(multiply(m, tensor([10, 100, 1000])).toArray(), [
    [10, 200, 3000],
    [40, 500, 6000],
  ]);
  assert.deepEqual(multiply(tensor([[1], [2]]), tensor([1, 2, 3])).shape, [2, 3]);
  assert.deepEqual([...multiply(m, 2).data], [2, 4, 6, 8, 10, 12]);
  assert.throws(
    () => multiply(m, tensor([1, 2])),
    /multiply: b of shape \[2\] cannot be broadcast with a of shape \[2,3\]/,
  );

  assert.deepEqual(reduceSum(m).toArray(), 21);
  assert.deepEqual(reduceSum(m, 0).toArray(), [5, 7, 9]);
  assert.deepEqual(reduceSum(m, -1, true).toArray(), [[6], [15]]);
  assert.deepEqual(reduceSum(m, [0, 1], true).shape, [1, 1]);

  assert.deepEqual(concat([m, m], 1).toArray(), [
    [1, 2, 3, 1, 2, 3],
    [4, 5, 6, 4, 5, 6],
  ]);
  assert.deepEqual(concat([m, tensor([[7, 8, 9]])], 0).shape, [3, 3]);
  assert.throws(
    () => concat([m, tensor([[7, 8]])], 0),
    /concat: tensors\[1\] has shape \[1,2\], which does not match \[2,3\] outside axis 0/,
  );
  assert.throws(() => concat([], 0), /concat: tensors must be a non-empty list/);
});
