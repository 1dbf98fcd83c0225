/**
 * igemm on grouped convolutions whose groups share 8-column panels (block-diagonal packing; see
 * groupsPerPanel in src/algorithms/igemm.ts), against the direct reference and against one group at a
 * time:
 *   - random grouped geometries (fast-check, fixed seed), panels forced on, agree with direct and give
 *     the bits of the one-group-at-a-time path;
 *   - NaN and infinities in one group's input stay in that group's outputs, as in TensorFlow, wherever
 *     they sit in the band (the part the kernel checks and the tail checked in JavaScript), while the
 *     blocked calls alone would have spread them;
 *   - 1 and 2 threads give the same bits (batches of images, several bands, non-finite inputs);
 *   - which geometries the cost model gives shared panels.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conv2d, convGeometry, tensor, type Conv2dOptions } from '../src/index.js';
import {
  bandKernelCalls,
  bandRows,
  igemmLayout,
  loadInputBand,
  placeIgemm,
  storeOutputBand,
} from '../src/algorithms/igemm.js';
import { bandInputFinite, groupsPerPanel, setGroupPanelMode } from '../src/algorithms/igemm_groups.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { assertCloseToScale, maxAbs } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
  type ConvCase,
  type GeometryLimits,
} from './helpers/random_geometry.js';
import { assertSameBits } from './helpers/threads.js';

const TOLERANCE = 1e-5;

after(() => setGroupPanelMode('auto'));

/** Up to 12 groups of 1 to 4 input and 1 to 5 output channels: 1 to 8 groups a panel, partial last panels. */
const LIMITS: GeometryLimits = {
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 10,
  maxFilter: 4,
  maxStride: 3,
  maxDilation: 2,
  maxPad: 2,
  maxGroups: 12,
  maxInChannels: 24,
  maxOutPerGroup: 5,
  layouts: ['NHWC', 'NCHW'],
};

const groupedCases = convCaseArb(LIMITS).filter(
  (c) => c.groups > 1 && c.filterInChannels <= 4 && hasOutputShape(c),
);

function run(x: Float32Array, w: Float32Array, shapes: [number[], number[]], options: Conv2dOptions) {
  return conv2d(tensor(x, shapes[0]), tensor(w, shapes[1]), options);
}

function geometryOf(c: ConvCase) {
  return convGeometry('conv2d', inputShapeOf(c), filterShapeOf(c), convkitOptionsOf(c));
}

test('shared panels agree with direct and give the bits of one group at a time (200 random geometries)', () => {
  let blocked = 0;
  fc.assert(
    fc.property(groupedCases, (c) => {
      const shapes: [number[], number[]] = [inputShapeOf(c), filterShapeOf(c)];
      const x = seededUniform(sizeOfShape(shapes[0]), c.seed);
      const w = seededUniform(sizeOfShape(shapes[1]), c.seed + 1);
      const options = convkitOptionsOf(c);
      const label = describeCase(c);
      const reference = run(x, w, shapes, { ...options, algorithm: 'direct' });
      setGroupPanelMode('blocks');
      if (groupsPerPanel(geometryOf(c)) > 1) blocked++;
      const blocks = run(x, w, shapes, { ...options, algorithm: 'igemm' });
      setGroupPanelMode('per-group');
      const perGroup = run(x, w, shapes, { ...options, algorithm: 'igemm' });
      setGroupPanelMode('auto');
      assertCloseToScale(blocks.data, reference.data, TOLERANCE, label);
      assertSameBits(blocks.data, perGroup.data, label);
    }),
    { seed: 0x6a0_07ed, numRuns: 200 },
  );
  assert.ok(blocked >= 100, `only ${blocked} of 200 geometries had groups sharing panels`);
});

/** Finite outputs close to direct's (to its scale), and NaN and infinities exactly where direct has them. */
function assertMatchesWithNonFinite(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const finite = expected.filter((v) => Number.isFinite(v));
  const atol = TOLERANCE * maxAbs(finite);
  let nonFinite = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${label}: element ${i} is ${a}, expected NaN`);
    else if (!Number.isFinite(e)) assert.equal(a, e, `${label}: element ${i}`);
    else assert.ok(Math.abs(a - e) <= atol, `${label}: element ${i} is ${a}, expected ${e}`);
    if (!Number.isFinite(e)) nonFinite++;
  }
  assert.ok(
    nonFinite > 0 && finite.length > 0,
    `${label}: the case should have finite and non-finite outputs`,
  );
}

/** 8 groups of 1 input and 2 output channels (4 groups a panel); 29x29 SAME: 7688 floats a band. */
const NAN_INPUT = [1, 29, 29, 8];
const NAN_FILTER = [3, 3, 1, 16];

for (const [where, pixel] of [
  ['in the kernel-checked part of the band', [0, 0]],
  ['in the tail checked in JavaScript', [28, 28]],
] as const) {
  for (const value of [Number.NaN, Infinity, -Infinity]) {
    test(`a ${value} input ${where} stays in its group's outputs`, () => {
      const g = convGeometry('conv2d', NAN_INPUT, NAN_FILTER, { padding: 'SAME' });
      assert.equal(groupsPerPanel(g), 4, 'the cost model should share panels here');
      const x = seededUniform(sizeOfShape(NAN_INPUT), 11);
      const w = seededUniform(sizeOfShape(NAN_FILTER), 12);
      const channel = 5;
      x[(pixel[0] * NAN_INPUT[2] + pixel[1]) * NAN_INPUT[3] + channel] = value;
      const shapes: [number[], number[]] = [NAN_INPUT, NAN_FILTER];
      const expected = run(x, w, shapes, { padding: 'SAME', algorithm: 'direct' }).data;
      const actual = run(x, w, shapes, { padding: 'SAME', algorithm: 'igemm' }).data;
      assertMatchesWithNonFinite(actual, expected, `${value} at ${pixel.join(',')}`);
      // Group 4 (channel 4, outputs 8 and 9) shares a panel with channel 5's group but not its input.
      const at = (pixel[0] * 29 + pixel[1]) * 16;
      assert.ok(Number.isFinite(actual[at + 8]) && Number.isFinite(actual[at + 9]), 'neighbour group');
      assert.ok(!Number.isFinite(actual[at + 10]), "the value's own group");
    });
  }
}

test('the blocked calls alone would spread a non-finite input to the groups sharing its panel', () => {
  const engine = wasmEngine();
  assert.ok(engine, 'WebAssembly SIMD engine');
  const g = convGeometry('conv2d', NAN_INPUT, NAN_FILTER, { padding: 'SAME' });
  const x = seededUniform(sizeOfShape(NAN_INPUT), 11);
  const w = seededUniform(sizeOfShape(NAN_FILTER), 12);
  x[5] = Infinity; // pixel (0, 0), channel 5
  const runIgemm = placeIgemm(engine.heap, g, w);
  assert.ok(runIgemm.groupsPerPanel > 1, 'runIgemm.groupsPerPanel > 1');
  const { rows } = bandRows(runIgemm, 0);
  loadInputBand(engine.heap, runIgemm, x, 0, 0);
  assert.equal(bandInputFinite(engine.kernels, engine.heap, runIgemm, rows), false);
  for (const calls of bandKernelCalls(runIgemm, rows, 1, true)) {
    for (const c of calls) engine.kernels.f32_igemm_4x8(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
  }
  const output = new Float32Array(g.outHeight * g.outWidth * g.outChannels);
  storeOutputBand(engine.heap, runIgemm, output, 0, 0);
  assert.ok(Number.isNaN(output[8]), `group 4's output is ${output[8]}: 0 * inf should have reached it`);
  x[5] = 0.5;
  loadInputBand(engine.heap, runIgemm, x, 0, 0);
  assert.equal(bandInputFinite(engine.kernels, engine.heap, runIgemm, rows), true);
});

/** Threaded problems that take each job shape of igemm_jobs.ts with shared panels. */
const THREAD_CASES: { label: string; input: number[]; filter: number[]; poison?: number[] }[] = [
  { label: 'a batch of images, one job', input: [3, 12, 12, 16], filter: [3, 3, 1, 32] },
  { label: 'several bands', input: [1, 24, 2000, 16], filter: [3, 3, 1, 16] },
  { label: 'NaN in the second image', input: [3, 12, 12, 16], filter: [3, 3, 2, 16], poison: [1, 5, 7, 3] },
  { label: 'Inf in a later band', input: [1, 24, 2000, 16], filter: [3, 3, 1, 16], poison: [0, 20, 1500, 9] },
];

test('1 and 2 threads give the same bits with shared panels, and agree with direct', () => {
  for (const c of THREAD_CASES) {
    const g = convGeometry('conv2d', c.input, c.filter, { padding: 'SAME' });
    assert.ok(groupsPerPanel(g) > 1, `${c.label}: shared panels`);
    if (c.label.includes('band')) assert.ok(igemmLayout(g).bands > 1, `${c.label}: several bands`);
    const x = seededUniform(sizeOfShape(c.input), 21);
    const w = seededUniform(sizeOfShape(c.filter), 22);
    if (c.poison) {
      const [b, y, xx, ch] = c.poison;
      x[((b * c.input[1] + y) * c.input[2] + xx) * c.input[3] + ch] = c.label.startsWith('NaN')
        ? NaN
        : Infinity;
    }
    const shapes: [number[], number[]] = [c.input, c.filter];
    const one = run(x, w, shapes, { padding: 'SAME', algorithm: 'igemm', threads: 1 }).data;
    const two = run(x, w, shapes, { padding: 'SAME', algorithm: 'igemm', threads: 2 }).data;
    assertSameBits(two, one, c.label);
    const expected = run(x, w, shapes, { padding: 'SAME', algorithm: 'direct' }).data;
    if (c.poison) assertMatchesWithNonFinite(one, expected, c.label);
    else assertCloseToScale(one, expected, TOLERANCE, c.label);
  }
});

test('the cost model shares panels only where segments are 1 or 2 floats', () => {
  const gpp = (input: number[], filter: number[]) =>
    groupsPerPanel(convGeometry('conv2d', input, filter, { padding: 'SAME' }));
  assert.equal(gpp([1, 8, 8, 32], [3, 3, 1, 32]), 8, '1 in, 1 out: 8 groups a panel');
  assert.equal(gpp([1, 8, 8, 32], [3, 3, 1, 96]), 2, '1 in, 3 out: 2 groups a panel');
  assert.equal(gpp([1, 8, 8, 2], [3, 3, 1, 2]), 2, 'fewer groups than fit');
  assert.equal(gpp([1, 8, 8, 64], [3, 3, 2, 64]), 4, '2 in, 2 out');
  assert.equal(gpp([1, 8, 8, 64], [3, 3, 2, 128]), 1, '2 in, 4 out');
  assert.equal(gpp([1, 8, 8, 128], [3, 3, 4, 128]), 1, '4 in, 4 out (ResNeXt)');
  assert.equal(gpp([1, 8, 8, 32], [3, 3, 1, 160]), 1, '5 out: one group a panel');
  assert.equal(gpp([1, 8, 8, 8], [3, 3, 8, 8]), 1, 'one group');
});
