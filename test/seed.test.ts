// Every example of the seed question ("what does tf.nn.conv2d do?") run in convkit, with the shapes and
// numbers the seed's answers state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  concat,
  conv2d,
  extractImagePatches,
  multiply,
  nn,
  randomNormal,
  reduceSum,
  squeeze,
  tensor,
  type Tensor,
} from '../src/index.js';

function assertAllClose(actual: Tensor, expected: ArrayLike<number>, tolerance = 1e-5): void {
  assert.equal(actual.size, expected.length, 'size');
  for (let i = 0; i < expected.length; i++) {
    const bound = tolerance * Math.max(1, Math.abs(expected[i]));
    assert.ok(
      Math.abs(actual.data[i] - expected[i]) <= bound,
      `index ${i}: got ${actual.data[i]}, expected ${expected[i]}`,
    );
  }
}

/** Value at [b, y, x, c] of an NHWC tensor. */
function at(t: Tensor, b: number, y: number, x: number, c: number): number {
  const [, h, w, ch] = t.shape;
  return t.data[((b * h + y) * w + x) * ch + c];
}

test('the question: [1,10,10,10] with filter [2,10,10,10], strides 2, SAME has shape [1,5,5,10]', () => {
  const op = nn.conv2d(
    randomNormal([1, 10, 10, 10], { seed: 1 }),
    randomNormal([2, 10, 10, 10], { seed: 2 }),
    [1, 2, 2, 1],
    'SAME',
  );
  assert.deepEqual(op.shape, [1, 5, 5, 10]);
});

test('1x1 filter on a 2x2 one-channel image multiplies every pixel (the seed printed values)', () => {
  const input = tensor([
    [
      [[1.60314465], [-0.55022103]],
      [[0.00595062], [-0.69889867]],
    ],
  ]);
  const filter = tensor([[[[-0.59594476]]]]);
  const result = nn.conv2d(input, filter, [1, 1, 1, 1], 'SAME');
  assert.deepEqual(result.shape, [1, 2, 2, 1]);
  // The seed's printed result (TensorFlow, float32).
  assertAllClose(result, [-0.95538563, 0.32790133, -0.00354624, 0.41650501], 2e-7);
});

test('1x1 filter over 5 channels: each output pixel is the dot product over channels', () => {
  const input = randomNormal([1, 3, 3, 5], { seed: 3 });
  const filter = randomNormal([1, 1, 5, 1], { seed: 4 });
  const op = nn.conv2d(input, filter, [1, 1, 1, 1], 'VALID');
  assert.deepEqual(op.shape, [1, 3, 3, 1]);
  for (let p = 0; p < 9; p++) {
    let dot = 0;
    for (let c = 0; c < 5; c++) dot += input.data[p * 5 + c] * filter.data[c];
    assert.ok(Math.abs(op.data[p] - dot) < 1e-5, 'Math.abs(op.data[p] - dot) < 1e-5');
  }
});

test('3x3x5 filter on a 3x3x5 image, VALID: one value, a 45-element dot product', () => {
  const input = randomNormal([1, 3, 3, 5], { seed: 5 });
  const filter = randomNormal([3, 3, 5, 1], { seed: 6 });
  const op = nn.conv2d(input, filter, [1, 1, 1, 1], 'VALID');
  assert.deepEqual(op.shape, [1, 1, 1, 1]);
  let dot = 0;
  for (let i = 0; i < 45; i++) dot += input.data[i] * filter.data[i];
  assert.ok(Math.abs(op.data[0] - dot) < 1e-5, 'Math.abs(op.data[0] - dot) < 1e-5');
  // The seed's Fourier-view answer: a filter as large as the image is a pointwise product summed up.
  assertAllClose(op, [reduceSum(multiply(input.reshape([3, 3, 5]), filter.reshape([3, 3, 5]))).data[0]]);
});

test('5x5x5 image, 3x3x5 filter: VALID gives 3x3, SAME gives 5x5 with corners from 4 taps', () => {
  const input = randomNormal([1, 5, 5, 5], { seed: 7 });
  const filter = randomNormal([3, 3, 5, 1], { seed: 8 });
  const valid = nn.conv2d(input, filter, [1, 1, 1, 1], 'VALID');
  const same = nn.conv2d(input, filter, [1, 1, 1, 1], 'SAME');
  assert.deepEqual(valid.shape, [1, 3, 3, 1]);
  assert.deepEqual(same.shape, [1, 5, 5, 1]);
  // VALID output (i, j) is SAME output (i + 1, j + 1): the filter centred on the 9 inner pixels.
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      assert.ok(
        Math.abs(at(valid, 0, i, j, 0) - at(same, 0, i + 1, j + 1, 0)) < 1e-5,
        'Math.abs(at(valid, 0, i, j, 0) - at(same, 0, i + 1, j + 1, 0)) < 1e-5',
      );
  // The top-left corner only sees filter taps (1..2, 1..2): four 5-element dot products.
  let corner = 0;
  for (let ky = 1; ky < 3; ky++)
    for (let kx = 1; kx < 3; kx++)
      for (let c = 0; c < 5; c++)
        corner += at(input, 0, ky - 1, kx - 1, c) * filter.data[(ky * 3 + kx) * 5 + c];
  assert.ok(Math.abs(at(same, 0, 0, 0, 0) - corner) < 1e-5, 'Math.abs(at(same, 0, 0, 0, 0) - corner) < 1e-5');
});

test('7 filters give 7 channels, each from its own filter; stride 2 keeps every other centre', () => {
  const input = randomNormal([1, 5, 5, 5], { seed: 9 });
  const filter = randomNormal([3, 3, 5, 7], { seed: 10 });
  const same = nn.conv2d(input, filter, [1, 1, 1, 1], 'SAME');
  assert.deepEqual(same.shape, [1, 5, 5, 7]);
  for (let f = 0; f < 7; f++) {
    const single = tensor(filter.toArray()).reshape([45, 7]).toArray() as number[][];
    const column = tensor(single.map((row) => [row[f]])).reshape([3, 3, 5, 1]);
    const one = nn.conv2d(input, column, [1, 1, 1, 1], 'SAME');
    for (let p = 0; p < 25; p++)
      assert.ok(
        Math.abs(one.data[p] - same.data[p * 7 + f]) < 1e-5,
        'Math.abs(one.data[p] - same.data[p * 7 + f]) < 1e-5',
      );
  }
  const strided = nn.conv2d(input, filter, [1, 2, 2, 1], 'SAME');
  assert.deepEqual(strided.shape, [1, 3, 3, 7]);
  // Centres at rows/columns 0, 2, 4: x.x.x
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      for (let c = 0; c < 7; c++)
        assert.ok(
          Math.abs(at(strided, 0, i, j, c) - at(same, 0, 2 * i, 2 * j, c)) < 1e-5,
          'Math.abs(at(strided, 0, i, j, c) - at(same, 0, 2 * i, 2 * j, c)) < 1e-5',
        );
});

test('a batch of 10 images is 10 independent convolutions', () => {
  const input = randomNormal([10, 5, 5, 5], { seed: 11 });
  const filter = randomNormal([3, 3, 5, 7], { seed: 12 });
  const op = nn.conv2d(input, filter, [1, 2, 2, 1], 'SAME');
  assert.deepEqual(op.shape, [10, 3, 3, 7]);
  for (let b = 0; b < 10; b++) {
    const image = tensor(input.data.slice(b * 125, (b + 1) * 125), [1, 5, 5, 5]);
    const alone = nn.conv2d(image, filter, [1, 2, 2, 1], 'SAME');
    assertAllClose(tensor(op.data.slice(b * 63, (b + 1) * 63)), alone.data);
  }
});

test('the worked example: [[14, 6], [6, 12]]', () => {
  const k = tensor([
    [1, 0, 1],
    [2, 1, 0],
    [0, 0, 1],
  ]);
  const i = tensor([
    [4, 3, 1, 0],
    [2, 1, 0, 1],
    [1, 2, 4, 1],
    [3, 1, 0, 2],
  ]);
  const kernel = k.reshape([3, 3, 1, 1]);
  const image = i.reshape([1, 4, 4, 1]);
  for (const algorithm of ['direct', 'im2col', 'auto'] as const) {
    const res = squeeze(conv2d(image, kernel, { strides: [1, 1, 1, 1], padding: 'VALID', algorithm }));
    assert.deepEqual(res.shape, [2, 2]);
    assert.deepEqual(res.toArray(), [
      [14, 6],
      [6, 12],
    ]);
  }
  assert.equal(
    squeeze(nn.conv2d(image, kernel, [1, 1, 1, 1], 'VALID')).toString(),
    '[[14.  6.]\n [ 6. 12.]]',
  );
});

/** The last answer's hand-written conv: extract patches, multiply by each filter column, reduce_sum, concat. */
function handWrittenConv(ix: Tensor, w: Tensor, stride: number, padding: 'SAME' | 'VALID'): Tensor {
  const [filterHeight, filterWidth, inChannels, outChannels] = w.shape;
  const flatW = w.reshape([filterHeight * filterWidth * inChannels, outChannels]);
  const patches = extractImagePatches(ix, {
    sizes: [1, filterHeight, filterWidth, 1],
    strides: [1, stride, stride, 1],
    rates: [1, 1, 1, 1],
    padding,
  });
  const [, outHeight, outWidth] = patches.shape;
  const patchesReshaped = patches.reshape([-1, outHeight, outWidth, filterHeight * filterWidth * inChannels]);
  const featureMaps: Tensor[] = [];
  for (let i = 0; i < outChannels; i++) {
    const column = tensor(Array.from({ length: flatW.shape[0] }, (_, r) => flatW.data[r * outChannels + i]));
    featureMaps.push(reduceSum(multiply(column, patchesReshaped), 3, true));
  }
  return concat(featureMaps, 3);
}

test("the last answer's hand-written conv (patches x filter columns) equals conv2d", () => {
  const input = randomNormal([2, 7, 6, 3], { seed: 13 });
  const filter = randomNormal([3, 3, 3, 4], { seed: 14 });
  for (const stride of [1, 2]) {
    for (const padding of ['SAME', 'VALID'] as const) {
      const mine = handWrittenConv(input, filter, stride, padding);
      const expected = conv2d(input, filter, { strides: stride, padding });
      assert.deepEqual(mine.shape, expected.shape);
      assertAllClose(mine, expected.data, 1e-5);
    }
  }
});
