/**
 * conv2d's family on WebGPU (Dawn on SwiftShader), each against the CPU op on random geometries
 * (fast-check, fixed seeds) within 1e-5 of the output's scale:
 *   depthwiseConv2d (conv2d_direct on the grouped geometry, and depthwise_vec4), conv2dBackpropInput,
 *   conv2dTranspose, conv2dBackpropFilter (one slice and sliced partial sums), extractImagePatches;
 *   plus TensorFlow's literal depthwise and extract_patches cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dTranspose,
  depthwiseConv2d,
  extractImagePatches,
  convGeometry,
  tensor,
  type Tensor,
} from '../src/index.js';
import { planGpuFilterGradient, planGpuInputGradient } from '../src/gpu/planner.js';
import { oneToN, seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
  tfOutputShapeOf,
  type GeometryLimits,
} from './helpers/random_geometry.js';
import * as dw from './helpers/depthwise_cases.js';
import { assertGpuMatches, sharedBackend } from './helpers/webgpu.js';

const gpu = await sharedBackend();

function random(shape: number[], seed: number): Tensor {
  return tensor(seededUniform(sizeOfShape(shape), seed), shape);
}

test('webgpu depthwiseConv2d agrees with the CPU direct loop on random geometries (both kernels)', async () => {
  await fc.assert(
    fc.asyncProperty(
      dw.depthwiseCases({ batch: [0, 2], size: [0, 8], channels: [1, 8] }),
      fc.constantFrom('auto' as const, 'direct' as const),
      async (c, algorithm) => {
        const x = random(dw.inputShapeOf(c), c.seed);
        const w = random(dw.filterShapeOf(c), c.seed + 1);
        const options = dw.optionsOf(c);
        const expected = depthwiseConv2d(x, w, { ...options, algorithm: 'direct' });
        assert.deepEqual(expected.shape, dw.tfOutputShapeOf(c), 'CPU shape follows TF');
        const y = gpu.depthwiseConv2d(gpu.upload(x), gpu.upload(w), { ...options, algorithm });
        await assertGpuMatches(y, expected, `${dw.describeDepthwise(c)} (${algorithm})`);
      },
    ),
    { numRuns: 40, seed: 1401 },
  );
});

test('webgpu depthwiseConv2d: depthwise_vec4 on NHWC with channels a multiple of 4', async () => {
  const x = random([2, 9, 7, 12], 21);
  const w = random([3, 3, 12, 1], 22);
  const options = { strides: [2, 1], padding: 'SAME' as const, dilations: [1, 2] };
  const expected = depthwiseConv2d(x, w, { ...options, algorithm: 'direct' });
  await assertGpuMatches(gpu.depthwiseConv2d(gpu.upload(x), gpu.upload(w), options), expected, 'vec4');
  // TensorFlow's DepthwiseConv2DTest.testConv2D2x2Filter (input and filter 1..N).
  const tfX = gpu.upload(tensor(oneToN(12), [1, 2, 3, 2]));
  const tfW = gpu.upload(tensor(oneToN(16), [2, 2, 2, 2]));
  const tf = await gpu.depthwiseConv2d(tfX, tfW, { padding: 'VALID' }).read();
  assert.deepEqual(Array.from(tf.data), [196, 216, 272, 296, 252, 280, 344, 376], 'TF literal case');
});

const GRADIENT_LIMITS: GeometryLimits = {
  minBatch: 0,
  maxBatch: 2,
  minSpatial: 1,
  maxSpatial: 8,
  maxFilter: 4,
  maxStride: 3,
  maxDilation: 2,
  maxPad: 2,
  maxGroups: 3,
  maxInChannels: 6,
  maxOutPerGroup: 4,
  layouts: ['NHWC', 'NCHW'],
};

const gradientCase = convCaseArb(GRADIENT_LIMITS).filter(hasOutputShape);

for (const algorithm of ['direct', 'igemm'] as const) {
  test(`webgpu conv2dBackpropInput and conv2dTranspose (${algorithm}) agree with the CPU ops on random geometries`, async () => {
    await fc.assert(
      fc.asyncProperty(gradientCase, async (c) => {
        const inputShape = inputShapeOf(c);
        const w = random(filterShapeOf(c), c.seed);
        const dy = random(tfOutputShapeOf(c), c.seed + 1);
        const options = convkitOptionsOf(c);
        const gw = gpu.upload(w);
        const gdy = gpu.upload(dy);
        await assertGpuMatches(
          gpu.conv2dBackpropInput(inputShape, gw, gdy, { ...options, algorithm }),
          conv2dBackpropInput(inputShape, w, dy, options),
          `conv2dBackpropInput ${describeCase(c)} (${algorithm})`,
        );
        await assertGpuMatches(
          gpu.conv2dTranspose(gdy, gw, inputShape, { ...options, algorithm }),
          conv2dTranspose(dy, w, inputShape, options),
          `conv2dTranspose ${describeCase(c)} (${algorithm})`,
        );
      }),
      // Stride 1 about half the time: the cases igemm takes.
      { numRuns: 40, seed: algorithm === 'direct' ? 1402 : 1405 },
    );
  });
}

test('webgpu conv2dBackpropInput: stride-1 layers run as igemm on the flipped filter (auto from 128 kFLOP)', async () => {
  const x = [2, 12, 10, 16];
  const f = [3, 3, 8, 12]; // 2 groups
  const options = { padding: 'SAME' as const, dilations: [1, 2] };
  const g = convGeometry('conv2dBackpropInput', x, f, options);
  const { plan, asConv } = planGpuInputGradient(g, 'auto', gpu.limits);
  assert.equal(plan.algorithm, 'igemm', plan.reason);
  assert.deepEqual(asConv?.outputShape, x, 'the transposed convolution gives the input shape');
  assert.match(plan.reason, /flipped filter/, plan.reason);
  const w = random(f, 91);
  const dy = random([...g.outputShape], 92);
  await assertGpuMatches(
    gpu.conv2dBackpropInput(x, gpu.upload(w), gpu.upload(dy), options),
    conv2dBackpropInput(x, w, dy, options),
    'auto igemm input gradient',
  );
  const strided = planGpuInputGradient(convGeometry('conv2dBackpropInput', x, f, { strides: 2 }), 'igemm');
  assert.equal(strided.plan.algorithm, 'direct', 'strides > 1 stay direct');
  assert.match(strided.plan.reason, /^igemm cannot run it/, strided.plan.reason);
});

for (const algorithm of ['direct', 'igemm'] as const) {
  test(`webgpu conv2dBackpropFilter (${algorithm}) agrees with the CPU op on random geometries`, async () => {
    await fc.assert(
      fc.asyncProperty(gradientCase, async (c) => {
        const x = random(inputShapeOf(c), c.seed);
        const dy = random(tfOutputShapeOf(c), c.seed + 1);
        const filterShape = filterShapeOf(c);
        const options = convkitOptionsOf(c);
        await assertGpuMatches(
          gpu.conv2dBackpropFilter(gpu.upload(x), filterShape, gpu.upload(dy), { ...options, algorithm }),
          conv2dBackpropFilter(x, filterShape, dy, options),
          `conv2dBackpropFilter ${describeCase(c)} (${algorithm})`,
        );
      }),
      { numRuns: 40, seed: algorithm === 'direct' ? 1403 : 1406 },
    );
  });
}

test('webgpu conv2dBackpropFilter: the tiled GEMM splits its reduction into slices (2 groups, NCHW)', async () => {
  const input = [2, 8, 20, 18];
  const filterShape = [3, 3, 4, 12];
  const options = { padding: 'SAME' as const, dataFormat: 'NCHW' as const };
  const g = convGeometry('conv2dBackpropFilter', input, filterShape, options);
  const plan = planGpuFilterGradient(g, 'auto', gpu.limits);
  assert.equal(plan.kernel, 'conv2d_backprop_filter_gemm_32x32', plan.reason);
  assert.equal(plan.slices, 2, `720 rows: 2 slices of at least 256 (${plan.reason})`);
  const x = random(input, 93);
  const dy = random([...g.outputShape], 94);
  await assertGpuMatches(
    gpu.conv2dBackpropFilter(gpu.upload(x), filterShape, gpu.upload(dy), options),
    conv2dBackpropFilter(x, filterShape, dy, options),
    'GEMM filter gradient in 2 slices',
  );
});

test('webgpu conv2dBackpropFilter: a small filter over many rows sums 60 slices (one per batch x output row) of partial sums', async () => {
  const x = random([3, 40, 12, 2], 31);
  const dy = random([3, 20, 6, 3], 32);
  const options = { strides: 2, padding: 'SAME' as const };
  await assertGpuMatches(
    gpu.conv2dBackpropFilter(gpu.upload(x), [3, 3, 2, 3], gpu.upload(dy), options),
    conv2dBackpropFilter(x, [3, 3, 2, 3], dy, options),
    'sliced filter gradient',
  );
});

test('webgpu conv2dBackpropInput: TensorFlow shapes [height, width] for inputShape, NCHW', async () => {
  const w = random([2, 3, 4, 6], 41);
  const dy = random([2, 6, 4, 3], 42);
  const options = { dataFormat: 'NCHW' as const, padding: 'SAME' as const, strides: [1, 2] };
  await assertGpuMatches(
    gpu.conv2dBackpropInput([4, 6], gpu.upload(w), gpu.upload(dy), options),
    conv2dBackpropInput([4, 6], w, dy, options),
    'inputShape [h, w]',
  );
});

test('webgpu extractImagePatches agrees with the CPU op on random geometries', async () => {
  const quad = (max: number) =>
    fc.tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max })).map(([r, c]) => [1, r, c, 1]);
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        shape: fc.tuple(
          fc.integer({ min: 0, max: 2 }),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 4 }),
        ),
        sizes: quad(3),
        strides: quad(3),
        rates: quad(2),
        padding: fc.constantFrom('SAME' as const, 'VALID' as const),
        seed: fc.integer({ min: 1, max: 1e6 }),
      }),
      async ({ shape, seed, ...options }) => {
        const x = random(shape, seed);
        let expected: Tensor;
        try {
          expected = extractImagePatches(x, options);
        } catch (error) {
          // A geometry the CPU op refuses is refused on the GPU with the same error.
          assert.throws(
            () => gpu.extractImagePatches(gpu.upload(x), options),
            { message: (error as Error).message },
            'same error as the CPU op',
          );
          return;
        }
        await assertGpuMatches(
          gpu.extractImagePatches(gpu.upload(x), options),
          expected,
          `extractImagePatches ${JSON.stringify({ shape, ...options })}`,
        );
      },
    ),
    { numRuns: 40, seed: 1404 },
  );
});

test("webgpu extractImagePatches: TensorFlow's literal case (extract_image_patches_op_test.py)", async () => {
  // ExtractImagePatches testKsize2x2Stride1x1Rate1x1Valid: a 3x3 image of 1..9, 2x2 patches.
  const y = await gpu
    .extractImagePatches(gpu.upload(tensor(oneToN(9), [1, 3, 3, 1])), {
      sizes: [1, 2, 2, 1],
      strides: [1, 1, 1, 1],
      rates: [1, 1, 1, 1],
      padding: 'VALID',
    })
    .read();
  assert.deepEqual(y.shape, [1, 2, 2, 4], 'shape');
  assert.deepEqual(Array.from(y.data), [1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9], 'values');
});
