/**
 * algorithm: 'fft' (src/algorithms/fft.ts) against the direct reference, on random stride-1 geometries
 * (fast-check, fixed seeds): odd and even sizes, filters 1..15 (dilated too), SAME / VALID / explicit
 * padding, batches above 1, NHWC and NCHW, channel counts that are not multiples of 4 or 8. Each case
 * runs through conv2d (the tiling the cost model picks, on the WebAssembly kernels when available),
 * through the TypeScript kernels, and with the smallest tiles the filter allows, so that outputs come
 * from many overlapping tiles and every seam is checked. Agreement: max |fft - direct| <= 1e-4 *
 * max |direct|. Also: outputs whose window lies wholly on padding are exactly 0, NaN and Infinity follow
 * TensorFlow's rules, empty results have TF's shapes, and the kernel module this process does not run
 * agrees too, in a child Node: relaxed SIMD on Node 20 (with --experimental-wasm-relaxed-simd), plain
 * SIMD where relaxed SIMD is the default (Node 22+).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childNodeFlags, otherVariant, runVariantChild } from './helpers/wasm_variant_child.js';
import fc from 'fast-check';
import { conv2d, convGeometry, tensor, zeros, type ConvGeometry } from '../src/index.js';
import { conv2dFftWith, fftBackend } from '../src/algorithms/fft.js';
import { fftTiling, fftTilingWith } from '../src/algorithms/fft_tiling.js';
import { nextFftLength } from '../src/kernels/fft_plan.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
  type ConvCase,
} from './helpers/random_geometry.js';

const FFT_CASES = convCaseArb({
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 23,
  maxFilter: 15,
  maxStride: 1,
  maxDilation: 2,
  maxPad: 4,
  maxGroups: 1,
  maxInChannels: 11,
  maxOutPerGroup: 10,
  layouts: ['NHWC', 'NCHW'],
}).filter(hasOutputShape);

const TOLERANCE = 1e-4;

function operands(c: ConvCase) {
  const inputShape = inputShapeOf(c);
  const filterShape = filterShapeOf(c);
  const x = tensor(seededUniform(sizeOfShape(inputShape), c.seed), inputShape);
  const w = tensor(seededUniform(sizeOfShape(filterShape), c.seed + 1), filterShape);
  const options = convkitOptionsOf(c);
  return { x, w, options, g: convGeometry('conv2d', inputShape, filterShape, options) };
}

/** The smallest tiles the filter allows: most tiles, most seams. */
function smallestTiles(g: ConvGeometry) {
  return fftTilingWith(
    g,
    nextFftLength(g.effectiveFilterHeight + 1),
    nextFftLength(g.effectiveFilterWidth + 1),
  );
}

test("'fft' agrees with 'direct' on 120 random stride-1 geometries (cost-model tiles, TypeScript, smallest tiles)", () => {
  const typescript = fftBackend(true);
  fc.assert(
    fc.property(FFT_CASES, (c) => {
      const { x, w, options, g } = operands(c);
      const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
      const label = describeCase(c);
      const y = conv2d(x, w, { ...options, algorithm: 'fft' });
      assert.deepEqual([...y.shape], [...reference.shape], `${label}: shape`);
      assertCloseToScale(y.data, reference.data, TOLERANCE, `fft on ${label}`);
      const viaTypescript = conv2dFftWith(g, x.data, w.data, typescript);
      assertCloseToScale(viaTypescript, reference.data, TOLERANCE, `fft (TypeScript kernels) on ${label}`);
      if (g.outHeight > 0 && g.outWidth > 0) {
        const small = smallestTiles(g);
        const seams = conv2dFftWith(g, x.data, w.data, fftBackend(), small);
        const tiles = `${small.tileHeight}x${small.tileWidth} tiles`;
        assertCloseToScale(seams, reference.data, TOLERANCE, `fft with ${tiles} on ${label}`);
      }
    }),
    { seed: 0x0ff7_c0de, numRuns: 120 },
  );
});

test('large filters and images in several tiles: 15x15 and dilated 7x7 on 61x47 inputs, both layouts', () => {
  const cases: [number[], number[], Parameters<typeof conv2d>[2]][] = [
    [[2, 61, 47, 5], [15, 15, 5, 3], { padding: 'SAME' }],
    [[1, 5, 61, 47], [15, 15, 5, 6], { padding: 'VALID', dataFormat: 'NCHW' }],
    [
      [1, 40, 33, 9],
      [7, 7, 9, 12],
      {
        padding: [
          [3, 1],
          [0, 6],
        ],
        dilations: [2, 3],
      },
    ],
    [[3, 21, 22, 16], [13, 2, 16, 16], { padding: 'SAME' }],
  ];
  for (const [inputShape, filterShape, options] of cases) {
    const x = tensor(seededUniform(sizeOfShape(inputShape), 11), inputShape);
    const w = tensor(seededUniform(sizeOfShape(filterShape), 12), filterShape);
    const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
    const y = conv2d(x, w, { ...options, algorithm: 'fft' });
    const label = `${inputShape} x ${filterShape} ${JSON.stringify(options)}`;
    assertCloseToScale(y.data, reference.data, TOLERANCE, label);
    const g = convGeometry('conv2d', inputShape, filterShape, options);
    const small = smallestTiles(g);
    assert.ok(small.tilesDown * small.tilesAcross > 4, `${label}: the small tiling has several tiles`);
    assertCloseToScale(
      conv2dFftWith(g, x.data, w.data, fftBackend(), small),
      reference.data,
      TOLERANCE,
      label,
    );
  }
});

test('outputs whose window lies only on padding are exactly 0', () => {
  // Width 1, filter width 2 dilated by 2, SAME: the only output column's taps both land on padding.
  const x = tensor(seededUniform(6, 3), [1, 6, 1, 1]);
  const w = tensor([1, 2, 3, 4, 5, 6], [3, 2, 1, 1]);
  const y = conv2d(x, w, { padding: 'SAME', dilations: [1, 2], algorithm: 'fft' });
  assert.deepEqual([...y.data], [0, 0, 0, 0, 0, 0]);
  // Explicit padding wider than the filter: the border rows and columns are all padding.
  const x2 = tensor(seededUniform(2 * 4 * 4 * 3, 4), [2, 4, 4, 3]);
  const w2 = tensor(seededUniform(2 * 2 * 3 * 2, 5), [2, 2, 3, 2]);
  const options = {
    padding: [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ],
    algorithm: 'fft' as const,
  };
  const y2 = conv2d(x2, w2, options);
  const reference = conv2d(x2, w2, { ...options, algorithm: 'direct' });
  for (let i = 0; i < reference.data.length; i++) {
    if (reference.data[i] === 0) assert.equal(y2.data[i], 0, `index ${i}`);
  }
  assertCloseToScale(y2.data, reference.data, TOLERANCE, 'wide explicit padding');
});

test('NaN and Infinity follow TensorFlow (the transform would smear them): same pattern as direct', () => {
  const x = tensor(seededUniform(2 * 9 * 9 * 3, 6), [2, 9, 9, 3]);
  x.data[40] = NaN;
  const w = tensor(seededUniform(5 * 5 * 3 * 2, 7), [5, 5, 3, 2]);
  const withInfinity = tensor(Float32Array.from(w.data), [5, 5, 3, 2]);
  withInfinity.data[0] = Infinity;
  for (const [input, filter] of [
    [x, w],
    [tensor(seededUniform(2 * 9 * 9 * 3, 6), [2, 9, 9, 3]), withInfinity],
  ]) {
    const expected = conv2d(input, filter, { padding: 'SAME', algorithm: 'direct' }).data;
    const y = conv2d(input, filter, { padding: 'SAME', algorithm: 'fft' }).data;
    for (let i = 0; i < expected.length; i++) {
      if (Number.isFinite(expected[i])) {
        assert.ok(Math.abs(y[i] - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])), `index ${i}`);
      } else {
        assert.ok(
          Object.is(y[i], expected[i]) || (Number.isNaN(y[i]) && Number.isNaN(expected[i])),
          `index ${i}`,
        );
      }
    }
    assert.ok(
      expected.some((v) => !Number.isFinite(v)) && expected.some((v) => Number.isFinite(v)),
      'expected.some((v) => !Number.isFinite(v)) && expected.some((v) => Number.isFinite(v))',
    );
  }
});

test('empty batches, empty axes and inputs that are only padding give TF shapes', () => {
  const w = tensor(seededUniform(3 * 3 * 2 * 4, 8), [3, 3, 2, 4]);
  assert.deepEqual(
    [...conv2d(zeros([0, 5, 5, 2]), w, { padding: 'SAME', algorithm: 'fft' }).shape],
    [0, 5, 5, 4],
  );
  assert.deepEqual(
    [...conv2d(zeros([1, 0, 5, 2]), w, { padding: 'SAME', algorithm: 'fft' }).shape],
    [1, 0, 5, 4],
  );
  const onlyPadding = conv2d(zeros([1, 1, 1, 2]), w, {
    padding: [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ],
    algorithm: 'fft',
  });
  assert.deepEqual([...onlyPadding.shape], [1, 3, 3, 4]);
  assert.ok(
    onlyPadding.data.every((v) => v === 0),
    'onlyPadding.data.every((v) => v === 0)',
  );
  const g = convGeometry('conv2d', [1, 0, 5, 2], [3, 3, 2, 4], { padding: 'SAME' });
  assert.equal(typeof fftTiling(g), 'object');
});

test("the other kernel module agrees with 'direct' too, in a child Node", (t) => {
  const inUse = wasmEngine()?.variant;
  assert.ok(inUse, 'WebAssembly SIMD is expected on Node >= 20');
  const variant = otherVariant(inUse);
  const flags = childNodeFlags(variant).join(' ') || 'no flags';
  t.diagnostic(`the tests above ran ${inUse}; the child runs ${variant} (${flags})`);
  const child = runVariantChild('fft', variant);
  assert.equal(child.status, 0, child.stderr + child.stdout);
  assert.match(child.stdout, new RegExp(`fft ${variant}: 60 geometries agree`));
});
