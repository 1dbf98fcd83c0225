/**
 * conv2d on WebGPU (Dawn on SwiftShader here), against the CPU `direct` reference:
 *   1. every GPU kernel (direct, igemm) on random geometries (fast-check, fixed seed: NHWC and NCHW,
 *      strides, dilations, SAME/VALID/explicit padding, groups, rank 3, empty batches and axes), within
 *      1e-5 of the output's scale, with convGeometry's output shape;
 *   2. each igemm variant (tile 64x16, 32x32, 64x64; scalar and vec4 A loads; several K slices, ragged
 *      M and N edges), chosen by the planner and named in its plan;
 *   3. TensorFlow's literal Conv2DTest cases (conv_ops_test.py) through both kernels;
 *   4. data stays on the GPU between ops, and a filter packed once serves later calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InvalidArgumentError,
  conv2d,
  conv2dAsync,
  explainConv2d,
  webgpu,
  planGpuConv2d,
  convGeometry,
  tensor,
  type ConvOptions,
  type Tensor,
} from '../src/index.js';
import { seededUniform, oneToN, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
  type GeometryLimits,
} from './helpers/random_geometry.js';
import { GPU_TOLERANCE, assertGpuMatches, sharedBackend } from './helpers/webgpu.js';
import { assertCloseToScale } from './helpers/assert_close.js';

const gpu = await sharedBackend();

const LIMITS: GeometryLimits = {
  minBatch: 0,
  maxBatch: 3,
  minSpatial: 0,
  maxSpatial: 9,
  maxFilter: 4,
  maxStride: 3,
  maxDilation: 3,
  maxPad: 3,
  maxGroups: 3,
  maxInChannels: 9,
  maxOutPerGroup: 6,
  layouts: ['NHWC', 'NCHW'],
};

function random(shape: number[], seed: number): Tensor {
  return tensor(seededUniform(sizeOfShape(shape), seed), shape);
}

/** Runs conv2d on the GPU with `algorithm` and compares it with the CPU's direct loop. */
async function checkConv(
  x: Tensor,
  w: Tensor,
  options: ConvOptions,
  algorithm: 'direct' | 'igemm' | 'auto',
  label: string,
): Promise<void> {
  const expected = conv2d(x, w, { ...options, algorithm: 'direct' });
  const gx = gpu.upload(x);
  const gw = gpu.upload(w);
  const y = gpu.conv2d(gx, gw, { ...options, algorithm });
  assert.deepEqual(y.shape, expected.shape, `${label}: output shape`);
  await assertGpuMatches(y, expected, `${label} (${algorithm})`);
  for (const t of [gx, gw, y]) t.dispose();
}

for (const algorithm of ['direct', 'igemm'] as const) {
  test(`webgpu conv2d ${algorithm} agrees with the CPU direct loop on random geometries`, async () => {
    await fc.assert(
      fc.asyncProperty(convCaseArb(LIMITS).filter(hasOutputShape), async (c) => {
        const x = random(inputShapeOf(c), c.seed);
        const w = random(filterShapeOf(c), c.seed + 1);
        await checkConv(x, w, convkitOptionsOf(c), algorithm, describeCase(c));
      }),
      { numRuns: 40, seed: algorithm === 'direct' ? 1301 : 1302 },
    );
  });
}

test('webgpu conv2d winograd F(2x2, 3x3) agrees with the CPU direct loop within 1e-4 on random 3x3 layers', async () => {
  const winogradCase = convCaseArb({
    ...LIMITS,
    maxFilter: 3,
    maxStride: 1,
    maxDilation: 1,
    maxGroups: 1,
    maxSpatial: 11,
  }).map((c) => ({ ...c, filterHeight: 3, filterWidth: 3 }));
  await fc.assert(
    fc.asyncProperty(winogradCase.filter(hasOutputShape), async (c) => {
      const x = random(inputShapeOf(c), c.seed);
      const w = random(filterShapeOf(c), c.seed + 1);
      const options = convkitOptionsOf(c);
      const plan = planGpuConv2d(
        convGeometry('conv2d', inputShapeOf(c), filterShapeOf(c), options),
        'winograd',
      );
      assert.equal(plan.algorithm, 'winograd', `${describeCase(c)}: ${plan.reason}`);
      const expected = conv2d(x, w, { ...options, algorithm: 'direct' });
      const y = gpu.conv2d(gpu.upload(x), gpu.upload(w), { ...options, algorithm: 'winograd' });
      await assertGpuMatches(y, expected, `${describeCase(c)} (winograd)`, 1e-4);
    }),
    { numRuns: 30, seed: 1303 },
  );
});

test('webgpu conv2d winograd: auto picks it from 32 channels; forced where it cannot run, igemm says why', async () => {
  const input = [2, 10, 9, 32];
  const filter = [3, 3, 32, 36];
  const plan = gpu.planConv2d(input, filter, { padding: 'SAME' });
  assert.equal(plan.kernel, 'conv2d_winograd_f2x2_3x3', plan.reason);
  assert.deepEqual(plan.dispatch, [2, 2, 16], 'ceil(9 / 8) x ceil(2 * 5 * 5 / 32) x 16 points');
  const x = random(input, 61);
  const w = random(filter, 62);
  const expected = conv2d(x, w, { padding: 'SAME', algorithm: 'direct' });
  const gw = gpu.upload(w);
  await assertGpuMatches(gpu.conv2d(gpu.upload(x), gw, { padding: 'SAME' }), expected, 'auto winograd', 1e-4);
  // The transformed filter is kept with the filter tensor: a second input reuses it.
  const x2 = random([1, 4, 4, 32], 63);
  await assertGpuMatches(
    gpu.conv2d(gpu.upload(x2), gw, { algorithm: 'winograd' }),
    conv2d(x2, w, { algorithm: 'direct' }),
    'winograd, transformed filter reused',
    1e-4,
  );
  const strided = gpu.planConv2d(input, filter, { strides: 2, algorithm: 'winograd' });
  assert.equal(strided.algorithm, 'igemm', 'a stride-2 layer falls back');
  assert.match(strided.reason, /^winograd cannot run it \(strides > 1\): igemm instead/, strided.reason);
});

test("webgpu conv2d precision: 'highest' keeps to GEMM-accurate kernels, as the CPU op does", async () => {
  const input = [2, 10, 9, 32];
  const filter = [3, 3, 32, 36];
  assert.equal(gpu.planConv2d(input, filter, { padding: 'SAME' }).algorithm, 'winograd', 'auto: winograd');
  const plan = gpu.planConv2d(input, filter, { padding: 'SAME', precision: 'highest' });
  assert.equal(plan.algorithm, 'igemm', plan.reason);
  const x = random(input, 71);
  const w = random(filter, 72);
  const expected = conv2d(x, w, { padding: 'SAME', algorithm: 'direct' });
  const y = gpu.conv2d(gpu.upload(x), gpu.upload(w), { padding: 'SAME', precision: 'highest' });
  await assertGpuMatches(y, expected, "precision: 'highest'", GPU_TOLERANCE);
  assert.equal(
    explainConv2d(input, filter, { padding: 'SAME', precision: 'highest', backend: 'webgpu' }).gpu?.algorithm,
    'igemm',
    'explainConv2d plans the GPU kernel for the precision asked',
  );
  assert.throws(
    () => gpu.conv2d(gpu.upload(x), gpu.upload(w), { algorithm: 'winograd', precision: 'highest' }),
    (e: Error) =>
      e instanceof InvalidArgumentError && /'winograd' cannot be combined with precision/.test(e.message),
  );
  assert.throws(
    () =>
      gpu.depthwiseConv2d(gpu.upload(x), gpu.upload(random([3, 3, 32, 1], 73)), {
        precision: 'best' as never,
      }),
    (e: Error) =>
      e instanceof InvalidArgumentError &&
      /precision must be 'auto' or 'highest', got "best"/.test(e.message),
  );
});

/** Geometries that make the planner pick each implicit-GEMM variant. */
const IGEMM_CASES: {
  name: string;
  input: number[];
  filter: number[];
  options: ConvOptions;
  kernel: string;
}[] = [
  {
    name: 'NCHW, 3 groups of 4 -> 4 channels (narrow tile, scalar loads)',
    input: [3, 12, 9, 9],
    filter: [3, 3, 4, 12],
    options: { dataFormat: 'NCHW', padding: 'SAME' },
    kernel: 'conv2d_igemm_64x16',
  },
  {
    name: 'NHWC, 8 -> 24 channels, stride 2 (32x32 tile, vec4 loads, ragged N)',
    input: [2, 11, 13, 8],
    filter: [3, 3, 8, 24],
    options: {
      strides: 2,
      padding: [
        [1, 2],
        [0, 1],
      ],
    },
    kernel: 'conv2d_igemm_32x32_vec4',
  },
  {
    name: 'NHWC, 2 groups of 4 -> 9 channels, dilation 2 (vec4 loads with groups)',
    input: [2, 16, 12, 8],
    filter: [2, 3, 4, 18],
    options: { dilations: [2, 1], padding: 'VALID' },
    kernel: 'conv2d_igemm_64x16_vec4',
  },
  {
    name: 'NHWC, 5 -> 70 channels, 4096+ pixels (64x64 tile, scalar loads, K = 45 over 3 slices)',
    input: [1, 64, 66, 5],
    filter: [3, 3, 5, 70],
    options: { padding: 'SAME' },
    kernel: 'conv2d_igemm_64x64',
  },
  {
    name: 'NHWC one image (rank 3), 12 -> 33 channels, 5x5 (32x32 tile, vec4, K = 300)',
    input: [9, 10, 12],
    filter: [5, 5, 12, 33],
    options: { padding: 'SAME' },
    kernel: 'conv2d_igemm_32x32_vec4',
  },
];

for (const c of IGEMM_CASES) {
  test(`webgpu conv2d igemm variant ${c.kernel}: ${c.name}`, async () => {
    const g = convGeometry('conv2d', c.input, c.filter, c.options);
    const plan = planGpuConv2d(g, 'auto', gpu.limits);
    assert.equal(plan.kernel, c.kernel, `planner's kernel (reason: ${plan.reason})`);
    assert.equal(gpu.planConv2d(c.input, c.filter, c.options).kernel, c.kernel, 'backend.planConv2d agrees');
    await checkConv(random(c.input, 7), random(c.filter, 8), c.options, 'auto', c.name);
  });
}

test('webgpu ops split work that passes maxComputeWorkgroupsPerDimension into passes and 2-D grids', async () => {
  // A backend planning as if the device allowed 16 workgroups per dimension: igemm and Winograd GEMMs run
  // in several passes, the one-invocation-per-value kernels fold their workgroups into two dimensions.
  const small = await webgpu({ limits: { maxComputeWorkgroupsPerDimension: 16 } });
  assert.equal(small.limits.maxComputeWorkgroupsPerDimension, 16, 'the lowered limit');
  const cases = [
    // 12000 outputs: 188 workgroups of 64 in a 16 x 12 grid; igemm: 600 rows, 19 tiles of 32 in 2 passes.
    { algorithm: 'direct', input: [2, 20, 15, 32], filter: [3, 3, 32, 20], passes: 1 },
    { algorithm: 'igemm', input: [2, 20, 15, 32], filter: [3, 3, 32, 20], passes: 2 },
    // 544 tiles of 2x2: 17 GEMM row tiles in 2 passes.
    { algorithm: 'winograd', input: [2, 34, 32, 16], filter: [3, 3, 16, 20], passes: 2 },
  ] as const;
  for (const c of cases) {
    const x = random([...c.input], 81);
    const w = random([...c.filter], 82);
    const options = { padding: 'SAME' as const, algorithm: c.algorithm };
    const plan = small.planConv2d(x.shape, w.shape, options);
    assert.equal(plan.algorithm, c.algorithm, plan.reason);
    assert.equal(plan.passes, c.passes, `${c.algorithm}: passes`);
    await assertGpuMatches(
      small.conv2d(small.upload(x), small.upload(w), options),
      conv2d(x, w, { padding: 'SAME', algorithm: 'direct' }),
      `${c.algorithm} under the lowered limit`,
      c.algorithm === 'winograd' ? 1e-4 : undefined,
    );
  }
  small.dispose();
});

test('webgpu planner: tiny problems run conv2d_direct, larger ones igemm, and every plan says why', () => {
  const tiny = planGpuConv2d(convGeometry('conv2d', [1, 3, 3, 1], [2, 2, 1, 1]));
  assert.equal(tiny.kernel, 'conv2d_direct', 'a 16-FLOP conv2d');
  assert.match(tiny.reason, /FLOPs/, 'the reason names the FLOP count');
  const big = planGpuConv2d(convGeometry('conv2d', [1, 32, 32, 16], [3, 3, 16, 32], { padding: 'SAME' }));
  assert.equal(big.algorithm, 'igemm', big.reason);
  assert.deepEqual(big.dispatch, [1, 32, 1], 'ceil(32 / 4 / 8) x ceil(1024 / 32) x 1 groups');
  // A device allowing few workgroups per dimension splits M over several passes.
  const split = planGpuConv2d(
    convGeometry('conv2d', [1, 32, 32, 16], [3, 3, 16, 32], { padding: 'SAME' }),
    'auto',
    {
      maxStorageBufferBindingSize: 1 << 27,
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupStorageSize: 16384,
      maxComputeWorkgroupsPerDimension: 10,
    },
  );
  assert.equal(split.passes, 4, 'ceil(32 row tiles / 10)');
  // explainConv2d reports the GPU plan on request.
  const explained = explainConv2d([1, 32, 32, 16], [3, 3, 16, 32], { padding: 'SAME', backend: 'webgpu' });
  assert.equal(explained.gpu?.kernel, 'conv2d_igemm_32x32_vec4', 'explain names the kernel');
  assert.deepEqual(explained.gpu?.workgroupSize, [8, 8, 1], 'and its workgroup');
  assert.deepEqual(explained.gpu?.tile, [32, 32], 'and its tile');
  assert.match(explained.gpu?.reason ?? '', /vec4/, 'and why');
  assert.equal(explainConv2d([1, 3, 3, 1], [1, 1, 1, 1]).gpu, undefined, 'no GPU plan unless asked');
});

// TensorFlow's literal cases: inputs and filters hold 1..N (conv_ops_test.py, Conv2DTest).
const LITERALS = [
  {
    name: 'testConv2D1x1Filter',
    input: [1, 2, 3, 3],
    filter: [1, 1, 3, 3],
    strides: 1,
    padding: 'VALID',
    expected: [30, 36, 42, 66, 81, 96, 102, 126, 150, 138, 171, 204, 174, 216, 258, 210, 261, 312],
  },
  {
    name: 'testConv2D2x2Filter',
    input: [1, 2, 3, 3],
    filter: [2, 2, 3, 3],
    strides: 1,
    padding: 'VALID',
    expected: [2271, 2367, 2463, 2901, 3033, 3165],
  },
  {
    name: 'testConv2D2x2FilterStride2Same',
    input: [1, 2, 3, 3],
    filter: [2, 2, 3, 3],
    strides: 2,
    padding: 'SAME',
    expected: [2271, 2367, 2463, 1230, 1305, 1380],
  },
  {
    name: 'testConv2D2x2FilterStride1x2',
    input: [1, 3, 6, 1],
    filter: [2, 2, 1, 1],
    strides: [1, 2],
    padding: 'VALID',
    expected: [58, 78, 98, 118, 138, 158],
  },
  {
    name: 'testConv2DKernelSmallerThanStrideSame (c)',
    input: [1, 4, 4, 1],
    filter: [2, 2, 1, 1],
    strides: 3,
    padding: 'SAME',
    expected: [44, 28, 41, 16],
  },
  {
    name: 'testConv2dOnlyPaddingReturnsZeros',
    input: [1, 0, 2, 1],
    filter: [1, 1, 1, 1],
    strides: 1,
    padding: [
      [1, 1],
      [1, 1],
    ],
    expected: [0, 0, 0, 0, 0, 0, 0, 0],
  },
] as const;

for (const c of LITERALS) {
  test(`webgpu conv2d: TensorFlow's Conv2DTest.${c.name}, direct and igemm`, async () => {
    const x = gpu.upload(tensor(oneToN(sizeOfShape([...c.input])), [...c.input]));
    const w = gpu.upload(tensor(oneToN(sizeOfShape([...c.filter])), [...c.filter]));
    const options = {
      strides: c.strides as number | number[],
      padding: c.padding as 'SAME' | 'VALID' | number[][],
    };
    for (const algorithm of ['direct', 'igemm'] as const) {
      const y = await gpu.conv2d(x, w, { ...options, algorithm }).read();
      assert.deepEqual(Array.from(y.data), [...c.expected], `${c.name} on ${algorithm}`);
    }
  });
}

test('webgpu conv2d: tensors stay on the GPU between ops; a filter packed once serves later calls', async () => {
  const x = random([2, 6, 7, 4], 11);
  const w1 = random([3, 3, 4, 8], 12);
  const w2 = random([1, 1, 8, 8], 13);
  const gw1 = gpu.upload(w1);
  const gw2 = gpu.upload(w2);
  const hidden = gpu.conv2d(gpu.upload(x), gw1, { padding: 'SAME', algorithm: 'igemm' });
  const y = gpu.conv2d(hidden, gw2, { algorithm: 'igemm' });
  const expected = conv2d(conv2d(x, w1, { padding: 'SAME', algorithm: 'direct' }), w2, {
    algorithm: 'direct',
  });
  await assertGpuMatches(y, expected, 'two chained convolutions');
  // The same filter again, on a new input, and as a grouped filter (16 channels = 2 groups of 8).
  const x2 = random([1, 5, 5, 8], 14);
  await assertGpuMatches(
    gpu.conv2d(gpu.upload(x2), gw2, { algorithm: 'igemm' }),
    conv2d(x2, w2, { algorithm: 'direct' }),
    'the packed filter reused',
  );
  const x3 = random([1, 5, 5, 16], 15);
  await assertGpuMatches(
    gpu.conv2d(gpu.upload(x3), gw2, { algorithm: 'igemm' }),
    conv2d(x3, w2, { algorithm: 'direct' }),
    'the same filter as 2 groups (packed again for that layout)',
  );
});

test("conv2dAsync(x, w, { backend: 'webgpu' }) uploads, computes and reads back conv2d", async () => {
  const x = random([2, 9, 8, 6], 51);
  const w = random([3, 3, 3, 10], 52);
  const options = { padding: 'SAME' as const, strides: [2, 1], dilations: [1, 2] };
  const expected = conv2d(x, w, { ...options, algorithm: 'direct' });
  for (const algorithm of ['auto', 'direct', 'igemm'] as const) {
    const y = await conv2dAsync(x, w, { ...options, algorithm, backend: 'webgpu' });
    assert.deepEqual(y.shape, expected.shape, 'shape');
    assertCloseToScale(y.data, expected.data, GPU_TOLERANCE, `conv2dAsync on webgpu (${algorithm})`);
  }
  // The filter's values may change between calls: nothing is cached on the host array.
  const mutable = random([1, 1, 6, 2], 53);
  const before = await conv2dAsync(x, mutable, { backend: 'webgpu' });
  mutable.data[0] += 1;
  const after = await conv2dAsync(x, mutable, { backend: 'webgpu' });
  assertCloseToScale(
    after.data,
    conv2d(x, mutable, { algorithm: 'direct' }).data,
    GPU_TOLERANCE,
    'after a write',
  );
  assert.notDeepEqual(Array.from(after.data), Array.from(before.data), 'the new values were used');
  await assert.rejects(
    conv2dAsync(x, w, { backend: 'cuda' as 'webgpu' }),
    (e: Error) =>
      e instanceof InvalidArgumentError && /^conv2dAsync: backend must be 'wasm' or 'webgpu'/.test(e.message),
    'unknown backend',
  );
  await assert.rejects(
    conv2dAsync(x, w, { backend: 'webgpu', algorithm: 'fft' }),
    (e: Error) =>
      e instanceof InvalidArgumentError && /^conv2dAsync: algorithm with backend 'webgpu'/.test(e.message),
    'a CPU-only algorithm',
  );
  await assert.rejects(
    conv2dAsync(x, random([3, 3, 4, 1], 54), { backend: 'webgpu' }),
    (e: Error) => e instanceof InvalidArgumentError && /^conv2dAsync: input has 6 channels/.test(e.message),
    'validated as conv2dAsync, before the GPU',
  );
});
