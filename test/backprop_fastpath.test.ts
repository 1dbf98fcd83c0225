// The GEMM gradients (src/algorithms/backprop_gemm.ts) against the direct reference (backprop_direct.ts)
// on random geometries: strides with dilations, SAME/VALID/explicit padding, NCHW, groups, rank-3 inputs,
// and scratch tiles shrunk so that the tiling over output pixels is exercised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { convGeometry, type ConvGeometry } from '../src/geometry.js';
import { conv2dBackpropFilterDirect, conv2dBackpropInputDirect } from '../src/algorithms/backprop_direct.js';
import { conv2dBackpropFilterGemm, conv2dBackpropInputGemm } from '../src/algorithms/backprop_gemm.js';
import { maxAbs, scaledError } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
  type GeometryLimits,
} from './helpers/random_geometry.js';

const TOLERANCE = 1e-5;

const LIMITS: GeometryLimits = {
  minBatch: 0,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 12,
  maxFilter: 5,
  maxStride: 3,
  maxDilation: 3,
  maxPad: 3,
  maxGroups: 3,
  maxInChannels: 8,
  maxOutPerGroup: 5,
  layouts: ['NHWC', 'NCHW'],
};

interface Problem {
  g: ConvGeometry;
  input: Float32Array;
  filter: Float32Array;
  dy: Float32Array;
}

function problemOf(g: ConvGeometry, seed: number): Problem {
  return {
    g,
    input: seededUniform(sizeOfShape(g.inputShape), seed),
    filter: seededUniform(sizeOfShape(g.filterShape), seed + 1),
    dy: seededUniform(sizeOfShape(g.outputShape), seed + 2),
  };
}

/** Both gradients both ways; returns the scaled errors of the GEMM path. */
function compare(p: Problem, tileFloats?: number): { input: number; filter: number } {
  const dxDirect = conv2dBackpropInputDirect(p.g, p.filter, p.dy);
  const dxGemm = conv2dBackpropInputGemm(p.g, p.filter, p.dy, tileFloats);
  const dwDirect = conv2dBackpropFilterDirect(p.g, p.input, p.dy);
  const dwGemm = conv2dBackpropFilterGemm(p.g, p.input, p.dy, tileFloats);
  assert.equal(dxGemm.length, dxDirect.length);
  assert.equal(dwGemm.length, dwDirect.length);
  return { input: scaledError(dxGemm, dxDirect), filter: scaledError(dwGemm, dwDirect) };
}

test('GEMM gradients match the direct reference on random geometries (fast-check, seed 2024)', (t) => {
  const worst = { input: 0, filter: 0 };
  let runs = 0;
  const arb = fc.tuple(
    convCaseArb(LIMITS).filter(hasOutputShape),
    fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 600 })),
  );
  fc.assert(
    fc.property(arb, ([c, tileFloats]) => {
      const g = convGeometry('test', inputShapeOf(c), filterShapeOf(c), convkitOptionsOf(c));
      const errors = compare(problemOf(g, c.seed), tileFloats);
      worst.input = Math.max(worst.input, errors.input);
      worst.filter = Math.max(worst.filter, errors.filter);
      runs++;
      assert.ok(
        errors.input <= TOLERANCE && errors.filter <= TOLERANCE,
        `${describeCase(c)} tile ${tileFloats}: input error ${errors.input}, filter error ${errors.filter}`,
      );
    }),
    { seed: 2024, numRuns: 300 },
  );
  t.diagnostic(`${runs} geometries; worst scaled error: input ${worst.input}, filter ${worst.filter}`);
});

test('GEMM gradients with default tiles on a layer that needs several tiles (NHWC and NCHW, groups)', (t) => {
  for (const dataFormat of ['NHWC', 'NCHW'] as const) {
    for (const [filterShape, groups] of [
      [[3, 3, 32, 12], 1],
      [[3, 3, 32, 12], 2],
    ] as [number[], number][]) {
      const channels = filterShape[2] * groups;
      const inputShape = dataFormat === 'NHWC' ? [1, 48, 48, channels] : [1, channels, 48, 48];
      const g = convGeometry('test', inputShape, filterShape, {
        padding: 'SAME',
        strides: [1, 2],
        dilations: [2, 1],
        dataFormat,
      });
      assert.equal(g.groups, groups);
      // The patch matrix is larger than one 2^18-float tile, so the loops over tiles run more than once.
      assert.ok(
        g.batch * g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.filterInChannels > 1 << 18,
        'g.batch * g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.filterInChannels > 1 << 18',
      );
      const p = problemOf(g, 7 + groups);
      const errors = compare(p);
      t.diagnostic(
        `${dataFormat} groups ${groups}: input error ${errors.input}, filter error ${errors.filter}`,
      );
      assert.ok(
        maxAbs(conv2dBackpropInputGemm(g, p.filter, p.dy)) > 0,
        'maxAbs(conv2dBackpropInputGemm(g, p.filter, p.dy)) > 0',
      );
      assert.ok(errors.input <= TOLERANCE, `input error ${errors.input}`);
      assert.ok(errors.filter <= TOLERANCE, `filter error ${errors.filter}`);
    }
  }
});

test('GEMM gradients of an empty batch and of an output that is only padding', () => {
  const empty = convGeometry('test', [0, 5, 5, 2], [3, 3, 2, 4], { padding: 'SAME' });
  const p = problemOf(empty, 3);
  assert.deepEqual(conv2dBackpropInputGemm(empty, p.filter, p.dy), new Float32Array(0));
  assert.deepEqual(conv2dBackpropFilterGemm(empty, p.input, p.dy), new Float32Array(3 * 3 * 2 * 4));
  // Input height 0 padded by 1 + 1: every output pixel sees only padding, so no input cell gets anything
  // and the filter gradient is exactly zero.
  const onlyPadding = convGeometry('test', [1, 0, 3, 1], [1, 1, 1, 2], {
    padding: [
      [1, 1],
      [0, 0],
    ],
  });
  const q = problemOf(onlyPadding, 5);
  assert.equal(q.dy.length, 2 * 3 * 2);
  assert.deepEqual(conv2dBackpropInputGemm(onlyPadding, q.filter, q.dy), new Float32Array(0));
  assert.deepEqual(conv2dBackpropFilterGemm(onlyPadding, q.input, q.dy), new Float32Array(2));
  assert.deepEqual(conv2dBackpropFilterDirect(onlyPadding, q.input, q.dy), new Float32Array(2));
});
