/**
 * TensorFlow's own Conv2D forward test cases, run through every convkit algorithm in NHWC and NCHW.
 *
 * Source: tensorflow/tensorflow, tensorflow/python/kernel_tests/nn_ops/conv_ops_test.py (class
 * Conv2DTest, plus DepthwiseConv2DTest and SeparableConv2DTest, whose depthwise step is a grouped conv2d).
 * As in TensorFlow's _CreateNumpyTensor, inputs and filters hold 1..N in row-major order.
 *
 * Cases with a literal `expected` list are copied as written. Where TensorFlow computes the expectation
 * with another op (nn_ops.convolution for the dilated tests, tf.pad + VALID conv2d for the explicit padding
 * tests, a split/concat loop for grouped convolution), the expectation comes from the tfjs oracle, built
 * the same way (test/helpers/tfjs_oracle.ts). Not ported: testConv2DExpandedBatch and its two siblings
 * (rank-5 inputs, outside convkit's rank-3/4 API, and their expectation is conv2d itself) and
 * testConv2DExplicitPaddingWithLayoutOptimizer (the same numbers as testConv2DExplicitPaddingWithDilations).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, conv2d, tensor, zeros } from '../src/index.js';
import { assertAllClose } from './helpers/assert_close.js';
import {
  ALGORITHMS_UNDER_TEST,
  checkLiteralCase,
  filterValuesOf,
  inputValuesOf,
  type CasePadding,
  type LiteralConvCase,
} from './helpers/literal_conv_case.js';
import { nchwToNhwc, nhwcToNchw, oneToN, sizeOfShape } from './helpers/layout.js';
import { initTfjsCpu, tfjsConv2d } from './helpers/tfjs_oracle.js';

const CONV_OPS_TEST = 'tensorflow/tensorflow tensorflow/python/kernel_tests/nn_ops/conv_ops_test.py';

type Literal = Omit<LiteralConvCase, 'source' | 'expectedFrom'>;

const literal = (c: Literal): LiteralConvCase => ({ ...c, source: CONV_OPS_TEST, expectedFrom: 'literal' });

/** Cases whose expected output is a literal list in conv_ops_test.py. */
const LITERAL_CASES: LiteralConvCase[] = [
  literal({
    name: 'Conv2DTest.testConv2D1x1Filter',
    inputShape: [1, 2, 3, 3],
    filterShape: [1, 1, 3, 3],
    strides: [1, 1],
    padding: 'VALID',
    expectedShape: [1, 2, 3, 3],
    expected: [30, 36, 42, 66, 81, 96, 102, 126, 150, 138, 171, 204, 174, 216, 258, 210, 261, 312],
  }),
  literal({
    name: 'Conv2DTest.testConv2DEmpty',
    inputShape: [0, 2, 3, 3],
    filterShape: [1, 1, 3, 3],
    strides: [1, 1],
    padding: 'VALID',
    expectedShape: [0, 2, 3, 3],
    expected: [],
  }),
  literal({
    name: 'Conv2DTest.testConv2D2x2Filter',
    inputShape: [1, 2, 3, 3],
    filterShape: [2, 2, 3, 3],
    strides: [1, 1],
    padding: 'VALID',
    expectedShape: [1, 1, 2, 3],
    expected: [2271, 2367, 2463, 2901, 3033, 3165],
  }),
  literal({
    name: 'Conv2DTest.testConv2D1x2Filter',
    inputShape: [1, 2, 3, 3],
    filterShape: [1, 2, 3, 3],
    strides: [1, 1],
    padding: 'VALID',
    expectedShape: [1, 2, 2, 3],
    expected: [231, 252, 273, 384, 423, 462, 690, 765, 840, 843, 936, 1029],
  }),
  literal({
    name: 'Conv2DTest.testConv2D2x2FilterStride2',
    inputShape: [1, 2, 3, 3],
    filterShape: [2, 2, 3, 3],
    strides: [2, 2],
    padding: 'VALID',
    expectedShape: [1, 1, 1, 3],
    expected: [2271, 2367, 2463],
  }),
  literal({
    name: 'Conv2DTest.testConv2D2x2FilterStride2Same',
    inputShape: [1, 2, 3, 3],
    filterShape: [2, 2, 3, 3],
    strides: [2, 2],
    padding: 'SAME',
    expectedShape: [1, 1, 2, 3],
    expected: [2271, 2367, 2463, 1230, 1305, 1380],
  }),
  literal({
    name: 'Conv2DTest.testConv2D2x2FilterStride1x2',
    inputShape: [1, 3, 6, 1],
    filterShape: [2, 2, 1, 1],
    strides: [1, 2],
    padding: 'VALID',
    expectedShape: [1, 2, 3, 1],
    expected: [58, 78, 98, 118, 138, 158],
  }),
  literal({
    name: 'Conv2DTest.testConv2DKernelSmallerThanStrideValid',
    inputShape: [1, 7, 7, 1],
    filterShape: [2, 2, 1, 1],
    strides: [3, 3],
    padding: 'VALID',
    expectedShape: [1, 2, 2, 1],
    expected: [65, 95, 275, 305],
  }),
  literal({
    name: 'Conv2DTest.testConv2DKernelSmallerThanStrideSame (a)',
    inputShape: [1, 3, 3, 1],
    filterShape: [1, 1, 1, 1],
    strides: [2, 2],
    padding: 'SAME',
    expectedShape: [1, 2, 2, 1],
    expected: [1, 3, 7, 9],
  }),
  literal({
    name: 'Conv2DTest.testConv2DKernelSmallerThanStrideSame (b)',
    inputShape: [1, 4, 4, 1],
    filterShape: [1, 1, 1, 1],
    strides: [2, 2],
    padding: 'SAME',
    expectedShape: [1, 2, 2, 1],
    expected: [1, 3, 9, 11],
  }),
  literal({
    name: 'Conv2DTest.testConv2DKernelSmallerThanStrideSame (c)',
    inputShape: [1, 4, 4, 1],
    filterShape: [2, 2, 1, 1],
    strides: [3, 3],
    padding: 'SAME',
    expectedShape: [1, 2, 2, 1],
    expected: [44, 28, 41, 16],
  }),
  literal({
    name: 'Conv2DTest.testConv2DKernelSizeMatchesInputSize',
    inputShape: [1, 2, 2, 1],
    filterShape: [2, 2, 1, 2],
    strides: [1, 1],
    padding: 'VALID',
    expectedShape: [1, 1, 1, 2],
    expected: [50, 60],
  }),
  literal({
    name: 'Conv2DTest.testConv2dOnlyPaddingReturnsZeros',
    inputShape: [1, 0, 2, 1],
    filterShape: [1, 1, 1, 1],
    strides: [1, 1],
    padding: [
      [1, 1],
      [1, 1],
    ],
    expectedShape: [1, 2, 4, 1],
    expected: [0, 0, 0, 0, 0, 0, 0, 0],
  }),
  // Commented out in conv_ops_test.py ("TODO(yzhwang): this currently fails", a GPU issue of its day);
  // the numbers follow TF's SAME rule (out 2x2, no padding) and are checked by hand: 1+2*2+9*3+10*4 = 72.
  literal({
    name: 'Conv2DTest (commented-out TODO) 8x8 input, 2x2 filter, stride 4, SAME',
    inputShape: [1, 8, 8, 1],
    filterShape: [2, 2, 1, 1],
    strides: [4, 4],
    padding: 'SAME',
    expectedShape: [1, 2, 2, 1],
    expected: [72, 112, 392, 432],
  }),
  // DepthwiseConv2DTest.testConv2D2x2Filter: the depthwise filter [2, 2, 2, 2] (in 2, multiplier 2) is the
  // grouped conv2d filter [2, 2, 1, 4] with the same values (2 groups of 1 input channel each).
  literal({
    name: 'DepthwiseConv2DTest.testConv2D2x2Filter (as a grouped conv2d)',
    inputShape: [1, 2, 3, 2],
    filterShape: [2, 2, 1, 4],
    strides: [1, 1],
    padding: 'VALID',
    expectedShape: [1, 1, 2, 4],
    expected: [196, 216, 272, 296, 252, 280, 344, 376],
  }),
];

for (const c of LITERAL_CASES) {
  test(`${c.name} (${c.expectedFrom})`, () => checkLiteralCase(c));
}

// ---------------------------------------------------------------------------------------------------
// Cases whose expectation TensorFlow computes with another op: the tfjs oracle computes it here.

await initTfjsCpu();

interface OracleCase {
  name: string;
  inputShape: number[];
  filterShape: number[];
  strides: [number, number];
  dilations?: [number, number];
  padding: CasePadding;
}

/** The expectation by tfjs, built as TF builds it: dilated conv directly, explicit padding as pad + VALID. */
function withOracleExpectation(c: OracleCase): LiteralConvCase {
  const input = oneToN(sizeOfShape(c.inputShape));
  const filter = oneToN(sizeOfShape(c.filterShape));
  const y = tfjsConv2d(
    { values: input, shape: c.inputShape },
    { values: filter, shape: c.filterShape },
    { strides: c.strides, dilations: c.dilations, padding: c.padding, explicitPadding: 'pad' },
  );
  return {
    ...c,
    source: CONV_OPS_TEST,
    expectedFrom: 'tfjs oracle',
    expectedShape: y.shape,
    expected: y.values,
  };
}

const pads = (top: number, bottom: number, left: number, right: number): CasePadding => [
  [top, bottom],
  [left, right],
];

const ORACLE_CASES: OracleCase[] = [
  // _VerifyDilatedConvValues: expected = nn_ops.convolution(..., dilation_rate).
  {
    name: 'Conv2DTest.testConv2D2x2Filter2x1Dilation',
    inputShape: [1, 4, 4, 1],
    filterShape: [2, 2, 1, 1],
    strides: [1, 1],
    dilations: [2, 1],
    padding: 'VALID',
  },
  {
    name: 'Conv2DTest.testConv2DEmptyDilation',
    inputShape: [0, 2, 3, 3],
    filterShape: [1, 1, 3, 3],
    strides: [1, 1],
    dilations: [2, 1],
    padding: 'VALID',
  },
  {
    name: 'Conv2DTest.testConv2D2x2FilterDilation',
    inputShape: [1, 2, 3, 3],
    filterShape: [2, 2, 3, 3],
    strides: [1, 1],
    dilations: [1, 2],
    padding: 'VALID',
  },
  {
    name: 'Conv2DTest.testConv2D1x2FilterDilation',
    inputShape: [1, 2, 3, 3],
    filterShape: [1, 2, 3, 3],
    strides: [1, 1],
    dilations: [2, 1],
    padding: 'VALID',
  },
  {
    name: 'Conv2DTest.testConv2DKernelSizeMatchesInputSizeDilation',
    inputShape: [1, 3, 3, 1],
    filterShape: [2, 2, 1, 2],
    strides: [1, 1],
    dilations: [2, 2],
    padding: 'VALID',
  },
  // _VerifyExplicitPaddings: expected = conv2d(pad(input), filter, VALID).
  {
    name: 'Conv2DTest.testConv2D0x0Padding (a)',
    inputShape: [1, 2, 3, 3],
    filterShape: [2, 2, 3, 3],
    strides: [1, 1],
    padding: pads(0, 0, 0, 0),
  },
  {
    name: 'Conv2DTest.testConv2D0x0Padding (b)',
    inputShape: [3, 4, 3, 2],
    filterShape: [1, 1, 2, 1],
    strides: [2, 2],
    padding: pads(0, 0, 0, 0),
  },
  {
    name: 'Conv2DTest.testConv2D1x1Padding (a)',
    inputShape: [1, 2, 3, 2],
    filterShape: [2, 2, 2, 2],
    strides: [1, 1],
    padding: pads(1, 1, 1, 1),
  },
  {
    name: 'Conv2DTest.testConv2D1x1Padding (b)',
    inputShape: [1, 2, 2, 1],
    filterShape: [1, 1, 1, 2],
    strides: [1, 1],
    padding: pads(1, 1, 1, 1),
  },
  {
    name: 'Conv2DTest.testConv2D2x2Padding (a)',
    inputShape: [1, 2, 1, 2],
    filterShape: [2, 1, 2, 1],
    strides: [1, 1],
    padding: pads(2, 2, 2, 2),
  },
  {
    name: 'Conv2DTest.testConv2D2x2Padding (b)',
    inputShape: [1, 2, 1, 2],
    filterShape: [1, 1, 2, 1],
    strides: [2, 1],
    padding: pads(2, 2, 2, 2),
  },
  {
    name: 'Conv2DTest.testConv2DOnlyBottomPadding (a)',
    inputShape: [1, 2, 3, 3],
    filterShape: [2, 2, 3, 2],
    strides: [1, 1],
    padding: pads(0, 3, 0, 0),
  },
  {
    name: 'Conv2DTest.testConv2DOnlyBottomPadding (b)',
    inputShape: [2, 2, 4, 3],
    filterShape: [1, 2, 3, 2],
    strides: [2, 2],
    padding: pads(0, 3, 0, 0),
  },
  {
    name: 'Conv2DTest.testConv2DOnlyTopRightPadding (a)',
    inputShape: [1, 2, 3, 3],
    filterShape: [2, 2, 3, 2],
    strides: [1, 1],
    padding: pads(1, 0, 0, 2),
  },
  {
    name: 'Conv2DTest.testConv2DOnlyTopRightPadding (b)',
    inputShape: [1, 2, 4, 2],
    filterShape: [2, 2, 2, 2],
    strides: [1, 3],
    padding: pads(1, 0, 0, 2),
  },
  {
    name: 'Conv2DTest.testConv2DLotsPadding (a)',
    inputShape: [1, 1, 1, 3],
    filterShape: [2, 2, 3, 3],
    strides: [1, 1],
    padding: pads(3, 4, 4, 2),
  },
  {
    name: 'Conv2DTest.testConv2DLotsPadding (b)',
    inputShape: [1, 2, 1, 1],
    filterShape: [2, 2, 1, 3],
    strides: [2, 1],
    padding: pads(3, 4, 4, 2),
  },
  {
    name: 'Conv2DTest.testConv2DExplicitPaddingWithDilations (a)',
    inputShape: [1, 3, 2, 1],
    filterShape: [1, 2, 1, 2],
    strides: [1, 1],
    dilations: [2, 1],
    padding: pads(1, 0, 0, 1),
  },
  {
    name: 'Conv2DTest.testConv2DExplicitPaddingWithDilations (b)',
    inputShape: [1, 2, 3, 2],
    filterShape: [3, 2, 2, 1],
    strides: [1, 1],
    dilations: [2, 3],
    padding: pads(2, 1, 1, 2),
  },
];

// testConv2DGroupConvFwd: [10, 32, 32, 16] input, SAME, dilation x stride in {1, 2}^2, two filters;
// TF's expectation is a loop of conv2d over tf.split groups, which is how the oracle computes it too.
for (const dilation of [1, 2]) {
  for (const stride of [1, 2]) {
    for (const filterShape of [
      [3, 3, 4, 8],
      [1, 1, 2, 16],
    ]) {
      ORACLE_CASES.push({
        name: `Conv2DTest.testConv2DGroupConvFwd filter ${JSON.stringify(filterShape)} dilation ${dilation} stride ${stride}`,
        inputShape: [10, 32, 32, 16],
        filterShape,
        strides: [stride, stride],
        dilations: [dilation, dilation],
        padding: 'SAME',
      });
    }
  }
}

for (const c of ORACLE_CASES) {
  const withExpectation = withOracleExpectation(c);
  test(`${c.name} (tfjs oracle)`, () => checkLiteralCase(withExpectation));
}

// ---------------------------------------------------------------------------------------------------
// SeparableConv2DTest: depthwise conv (SAME) then a 1x1 pointwise conv, inputs 0.5 * (1..N).

const halfSteps = (shape: number[]): number[] => oneToN(sizeOfShape(shape)).map((v) => v * 0.5);

function checkSeparable(name: string, pointwiseShape: number[], expected: number[]): void {
  const inputShape = [1, 4, 4, 2];
  // Depthwise filter [2, 2, 2, 3] (multiplier 3) as the grouped filter [2, 2, 1, 6].
  const depthwise = tensor(halfSteps([2, 2, 2, 3]), [2, 2, 1, 6]);
  const pointwise = tensor(halfSteps(pointwiseShape), pointwiseShape);
  const expectedShape = [1, 4, 4, pointwiseShape[3]];
  for (const layout of ['NHWC', 'NCHW'] as const) {
    const x =
      layout === 'NHWC'
        ? tensor(halfSteps(inputShape), inputShape)
        : tensor(nhwcToNchw(halfSteps(inputShape), inputShape).values, [1, 2, 4, 4]);
    for (const algorithm of ALGORITHMS_UNDER_TEST) {
      const label = `${name} ${layout} algorithm '${algorithm}'`;
      const mid = conv2d(x, depthwise, { padding: 'SAME', dataFormat: layout, algorithm });
      const y = conv2d(mid, pointwise, { padding: 'VALID', dataFormat: layout, algorithm });
      const nhwc =
        layout === 'NHWC' ? { values: [...y.data], shape: [...y.shape] } : nchwToNhwc(y.data, y.shape);
      assert.deepEqual(nhwc.shape, expectedShape, `${label}: shape`);
      // TF checks these with assertArrayNear(..., 2e-3); the values are exact in float32.
      assertAllClose(nhwc.values, expected, { rtol: 1e-6, atol: 2e-3, label });
    }
  }
}

test('SeparableConv2DTest.testSeparableConv2D (literal; depthwise step as grouped conv2d)', () => {
  checkSeparable(
    'testSeparableConv2D',
    [1, 1, 6, 7],
    [
      6644.5, 6971.5, 7298.5, 7625.5, 7952.5, 8279.5, 8606.5, 8154.5, 8556.5, 8958.5, 9360.5, 9762.5, 10164.5,
      10566.5, 9664.5, 10141.5, 10618.5, 11095.5, 11572.5, 12049.5, 12526.5, 4145.5, 4346.5, 4547.5, 4748.5,
      4949.5, 5150.5, 5351.5, 12684.5, 13311.5, 13938.5, 14565.5, 15192.5, 15819.5, 16446.5, 14194.5, 14896.5,
      15598.5, 16300.5, 17002.5, 17704.5, 18406.5, 15704.5, 16481.5, 17258.5, 18035.5, 18812.5, 19589.5,
      20366.5, 6499.5, 6814.5, 7129.5, 7444.5, 7759.5, 8074.5, 8389.5, 18724.5, 19651.5, 20578.5, 21505.5,
      22432.5, 23359.5, 24286.5, 20234.5, 21236.5, 22238.5, 23240.5, 24242.5, 25244.5, 26246.5, 21744.5,
      22821.5, 23898.5, 24975.5, 26052.5, 27129.5, 28206.5, 8853.5, 9282.5, 9711.5, 10140.5, 10569.5, 10998.5,
      11427.5, 5746.75, 6010.75, 6274.75, 6538.75, 6802.75, 7066.75, 7330.75, 6168.75, 6452.25, 6735.75,
      7019.25, 7302.75, 7586.25, 7869.75, 6590.75, 6893.75, 7196.75, 7499.75, 7802.75, 8105.75, 8408.75,
      2036.25, 2119.5, 2202.75, 2286.0, 2369.25, 2452.5, 2535.75,
    ],
  );
});

test('SeparableConv2DTest.testSeparableConv2DEqualInputOutputDepth (literal)', () => {
  checkSeparable(
    'testSeparableConv2DEqualInputOutputDepth',
    [1, 1, 6, 6],
    [
      5742.0, 6069.0, 6396.0, 6723.0, 7050.0, 7377.0, 7047.0, 7449.0, 7851.0, 8253.0, 8655.0, 9057.0, 8352.0,
      8829.0, 9306.0, 9783.0, 10260.0, 10737.0, 3582.0, 3783.0, 3984.0, 4185.0, 4386.0, 4587.0, 10962.0,
      11589.0, 12216.0, 12843.0, 13470.0, 14097.0, 12267.0, 12969.0, 13671.0, 14373.0, 15075.0, 15777.0,
      13572.0, 14349.0, 15126.0, 15903.0, 16680.0, 17457.0, 5616.0, 5931.0, 6246.0, 6561.0, 6876.0, 7191.0,
      16182.0, 17109.0, 18036.0, 18963.0, 19890.0, 20817.0, 17487.0, 18489.0, 19491.0, 20493.0, 21495.0,
      22497.0, 18792.0, 19869.0, 20946.0, 22023.0, 23100.0, 24177.0, 7650.0, 8079.0, 8508.0, 8937.0, 9366.0,
      9795.0, 4963.5, 5227.5, 5491.5, 5755.5, 6019.5, 6283.5, 5328.0, 5611.5, 5895.0, 6178.5, 6462.0, 6745.5,
      5692.5, 5995.5, 6298.5, 6601.5, 6904.5, 7207.5, 1757.25, 1840.5, 1923.75, 2007.0, 2090.25, 2173.5,
    ],
  );
});

// ---------------------------------------------------------------------------------------------------
// Zero-size outputs under TensorFlow's rule (tensorflow/core/framework/kernel_shape_util.cc,
// GetWindowedOutputSizeVerbose): VALID out = (in - effective_k + stride) / stride in C++ integer
// division (truncation toward zero); only a negative result is an error. SAME out = ceil(in / stride).

/** Runs every algorithm in both layouts and checks the (NHWC) shape and that all values are zero. */
function checkZeroSize(
  label: string,
  inputShape: number[],
  filterShape: number[],
  options: { strides?: number[]; padding: 'SAME' | 'VALID' },
  expectedShape: number[],
): void {
  for (const layout of ['NHWC', 'NCHW'] as const) {
    const x =
      layout === 'NHWC'
        ? tensor(oneToN(sizeOfShape(inputShape)), inputShape)
        : tensor(...nchwArgs(oneToN(sizeOfShape(inputShape)), inputShape));
    const w = tensor(oneToN(sizeOfShape(filterShape)), filterShape);
    const [sh, sw] = options.strides ?? [1, 1];
    const strides = layout === 'NHWC' ? [1, sh, sw, 1] : [1, 1, sh, sw];
    const want = layout === 'NHWC' ? expectedShape : nhwcToNchw([], expectedShape).shape;
    for (const algorithm of ALGORITHMS_UNDER_TEST) {
      const y = conv2d(x, w, { strides, padding: options.padding, dataFormat: layout, algorithm });
      assert.deepEqual([...y.shape], want, `${label} ${layout} '${algorithm}': shape`);
      assert.ok(
        y.data.every((v) => v === 0),
        `${label} ${layout} '${algorithm}': values must be zeros`,
      );
    }
  }
}

function nchwArgs(values: number[], shape: number[]): [number[], number[]] {
  const moved = nhwcToNchw(values, shape);
  return [moved.values, moved.shape];
}

test('VALID with filter = input + 1 (stride 1) gives an empty axis: (3 - 4 + 1) / 1 = 0', () => {
  checkZeroSize('filter 4 over input 3', [1, 3, 4, 2], [4, 2, 2, 3], { padding: 'VALID' }, [1, 0, 3, 3]);
});

test('VALID rounds a small negative toward zero: (2 - 5 + 2) / 2 = trunc(-0.5) = 0 rows, not an error', () => {
  checkZeroSize(
    'filter 5 over input 2, stride 2',
    [2, 2, 3, 1],
    [5, 1, 1, 2],
    { strides: [2, 1], padding: 'VALID' },
    [2, 0, 3, 2],
  );
});

test('VALID with a truly negative size is an InvalidArgumentError: (2 - 4 + 1) / 1 = -1', () => {
  for (const algorithm of ALGORITHMS_UNDER_TEST) {
    assert.throws(
      () => conv2d(zeros([1, 2, 5, 1]), zeros([4, 1, 1, 1]), { padding: 'VALID', algorithm }),
      (e: unknown) => e instanceof InvalidArgumentError && /conv2d/.test(e.message),
    );
  }
});

test('SAME over an input of height 0 gives height 0 (ceil(0 / 1) = 0); width keeps its SAME size', () => {
  checkZeroSize('height 0, SAME', [1, 0, 3, 1], [3, 3, 1, 2], { padding: 'SAME' }, [1, 0, 3, 2]);
});

test('batch 0 with SAME, strides and several channels gives [0, oh, ow, oc]', () => {
  checkZeroSize('batch 0', [0, 5, 4, 3], [3, 2, 3, 4], { strides: [2, 3], padding: 'SAME' }, [0, 3, 2, 4]);
});

test('a filter with a zero dimension is an InvalidArgumentError (TF testOpEdgeCases: filter [1, 0, 1, 1])', () => {
  assert.throws(
    () => conv2d(zeros([1, 1, 1, 1]), zeros([1, 0, 1, 1]), { padding: 'SAME' }),
    (e: unknown) => e instanceof InvalidArgumentError && /filter/.test(e.message),
  );
});

test('every literal case keeps its TF input convention (1..N) and its expected list fills the shape', () => {
  // Guards the case table itself: a typo in a shape or a list would otherwise pass silently as a
  // smaller case.
  for (const c of LITERAL_CASES) {
    assert.equal(inputValuesOf(c).length, sizeOfShape(c.inputShape), c.name);
    assert.equal(filterValuesOf(c).length, sizeOfShape(c.filterShape), c.name);
    assert.equal(c.expected.length, sizeOfShape(c.expectedShape), c.name);
  }
  assert.ok(
    LITERAL_CASES.length + ORACLE_CASES.length >= 40,
    'LITERAL_CASES.length + ORACLE_CASES.length >= 40',
  );
});
