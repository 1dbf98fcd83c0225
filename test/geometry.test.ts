// TensorFlow's output-size and padding rules (tensorflow/core/framework/kernel_shape_util.cc), worked by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, patchesGeometry, InvalidArgumentError } from '../src/index.js';

function axis(
  inSize: number,
  k: number,
  stride: number,
  padding: 'SAME' | 'VALID' | number[][],
  dilation = 1,
) {
  const g = convGeometry('conv2d', [1, inSize, 1, 1], [k, 1, 1, 1], {
    strides: [stride, 1],
    padding,
    dilations: [dilation, 1],
  });
  return { out: g.outHeight, before: g.padTop, after: g.padBottom };
}

test('SAME: out = ceil(in / stride), the odd padding row goes after', () => {
  assert.deepEqual(axis(5, 3, 2, 'SAME'), { out: 3, before: 1, after: 1 });
  assert.deepEqual(axis(10, 2, 2, 'SAME'), { out: 5, before: 0, after: 0 });
  assert.deepEqual(axis(4, 2, 1, 'SAME'), { out: 4, before: 0, after: 1 });
  assert.deepEqual(axis(4, 4, 1, 'SAME'), { out: 4, before: 1, after: 2 });
  assert.deepEqual(axis(7, 4, 3, 'SAME', 2), { out: 3, before: 3, after: 3 });
  // The filter is smaller than the stride: no padding is needed at all.
  assert.deepEqual(axis(7, 1, 3, 'SAME'), { out: 3, before: 0, after: 0 });
});

test('VALID: out = ceil((in - effective_k + 1) / stride); a negative size is an error', () => {
  assert.deepEqual(axis(7, 3, 2, 'VALID'), { out: 3, before: 0, after: 0 });
  assert.deepEqual(axis(4, 3, 1, 'VALID'), { out: 2, before: 0, after: 0 });
  assert.deepEqual(axis(9, 3, 1, 'VALID', 3), { out: 3, before: 0, after: 0 });
  // TensorFlow divides with C++ truncation: an overhang of less than a stride gives an empty axis.
  assert.deepEqual(axis(2, 3, 1, 'VALID'), { out: 0, before: 0, after: 0 });
  assert.deepEqual(axis(1, 4, 2, 'VALID'), { out: 0, before: 0, after: 0 });
  assert.throws(
    () => axis(1, 5, 2, 'VALID'),
    /conv2d: VALID padding gives a negative output height \(-1\): input height 1 is smaller than the effective filter height 5/,
  );
  assert.throws(() => axis(3, 3, 1, 'VALID', 3), /effective filter height 7 \(filter 3, dilation 3\)/);
});

test('explicit: out = floor((in + before + after - effective_k) / stride) + 1', () => {
  assert.deepEqual(
    axis(4, 3, 2, [
      [0, 0],
      [1, 2],
      [0, 0],
      [0, 0],
    ]),
    { out: 3, before: 1, after: 2 },
  );
  assert.deepEqual(
    axis(5, 3, 1, [
      [1, 1],
      [0, 0],
    ]),
    { out: 5, before: 1, after: 1 },
  );
  assert.deepEqual(
    axis(0, 1, 1, [
      [0, 0],
      [2, 1],
      [0, 0],
      [0, 0],
    ]),
    { out: 3, before: 2, after: 1 },
  );
});

test('strides and dilations as 1, 2 or 4 numbers in dataFormat order', () => {
  const shape = [1, 20, 30, 2];
  const nchw = [1, 2, 20, 30];
  const filter = [3, 3, 2, 4];
  const pick = (g: ReturnType<typeof convGeometry>) => [
    g.strideHeight,
    g.strideWidth,
    g.dilationHeight,
    g.dilationWidth,
  ];
  assert.deepEqual(pick(convGeometry('conv2d', shape, filter, { strides: 2, dilations: 3 })), [2, 2, 3, 3]);
  assert.deepEqual(
    pick(convGeometry('conv2d', shape, filter, { strides: [2, 3], dilations: [1, 2] })),
    [2, 3, 1, 2],
  );
  assert.deepEqual(
    pick(convGeometry('conv2d', shape, filter, { strides: [1, 2, 3, 1], dilations: [1, 1, 2, 1] })),
    [2, 3, 1, 2],
  );
  assert.deepEqual(
    pick(
      convGeometry('conv2d', nchw, filter, {
        dataFormat: 'NCHW',
        strides: [1, 1, 2, 3],
        dilations: [1, 1, 1, 2],
      }),
    ),
    [2, 3, 1, 2],
  );
  // Strides > 1 together with dilations > 1 is allowed (TensorFlow's kernel computes it).
  const both = convGeometry('conv2d', shape, filter, { strides: 2, dilations: 2, padding: 'SAME' });
  assert.deepEqual([both.outHeight, both.outWidth, both.effectiveFilterHeight], [10, 15, 5]);
});

test('NHWC and NCHW shapes, rank-3 single images, groups and FLOPs', () => {
  const nhwc = convGeometry('conv2d', [2, 5, 6, 4], [3, 3, 4, 7], { padding: 'SAME' });
  assert.deepEqual(nhwc.outputShape, [2, 5, 6, 7]);
  assert.equal(nhwc.flops, 2 * 2 * 5 * 6 * 7 * 3 * 3 * 4);
  const nchw = convGeometry('conv2d', [2, 4, 5, 6], [3, 3, 4, 7], { padding: 'SAME', dataFormat: 'NCHW' });
  assert.deepEqual(nchw.outputShape, [2, 7, 5, 6]);
  const single = convGeometry('conv2d', [5, 6, 4], [3, 3, 4, 7], { padding: 'VALID' });
  assert.deepEqual(single.outputShape, [3, 4, 7]);
  assert.equal(single.batched, false);
  const grouped = convGeometry('conv2d', [1, 5, 5, 6], [3, 3, 3, 4], {});
  assert.equal(grouped.groups, 2);
  assert.deepEqual(grouped.outputShape, [1, 3, 3, 4]);
  const empty = convGeometry('conv2d', [0, 5, 5, 3], [3, 3, 3, 2], { padding: 'SAME' });
  assert.deepEqual(empty.outputShape, [0, 5, 5, 2]);
});

test('the seed question: [1,10,10,10] with [2,10,10,10], strides 2, SAME', () => {
  const g = convGeometry('conv2d', [1, 10, 10, 10], [2, 10, 10, 10], {
    strides: [1, 2, 2, 1],
    padding: 'SAME',
  });
  assert.deepEqual(g.outputShape, [1, 5, 5, 10]);
  // Rows: a 2-tall filter fits (total 0); columns: the 10-wide filter needs (5-1)*2 + 10 - 10 = 8.
  assert.deepEqual([g.padTop, g.padBottom, g.padLeft, g.padRight], [0, 0, 4, 4]);
});

test('bad geometry arguments are named in the error', () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => convGeometry('conv2d', [1, 4, 4, 4], [3, 3, 5, 7]),
      /conv2d: input has 4 channels but filter \[3,3,5,7\] expects 5 \(filter is \[height, width, in_channels, out_channels\]\)/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 6], [3, 3, 3, 5]),
      /conv2d: filter \[3,3,3,5\] has 5 out_channels, which the 2 groups/,
    ],
    [
      () => convGeometry('conv2d', [4, 4, 4, 4, 4], [3, 3, 4, 1]),
      /conv2d: input must be rank 3 or 4 .* got shape \[4,4,4,4,4\]/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 4], [3, 3, 4]),
      /conv2d: filter must be rank 4 \(\[filter_height, filter_width, in_channels, out_channels\]\), got shape \[3,3,4\]/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 4], [0, 3, 4, 1]),
      /conv2d: filter must not have a zero dimension, got shape \[0,3,4,1\]/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], { strides: 0 }),
      /conv2d: strides must hold integers >= 1, got 0/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], { strides: [1, 2, 2] }),
      /conv2d: strides must be a number or a list of 1, 2 or 4 numbers, got \[1,2,2\]/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], { strides: [2, 2, 2, 1] }),
      /conv2d: strides \[2,2,2,1\] must be 1 on the batch and channel axes/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], { dilations: [1.5] }),
      /conv2d: dilations must hold integers >= 1, got \[1.5\]/,
    ],
    [
      () =>
        convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], { dilations: [1, 1, 2, 2], dataFormat: 'NHWC' }),
      /conv2d: dilations \[1,1,2,2\] must be 1 on the batch and channel axes \(NHWC order/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], { padding: 'FULL' as 'SAME' }),
      /conv2d: padding must be "SAME", "VALID" or a list of \[before, after\] pairs, got "FULL"/,
    ],
    [
      () =>
        convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], {
          padding: [
            [0, 0],
            [1, -1],
            [0, 0],
            [0, 0],
          ],
        }),
      /conv2d: padding amounts must be integers >= 0/,
    ],
    [
      () =>
        convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], {
          padding: [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 1],
          ],
        }),
      /conv2d: padding .* pads the batch or channel axis/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], { padding: [[1, 1]] }),
      /conv2d: padding must be "SAME", "VALID" or explicit/,
    ],
    [
      () => convGeometry('conv2d', [1, 4, 4, 1], [1, 1, 1, 1], { dataFormat: 'NWHC' as 'NHWC' }),
      /conv2d: dataFormat must be "NHWC" or "NCHW", got "NWHC"/,
    ],
    [
      () =>
        convGeometry('conv2d', [1, 1, 1, 1], [1, 1, 1, 1], {
          padding: [
            [0, 0],
            [40000, 40000],
            [40000, 40000],
            [0, 0],
          ],
        }),
      /conv2d: output of shape \[1,80001,80001,1\] would hold 6400160001 elements/,
    ],
  ];
  for (const [fn, message] of cases) assert.throws(fn, message);
  assert.throws(() => convGeometry('conv2d', [1, 4, 4, 4], [3, 3, 5, 7]), InvalidArgumentError);
});

test('extract_patches geometry: sizes, strides and rates as [1, r, c, 1]', () => {
  const g = patchesGeometry('extractImagePatches', [2, 10, 9, 3], {
    sizes: [1, 3, 2, 1],
    strides: [1, 2, 3, 1],
    rates: [1, 2, 1, 1],
    padding: 'VALID',
  });
  assert.deepEqual(g.outputShape, [2, 3, 3, 18]);
  const same = patchesGeometry('extractImagePatches', [1, 4, 4, 1], {
    sizes: [1, 2, 2, 1],
    strides: [1, 1, 1, 1],
    rates: [1, 1, 1, 1],
    padding: 'SAME',
  });
  assert.deepEqual([same.padTop, same.padBottom, same.padLeft, same.padRight], [0, 1, 0, 1]);
  assert.throws(
    () =>
      patchesGeometry('extractImagePatches', [1, 4, 4, 1], {
        sizes: [2, 2],
        strides: [1, 1, 1, 1],
        rates: [1, 1, 1, 1],
        padding: 'SAME',
      }),
    /extractImagePatches: sizes must be a list of 4 integers \[1, rows, cols, 1\], got \[2,2\]/,
  );
  assert.throws(
    () =>
      patchesGeometry('extractImagePatches', [1, 4, 4, 1], {
        sizes: [1, 2, 2, 1],
        strides: [1, 1, 1, 1],
        rates: [1, 1, 1, 1],
        padding: [[0, 0]] as unknown as 'SAME',
      }),
    /extractImagePatches: padding must be "SAME" or "VALID"/,
  );
});

test('convGeometry: a call without the op name says what the first argument is', () => {
  const call = convGeometry as unknown as (...args: unknown[]) => unknown;
  assert.throws(() => call([1, 4, 4, 1], [3, 3, 1, 1]), {
    name: 'InvalidArgumentError',
    message:
      /^convGeometry: op \(the first argument\) is the op name .* convGeometry\('conv2d', \[1, 4, 4, 1\], \[3, 3, 1, 1\], .*got \[1,4,4,1\]$/,
  });
  assert.throws(() => call([1, 4, 4, 1], [3, 3, 1, 1], { padding: 'SAME' }), /first argument/);
  assert.throws(() => call('conv2d', { shape: [1, 4, 4, 1] }, [3, 3, 1, 1]), {
    message:
      /^conv2d: input shape must be an array of sizes such as \[1, 4, 4, 1\], got \{"shape":\[1,4,4,1\]\}$/,
  });
  for (const args of [
    [
      [1, 4, 4, 1],
      [3, 3, 1, 1],
    ],
    ['conv2d', { shape: [1, 4, 4, 1] }, [3, 3, 1, 1]],
  ]) {
    assert.throws(
      () => call(...args),
      (error: Error) => !/object Object/.test(error.message),
    );
  }
});

test('a rank-3 input whose channels do not fit the filter: the message reads it and offers the rank-4 shape', () => {
  // [1, 4, 4] is one 1x4 image with 4 channels: 4 groups, which one out_channel does not divide.
  assert.throws(() => convGeometry('conv2d', [1, 4, 4], [3, 3, 1, 1]), {
    message:
      /do not divide\. A 3-number input shape is read as \[height, width, channels\]: one 1x4 image with 4 channels; if \[1,4,4\] meant \[batch, height, width\], give the channels too: \[1,4,4,1\]$/,
  });
  assert.throws(
    () => convGeometry('conv2d', [5, 5, 3], [3, 3, 2, 1]),
    /expects 2 .*give the channels too: \[5,5,3,2\]$/,
  );
  assert.throws(
    () => convGeometry('conv2d', [1, 4, 4], [3, 3, 2, 1], { dataFormat: 'NCHW' }),
    /read as \[channels, height, width\]: one 4x4 image with 1 channels; .*\[1,2,4,4\]$/,
  );
  // A rank-4 input's message is unchanged.
  assert.throws(
    () => convGeometry('conv2d', [1, 4, 4, 3], [3, 3, 2, 1]),
    (e: Error) => !/3-number/.test(e.message),
  );
});

test('convGeometry: a raw shape entry that is not a whole number >= 0 is named, never a NaN geometry', () => {
  for (const [input, filter, named] of [
    [[1, NaN, 4, 1], [1, 1, 1, 1], /input of shape \[1,NaN,4,1\] has height NaN/],
    [[1, 4, 2.5, 1], [1, 1, 1, 1], /input of shape \[1,4,2\.5,1\] has width 2\.5/],
    [[1, 4, 4, 1], [3, -3, 1, 1], /filter of shape \[3,-3,1,1\] has filter_width -3/],
  ] as const) {
    assert.throws(
      () => convGeometry('conv2d', [...input], [...filter], {}),
      (e: Error) =>
        e instanceof InvalidArgumentError && named.test(e.message) && /whole numbers >= 0/.test(e.message),
    );
  }
});
