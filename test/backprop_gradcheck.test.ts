// The gradients checked against their definition, in float64, with a forward conv2d that shares no code
// with them (backprop_reference.ts). For L = sum(conv2d(x, w) * dy):
//   - finite differences of L with respect to every element of x and of w;
//   - the adjoint identity <conv2d(x, w), dy> = <x, dL/dx> = <w, dL/dw>, exact up to rounding.
// Geometries: TensorFlow's gradient-checker cases (conv_ops_test.py, ConstructAndTestGradient), then
// random ones with dilations together with strides, explicit padding, NCHW, groups and rank-3 inputs.
// Both the public ops and the GEMM path (called directly, as the ops send small problems to the direct
// loops) are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput, tensor } from '../src/index.js';
import { convGeometry } from '../src/geometry.js';
import { conv2dBackpropFilterGemm, conv2dBackpropInputGemm } from '../src/algorithms/backprop_gemm.js';
import { scaledError } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
  tfOutputShapeOf,
  type ConvCase,
  type GeometryLimits,
} from './helpers/random_geometry.js';
import { absDot, dot, finiteDifferenceGradient, forward64 } from './backprop_reference.js';

const FD_TOLERANCE = 1e-4;
const ADJOINT_TOLERANCE = 1e-6;

interface Worst {
  finiteDifference: number;
  adjoint: number;
}

function record(worst: Worst, finiteDifference: number, adjoint: number): void {
  worst.finiteDifference = Math.max(worst.finiteDifference, finiteDifference);
  worst.adjoint = Math.max(worst.adjoint, adjoint);
}

/** Checks both gradients of one case (ops and GEMM path); returns the worst errors seen. */
function checkCase(c: ConvCase, x: Float32Array, w: Float32Array, dy: Float32Array, worst: Worst): void {
  const label = describeCase(c);
  const options = convkitOptionsOf(c);
  const inputShape = inputShapeOf(c);
  const filterShape = filterShapeOf(c);
  const forward = forward64(c, x, w);
  // The oracle itself agrees with convkit's forward conv2d.
  const y = conv2d(tensor(x, inputShape), tensor(w, filterShape), options);
  assert.deepEqual(y.shape, tfOutputShapeOf(c), label);
  assert.ok(scaledError(y.data, forward.output) <= 1e-6, `${label}: forward oracle disagrees with conv2d`);

  const g = convGeometry('test', inputShape, filterShape, options);
  const gradients = [
    {
      path: 'ops',
      dx: conv2dBackpropInput(inputShape, tensor(w, filterShape), tensor(dy, y.shape), options).data,
      dw: conv2dBackpropFilter(tensor(x, inputShape), filterShape, tensor(dy, y.shape), options).data,
    },
    { path: 'gemm', dx: conv2dBackpropInputGemm(g, w, dy, 97), dw: conv2dBackpropFilterGemm(g, x, dy, 97) },
  ];
  const fdX = finiteDifferenceGradient(x, dy, (v) => forward64(c, v, w).output);
  const fdW = finiteDifferenceGradient(w, dy, (v) => forward64(c, x, v).output);
  const lhs = dot(forward.output, dy);
  // Rounding errors are measured against sum(|x| |w| |dy|), the size of the terms being summed.
  const scale = absDot(forward.magnitude, dy) || 1;
  for (const { path, dx, dw } of gradients) {
    const errX = scaledError(dx, fdX);
    const errW = scaledError(dw, fdW);
    const adjX = Math.abs(lhs - dot(x, dx)) / scale;
    const adjW = Math.abs(lhs - dot(w, dw)) / scale;
    record(worst, Math.max(errX, errW), Math.max(adjX, adjW));
    assert.ok(errX <= FD_TOLERANCE, `${label} (${path}): input gradient vs finite differences: ${errX}`);
    assert.ok(errW <= FD_TOLERANCE, `${label} (${path}): filter gradient vs finite differences: ${errW}`);
    assert.ok(adjX <= ADJOINT_TOLERANCE, `${label} (${path}): <conv, dy> vs <x, dx>: ${adjX}`);
    assert.ok(adjW <= ADJOINT_TOLERANCE, `${label} (${path}): <conv, dy> vs <w, dw>: ${adjW}`);
  }
}

// ConstructAndTestGradient(batch, rows, cols, filter_rows, filter_cols, in_depth, out_depth, stride_rows,
// stride_cols, padding); TensorFlow fills input and filter with i / size.
const TF_GRADIENT_CASES: [string, number[], OraclePaddingSpec][] = [
  ['ValidPaddingStrideOne (input)', [2, 5, 4, 3, 3, 2, 3, 1, 1], 'VALID'],
  ['ValidPaddingStrideOne (filter)', [4, 6, 5, 2, 2, 2, 3, 1, 1], 'VALID'],
  ['ValidPaddingStrideTwo (input)', [2, 4, 5, 3, 3, 2, 3, 2, 2], 'VALID'],
  ['ValidPaddingStrideTwo (filter)', [4, 6, 5, 2, 2, 2, 3, 2, 2], 'VALID'],
  ['ValidPaddingStrideThree (input)', [2, 7, 6, 3, 3, 4, 5, 3, 3], 'VALID'],
  ['ValidPaddingStrideThree (filter)', [2, 8, 7, 4, 4, 2, 3, 3, 3], 'VALID'],
  ['SamePaddingStrideOne (input)', [2, 7, 6, 3, 3, 2, 3, 1, 1], 'SAME'],
  ['SamePaddingStrideOne (filter)', [4, 6, 5, 2, 2, 2, 3, 1, 1], 'SAME'],
  ['SamePaddingStrideTwo (input)', [2, 5, 4, 3, 3, 3, 3, 2, 2], 'SAME'],
  ['SamePaddingStrideTwo (filter)', [4, 6, 5, 2, 2, 2, 3, 2, 2], 'SAME'],
  ['SamePaddingStrideThree (input)', [2, 7, 6, 3, 3, 4, 5, 3, 3], 'SAME'],
  ['SamePaddingStrideThree (filter)', [2, 8, 7, 4, 4, 2, 3, 3, 3], 'SAME'],
  ['SamePaddingStride2x1 (filter)', [2, 8, 7, 4, 4, 2, 3, 2, 1], 'SAME'],
  ['KernelSizeMatchesInputSize', [2, 4, 3, 4, 3, 2, 3, 1, 1], 'VALID'],
  [
    '1x1PaddingStrideOne',
    [2, 5, 4, 3, 3, 2, 3, 1, 1],
    [
      [1, 1],
      [1, 1],
    ],
  ],
  [
    '1x1PaddingStrideTwo',
    [2, 4, 5, 3, 3, 2, 3, 2, 2],
    [
      [1, 1],
      [1, 1],
    ],
  ],
  [
    '2x2PaddingStrideOne',
    [2, 5, 4, 3, 3, 2, 3, 1, 1],
    [
      [2, 2],
      [2, 2],
    ],
  ],
  [
    '1_2_3_4PaddingStride3x2',
    [2, 8, 5, 4, 2, 3, 2, 3, 2],
    [
      [1, 2],
      [3, 4],
    ],
  ],
  [
    '4_3_2_1PaddingStride2x1',
    [3, 5, 7, 3, 2, 1, 2, 2, 1],
    [
      [4, 3],
      [2, 1],
    ],
  ],
  [
    '0_0_0_5PaddingStride1x2',
    [2, 6, 7, 3, 4, 3, 2, 1, 2],
    [
      [0, 0],
      [0, 5],
    ],
  ],
  // testInputGradientGroupConv / testFilterGradientGroupConv: 2 groups.
  ['GroupConv (2 groups)', [2, 5, 4, 3, 3, 4, 6, 1, 1], 'VALID'],
];
type OraclePaddingSpec = ConvCase['padding'];

test("finite differences and the adjoint identity on TensorFlow's gradient-checker geometries", (t) => {
  const worst: Worst = { finiteDifference: 0, adjoint: 0 };
  for (const [
    name,
    [batch, rows, cols, kRows, kCols, inDepth, outDepth, sRows, sCols],
    padding,
  ] of TF_GRADIENT_CASES) {
    const groups = name.startsWith('GroupConv') ? 2 : 1;
    for (const dataFormat of ['NHWC', 'NCHW'] as const) {
      const c: ConvCase = {
        dataFormat,
        batched: true,
        batch,
        inHeight: rows,
        inWidth: cols,
        groups,
        filterInChannels: inDepth / groups,
        outPerGroup: outDepth / groups,
        filterHeight: kRows,
        filterWidth: kCols,
        strides: [sRows, sCols],
        dilations: [1, 1],
        padding,
        optionForm: 'quad',
        seed: 1,
      };
      const xSize = sizeOfShape(inputShapeOf(c));
      const wSize = sizeOfShape(filterShapeOf(c));
      const x = Float32Array.from({ length: xSize }, (_, i) => i / xSize);
      const w = Float32Array.from({ length: wSize }, (_, i) => i / wSize);
      const dy = seededUniform(sizeOfShape(tfOutputShapeOf(c)), 11);
      checkCase(c, x, w, dy, worst);
    }
  }
  t.diagnostic(`worst: finite differences ${worst.finiteDifference}, adjoint identity ${worst.adjoint}`);
});

const LIMITS: GeometryLimits = {
  minBatch: 1,
  maxBatch: 2,
  minSpatial: 1,
  maxSpatial: 8,
  maxFilter: 4,
  maxStride: 3,
  maxDilation: 3,
  maxPad: 3,
  maxGroups: 3,
  maxInChannels: 4,
  maxOutPerGroup: 3,
  layouts: ['NHWC', 'NCHW'],
};

test('finite differences and the adjoint identity on random geometries (fast-check, seed 77)', (t) => {
  const worst: Worst = { finiteDifference: 0, adjoint: 0 };
  const seen = { dilatedAndStrided: 0, explicit: 0, nchw: 0, grouped: 0, oneImage: 0 };
  const arb = convCaseArb(LIMITS).filter(hasOutputShape);
  fc.assert(
    fc.property(arb, (c) => {
      if (Math.max(...c.dilations) > 1 && Math.max(...c.strides) > 1) seen.dilatedAndStrided++;
      if (typeof c.padding !== 'string') seen.explicit++;
      if (c.dataFormat === 'NCHW') seen.nchw++;
      if (c.groups > 1) seen.grouped++;
      if (!c.batched) seen.oneImage++;
      const x = seededUniform(sizeOfShape(inputShapeOf(c)), c.seed);
      const w = seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1);
      const dy = seededUniform(sizeOfShape(tfOutputShapeOf(c)), c.seed + 2);
      checkCase(c, x, w, dy, worst);
    }),
    { seed: 77, numRuns: 300 },
  );
  t.diagnostic(
    `worst: finite differences ${worst.finiteDifference}, adjoint identity ${worst.adjoint}; ` +
      `cases seen: ${JSON.stringify(seen)}`,
  );
  for (const [kind, count] of Object.entries(seen)) assert.ok(count >= 10, `only ${count} ${kind} cases`);
});
