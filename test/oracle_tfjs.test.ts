/**
 * Differential tests against TensorFlow.js (tfjs-core + tfjs-backend-cpu) on random geometries.
 *
 * conv2d: 1000 seeded random problems (fast-check, fixed seed) over NHWC and NCHW, rank 3 and 4, batch
 * 1..3, odd sizes, 1..6 input channels, grouped convolution, filters 1..5, strides 1..3, dilations 1..3
 * (strides and dilations > 1 together included), SAME, VALID and explicit padding, and every spelling of
 * the options convkit accepts. Every algorithm in CONV2D_ALGORITHMS (so new ones are covered as they are
 * added) and 'auto' must agree with tfjs within |a - b| <= 1e-4 * (1 + |b|). How the oracle covers what
 * tfjs lacks (NCHW, groups, strides with dilations) is described in test/helpers/tfjs_oracle.ts.
 *
 * extractImagePatches: 200 random problems, compared exactly with tfjs conv2d on a one-hot filter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conv2d, extractImagePatches, tensor } from '../src/index.js';
import { assertAllClose, scaledError } from './helpers/assert_close.js';
import { ALGORITHMS_UNDER_TEST } from './helpers/literal_conv_case.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  ORACLE_LIMITS,
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  inputShapeOf,
  outHeightOf,
  outWidthOf,
  tfOutputShapeOf,
  tfOutputSize,
  type ConvCase,
  type GeometryLimits,
} from './helpers/random_geometry.js';
import { initTfjsCpu, tfjsConv2d, tfjsExtractPatches } from './helpers/tfjs_oracle.js';

await initTfjsCpu();

const CONV_SEED = 0x5eed_c0de;
const CONV_CASES = 1000;
const TOLERANCE = { rtol: 1e-4, atol: 1e-4 };

// Only geometries with a non-empty output: empty ones are checked against TF's rules elsewhere.
const convCases: ConvCase[] = fc.sample(
  convCaseArb(ORACLE_LIMITS).filter((c) => outHeightOf(c) >= 1 && outWidthOf(c) >= 1),
  { seed: CONV_SEED, numRuns: CONV_CASES },
);

test('the random conv2d geometries cover every feature the oracle is asked about', () => {
  const count = (pred: (c: ConvCase) => boolean): number => convCases.filter(pred).length;
  const strided = (c: ConvCase): boolean => c.strides[0] > 1 || c.strides[1] > 1;
  const dilated = (c: ConvCase): boolean => c.dilations[0] > 1 || c.dilations[1] > 1;
  assert.equal(convCases.length, CONV_CASES);
  assert.ok(count((c) => c.dataFormat === 'NCHW') >= 150, 'NCHW');
  assert.ok(count((c) => !c.batched) >= 100, 'rank 3');
  assert.ok(count((c) => c.batch > 1) >= 100, 'batch > 1');
  assert.ok(count((c) => c.groups > 1) >= 50, 'groups > 1');
  assert.ok(count((c) => strided(c) && dilated(c)) >= 40, 'strides and dilations > 1 together');
  assert.ok(count((c) => typeof c.padding !== 'string') >= 100, 'explicit padding');
  assert.ok(count((c) => c.padding === 'SAME') >= 100, 'SAME');
  assert.ok(count((c) => c.padding === 'VALID') >= 50, 'VALID');
  assert.ok(count((c) => c.inHeight % 2 === 1 && c.inWidth % 2 === 1) >= 50, 'odd sizes');
  assert.ok(count((c) => c.filterHeight === 5 || c.filterWidth === 5) >= 50, 'filters up to 5');
});

/** Compares every algorithm with tfjs on one case; returns the failures (empty when all agree). */
function compareWithTfjs(c: ConvCase, worst?: Map<string, number>): string[] {
  const failures: string[] = [];
  const inputShape = inputShapeOf(c);
  const filterShape = filterShapeOf(c);
  const input = seededUniform(sizeOfShape(inputShape), c.seed);
  const filter = seededUniform(sizeOfShape(filterShape), c.seed ^ 0x9e3779b9);
  const expected = tfjsConv2d(
    { values: input, shape: inputShape },
    { values: filter, shape: filterShape },
    { strides: c.strides, dilations: c.dilations, padding: c.padding, dataFormat: c.dataFormat },
  );
  if (JSON.stringify(expected.shape) !== JSON.stringify(tfOutputShapeOf(c))) {
    return [`oracle shape ${JSON.stringify(expected.shape)} breaks TF's rule: ${describeCase(c)}`];
  }
  const x = tensor(input, inputShape);
  const w = tensor(filter, filterShape);
  for (const algorithm of ALGORITHMS_UNDER_TEST) {
    try {
      const y = conv2d(x, w, { ...convkitOptionsOf(c), algorithm });
      assert.deepEqual([...y.shape], expected.shape, 'shape');
      assertAllClose(y.data, expected.values, { ...TOLERANCE, label: 'values' });
      worst?.set(algorithm, Math.max(worst.get(algorithm) ?? 0, scaledError(y.data, expected.values)));
    } catch (e) {
      failures.push(`'${algorithm}' on ${describeCase(c)}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return failures;
}

test(`conv2d matches tfjs-backend-cpu on ${CONV_CASES} random geometries, every algorithm`, (t) => {
  const failures: string[] = [];
  const worst = new Map<string, number>();
  for (const c of convCases) failures.push(...compareWithTfjs(c, worst));
  for (const [algorithm, error] of worst) {
    t.diagnostic(`worst |convkit - tfjs| / max|tfjs| for '${algorithm}': ${error.toExponential(2)}`);
  }
  assert.deepEqual(failures.slice(0, 8), [], `${failures.length} mismatches with tfjs`);
});

/** Bigger problems: patch matrices of several scratch tiles, wide K, many output channels. */
const LARGE_LIMITS: GeometryLimits = {
  minBatch: 1,
  maxBatch: 2,
  minSpatial: 16,
  maxSpatial: 28,
  maxFilter: 5,
  maxStride: 2,
  maxDilation: 2,
  maxPad: 2,
  maxGroups: 2,
  maxInChannels: 16,
  maxOutPerGroup: 12,
  layouts: ['NHWC', 'NCHW'],
};
const LARGE_CASES = 16;
const largeCases = fc.sample(
  convCaseArb(LARGE_LIMITS).filter((c) => c.batched && outHeightOf(c) >= 1 && outWidthOf(c) >= 1),
  { seed: 0x1a_29e, numRuns: LARGE_CASES },
);

test(`conv2d matches tfjs on ${LARGE_CASES} larger geometries (batch 2, up to 28x28x16), every algorithm`, () => {
  const failures: string[] = [];
  for (const c of largeCases) failures.push(...compareWithTfjs(c));
  assert.ok(
    largeCases.some((c) => c.batch * outHeightOf(c) * outWidthOf(c) >= 1000),
    'coverage: >= 1000 output pixels',
  );
  assert.deepEqual(failures.slice(0, 8), [], `${failures.length} mismatches with tfjs`);
});

// ---------------------------------------------------------------------------------------------------

interface PatchesCase {
  batch: number;
  rows: number;
  cols: number;
  depth: number;
  sizes: [number, number];
  strides: [number, number];
  rates: [number, number];
  padding: 'SAME' | 'VALID';
  seed: number;
}

const small = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
const smallPair = (max: number): fc.Arbitrary<[number, number]> => fc.tuple(small(1, max), small(1, max));

const patchesArb: fc.Arbitrary<PatchesCase> = fc
  .record({
    batch: small(1, 2),
    rows: small(1, 9),
    cols: small(1, 9),
    depth: small(1, 4),
    sizes: smallPair(4),
    strides: smallPair(3),
    rates: smallPair(3),
    padding: fc.constantFrom('SAME' as const, 'VALID' as const),
    seed: small(1, 0x7fffffff),
  })
  .filter(
    (p) =>
      tfOutputSize(p.rows, p.sizes[0], p.strides[0], p.rates[0], p.padding) >= 1 &&
      tfOutputSize(p.cols, p.sizes[1], p.strides[1], p.rates[1], p.padding) >= 1,
  );

const PATCHES_CASES = 200;
const patchesCases = fc.sample(patchesArb, { seed: 0x0a7c_4e5, numRuns: PATCHES_CASES });

test(`extractImagePatches matches tfjs (conv2d with a one-hot filter) on ${PATCHES_CASES} random geometries`, () => {
  const failures: string[] = [];
  for (const p of patchesCases) {
    const shape = [p.batch, p.rows, p.cols, p.depth];
    const images = seededUniform(sizeOfShape(shape), p.seed);
    const label = JSON.stringify(p);
    try {
      const expected = tfjsExtractPatches({ values: images, shape }, p);
      const y = extractImagePatches(tensor(images, shape), {
        sizes: [1, ...p.sizes, 1],
        strides: [1, ...p.strides, 1],
        rates: [1, ...p.rates, 1],
        padding: p.padding,
      });
      assert.deepEqual([...y.shape], expected.shape, 'shape');
      // Patches copy input values, and the one-hot conv adds only exact zeros: equality is exact.
      assertAllClose(y.data, expected.values, { rtol: 0, atol: 0, label: 'values' });
    } catch (e) {
      failures.push(`${label}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  assert.ok(
    patchesCases.some((p) => p.strides[0] > 1 && p.rates[0] > 1),
    'coverage: strides with rates',
  );
  assert.ok(
    patchesCases.some((p) => p.padding === 'SAME' && p.sizes[0] > 1),
    'coverage: SAME',
  );
  assert.deepEqual(failures.slice(0, 8), [], `${failures.length} mismatches with tfjs`);
});
