// Every way to call depthwiseConv2d (and nn.depthwiseConv2d) wrongly: each throws an InvalidArgumentError
// (or, for a result too large to allocate, a ResourceExhaustedError) whose message names the op, the
// argument, the value given and what was expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidArgumentError,
  ResourceExhaustedError,
  depthwiseConv2d,
  nn,
  zeros,
  type DepthwiseConv2dOptions,
  type Tensor,
} from '../src/index.js';

function throwsInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

const x = zeros([1, 5, 5, 4]);
const w = zeros([3, 3, 4, 2]);
const dw = (options: unknown, input: Tensor = x, filter: Tensor = w) =>
  depthwiseConv2d(input, filter, options as DepthwiseConv2dOptions);

test('options that are not an object, or hold an unknown key', () => {
  throwsInvalid(() => dw(5), /^depthwiseConv2d: options must be an object, got 5$/);
  throwsInvalid(() => dw([]), /^depthwiseConv2d: options must be an object, got \[\]$/);
  throwsInvalid(() => dw(null), /^depthwiseConv2d: options must be an object, got null$/);
  throwsInvalid(
    () => dw({ rate: 2 }),
    /^depthwiseConv2d: options has unknown option "rate"; known options: strides, padding, dataFormat, dilations, algorithm, precision$/,
  );
});

test('input or filter that is not a tensor', () => {
  throwsInvalid(
    () => depthwiseConv2d({} as Tensor, w),
    /^depthwiseConv2d: input must be a Tensor or an array of numbers, got \[object Object\]$/,
  );
  throwsInvalid(
    () => depthwiseConv2d(x, 'w' as unknown as Tensor),
    /^depthwiseConv2d: filter must be a Tensor or an array of numbers, got "w"$/,
  );
});

test('dataFormat other than NHWC or NCHW', () => {
  throwsInvalid(
    () => dw({ dataFormat: 'NWHC' }),
    /^depthwiseConv2d: dataFormat must be "NHWC" or "NCHW", got "NWHC"$/,
  );
});

test('input of rank other than 3 or 4, filter of rank other than 4', () => {
  throwsInvalid(
    () => dw({}, zeros([5, 4])),
    /^depthwiseConv2d: input must be rank 3 or 4 \(\[batch, height, width, channels\], or one image without the batch axis\), got shape \[5,4\]$/,
  );
  throwsInvalid(
    () => dw({ dataFormat: 'NCHW' }, zeros([1, 1, 4, 5, 5])),
    /^depthwiseConv2d: input must be rank 3 or 4 \(\[batch, channels, height, width\], .*got shape \[1,1,4,5,5\]$/,
  );
  throwsInvalid(
    () => dw({}, x, zeros([3, 3, 4])),
    /^depthwiseConv2d: filter must be rank 4 \(\[filter_height, filter_width, in_channels, channel_multiplier\]\), got shape \[3,3,4\]$/,
  );
});

test('filter with a zero dimension (channel multiplier 0 included)', () => {
  for (const shape of [
    [3, 0, 4, 2],
    [0, 3, 4, 2],
    [3, 3, 4, 0],
  ]) {
    throwsInvalid(
      () => dw({}, x, zeros(shape)),
      new RegExp(
        `^depthwiseConv2d: filter must not have a zero dimension, got shape \\[${shape.join(',')}\\]$`,
      ),
    );
  }
});

test('input channels that are not the filter in_channels, in both layouts', () => {
  const expected =
    /^depthwiseConv2d: input has 4 channels but filter \[3,3,5,2\] expects 5 \(filter is \[filter_height, filter_width, in_channels, channel_multiplier\]\)$/;
  throwsInvalid(() => dw({}, x, zeros([3, 3, 5, 2])), expected);
  throwsInvalid(() => dw({ dataFormat: 'NCHW' }, zeros([1, 4, 5, 5]), zeros([3, 3, 5, 2])), expected);
  // A rank-3 (one image) input, and an input with no channels.
  throwsInvalid(() => dw({}, zeros([5, 5, 4]), zeros([3, 3, 5, 2])), expected);
  throwsInvalid(
    () => dw({}, zeros([1, 5, 5, 0]), zeros([3, 3, 5, 2])),
    /^depthwiseConv2d: input has 0 channels but/,
  );
  // Grouped-conv2d style (channels a multiple of in_channels) is not depthwise.
  throwsInvalid(
    () => dw({}, zeros([1, 5, 5, 8]), w),
    /^depthwiseConv2d: input has 8 channels but filter \[3,3,4,2\]/,
  );
});

test("dilations: tf.nn.depthwise_conv2d's rate takes one number or [height, width], never 4 values", () => {
  const rateForm =
    /^depthwiseConv2d: dilations must be a number or \[rate_height, rate_width\] \(tf\.nn\.depthwise_conv2d's rate: 2 values, in that order for NHWC and NCHW\), got /;
  throwsInvalid(() => dw({ dilations: [1, 2, 2, 1] }), new RegExp(rateForm.source + '\\[1,2,2,1\\]$'));
  throwsInvalid(() => dw({ dilations: [1, 2, 2] }), new RegExp(rateForm.source + '\\[1,2,2\\]$'));
  throwsInvalid(() => dw({ dilations: '2' }), new RegExp(rateForm.source + '"2"$'));
  throwsInvalid(() => dw({ dilations: 0 }), /^depthwiseConv2d: dilations must hold integers >= 1, got 0$/);
  throwsInvalid(
    () => dw({ dilations: [1.5, 1] }),
    /^depthwiseConv2d: dilations must hold integers >= 1, got \[1\.5,1\]$/,
  );
  throwsInvalid(
    () => dw({ dilations: [2, -1] }),
    /^depthwiseConv2d: dilations must hold integers >= 1, got \[2,-1\]$/,
  );
});

test('strides: 1, 2 or 4 positive integers, 4 values with 1 on the batch and channel axes', () => {
  throwsInvalid(
    () => dw({ strides: [1, 2, 2] }),
    /^depthwiseConv2d: strides must be a number or a list of 1, 2 or 4 numbers, got \[1,2,2\]$/,
  );
  throwsInvalid(() => dw({ strides: 0 }), /^depthwiseConv2d: strides must hold integers >= 1, got 0$/);
  throwsInvalid(
    () => dw({ strides: [2, NaN] }),
    /^depthwiseConv2d: strides must hold integers >= 1, got \[2,NaN\]$/,
  );
  throwsInvalid(
    () => dw({ strides: [2, 1, 1, 1] }),
    /^depthwiseConv2d: strides \[2,1,1,1\] must be 1 on the batch and channel axes \(NHWC order: \[1, h, w, 1\]\)$/,
  );
  throwsInvalid(
    () => dw({ strides: [1, 2, 2, 1], dataFormat: 'NCHW' }, zeros([1, 4, 5, 5])),
    /^depthwiseConv2d: strides \[1,2,2,1\] must be 1 on the batch and channel axes \(NCHW order: \[1, 1, h, w\]\)$/,
  );
});

test('padding: SAME, VALID or non-negative [before, after] pairs on height and width only', () => {
  throwsInvalid(
    () => dw({ padding: 'FULL' }),
    /^depthwiseConv2d: padding must be "SAME", "VALID" or a list of \[before, after\] pairs, got "FULL"$/,
  );
  throwsInvalid(
    () =>
      dw({
        padding: [
          [0, 0],
          [-1, 0],
          [0, 0],
          [0, 0],
        ],
      }),
    /^depthwiseConv2d: padding amounts must be integers >= 0, got \[\[0,0\],\[-1,0\],\[0,0\],\[0,0\]\]$/,
  );
  throwsInvalid(
    () =>
      dw({
        padding: [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 1],
        ],
      }),
    /^depthwiseConv2d: padding \[\[0,0\],\[1,1\],\[1,1\],\[0,1\]\] pads the batch or channel axis; only height and width may be padded/,
  );
  throwsInvalid(
    () =>
      dw({
        padding: [
          [0, 0],
          [1, 1],
          [1, 1],
        ],
      }),
    /^depthwiseConv2d: padding must be "SAME", "VALID" or explicit \[before, after\] pairs \(4 in NHWC order, or 2 for \[height, width\]\), got /,
  );
  throwsInvalid(
    () => dw({ padding: [[0, 0], [1]] }),
    /^depthwiseConv2d: padding must hold \[before, after\] pairs, got /,
  );
});

test('a window larger than the (padded) input gives a negative output size: an error, not an empty tensor', () => {
  throwsInvalid(
    () => dw({ padding: 'VALID' }, zeros([1, 1, 5, 4])),
    /^depthwiseConv2d: VALID padding gives a negative output height \(-1\): input height 1 is smaller than the effective filter height 3 \(filter 3, dilation 1\)/,
  );
  throwsInvalid(
    () => dw({ padding: 'VALID', dilations: [1, 3] }),
    /^depthwiseConv2d: VALID padding gives a negative output width \(-1\): input width 5 is smaller than the effective filter width 7 \(filter 3, dilation 3\)/,
  );
  throwsInvalid(
    () =>
      dw(
        {
          padding: [
            [0, 0],
            [0, 0],
            [0, 1],
            [0, 0],
          ],
        },
        zeros([1, 5, 1, 4]),
        zeros([3, 4, 4, 2]),
      ),
    /^depthwiseConv2d: EXPLICIT padding gives a negative output width \(-1\): input width 1 padded by 0\+1 is smaller than the effective filter width 4/,
  );
});

test('an unknown algorithm', () => {
  throwsInvalid(
    () => dw({ algorithm: 'winograd' }),
    /^depthwiseConv2d: algorithm must be one of 'auto', 'direct', 'fast', 'wasm'; got "winograd"$/,
  );
});

test('an output too large to allocate is refused before any memory is taken', () => {
  assert.throws(
    () =>
      dw(
        {
          padding: [
            [0, 0],
            [40000, 0],
            [40000, 0],
            [0, 0],
          ],
        },
        zeros([1, 1, 1, 1]),
        zeros([1, 1, 1, 1]),
      ),
    (e: unknown) => {
      assert.ok(e instanceof ResourceExhaustedError, `expected ResourceExhaustedError, got ${String(e)}`);
      assert.match(
        e.message,
        /^depthwiseConv2d: output of shape \[1,40001,40001,1\] would hold 1600080001 elements/,
      );
      return true;
    },
  );
});

test('nn.depthwiseConv2d reports the same errors', () => {
  throwsInvalid(
    () => nn.depthwiseConv2d(x, w, [1, 2, 2], 'SAME'),
    /^depthwiseConv2d: strides must be a number or a list of 1, 2 or 4 numbers, got \[1,2,2\]$/,
  );
  throwsInvalid(
    () => nn.depthwiseConv2d(x, w, [1, 1, 1, 1], 'SAME', 'NHWC', [1, 2, 2, 1]),
    /^depthwiseConv2d: dilations must be a number or \[rate_height, rate_width\]/,
  );
  throwsInvalid(
    () => nn.depthwiseConv2d(x, zeros([3, 3, 5, 1]), 1, 'SAME'),
    /^depthwiseConv2d: input has 4 channels/,
  );
});
