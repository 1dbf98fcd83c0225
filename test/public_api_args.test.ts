/**
 * Adversarial review: exported helpers given arguments of the wrong kind must refuse them with an
 * InvalidArgumentError, never plan or compute something else in silence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidArgumentError,
  convGeometry,
  planConv2d,
  planGpuConv2d,
  reduceSum,
  zeros,
} from '../src/index.js';

const isInvalid = (pattern: RegExp) => (e: unknown) =>
  e instanceof InvalidArgumentError && pattern.test(e.message);

test('planGpuConv2d refuses an unknown algorithm or precision (it planned igemm or direct instead)', () => {
  const g = convGeometry('conv2d', [1, 8, 8, 4], [3, 3, 4, 4], { padding: 'SAME' });
  for (const choice of ['fft', 'im2col', 'Winograd', 3]) {
    assert.throws(
      () => planGpuConv2d(g, choice as never),
      isInvalid(/algorithm on the GPU must be one of/),
      String(choice),
    );
  }
  for (const precision of ['x', 'HIGHEST', 1]) {
    assert.throws(
      () => planGpuConv2d(g, 'auto', undefined, precision as never),
      isInvalid(/precision must be 'auto' or 'highest'/),
      String(precision),
    );
  }
  assert.equal(planGpuConv2d(g, 'direct').algorithm, 'direct', 'a known algorithm is still planned');
});

test('reduceSum refuses a keepDims that is not true or false (a string was taken as true)', () => {
  for (const keepDims of ['yes', 1, null]) {
    assert.throws(
      () => reduceSum(zeros([2, 3]), 1, keepDims as never),
      isInvalid(/reduceSum: keepDims must be true or false/),
      String(keepDims),
    );
  }
  assert.deepEqual(reduceSum(zeros([2, 3]), 1, true).shape, [2, 1], 'keepDims true keeps the axis');
});

test('convGeometry refuses options that are not an object (null gave a TypeError)', () => {
  for (const options of [null, 5, 'SAME']) {
    assert.throws(
      () => convGeometry('conv2d', [1, 8, 8, 4], [3, 3, 4, 4], options as never),
      isInvalid(/conv2d: options must be an object/),
      String(options),
    );
  }
});

test('accuracyOf refuses an unknown algorithm with an InvalidArgumentError', async () => {
  const { accuracyOf } = await import('../src/index.js');
  const g = convGeometry('conv2d', [1, 8, 8, 4], [3, 3, 4, 4], { padding: 'SAME' });
  for (const algorithm of ['x', 'auto', 'Winograd']) {
    assert.throws(
      () => accuracyOf(algorithm as never, g),
      isInvalid(/accuracyOf: algorithm must be one of 'direct', 'im2col', 'igemm', 'winograd', 'fft'/),
      algorithm,
    );
  }
  assert.ok(accuracyOf('igemm', g).relativeErrorBound > 0, 'a known algorithm has a bound');
});

test('planConv2d: anything but a geometry from convGeometry is named, not a raw TypeError', () => {
  for (const bad of [null, undefined, 3, 'conv2d', {}]) {
    assert.throws(
      () => planConv2d(bad as never),
      (e: Error) =>
        e instanceof InvalidArgumentError &&
        /planConv2d: geometry must be what convGeometry returns/.test(e.message),
    );
  }
});
