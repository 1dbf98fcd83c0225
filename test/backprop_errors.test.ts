// Every way to call the gradient ops wrongly: each throws an InvalidArgumentError (or, for a result too
// large to allocate, a ResourceExhaustedError) whose message names the op, the argument, the value given
// and what was expected. Includes the error cases of TensorFlow's conv_ops_test.py and
// conv2d_transpose_test.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dTranspose,
  InvalidArgumentError,
  ResourceExhaustedError,
  tensor,
  zeros,
  type ConvOptions,
  type Tensor,
} from '../src/index.js';

function throwsInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

const input = (shape: number[]): Tensor => zeros(shape);
const bpInput = (inputShape: number[], filter: number[], dy: number[], options?: ConvOptions) =>
  conv2dBackpropInput(inputShape, zeros(filter), zeros(dy), options);
const bpFilter = (x: number[], filterShape: number[], dy: number[], options?: ConvOptions) =>
  conv2dBackpropFilter(zeros(x), filterShape, zeros(dy), options);

test('conv2dBackpropInput: inputShape that is not a list of non-negative integers', () => {
  const f = zeros([2, 2, 1, 1]);
  const dy = zeros([1, 1, 2, 1]);
  for (const bad of [undefined, 'abc', [1, -2, 3, 1], [1, 2.5, 3, 1], [1, NaN, 3, 1], [1, '2', 3, 1]]) {
    throwsInvalid(
      () => conv2dBackpropInput(bad as unknown as number[], f, dy),
      /^conv2dBackpropInput: inputShape must be a list of non-negative integers, got /,
    );
  }
  throwsInvalid(
    () => bpInput([1, 1, 2, 3, 1], [2, 2, 1, 1], [1, 1, 2, 1]),
    /^conv2dBackpropInput: inputShape must list 4 sizes \[batch, height, width, channels\], 3 for one image, or 2 \(\[height, width\]\), got \[1,1,2,3,1\]$/,
  );
  throwsInvalid(() => bpInput([6], [2, 2, 1, 1], [1, 1, 2, 1]), /inputShape must list 4 sizes .* got \[6\]$/);
});

test('conv2dBackpropInput: filter and dy of the wrong rank or type', () => {
  throwsInvalid(
    () => bpInput([1, 2, 3, 1], [2, 2, 1], [1, 1, 2, 1]),
    /^conv2dBackpropInput: filter must be rank 4 \[height, width, in_channels, out_channels\], got shape \[2,2,1\]$/,
  );
  throwsInvalid(
    () => bpInput([1, 2, 3, 1], [2, 2, 1, 1], [2, 1]),
    /^conv2dBackpropInput: dy must be rank 4 \[batch, height, width, channels\] or rank 3 \(one image\), got shape \[2,1\]$/,
  );
  // TensorFlow's testConv2DBackpropInputInvalidOutBackpropRaiseError: a scalar out_backprop.
  throwsInvalid(
    () =>
      conv2dBackpropInput([65534, 65534], tensor(0.159749106, [3, 3, 2, 2]), tensor(0), { padding: 'SAME' }),
    /^conv2dBackpropInput: dy must be rank 4 .* got shape \[\]$/,
  );
  throwsInvalid(
    () => conv2dBackpropInput([1, 2, 3, 1], 'filter' as unknown as Tensor, zeros([1, 1, 2, 1])),
    /^conv2dBackpropInput: filter must be a Tensor or an array of numbers, got "filter"$/,
  );
  throwsInvalid(
    () => conv2dBackpropInput([1, 2, 3, 1], zeros([2, 2, 1, 1]), null as unknown as Tensor),
    /^conv2dBackpropInput: dy must be a Tensor or an array of numbers, got null$/,
  );
});

test('conv2dBackpropInput: channels that do not fit the filter', () => {
  throwsInvalid(
    () => bpInput([1, 2, 3, 1], [2, 2, 1, 4], [1, 1, 2, 3]),
    /^conv2dBackpropInput: dy has 3 channels but filter \[2,2,1,4\] has 4 out_channels \(filter is \[height, width, in_channels, out_channels\]\)$/,
  );
  throwsInvalid(
    () => bpInput([1, 2, 3, 5], [2, 2, 2, 4], [1, 1, 2, 4]),
    /^conv2dBackpropInput: inputShape \[1,2,3,5\] has 5 channels but filter \[2,2,2,4\] has 2 in_channels; the channels must equal it, or be a multiple of it for grouped convolution$/,
  );
  throwsInvalid(
    () => bpInput([1, 2, 3, 4], [2, 2, 2, 3], [1, 1, 2, 3]),
    /^conv2dBackpropInput: filter \[2,2,2,3\] has 3 out_channels, which the 2 groups \(4 channels \/ 2 in_channels\) do not divide$/,
  );
  throwsInvalid(
    () => bpInput([1, 1, 4, 4], [2, 2, 1, 1], [1, 2, 3, 3], { dataFormat: 'NCHW' }),
    /^conv2dBackpropInput: dy has 2 channels but filter \[2,2,1,1\] has 1 out_channels/,
  );
});

test('conv2dBackpropInput: dy whose shape is not what conv2d gives', () => {
  throwsInvalid(
    () => bpInput([1, 2, 3, 1], [2, 2, 1, 1], [1, 1, 3, 1]),
    /^conv2dBackpropInput: dy has shape \[1,1,3,1\] but conv2d of inputShape \[1,2,3,1\] with filter \[2,2,1,1\] \(strides \[1,1\], dilations \[1,1\], VALID padding, NHWC\) gives \[1,1,2,1\]$/,
  );
  // Batch mismatch, rank mismatch (one image against a batch), SAME vs VALID sizes, strides, NCHW.
  throwsInvalid(
    () => bpInput([2, 2, 3, 1], [2, 2, 1, 1], [1, 1, 2, 1]),
    /dy has shape \[1,1,2,1\] .* gives \[2,1,2,1\]$/,
  );
  throwsInvalid(
    () => bpInput([1, 2, 3, 1], [2, 2, 1, 1], [1, 2, 1]),
    /dy has shape \[1,2,1\] .* gives \[1,1,2,1\]$/,
  );
  throwsInvalid(
    () => bpInput([1, 2, 3, 1], [2, 2, 1, 1], [1, 1, 2, 1], { padding: 'SAME' }),
    /SAME padding, NHWC\) gives \[1,2,3,1\]$/,
  );
  throwsInvalid(
    () => bpInput([1, 4, 4, 1], [1, 1, 1, 1], [1, 4, 4, 1], { strides: 2, padding: 'SAME' }),
    /strides \[2,2\], dilations \[1,1\], SAME padding, NHWC\) gives \[1,2,2,1\]$/,
  );
  throwsInvalid(
    () => bpInput([1, 1, 5, 5], [3, 3, 1, 2], [1, 2, 5, 5], { dataFormat: 'NCHW', dilations: 2 }),
    /dilations \[2,2\], VALID padding, NCHW\) gives \[1,2,1,1\]$/,
  );
  // [height, width] input sizes take the batch from dy: the spatial sizes still have to agree.
  throwsInvalid(() => bpInput([3, 3], [2, 2, 1, 2], [1, 1, 1, 2]), /gives \[1,2,2,2\]$/);
});

test('conv2dBackpropInput: bad options are reported as conv2d reports them', () => {
  const ok = (options: unknown) => () =>
    bpInput([1, 4, 4, 1], [2, 2, 1, 1], [1, 3, 3, 1], options as ConvOptions);
  assert.deepEqual(ok({ padding: 'VALID', strides: 1 })().shape, [1, 4, 4, 1]);
  throwsInvalid(ok('SAME'), /^conv2dBackpropInput: options must be an object, got "SAME"$/);
  throwsInvalid(
    ok({ stride: 1 }),
    /^conv2dBackpropInput: options has unknown option "stride"; known options: strides, padding, dataFormat, dilations, precision$/,
  );
  throwsInvalid(ok({ algorithm: 'direct' }), /unknown option "algorithm"/);
  throwsInvalid(ok({ strides: 0 }), /^conv2dBackpropInput: strides must hold integers >= 1, got 0$/);
  throwsInvalid(
    ok({ strides: [2, 1, 1, 1] }),
    /^conv2dBackpropInput: strides \[2,1,1,1\] must be 1 on the batch and channel axes/,
  );
  throwsInvalid(
    ok({ dilations: [1, 2, 3] }),
    /^conv2dBackpropInput: dilations must be a number or a list of 1, 2 or 4 numbers, got \[1,2,3\]$/,
  );
  throwsInvalid(
    ok({ dataFormat: 'NWHC' }),
    /^conv2dBackpropInput: dataFormat must be "NHWC" or "NCHW", got "NWHC"$/,
  );
  throwsInvalid(
    ok({ padding: 'FULL' }),
    /^conv2dBackpropInput: padding must be "SAME", "VALID" or a list of \[before, after\] pairs, got "FULL"$/,
  );
  // TensorFlow's testOpEdgeCases: negative explicit padding in backprop.
  throwsInvalid(
    ok({
      padding: [
        [0, 0],
        [-1, 0],
        [0, 0],
        [0, 0],
      ],
    }),
    /^conv2dBackpropInput: padding amounts must be integers >= 0, got \[\[0,0\],\[-1,0\],\[0,0\],\[0,0\]\]$/,
  );
  throwsInvalid(
    ok({
      padding: [
        [1, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    }),
    /^conv2dBackpropInput: padding .* pads the batch or channel axis/,
  );
});

test('conv2dBackpropInput: a filter larger than the input under VALID, and a zero-size filter', () => {
  throwsInvalid(
    () => bpInput([1, 2, 3, 1], [4, 2, 1, 1], [1, 0, 2, 1]),
    /^conv2dBackpropInput: VALID padding gives a negative output height \(-1\): input height 2 is smaller than the effective filter height 4/,
  );
  throwsInvalid(
    () => bpInput([1, 2, 3, 1], [0, 2, 1, 1], [1, 3, 2, 1]),
    /^conv2dBackpropInput: filter must not have a zero dimension, got shape \[0,2,1,1\]$/,
  );
  throwsInvalid(
    () => bpInput([1, 2, 3, 0], [2, 2, 0, 1], [1, 1, 2, 1]),
    /filter must not have a zero dimension, got shape \[2,2,0,1\]$/,
  );
});

test('conv2dBackpropInput: an inputShape too large to allocate is refused before any work', () => {
  assert.throws(
    () => bpInput([4096, 4096, 4096, 1], [1, 1, 1, 1], [1, 1, 1, 1]),
    (e: unknown) =>
      e instanceof ResourceExhaustedError &&
      /^conv2dBackpropInput: inputShape of shape \[4096,4096,4096,1\] would hold 68719476736 elements/.test(
        e.message,
      ),
  );
});

test('conv2dBackpropFilter: bad filterShape, input and dy', () => {
  for (const bad of [undefined, [2, 2, -1, 1], [2, 2, 1.5, 1], 'shape']) {
    throwsInvalid(
      () => conv2dBackpropFilter(input([1, 2, 3, 1]), bad as unknown as number[], zeros([1, 1, 2, 1])),
      /^conv2dBackpropFilter: filterShape must be a list of non-negative integers, got /,
    );
  }
  throwsInvalid(
    () => bpFilter([1, 2, 3, 1], [2, 2, 1], [1, 1, 2, 1]),
    /^conv2dBackpropFilter: filterShape must list 4 sizes \[filter_height, filter_width, in_channels, out_channels\], got \[2,2,1\]$/,
  );
  throwsInvalid(
    () => conv2dBackpropFilter({} as Tensor, [2, 2, 1, 1], zeros([1, 1, 2, 1])),
    /^conv2dBackpropFilter: input must be a Tensor or an array of numbers, got \[object Object\]$/,
  );
  throwsInvalid(
    () => bpFilter([2, 3, 1], [2, 2, 1, 1], [1, 1, 2, 1, 1]),
    /^conv2dBackpropFilter: dy must be rank 4 .* got shape \[1,1,2,1,1\]$/,
  );
  throwsInvalid(
    () => bpFilter([2, 3], [2, 2, 1, 1], [1, 2, 1]),
    /^conv2dBackpropFilter: input must be rank 3 or 4 .* got shape \[2,3\]$/,
  );
  throwsInvalid(
    () => bpFilter([1, 2, 3, 1], [2, 2, 1, 2], [1, 1, 2, 1]),
    /^conv2dBackpropFilter: dy has 1 channels but filterShape \[2,2,1,2\] has 2 out_channels/,
  );
  throwsInvalid(
    () => bpFilter([1, 2, 3, 3], [2, 2, 2, 1], [1, 1, 2, 1]),
    /^conv2dBackpropFilter: input has 3 channels but filter \[2,2,2,1\] expects 2/,
  );
  throwsInvalid(
    () => bpFilter([1, 2, 3, 1], [2, 2, 1, 1], [1, 2, 2, 1]),
    /^conv2dBackpropFilter: dy has shape \[1,2,2,1\] but conv2d of input \[1,2,3,1\] with a filter of shape \[2,2,1,1\] \(strides \[1,1\], dilations \[1,1\], VALID padding, NHWC\) gives \[1,1,2,1\]$/,
  );
  // TensorFlow's testOpEdgeCases: negative explicit padding in backprop.
  throwsInvalid(
    () =>
      bpFilter([32, 20, 20, 3], [18, 18, 3, 2], [32, 3, 2, 2], {
        padding: [
          [0, 0],
          [-1, 0],
          [0, 0],
          [0, 0],
        ],
      }),
    /^conv2dBackpropFilter: padding amounts must be integers >= 0/,
  );
  throwsInvalid(
    () => bpFilter([1, 2, 3, 1], [2, 2, 1, 1], [1, 1, 2, 1], { dataFormat: 'nhwc' as 'NHWC' }),
    /^conv2dBackpropFilter: dataFormat must be/,
  );
  throwsInvalid(
    () => bpFilter([1, 2, 3, 1], [2, 2, 1, 1], [1, 1, 2, 1], { pad: 'SAME' } as ConvOptions),
    /^conv2dBackpropFilter: options has unknown option "pad"/,
  );
  throwsInvalid(
    () => bpFilter([1, 2, 3, 1], [4, 2, 1, 1], [1, 0, 2, 1]),
    /^conv2dBackpropFilter: VALID padding gives a negative output height/,
  );
});

test("conv2dTranspose: TensorFlow's invalid and too-large output shapes", () => {
  // testConv2DTransposeInvalidOutputShape
  throwsInvalid(
    () => conv2dTranspose(tensor(1, [1, 1, 1, 1]), tensor(1, [1, 1, 1, 1]), [2, -2], { strides: [1] }),
    /^conv2dTranspose: outputShape must be a list of non-negative integers, got \[2,-2\]$/,
  );
  // testConv2DTransposeLargeOutputShape: the output would not fit in memory (and the filter does not fit).
  assert.throws(
    () =>
      conv2dTranspose(tensor(1, [2, 2, 2, 2]), tensor([[[[1]]]]), [114078056, 179835296], { strides: [10] }),
    (e: unknown) => e instanceof InvalidArgumentError || e instanceof ResourceExhaustedError,
  );
  assert.throws(
    () =>
      conv2dTranspose(tensor(1, [2, 2, 2, 1]), tensor([[[[1]]]]), [114078056, 179835296], { strides: [10] }),
    (e: unknown) =>
      e instanceof ResourceExhaustedError &&
      /^conv2dTranspose: outputShape of shape \[2,114078056,179835296,1\] would hold/.test(e.message),
  );
});

test('conv2dTranspose: errors speak of its own arguments (input, filters, outputShape)', () => {
  const x = zeros([1, 3, 3, 4]);
  throwsInvalid(
    () => conv2dTranspose(x, zeros([3, 3, 2, 5]), [1, 6, 6, 2], { strides: 2 }),
    /^conv2dTranspose: input has 4 channels but filters \[3,3,2,5\] has 5 in_channels \(filters is \[height, width, output_channels, in_channels\]\)$/,
  );
  throwsInvalid(
    () => conv2dTranspose(x, zeros([3, 3, 2, 4]), [1, 6, 6, 3], { strides: 2 }),
    /^conv2dTranspose: outputShape \[1,6,6,3\] has 3 channels but filters \[3,3,2,4\] has 2 output_channels/,
  );
  throwsInvalid(
    () => conv2dTranspose(x, zeros([3, 3, 2, 4]), [1, 10, 10, 2], { strides: 3 }),
    /^conv2dTranspose: input has shape \[1,3,3,4\] but conv2d of outputShape \[1,10,10,2\] with filters \[3,3,2,4\] \(strides \[3,3\], dilations \[1,1\], SAME padding, NHWC\) gives \[1,4,4,4\]$/,
  );
  throwsInvalid(
    () => conv2dTranspose(x, zeros([3, 3, 2]), [1, 6, 6, 2]),
    /^conv2dTranspose: filters must be rank 4 \[height, width, output_channels, in_channels\]/,
  );
  throwsInvalid(
    () => conv2dTranspose(x, zeros([3, 3, 2, 4]), [1, 6, 6, 2, 1]),
    /^conv2dTranspose: outputShape must list 4 sizes/,
  );
  throwsInvalid(
    () => conv2dTranspose(zeros([3, 4]), zeros([3, 3, 2, 4]), [1, 6, 6, 2]),
    /^conv2dTranspose: input must be rank 4/,
  );
  throwsInvalid(
    () => conv2dTranspose(x, zeros([3, 3, 2, 4]), [1, 6, 6, 2], { strides: -1 }),
    /^conv2dTranspose: strides must hold integers >= 1, got -1$/,
  );
});
