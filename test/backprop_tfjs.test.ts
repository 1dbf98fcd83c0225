// Agreement with TensorFlow.js (tfjs-core + tfjs-backend-cpu) on random geometries it can do: its
// Conv2DBackpropInput / Conv2DBackpropFilter kernels, tf.grads of tf.conv2d, and tf.conv2dTranspose.
// tfjs has no dilated gradients and no groups, so those geometries are left to the other suites.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers' bundle registers tfjs-core's gradient functions, which tf.grads needs.
import '@tensorflow/tfjs-layers';
import { conv2dBackpropFilter, conv2dBackpropInput, conv2dTranspose, tensor } from '../src/index.js';
import { scaledError } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  inputShapeOf,
  outHeightOf,
  outWidthOf,
  tfOutputShapeOf,
  type ConvCase,
  type GeometryLimits,
} from './helpers/random_geometry.js';
import { initTfjsCpu } from './helpers/tfjs_oracle.js';

const TOLERANCE = 1e-5;

const LIMITS: GeometryLimits = {
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 12,
  maxFilter: 5,
  maxStride: 3,
  maxDilation: 1,
  maxPad: 3,
  maxGroups: 1,
  maxInChannels: 6,
  maxOutPerGroup: 5,
  layouts: ['NHWC', 'NCHW'],
};

/** Batched (tfjs kernels take rank 4), non-empty output (tfjs does not take empty tensors everywhere). */
const caseArb = convCaseArb(LIMITS)
  .map((c) => ({ ...c, batched: true }))
  .filter((c) => outHeightOf(c) > 0 && outWidthOf(c) > 0);

type TfjsPad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

/** The case's padding for tfjs: explicit pairs in the layout's axis order. */
function tfjsPad(c: ConvCase): TfjsPad {
  if (c.padding === 'SAME') return 'same';
  if (c.padding === 'VALID') return 'valid';
  const [h, w] = c.padding;
  return c.dataFormat === 'NHWC' ? [[0, 0], h, w, [0, 0]] : [[0, 0], [0, 0], h, w];
}

function values(t: tf.Tensor): Float32Array {
  const out = new Float32Array(t.dataSync());
  t.dispose();
  return out;
}

before(async () => {
  await initTfjsCpu();
});

test('conv2dBackpropInput and conv2dBackpropFilter agree with tfjs kernels (fast-check, seed 31)', (t) => {
  const worst = { input: 0, filter: 0 };
  fc.assert(
    fc.property(caseArb, (c) => {
      const inputShape = inputShapeOf(c);
      const filterShape = filterShapeOf(c);
      const outShape = tfOutputShapeOf(c);
      const x = seededUniform(sizeOfShape(inputShape), c.seed);
      const w = seededUniform(sizeOfShape(filterShape), c.seed + 1);
      const dy = seededUniform(sizeOfShape(outShape), c.seed + 2);
      const attrs = {
        strides: c.strides,
        pad: tfjsPad(c),
        dataFormat: c.dataFormat,
      };
      const expectedDx = values(
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy: tf.tensor(dy, outShape), filter: tf.tensor(w, filterShape) },
            { ...attrs, inputShape },
          ) as tf.Tensor,
      );
      const expectedDw = values(
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.tensor(x, inputShape), dy: tf.tensor(dy, outShape) },
            { ...attrs, filterShape },
          ) as tf.Tensor,
      );
      const options = convkitOptionsOf(c);
      const dx = conv2dBackpropInput(inputShape, tensor(w, filterShape), tensor(dy, outShape), options);
      const dw = conv2dBackpropFilter(tensor(x, inputShape), filterShape, tensor(dy, outShape), options);
      assert.deepEqual(dx.shape, inputShape);
      assert.deepEqual(dw.shape, filterShape);
      const errors = { input: scaledError(dx.data, expectedDx), filter: scaledError(dw.data, expectedDw) };
      worst.input = Math.max(worst.input, errors.input);
      worst.filter = Math.max(worst.filter, errors.filter);
      assert.ok(
        errors.input <= TOLERANCE && errors.filter <= TOLERANCE,
        `${describeCase(c)}: input error ${errors.input}, filter error ${errors.filter}`,
      );
    }),
    { seed: 31, numRuns: 200 },
  );
  t.diagnostic(`worst scaled error vs tfjs: input ${worst.input}, filter ${worst.filter}`);
});

test('the gradients are what tf.grads gives for sum(tf.conv2d(x, w) * dy) (fast-check, seed 5)', (t) => {
  let worst = 0;
  const nhwc = caseArb.map((c) => ({ ...c, dataFormat: 'NHWC' as const }));
  fc.assert(
    fc.property(nhwc, (c) => {
      const inputShape = inputShapeOf(c);
      const filterShape = filterShapeOf(c);
      const outShape = tfOutputShapeOf(c);
      const x = seededUniform(sizeOfShape(inputShape), c.seed);
      const w = seededUniform(sizeOfShape(filterShape), c.seed + 1);
      const dy = seededUniform(sizeOfShape(outShape), c.seed + 2);
      const pad = tfjsPad(c);
      const dyTensor = tf.tensor4d(dy, outShape as [number, number, number, number]);
      const loss = (xs: tf.Tensor, ws: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, c.strides, pad), dyTensor));
      const [gx, gw] = tf.grads(loss)([tf.tensor(x, inputShape), tf.tensor(w, filterShape)]);
      dyTensor.dispose();
      const options = convkitOptionsOf(c);
      const dx = conv2dBackpropInput(inputShape, tensor(w, filterShape), tensor(dy, outShape), options);
      const dw = conv2dBackpropFilter(tensor(x, inputShape), filterShape, tensor(dy, outShape), options);
      const error = Math.max(scaledError(dx.data, values(gx)), scaledError(dw.data, values(gw)));
      worst = Math.max(worst, error);
      assert.ok(error <= TOLERANCE, `${describeCase(c)}: error ${error}`);
    }),
    { seed: 5, numRuns: 60 },
  );
  t.diagnostic(`worst scaled error vs tf.grads: ${worst}`);
});

test('conv2dTranspose agrees with tf.conv2dTranspose (fast-check, seed 13)', (t) => {
  let worst = 0;
  const nhwc = caseArb.map((c) => ({ ...c, dataFormat: 'NHWC' as const }));
  fc.assert(
    fc.property(nhwc, fc.boolean(), (batched, rank3) => {
      const c = rank3 ? { ...batched, batch: 1 } : batched;
      // The transpose maps conv2d's output shape back to its input shape; filters are read
      // [height, width, output_channels, in_channels], which is conv2d's filter layout.
      const outputShape = inputShapeOf(c);
      const filterShape = filterShapeOf(c);
      const inShape = tfOutputShapeOf(c);
      const x = seededUniform(sizeOfShape(inShape), c.seed);
      const w = seededUniform(sizeOfShape(filterShape), c.seed + 1);
      const expected = values(
        tf.conv2dTranspose(
          tf.tensor4d(x, inShape as [number, number, number, number]),
          tf.tensor4d(w, filterShape as [number, number, number, number]),
          outputShape as [number, number, number, number],
          c.strides,
          tfjsPad(c) as 'same' | 'valid',
        ),
      );
      const options = { strides: c.strides, padding: convkitOptionsOf(c).padding };
      const y = rank3
        ? conv2dTranspose(tensor(x, inShape.slice(1)), tensor(w, filterShape), outputShape.slice(1), options)
        : conv2dTranspose(tensor(x, inShape), tensor(w, filterShape), outputShape, options);
      assert.deepEqual(y.shape, rank3 ? outputShape.slice(1) : outputShape);
      const error = scaledError(y.data, expected);
      worst = Math.max(worst, error);
      assert.ok(error <= TOLERANCE, `${describeCase(c)} rank3 ${rank3}: error ${error}`);
    }),
    { seed: 13, numRuns: 100 },
  );
  t.diagnostic(`worst scaled error vs tf.conv2dTranspose: ${worst}`);
});
