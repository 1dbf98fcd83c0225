// TensorFlow's own conv2d gradient cases (tensorflow/python/kernel_tests/nn_ops/conv_ops_test.py and
// conv2d_transpose_test.py), with their literal expectations or their own way of building them.
// As in TensorFlow, inputs are 1..N in NHWC; the NCHW run transposes them in and the result back out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dTranspose,
  tensor,
  type ConvOptions,
  type Tensor,
} from '../src/index.js';
import { assertAllClose } from './helpers/assert_close.js';
import { nchwToNhwc, nhwcToNchw, oneToN, sizeOfShape } from './helpers/layout.js';

type Layout = 'NHWC' | 'NCHW';
type Pads = [[number, number], [number, number]];
type TfPadding = 'SAME' | 'VALID' | Pads;
const LAYOUTS: Layout[] = ['NHWC', 'NCHW'];

/** TensorFlow test arguments: shapes NHWC, strides/dilations [rows, cols], padding per spatial axis. */
interface GradCase {
  name: string;
  inputSizes: number[];
  filterSizes: number[];
  outputSizes: number[];
  strides: [number, number];
  padding: TfPadding;
  dilations?: [number, number];
  expected: number[];
}

function toLayout(values: ArrayLike<number>, shape: number[], layout: Layout): Tensor {
  if (layout === 'NHWC') return tensor(Array.from(values), shape);
  const moved = nhwcToNchw(values, shape);
  return tensor(moved.values, moved.shape);
}

function fromLayout(t: Tensor, layout: Layout): number[] {
  return layout === 'NHWC' ? Array.from(t.data) : nchwToNhwc(t.data, t.shape).values;
}

function shapeIn(shape: number[], layout: Layout): number[] {
  return layout === 'NHWC' || shape.length !== 4 ? shape : [shape[0], shape[3], shape[1], shape[2]];
}

function optionsFor(c: Pick<GradCase, 'strides' | 'padding' | 'dilations'>, layout: Layout): ConvOptions {
  return { strides: c.strides, dilations: c.dilations ?? [1, 1], padding: c.padding, dataFormat: layout };
}

function backpropInputOf(c: GradCase, layout: Layout): { values: number[]; shape: readonly number[] } {
  const filter = tensor(oneToN(sizeOfShape(c.filterSizes)), c.filterSizes);
  const dy = toLayout(oneToN(sizeOfShape(c.outputSizes)), c.outputSizes, layout);
  const dx = conv2dBackpropInput(shapeIn(c.inputSizes, layout), filter, dy, optionsFor(c, layout));
  return { values: fromLayout(dx, layout), shape: dx.shape };
}

function backpropFilterOf(c: GradCase, layout: Layout): Tensor {
  const input = toLayout(oneToN(sizeOfShape(c.inputSizes)), c.inputSizes, layout);
  const dy = toLayout(oneToN(sizeOfShape(c.outputSizes)), c.outputSizes, layout);
  return conv2dBackpropFilter(input, c.filterSizes, dy, optionsFor(c, layout));
}

const VALID_11 = { strides: [1, 1] as [number, number], padding: 'VALID' as const };

const INPUT_CASES: GradCase[] = [
  {
    name: 'testConv2D2x2Depth1ValidBackpropInput',
    inputSizes: [1, 2, 3, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [1, 1, 2, 1],
    ...VALID_11,
    expected: [1, 4, 4, 3, 10, 8],
  },
  {
    name: 'testConv2DEmptyBackpropInput',
    inputSizes: [0, 2, 3, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [0, 1, 2, 1],
    ...VALID_11,
    expected: [],
  },
  {
    name: 'testConv2D2x2Depth3ValidBackpropInput',
    inputSizes: [1, 2, 3, 3],
    filterSizes: [2, 2, 3, 3],
    outputSizes: [1, 1, 2, 3],
    ...VALID_11,
    expected: [14, 32, 50, 100, 163, 226, 167, 212, 257, 122, 140, 158, 478, 541, 604, 437, 482, 527],
  },
  {
    name: 'testConv2D2x2Depth3ValidBackpropInputStride1x2',
    inputSizes: [1, 3, 6, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [1, 2, 3, 1],
    strides: [1, 2],
    padding: 'VALID',
    expected: [1, 2, 2, 4, 3, 6, 7, 12, 11, 18, 15, 24, 12, 16, 15, 20, 18, 24],
  },
  {
    name: 'testConv2DStrideTwoFilterOneSameBackpropInput',
    inputSizes: [1, 4, 4, 1],
    filterSizes: [1, 1, 1, 1],
    outputSizes: [1, 2, 2, 1],
    strides: [2, 2],
    padding: 'SAME',
    expected: [1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0],
  },
  {
    name: 'testConv2DKernelSizeMatchesInputSizeBackpropInput',
    inputSizes: [1, 2, 2, 1],
    filterSizes: [2, 2, 1, 2],
    outputSizes: [1, 1, 1, 2],
    ...VALID_11,
    expected: [5, 11, 17, 23],
  },
  {
    name: 'testConv2DInputSizesContainsOnlySpatialDimensionsBackpropInput',
    inputSizes: [2, 2],
    filterSizes: [2, 2, 1, 2],
    outputSizes: [1, 1, 1, 2],
    ...VALID_11,
    expected: [5, 11, 17, 23],
  },
  {
    name: 'testConv2DBackpropInputDegenerateBackpropInput',
    inputSizes: [3, 1, 1, 2],
    filterSizes: [1, 3, 2, 3],
    outputSizes: [3, 1, 0, 3],
    strides: [1, 2],
    padding: 'VALID',
    expected: [0, 0, 0, 0, 0, 0],
  },
];

const FILTER_CASES: GradCase[] = [
  {
    name: 'testConv2D2x2Depth1ValidBackpropFilter',
    inputSizes: [1, 2, 3, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [1, 1, 2, 1],
    ...VALID_11,
    expected: [5, 8, 14, 17],
  },
  {
    name: 'testConv2DEmptyBackpropFilter',
    inputSizes: [1, 2, 3, 1],
    filterSizes: [2, 2, 1, 0],
    outputSizes: [1, 1, 2, 0],
    ...VALID_11,
    expected: [],
  },
  {
    name: 'testConv2DBackpropFilterWithEmptyInput',
    inputSizes: [0, 2, 3, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [0, 1, 2, 1],
    ...VALID_11,
    expected: [0, 0, 0, 0],
  },
  {
    name: 'testConv2D2x2Depth3ValidBackpropFilter',
    inputSizes: [1, 2, 3, 3],
    filterSizes: [2, 2, 3, 3],
    outputSizes: [1, 1, 2, 3],
    ...VALID_11,
    expected: [
      17, 22, 27, 22, 29, 36, 27, 36, 45, 32, 43, 54, 37, 50, 63, 42, 57, 72, 62, 85, 108, 67, 92, 117, 72,
      99, 126, 77, 106, 135, 82, 113, 144, 87, 120, 153,
    ],
  },
  {
    name: 'testConv2D2x2Depth3ValidBackpropFilterStride1x2',
    inputSizes: [1, 3, 6, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [1, 2, 3, 1],
    strides: [1, 2],
    padding: 'VALID',
    expected: [161, 182, 287, 308],
  },
  {
    name: 'testConv2DStrideTwoFilterOneSameBackpropFilter',
    inputSizes: [1, 4, 4, 1],
    filterSizes: [1, 1, 1, 1],
    outputSizes: [1, 2, 2, 1],
    strides: [2, 2],
    padding: 'SAME',
    expected: [78],
  },
  {
    name: 'testConv2DKernelSizeMatchesInputSizeBackpropFilter',
    inputSizes: [1, 2, 2, 1],
    filterSizes: [2, 2, 1, 2],
    outputSizes: [1, 1, 1, 2],
    ...VALID_11,
    expected: [1, 2, 2, 4, 3, 6, 4, 8],
  },
];

for (const c of INPUT_CASES) {
  for (const layout of LAYOUTS) {
    test(`conv2dBackpropInput, TensorFlow's ${c.name} (${layout})`, () => {
      const { values, shape } = backpropInputOf(c, layout);
      const nhwcShape =
        c.inputSizes.length === 2 ? [c.outputSizes[0], ...c.inputSizes, c.filterSizes[2]] : c.inputSizes;
      assert.deepEqual(shape, shapeIn(nhwcShape, layout));
      assertAllClose(values, c.expected, { rtol: 1e-6, atol: 1e-5, label: c.name });
    });
  }
}

for (const c of FILTER_CASES) {
  for (const layout of LAYOUTS) {
    test(`conv2dBackpropFilter, TensorFlow's ${c.name} (${layout})`, () => {
      const dw = backpropFilterOf(c, layout);
      assert.deepEqual(dw.shape, c.filterSizes);
      assertAllClose(dw.data, c.expected, { rtol: 1e-6, atol: 1e-5, label: c.name });
    });
  }
}

// The explicit-padding cases: TensorFlow's expectation is the VALID gradient of the zero-padded input,
// cropped back (input gradient) or as is (filter gradient). Dilated ones run on TensorFlow's GPU only.
interface PaddedCase {
  name: string;
  inputSizes: number[];
  filterSizes: number[];
  outputSizes: number[];
  strides: [number, number];
  padding: Pads;
  dilations?: [number, number];
}

const EXPLICIT_CASES: PaddedCase[] = [
  {
    name: 'Padding0x0',
    inputSizes: [1, 2, 3, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [1, 1, 2, 1],
    strides: [1, 1],
    padding: [
      [0, 0],
      [0, 0],
    ],
  },
  {
    name: 'Padding0x0',
    inputSizes: [1, 3, 4, 2],
    filterSizes: [2, 2, 2, 3],
    outputSizes: [1, 1, 2, 3],
    strides: [2, 2],
    padding: [
      [0, 0],
      [0, 0],
    ],
  },
  {
    name: 'Padding1x1',
    inputSizes: [1, 2, 3, 1],
    filterSizes: [2, 2, 1, 2],
    outputSizes: [1, 3, 4, 2],
    strides: [1, 1],
    padding: [
      [1, 1],
      [1, 1],
    ],
  },
  {
    name: 'Padding1x1',
    inputSizes: [1, 2, 3, 2],
    filterSizes: [1, 1, 2, 1],
    outputSizes: [1, 4, 3, 1],
    strides: [1, 2],
    padding: [
      [1, 1],
      [1, 1],
    ],
  },
  {
    name: 'Padding1x1',
    inputSizes: [1, 4, 3, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [1, 4, 2, 1],
    strides: [1, 2],
    padding: [
      [1, 1],
      [1, 1],
    ],
    dilations: [2, 2],
  },
  {
    name: 'Padding2x2',
    inputSizes: [2, 3, 1, 1],
    filterSizes: [2, 1, 1, 1],
    outputSizes: [2, 2, 5, 1],
    strides: [3, 1],
    padding: [
      [2, 2],
      [2, 2],
    ],
  },
  {
    name: 'Padding2x2',
    inputSizes: [1, 3, 6, 1],
    filterSizes: [3, 2, 1, 1],
    outputSizes: [1, 3, 4, 1],
    strides: [1, 2],
    padding: [
      [2, 2],
      [2, 2],
    ],
    dilations: [2, 3],
  },
  {
    name: 'Padding_1_8_4_1',
    inputSizes: [1, 2, 3, 1],
    filterSizes: [2, 2, 1, 1],
    outputSizes: [1, 10, 8, 1],
    strides: [1, 1],
    padding: [
      [1, 8],
      [4, 2],
    ],
  },
  {
    name: 'Padding_1_8_4_1',
    inputSizes: [1, 5, 3, 1],
    filterSizes: [3, 2, 1, 1],
    outputSizes: [1, 4, 8, 1],
    strides: [3, 1],
    padding: [
      [1, 8],
      [4, 2],
    ],
  },
  {
    name: 'Padding_5_0_2_2',
    inputSizes: [1, 3, 3, 1],
    filterSizes: [2, 1, 1, 1],
    outputSizes: [1, 7, 7, 1],
    strides: [1, 1],
    padding: [
      [5, 0],
      [2, 2],
    ],
  },
  {
    name: 'Padding_5_0_2_2',
    inputSizes: [1, 4, 2, 1],
    filterSizes: [3, 3, 1, 1],
    outputSizes: [1, 5, 2, 1],
    strides: [1, 2],
    padding: [
      [5, 0],
      [2, 2],
    ],
    dilations: [2, 1],
  },
];

/** An NHWC tensor's values zero-padded on height and width. */
function padNhwc(values: number[], [n, h, w, c]: number[], [[top, bottom], [left, right]]: Pads): number[] {
  const ph = h + top + bottom;
  const pw = w + left + right;
  const out = new Array<number>(n * ph * pw * c).fill(0);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++)
          out[((b * ph + y + top) * pw + x + left) * c + ch] = values[((b * h + y) * w + x) * c + ch];
  return out;
}

/** The inverse crop: the [n, h, w, c] window of an NHWC tensor padded by `pads`. */
function cropNhwc(
  values: ArrayLike<number>,
  [n, h, w, c]: number[],
  [[top, bottom], [left, right]]: Pads,
): number[] {
  const ph = h + top + bottom;
  const pw = w + left + right;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out.push(values[((b * ph + y + top) * pw + x + left) * c + ch]);
  return out;
}

for (const c of EXPLICIT_CASES) {
  const label = `${c.name} input ${JSON.stringify(c.inputSizes)} filter ${JSON.stringify(c.filterSizes)}${c.dilations ? ` dilations ${c.dilations}` : ''}`;
  const [[top, bottom], [left, right]] = c.padding;
  const padded = [
    c.inputSizes[0],
    c.inputSizes[1] + top + bottom,
    c.inputSizes[2] + left + right,
    c.inputSizes[3],
  ];
  const valid = { ...c, padding: 'VALID' as const };

  test(`conv2dBackpropInput, TensorFlow's testConv2D2x2Depth1${label} (explicit = cropped VALID)`, () => {
    const whole = backpropInputOf({ ...valid, inputSizes: padded, expected: [] }, 'NHWC');
    const expected = cropNhwc(whole.values, c.inputSizes, c.padding);
    for (const layout of LAYOUTS) {
      const { values } = backpropInputOf({ ...c, expected }, layout);
      assertAllClose(values, expected, { rtol: 1e-6, atol: 2e-5, label: `${label} ${layout}` });
    }
  });

  test(`conv2dBackpropFilter, TensorFlow's testConv2D2x2Depth1${label} (explicit = VALID on the padded input)`, () => {
    const input = padNhwc(oneToN(sizeOfShape(c.inputSizes)), c.inputSizes, c.padding);
    const dy = tensor(oneToN(sizeOfShape(c.outputSizes)), c.outputSizes);
    const expected = conv2dBackpropFilter(
      tensor(input, padded),
      c.filterSizes,
      dy,
      optionsFor(valid, 'NHWC'),
    ).data;
    for (const layout of LAYOUTS) {
      const dw = backpropFilterOf({ ...c, expected: [] }, layout);
      assertAllClose(dw.data, expected, { rtol: 1e-6, atol: 1e-5, label: `${label} ${layout}` });
    }
  });
}

// The dilation cases: TensorFlow compares conv2d's gradients with those of tf.nn.convolution. Here the
// independent construction is the dilated filter written out with zeros between its taps (dilation 1).
interface DilationCase {
  name: string;
  inputSizes: number[];
  filterSizes: number[];
  dilations: [number, number];
}

const DILATION_CASES: DilationCase[] = [
  {
    name: 'testConv2D2x2Depth3ValidBackpropFilterStride1x1Dilation2x1',
    inputSizes: [1, 3, 6, 1],
    filterSizes: [2, 2, 1, 1],
    dilations: [2, 1],
  },
  {
    name: 'testConv2D2x2Depth1ValidBackpropFilterDilation1x2',
    inputSizes: [1, 2, 3, 1],
    filterSizes: [2, 2, 1, 1],
    dilations: [1, 2],
  },
  {
    name: 'testConv2D2x2Depth3ValidBackpropFilterDilation2x2',
    inputSizes: [1, 3, 4, 3],
    filterSizes: [2, 2, 3, 3],
    dilations: [2, 2],
  },
  {
    name: 'testConv2DKernelSizeMatchesInputSizeBackpropFilterDilation2x2',
    inputSizes: [1, 3, 3, 1],
    filterSizes: [2, 2, 1, 2],
    dilations: [2, 2],
  },
  {
    name: 'testConv2D2x2Depth3ValidBackpropInputDilation2x1',
    inputSizes: [1, 3, 2, 3],
    filterSizes: [2, 2, 3, 3],
    dilations: [2, 1],
  },
  {
    name: 'testConv2DEmptyBackpropInputDilation1x2',
    inputSizes: [0, 2, 3, 1],
    filterSizes: [2, 2, 1, 1],
    dilations: [1, 2],
  },
];

/** [kh, kw, ci, co] values spread to [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co] with zeros between taps. */
function spreadFilter(values: ArrayLike<number>, [kh, kw, ci, co]: number[], [dh, dw]: [number, number]) {
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const out = new Array<number>(eh * ew * ci * co).fill(0);
  for (let ky = 0; ky < kh; ky++)
    for (let kx = 0; kx < kw; kx++)
      for (let i = 0; i < ci * co; i++)
        out[(ky * dh * ew + kx * dw) * ci * co + i] = values[(ky * kw + kx) * ci * co + i];
  return { values: out, shape: [eh, ew, ci, co] };
}

for (const c of DILATION_CASES) {
  for (const padding of ['VALID', 'SAME'] as const) {
    for (const strides of [
      [1, 1],
      [2, 1],
    ] as [number, number][]) {
      test(`dilated gradients = gradients of the zero-spread filter: TensorFlow's ${c.name} (${padding}, strides ${strides})`, () => {
        const filterValues = oneToN(sizeOfShape(c.filterSizes));
        const spread = spreadFilter(filterValues, c.filterSizes, c.dilations);
        const input = tensor(oneToN(sizeOfShape(c.inputSizes)), c.inputSizes);
        const dilated = { strides, padding, dilations: c.dilations };
        const plain = { strides, padding };
        const outShape = conv2d(input, tensor(filterValues, c.filterSizes), dilated).shape;
        const dy = tensor(oneToN(sizeOfShape(outShape)), outShape);

        const dx = conv2dBackpropInput(c.inputSizes, tensor(filterValues, c.filterSizes), dy, dilated);
        const dxSpread = conv2dBackpropInput(c.inputSizes, tensor(spread.values, spread.shape), dy, plain);
        assertAllClose(dx.data, dxSpread.data, { rtol: 1e-6, atol: 1e-5, label: 'input gradient' });

        // The filter gradient of the spread filter, read at the dilated taps, is the dilated one.
        const dwSpread = conv2dBackpropFilter(input, spread.shape, dy, plain).data;
        const [kh, kw, ci, co] = c.filterSizes;
        const taps: number[] = [];
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++)
            for (let i = 0; i < ci * co; i++)
              taps.push(
                dwSpread[(ky * c.dilations[0] * spread.shape[1] + kx * c.dilations[1]) * ci * co + i],
              );
        const dw = conv2dBackpropFilter(input, c.filterSizes, dy, dilated);
        assertAllClose(dw.data, taps, { rtol: 1e-6, atol: 1e-5, label: 'filter gradient' });
      });
    }
  }
}

// conv2d_transpose_test.py: all-ones input [2, 6, 4, 3] and filters [3, 3, 2, 3]; TensorFlow states each
// output as a count of the input cells that reach it.
type TransposeRule = (n: number, h: number, w: number, k: number) => number;

function transposeCase(
  name: string,
  outputSize: [number, number],
  strides: number,
  padding: 'SAME' | 'VALID',
  rule: TransposeRule,
) {
  for (const layout of LAYOUTS) {
    test(`conv2dTranspose, TensorFlow's ${name} (${layout})`, () => {
      const xShape = [2, 6, 4, 3];
      const yShape = [2, outputSize[0], outputSize[1], 2];
      const input = toLayout(new Array<number>(sizeOfShape(xShape)).fill(1), xShape, layout);
      const filters = tensor(new Array<number>(3 * 3 * 2 * 3).fill(1), [3, 3, 2, 3]);
      const y = conv2dTranspose(input, filters, shapeIn(yShape, layout), {
        strides,
        padding,
        dataFormat: layout,
      });
      assert.deepEqual(y.shape, shapeIn(yShape, layout));
      const expected: number[] = [];
      for (let n = 0; n < yShape[0]; n++)
        for (let h = 0; h < yShape[1]; h++)
          for (let w = 0; w < yShape[2]; w++)
            for (let k = 0; k < yShape[3]; k++) expected.push(rule(n, h, w, k));
      assertAllClose(fromLayout(y, layout), expected, { rtol: 1e-6, atol: 1e-5, label: name });
    });
  }
}

transposeCase('testConv2DTransposeSingleStride', [6, 4], 1, 'SAME', (_n, h, w) => {
  const hIn = h > 0 && h < 5;
  const wIn = w > 0 && w < 3;
  return 4 * 3 + (hIn && wIn ? 5 * 3 : hIn || wIn ? 2 * 3 : 0);
});

transposeCase('testConv2DTransposeSame', [12, 8], 2, 'SAME', (_n, h, w) => {
  const hIn = h % 2 === 0 && h > 0 && h < 11;
  const wIn = w % 2 === 0 && w > 0 && w < 7;
  return 3 + (hIn && wIn ? 9 : hIn || wIn ? 3 : 0);
});

transposeCase('testConv2DTransposeValid', [13, 9], 2, 'VALID', (_n, h, w) => {
  // TensorFlow computes the interior, then copies the border rows and columns from their neighbours.
  const y = Math.min(Math.max(h, 1), 11);
  const x = Math.min(Math.max(w, 1), 7);
  const hIn = y % 2 === 0 && y > 1 && y < 11;
  const wIn = x % 2 === 0 && x > 1 && x < 7;
  return 3 + (hIn && wIn ? 9 : hIn || wIn ? 3 : 0);
});
