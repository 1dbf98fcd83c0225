/**
 * Property tests for depthwiseConv2d (fast-check, fixed seeds):
 *   1. on random geometries (empty batches and axes, both layouts, rank 3 and 4, filters up to 5x5 with
 *      3x3 favoured, sizes up to 20 so that the fast kernel's interior sweeps run) the 'fast' algorithm,
 *      and 'auto', agree with 'direct' within 1e-5 of the output's scale, and every result has
 *      depthwiseGeometry's output shape, which is TensorFlow's rule written out in the test helpers;
 *   2. depthwise convolution is grouped convolution with one group per channel: conv2d with the filter
 *      read as [kh, kw, 1, C * M] gives the same values (conv2d is separate code);
 *   3. the fast kernel's two ways with padding (a zero-padded copy of the input, or clipped border
 *      windows) each agree with 'direct';
 *   4. padding is a multiplied zero in both algorithms and both padding ways: a filter holding Infinity
 *      gives NaN exactly where that tap lands on padding, and the same NaN / Infinity pattern as direct.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conv2d, depthwiseConv2d, tensor, type DepthwiseAlgorithm } from '../src/index.js';
import { depthwiseGeometry } from '../src/geometry.js';
import { depthwiseConv2dFast, type PaddingStrategy } from '../src/algorithms/depthwise_fast.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  depthwiseCases,
  describeDepthwise,
  filterShapeOf,
  inputShapeOf,
  optionsOf,
  outSizes,
  tfOutputShapeOf,
  type DepthwiseCase,
} from './helpers/depthwise_cases.js';

const acceptedCase = depthwiseCases({ batch: [0, 2], size: [0, 20], channels: [1, 6] });

function valuesOf(c: DepthwiseCase) {
  const x = tensor(seededUniform(sizeOfShape(inputShapeOf(c)), c.seed), inputShapeOf(c));
  const w = tensor(seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1), filterShapeOf(c));
  return { x, w };
}

test('fast and auto agree with direct, with TF output shapes (500 random geometries)', () => {
  let interior3x3 = 0;
  let empty = 0;
  fc.assert(
    fc.property(acceptedCase, (c) => {
      const geometry = depthwiseGeometry('depthwiseConv2d', inputShapeOf(c), filterShapeOf(c), optionsOf(c));
      assert.deepEqual(
        [...geometry.outputShape],
        tfOutputShapeOf(c),
        `geometry vs TF's rule: ${describeDepthwise(c)}`,
      );
      const { x, w } = valuesOf(c);
      const reference = depthwiseConv2d(x, w, { ...optionsOf(c), algorithm: 'direct' });
      assert.deepEqual([...reference.shape], tfOutputShapeOf(c), `'direct' shape: ${describeDepthwise(c)}`);
      for (const algorithm of ['fast', 'auto'] as const) {
        const y = depthwiseConv2d(x, w, { ...optionsOf(c), algorithm });
        const label = `'${algorithm}' vs 'direct' on ${describeDepthwise(c)}`;
        assert.deepEqual([...y.shape], tfOutputShapeOf(c), `${label}: shape`);
        assertCloseToScale(y.data, reference.data, 1e-5, label);
      }
      if (reference.data.length === 0) empty++;
      const [oh, ow] = outSizes(c);
      if (c.filterHeight === 3 && c.filterWidth === 3 && c.dilations[1] === 1 && oh >= 4 && ow >= 4)
        interior3x3++;
    }),
    { seed: 0x0de9_7a15, numRuns: 500 },
  );
  // Coverage: the specialised 3x3 sweeps and the empty outputs were both exercised.
  assert.ok(interior3x3 >= 20, `3x3 cases with interiors: ${interior3x3}`);
  assert.ok(empty >= 10, `empty outputs: ${empty}`);
});

const STRATEGIES: PaddingStrategy[] = ['copy', 'clip', 'auto'];

test("the fast kernel's padding strategies (zero-padded copy, clipped borders) agree with direct (300 cases)", () => {
  fc.assert(
    fc.property(acceptedCase, (c) => {
      const geometry = depthwiseGeometry('depthwiseConv2d', inputShapeOf(c), filterShapeOf(c), optionsOf(c));
      const { x, w } = valuesOf(c);
      const reference = depthwiseConv2d(x, w, { ...optionsOf(c), algorithm: 'direct' });
      for (const strategy of STRATEGIES) {
        const y = depthwiseConv2dFast(geometry, x.data, w.data, strategy);
        assertCloseToScale(y, reference.data, 1e-5, `'${strategy}' on ${describeDepthwise(c)}`);
      }
    }),
    { seed: 0x5_7a7e, numRuns: 300 },
  );
});

test('the fast kernel on MobileNet-like sizes (3x3 and 5-wide filters, stride 1 and 2, SAME, multiplier 1 and 2) matches direct', () => {
  const shapes: [number[], number[], number][] = [
    [[1, 17, 18, 16], [3, 3, 16, 1], 1],
    [[2, 16, 15, 8], [3, 3, 8, 2], 2],
    [[1, 9, 9, 32], [3, 3, 32, 1], 1],
    [[1, 12, 12, 5], [5, 5, 5, 1], 2],
    [[1, 14, 13, 6], [5, 5, 6, 1], 1],
    [[2, 9, 16, 3], [2, 5, 3, 2], 1],
  ];
  for (const [inputShape, filterShape, stride] of shapes) {
    for (const dataFormat of ['NHWC', 'NCHW'] as const) {
      const shape =
        dataFormat === 'NHWC' ? inputShape : [inputShape[0], inputShape[3], inputShape[1], inputShape[2]];
      const x = tensor(seededUniform(sizeOfShape(shape), 7), shape);
      const w = tensor(seededUniform(sizeOfShape(filterShape), 8), filterShape);
      const options = { strides: stride, padding: 'SAME' as const, dataFormat };
      const expected = depthwiseConv2d(x, w, { ...options, algorithm: 'direct' });
      const actual = depthwiseConv2d(x, w, { ...options, algorithm: 'fast' });
      assertCloseToScale(
        actual.data,
        expected.data,
        1e-5,
        `${dataFormat} ${inputShape} ${filterShape} s${stride}`,
      );
    }
  }
});

test('depthwiseConv2d equals conv2d with one group per channel (300 random geometries)', () => {
  fc.assert(
    fc.property(
      acceptedCase.filter((c) => c.batch > 0),
      (c) => {
        const { x, w } = valuesOf(c);
        const y = depthwiseConv2d(x, w, optionsOf(c));
        // [kh, kw, C, M] read as a grouped-conv2d filter [kh, kw, 1, C * M]: groups = C.
        const grouped = tensor(w.data, [c.filterHeight, c.filterWidth, 1, c.channels * c.multiplier]);
        const expected = conv2d(x, grouped, { ...optionsOf(c), algorithm: 'direct' });
        assert.deepEqual([...y.shape], [...expected.shape], describeDepthwise(c));
        assertCloseToScale(y.data, expected.data, 1e-5, describeDepthwise(c));
      },
    ),
    { seed: 0x9_0c0ff, numRuns: 300 },
  );
});

/** Same values: NaN where expected is NaN, the same infinity, and finite values within 1e-5. */
function assertSameSpecials(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    const same = Number.isFinite(e) ? Math.abs(a - e) <= 1e-5 * (1 + Math.abs(e)) : Object.is(a, e);
    assert.ok(same, `${label}: index ${i} got ${a}, expected ${e}`);
  }
}

test('padding is a multiplied zero: Infinity in the filter gives NaN where its tap is on padding', () => {
  // 4x4 image of ones, 3x3 filter of ones with +Infinity at the top-left tap, SAME padding (1 all round).
  const x = tensor(new Float32Array(16).fill(1), [1, 4, 4, 1]);
  const taps = new Float32Array(9).fill(1);
  taps[0] = Infinity;
  const w = tensor(taps, [3, 3, 1, 1]);
  const geometry = depthwiseGeometry('depthwiseConv2d', x.shape, w.shape, { padding: 'SAME' });
  const runs: [string, () => Float32Array][] = [
    ['direct', () => depthwiseConv2d(x, w, { strides: 1, padding: 'SAME', algorithm: 'direct' }).data],
    ...STRATEGIES.map((strategy): [string, () => Float32Array] => [
      `fast '${strategy}'`,
      () => depthwiseConv2dFast(geometry, x.data, w.data, strategy),
    ]),
  ];
  for (const [algorithm, run] of runs) {
    const y = run();
    for (let oy = 0; oy < 4; oy++) {
      for (let ox = 0; ox < 4; ox++) {
        // The top-left tap reads input (oy - 1, ox - 1): padding on the first row and column.
        const onPadding = oy === 0 || ox === 0;
        const value = y[oy * 4 + ox];
        if (onPadding)
          assert.ok(Number.isNaN(value), `'${algorithm}' (${oy}, ${ox}): ${value}, expected NaN`);
        else assert.equal(value, Infinity, `'${algorithm}' (${oy}, ${ox})`);
      }
    }
  }
});

test('non-finite filters and inputs give the same NaN / Infinity pattern in fast (each padding strategy) and direct (200 cases)', () => {
  const special = fc.constantFrom(Infinity, -Infinity, NaN);
  fc.assert(
    fc.property(
      acceptedCase.filter(
        (c) => c.batch > 0 && outSizes(c).every((s) => s > 0) && c.inHeight * c.inWidth > 0,
      ),
      special,
      fc.nat(),
      fc.boolean(),
      (c, value, where, inFilter) => {
        const { x, w } = valuesOf(c);
        const target = inFilter ? w.data : x.data;
        target[where % target.length] = value;
        const expected = depthwiseConv2d(x, w, { ...optionsOf(c), algorithm: 'direct' });
        const geometry = depthwiseGeometry('depthwiseConv2d', x.shape, w.shape, optionsOf(c));
        for (const strategy of STRATEGIES) {
          const actual = depthwiseConv2dFast(geometry, x.data, w.data, strategy);
          const where = `${value} in ${inFilter ? 'filter' : 'input'}, '${strategy}': ${describeDepthwise(c)}`;
          assertSameSpecials(actual, expected.data, where);
        }
      },
    ),
    { seed: 0x1_4f1_4f, numRuns: 200 },
  );
});

test('an empty batch or an input that is only padding gives TF shapes (empty, or zeros)', () => {
  const filter = tensor(new Float32Array(54).fill(1), [3, 3, 3, 2]);
  for (const algorithm of ['direct', 'fast'] as DepthwiseAlgorithm[]) {
    const y = depthwiseConv2d(tensor([], [0, 5, 5, 3]), filter, { strides: 2, padding: 'SAME', algorithm });
    assert.deepEqual([...y.shape], [0, 3, 3, 6], `'${algorithm}' empty batch`);
    // An empty image with explicit padding: every window lies on padding, so every output is 0.
    const padded = depthwiseConv2d(tensor([], [1, 0, 0, 3]), filter, {
      padding: [
        [2, 1],
        [3, 1],
      ],
      algorithm,
    });
    assert.deepEqual([...padded.shape], [1, 1, 2, 6], `'${algorithm}' padding only`);
    assert.deepEqual([...padded.data], new Array(12).fill(0), `'${algorithm}' padding only`);
    // SAME on an empty image: an empty output.
    const same = depthwiseConv2d(tensor([], [2, 0, 4, 3]), filter, { padding: 'SAME', algorithm });
    assert.deepEqual([...same.shape], [2, 0, 4, 6], `'${algorithm}' SAME on height 0`);
  }
});

test('a sum of -0 products is +0, as in a sum that starts from zero (every algorithm and padding way)', () => {
  // A zero image under negative taps: every product is -0.
  for (const [shape, filterShape, strides] of [
    [[1, 6, 7, 2], [3, 3, 2, 1], 1],
    [[1, 6, 7, 2], [3, 3, 2, 2], 2],
    [[1, 6, 9, 2], [2, 5, 2, 1], 1],
    [[1, 6, 7, 2], [2, 2, 2, 1], 1],
  ] as [number[], number[], number][]) {
    const x = tensor(new Float32Array(sizeOfShape(shape)), shape);
    const w = tensor(new Float32Array(sizeOfShape(filterShape)).fill(-1), filterShape);
    const geometry = depthwiseGeometry('depthwiseConv2d', shape, filterShape, { strides, padding: 'SAME' });
    const results: [string, Float32Array][] = [
      ['direct', depthwiseConv2d(x, w, { strides, padding: 'SAME', algorithm: 'direct' }).data],
      ...STRATEGIES.map((strategy): [string, Float32Array] => [
        `fast '${strategy}'`,
        depthwiseConv2dFast(geometry, x.data, w.data, strategy),
      ]),
    ];
    for (const [name, y] of results) {
      const negativeZeros = y.filter((v) => Object.is(v, -0)).length;
      assert.equal(negativeZeros, 0, `${name} ${JSON.stringify(filterShape)} strides ${strides}: -0 outputs`);
    }
  }
});
