/**
 * TensorFlow.js's conv2d forward test cases, run through every convkit algorithm in NHWC and NCHW.
 *
 * Source: tensorflow/tfjs, tfjs-core/src/ops/conv2d_test.ts (describe 'conv2d') at v4.22.0, the release
 * installed here (its compiled copy ships as node_modules/@tensorflow/tfjs-core/dist/ops/conv2d_test.js).
 * Older revisions expected [90, 90, 90, 90, 54, ...] for 'x=[4,2,2] f=[2,2,4,4] ... NCHW': that is the
 * channels-last ordering of the right answer, which v4.22.0 corrects. Each case keeps the
 * layout and rank (3 = one image) it is written in there; the runner also transposes it into the other
 * layout. tfjs's numeric `pad = 0` is explicit zero padding. Not ported: the gradient cases (not forward),
 * the `throws ...` cases (errors belong to the error tests), and the dimRoundingMode cases (a tfjs-only
 * option TensorFlow does not have).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conv2d, type Tensor } from '../src/index.js';
import { assertAllClose } from './helpers/assert_close.js';
import {
  ALGORITHMS_UNDER_TEST,
  checkLiteralCase,
  type LiteralConvCase,
} from './helpers/literal_conv_case.js';
import { oneToN } from './helpers/layout.js';
import { initTfjsCpu, tfjsConv2d } from './helpers/tfjs_oracle.js';

const CONV2D_TEST = 'tensorflow/tfjs tfjs-core/src/ops/conv2d_test.ts (v4.22.0)';

type Literal = Omit<LiteralConvCase, 'source' | 'expectedFrom'>;

const literal = (c: Literal): LiteralConvCase => ({ ...c, source: CONV2D_TEST, expectedFrom: 'literal' });

const ZERO_PAD: LiteralConvCase['padding'] = [
  [0, 0],
  [0, 0],
];

/** i % 5 for i in 0..n-1: the fill tfjs uses for its 8x8 cases. */
const modFive = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 5);

const CASES: LiteralConvCase[] = [
  literal({
    name: 'x=[1,4,4,1] f=[1,1,1,3] s=2 d=1 p=same',
    inputShape: [4, 4, 1],
    input: [10, 30, 50, 70, 20, 40, 60, 80, -10, -30, -50, -70, -20, -40, -60, -80],
    filterShape: [1, 1, 1, 3],
    filter: [1, 0.5, 1],
    strides: [2, 2],
    padding: 'SAME',
    expectedShape: [2, 2, 3],
    expected: [10, 5, 10, 50, 25, 50, -10, -5, -10, -50, -25, -50],
  }),
  literal({
    name: 'x=[2,2,2,2] f=[1,1,2,2] s=1 d=1 p=0',
    inputShape: [2, 2, 2, 2],
    filterShape: [1, 1, 2, 2],
    filter: [-1, 1, -2, 0.5],
    strides: [1, 1],
    padding: ZERO_PAD,
    expectedShape: [2, 2, 2, 2],
    expected: [-5, 2, -11, 5, -17, 8, -23, 11, -29, 14, -35, 17, -41, 20, -47, 23],
  }),
  literal({
    name: 'x=[2,2,1] f=[1,1,1,2] s=1 d=1 p=0',
    inputShape: [2, 2, 1],
    filterShape: [1, 1, 1, 1],
    filter: [2],
    strides: [1, 1],
    padding: ZERO_PAD,
    expectedShape: [2, 2, 1],
    expected: [2, 4, 6, 8],
  }),
  literal({
    name: 'x=[3,3,2] f=[2,2,2,1] s=1 d=1 p=valid',
    inputShape: [3, 3, 2],
    input: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90],
    filterShape: [2, 2, 2, 1],
    filter: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
    strides: [1, 1],
    padding: 'VALID',
    expectedShape: [2, 2, 1],
    expected: [25.6, 53.5, 157.0, 220.9],
  }),
  literal({
    name: 'x=[2,2,2,1] f=[1,1,1,1] s=1 d=1 p=0',
    inputShape: [2, 2, 2, 1],
    filterShape: [1, 1, 1, 1],
    filter: [2],
    strides: [1, 1],
    padding: ZERO_PAD,
    expectedShape: [2, 2, 2, 1],
    expected: [2, 4, 6, 8, 10, 12, 14, 16],
  }),
  literal({
    name: 'x=[2,1,2,2] f=[1,1,1,1] s=1 d=1 p=0 NCHW',
    dataFormat: 'NCHW',
    inputShape: [2, 1, 2, 2],
    filterShape: [1, 1, 1, 1],
    filter: [2],
    strides: [1, 1],
    padding: ZERO_PAD,
    expectedShape: [2, 1, 2, 2],
    expected: [2, 4, 6, 8, 10, 12, 14, 16],
  }),
  literal({
    name: 'x=[4,2,1] f=[4,2,1,1] s=1 d=1 p=same',
    inputShape: [4, 2, 1],
    filterShape: [4, 2, 1, 1],
    filter: [3, 1, 5, 0, 2, 7, 8, 9],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [4, 2, 1],
    expected: [133, 66, 200, 102, 108, 58, 56, 58],
  }),
  literal({
    name: 'x=[4,2,1] f=[4,2,1,1] s=1 d=1 p=explicit',
    inputShape: [4, 2, 1],
    filterShape: [4, 2, 1, 1],
    filter: [3, 1, 5, 0, 2, 7, 8, 9],
    strides: [1, 1],
    padding: [
      [1, 2],
      [0, 1],
    ],
    expectedShape: [4, 2, 1],
    expected: [133, 66, 200, 102, 108, 58, 56, 58],
  }),
  literal({
    name: 'x=[2,2,1] f=[2,2,1,1] s=1 d=1 p=same',
    inputShape: [2, 2, 1],
    filterShape: [2, 2, 1, 1],
    filter: [3, 1, 5, 0],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [2, 2, 1],
    expected: [20, 26, 13, 12],
  }),
  literal({
    name: 'x=[1,2,2] f=[2,2,1,1] s=1 d=1 p=same NCHW',
    dataFormat: 'NCHW',
    inputShape: [1, 2, 2],
    filterShape: [2, 2, 1, 1],
    filter: [3, 1, 5, 0],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [1, 2, 2],
    expected: [20, 26, 13, 12],
  }),
  literal({
    name: 'x=[4,2,2] f=[1,1,4,4] s=1 d=1 p=same NCHW',
    dataFormat: 'NCHW',
    inputShape: [4, 2, 2],
    input: [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4],
    filterShape: [1, 1, 4, 4],
    filter: [3, 3, 3, 3, 1, 1, 1, 1, 5, 5, 5, 5, 0, 0, 0, 0],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [4, 2, 2],
    expected: [9, 18, 27, 36, 9, 18, 27, 36, 9, 18, 27, 36, 9, 18, 27, 36],
  }),
  literal({
    name: 'x=[3,2,2] f=[1,1,3,4] s=1 d=1 p=same NCHW',
    dataFormat: 'NCHW',
    inputShape: [3, 2, 2],
    input: [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4],
    filterShape: [1, 1, 3, 4],
    filter: [3, 3, 3, 3, 1, 1, 1, 1, 5, 5, 5, 5],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [4, 2, 2],
    expected: [9, 18, 27, 36, 9, 18, 27, 36, 9, 18, 27, 36, 9, 18, 27, 36],
  }),
  // Named f=[1,1,4,4] in tfjs, but the filter it builds is [1, 1, 2, 2].
  literal({
    name: 'x=[2,2,2,2] f=[1,1,4,4] s=1 d=1 p=same NCHW',
    dataFormat: 'NCHW',
    inputShape: [2, 2, 2, 2],
    input: [1, 3, 5, 7, 2, 4, 6, 8, 9, 11, 13, 15, 10, 12, 14, 16],
    filterShape: [1, 1, 2, 2],
    filter: [-1, 1, -2, 0.5],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [2, 2, 2, 2],
    expected: [-5, -11, -17, -23, 2, 5, 8, 11, -29, -35, -41, -47, 14, 17, 20, 23],
  }),
  literal({
    name: 'x=[4,2,2] f=[2,2,4,4] s=1 d=1 p=same NCHW',
    dataFormat: 'NCHW',
    inputShape: [4, 2, 2],
    input: [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4],
    filterShape: [2, 2, 4, 4],
    filter: [
      3, 3, 3, 3, 1, 1, 1, 1, 5, 5, 5, 5, 0, 0, 0, 0, 3, 3, 3, 3, 1, 1, 1, 1, 5, 5, 5, 5, 0, 0, 0, 0, 3, 3, 3,
      3, 1, 1, 1, 1, 5, 5, 5, 5, 0, 0, 0, 0, 3, 3, 3, 3, 1, 1, 1, 1, 5, 5, 5, 5, 0, 0, 0, 0,
    ],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [4, 2, 2],
    expected: [90, 54, 63, 36, 90, 54, 63, 36, 90, 54, 63, 36, 90, 54, 63, 36],
  }),
  literal({
    name: 'x=[1,2,2] f=[2,2,1,1] s=1 d=1 p=explicit NCHW',
    dataFormat: 'NCHW',
    inputShape: [1, 2, 2],
    filterShape: [2, 2, 1, 1],
    filter: [3, 1, 5, 0],
    strides: [1, 1],
    padding: [
      [0, 1],
      [0, 1],
    ],
    expectedShape: [1, 2, 2],
    expected: [20, 26, 13, 12],
  }),
  literal({
    name: 'x=[2,2,2] f=[2,2,2,1] s=1 d=1 p=same NCHW',
    dataFormat: 'NCHW',
    inputShape: [2, 2, 2],
    filterShape: [2, 2, 2, 1],
    filter: [3, 1, 5, 0, 0, 5, 1, 3],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [1, 2, 2],
    expected: [81, 52, 36, 20],
  }),
  literal({
    name: 'x=[2,1,2,2] f=[2,2,1,1] s=1 d=1 p=same NCHW',
    dataFormat: 'NCHW',
    inputShape: [2, 1, 2, 2],
    filterShape: [2, 2, 1, 1],
    filter: [3, 1, 5, 0],
    strides: [1, 1],
    padding: 'SAME',
    expectedShape: [2, 1, 2, 2],
    expected: [20, 26, 13, 12, 56, 58, 29, 24],
  }),
  literal({
    name: 'x=[2,2,1] f=[2,2,1,1] s=1 d=1 p=0',
    inputShape: [2, 2, 1],
    filterShape: [2, 2, 1, 1],
    filter: [3, 1, 5, 0],
    strides: [1, 1],
    padding: ZERO_PAD,
    expectedShape: [1, 1, 1],
    expected: [20],
  }),
  literal({
    name: 'x=[1,3,6,1] f=[2,2,1,1] s=[1,2] d=1 p=valid',
    inputShape: [1, 3, 6, 1],
    filterShape: [2, 2, 1, 1],
    strides: [1, 2],
    padding: 'VALID',
    expectedShape: [1, 2, 3, 1],
    expected: [58.0, 78.0, 98.0, 118.0, 138.0, 158.0],
  }),
  literal({
    name: 'x=[1,8,8,16] f=[3,3,16,1] s=[2,2] d=1 p=same',
    inputShape: [1, 8, 8, 16],
    input: modFive(8 * 8 * 16),
    filterShape: [3, 3, 16, 1],
    filter: modFive(3 * 3 * 16),
    strides: [2, 2],
    padding: 'SAME',
    expectedShape: [1, 4, 4, 1],
    expected: [854, 431, 568, 382, 580, 427, 854, 288, 431, 568, 580, 289, 285, 570, 285, 258],
  }),
  literal({
    name: 'x=[1,8,8,3] f=[3,3,3,4] s=[2,2] d=1 p=same',
    inputShape: [1, 8, 8, 3],
    input: modFive(8 * 8 * 3),
    filterShape: [3, 3, 3, 4],
    filter: modFive(3 * 3 * 3 * 4),
    strides: [2, 2],
    padding: 'SAME',
    expectedShape: [1, 4, 4, 4],
    expected: [
      104, 125, 126, 102, 133, 126, 104, 57, 137, 102, 57, 112, 64, 40, 76, 92, 116, 53, 110, 142, 50, 104,
      133, 137, 104, 125, 126, 102, 83, 88, 78, 33, 133, 126, 104, 57, 137, 102, 57, 112, 116, 53, 110, 142,
      37, 76, 100, 99, 33, 68, 83, 88, 70, 83, 76, 64, 92, 88, 64, 40, 51, 44, 27, 50,
    ],
  }),
  literal({
    name: 'x=[1,8,8,3] f=[3,3,3,4] s=[2,2] d=1 p=valid',
    inputShape: [1, 8, 8, 3],
    input: modFive(8 * 8 * 3),
    filterShape: [3, 3, 3, 4],
    filter: modFive(3 * 3 * 3 * 4),
    strides: [2, 2],
    padding: 'VALID',
    expectedShape: [1, 3, 3, 4],
    expected: [
      104, 125, 126, 102, 133, 126, 104, 57, 137, 102, 57, 112, 116, 53, 110, 142, 50, 104, 133, 137, 104,
      125, 126, 102, 133, 126, 104, 57, 137, 102, 57, 112, 116, 53, 110, 142,
    ],
  }),
  literal({
    name: 'x=[1,2,2,3] f=[1,1] s=2 p=1 fractional outputs default rounding',
    inputShape: [1, 2, 2, 3],
    filterShape: [1, 1, 3, 1],
    filter: [2, 2, 1],
    strides: [2, 2],
    padding: [
      [1, 1],
      [1, 1],
    ],
    expectedShape: [1, 2, 2, 1],
    expected: [0, 0, 0, 54],
  }),
];

for (const c of CASES) {
  test(`${c.name} (${c.expectedFrom})`, () => checkLiteralCase(c));
}

test("'accepts a tensor-like object': nested arrays go straight into conv2d", () => {
  const x = [
    [[1], [2]],
    [[3], [4]],
  ]; // [2, 2, 1]
  const w = [[[[2]]]]; // [1, 1, 1, 1]
  for (const algorithm of ALGORITHMS_UNDER_TEST) {
    // conv2d is typed for Tensors but, like tfjs, takes nested arrays too.
    const y = conv2d(x as unknown as Tensor, w as unknown as Tensor, {
      strides: 1,
      padding: ZERO_PAD,
      algorithm,
    });
    assert.deepEqual([...y.shape], [2, 2, 1]);
    assertAllClose(y.data, [2, 4, 6, 8], { label: `tensor-like '${algorithm}'` });
  }
});

// 'x=[4,4,1] f=[2,2,1,1] s=1 d=2 p=0': tfjs's expectation is conv2d with the zero-inserted filter
// [3, 0, 1, 0, 0, 0, 5, 0, 2] (3x3, written out in the test) and no dilation; the oracle computes that.
await initTfjsCpu();
const dilatedByHand = tfjsConv2d(
  { values: oneToN(16), shape: [4, 4, 1] },
  { values: [3, 0, 1, 0, 0, 0, 5, 0, 2], shape: [3, 3, 1, 1] },
  { strides: [1, 1], padding: 'VALID' },
);
const DILATION_CASE: LiteralConvCase = {
  name: 'x=[4,4,1] f=[2,2,1,1] s=1 d=2 p=0',
  source: CONV2D_TEST,
  expectedFrom: 'tfjs oracle',
  inputShape: [4, 4, 1],
  filterShape: [2, 2, 1, 1],
  filter: [3, 1, 5, 2],
  strides: [1, 1],
  dilations: [2, 2],
  padding: ZERO_PAD,
  expectedShape: dilatedByHand.shape,
  expected: dilatedByHand.values,
};

test(`${DILATION_CASE.name} (tfjs oracle: conv with the literal zero-inserted filter)`, () => {
  assert.deepEqual(dilatedByHand.shape, [2, 2, 1]);
  checkLiteralCase(DILATION_CASE);
});
