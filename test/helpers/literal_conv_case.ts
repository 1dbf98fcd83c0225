/**
 * Conv2d test cases as data (shapes, options, expected values) and the one routine that runs a case
 * through convkit: every algorithm in CONV2D_ALGORITHMS plus 'auto', in both layouts (the case is
 * transposed into the other one, as TensorFlow's own tests do for NCHW), and once through nn.conv2d.
 */
import assert from 'node:assert/strict';
import { CONV2D_ALGORITHMS, conv2d, nn, tensor, type AlgorithmChoice } from '../../src/index.js';
import { assertAllClose } from './assert_close.js';
import { nchwToNhwc, nhwcToNchw, oneToN, sizeOfShape } from './layout.js';
import type { Layout } from './random_geometry.js';

export type CasePadding = 'SAME' | 'VALID' | [[number, number], [number, number]];

export interface LiteralConvCase {
  /** The test's name in its source file (and a sub-case letter where one test holds several). */
  name: string;
  /** Repository and path the case comes from. */
  source: string;
  /** Where `expected` comes from: copied from the source, or computed by the tfjs oracle. */
  expectedFrom: 'literal' | 'tfjs oracle';
  /** Layout of the values below (default NHWC). Rank 3 means one image without the batch axis. */
  dataFormat?: Layout;
  inputShape: number[];
  /** Default: 1..N, as TensorFlow's tests fill inputs. */
  input?: number[];
  filterShape: number[];
  filter?: number[];
  strides: [number, number];
  dilations?: [number, number];
  padding: CasePadding;
  expectedShape: number[];
  expected: ArrayLike<number>;
  tolerance?: { rtol: number; atol: number };
}

/** TensorFlow's _VerifyValues tolerance for float32 (atol = rtol = 1e-5). */
const TF_TOLERANCE = { rtol: 1e-5, atol: 1e-5 };

export function inputValuesOf(c: LiteralConvCase): number[] {
  return c.input ?? oneToN(sizeOfShape(c.inputShape));
}

export function filterValuesOf(c: LiteralConvCase): number[] {
  return c.filter ?? oneToN(sizeOfShape(c.filterShape));
}

interface CaseInLayout {
  input: number[];
  inputShape: number[];
  expected: number[];
  expectedShape: number[];
  options: {
    strides: number[];
    dilations: number[];
    padding: 'SAME' | 'VALID' | number[][];
    dataFormat: Layout;
  };
}

/** The case rewritten in `layout`: values transposed, and options spelled TF's way (4 values, layout order). */
export function caseInLayout(c: LiteralConvCase, layout: Layout): CaseInLayout {
  const native = c.dataFormat ?? 'NHWC';
  let input = inputValuesOf(c);
  let inputShape = c.inputShape;
  let expected = Array.from(c.expected);
  let expectedShape = c.expectedShape;
  if (native !== layout) {
    const move = layout === 'NCHW' ? nhwcToNchw : nchwToNhwc;
    ({ values: input, shape: inputShape } = move(input, inputShape));
    ({ values: expected, shape: expectedShape } = move(expected, expectedShape));
  }
  const quad = ([h, w]: [number, number]): number[] => (layout === 'NHWC' ? [1, h, w, 1] : [1, 1, h, w]);
  let padding: 'SAME' | 'VALID' | number[][];
  if (typeof c.padding === 'string') padding = c.padding;
  else {
    const [hPair, wPair] = c.padding;
    padding = layout === 'NHWC' ? [[0, 0], hPair, wPair, [0, 0]] : [[0, 0], [0, 0], hPair, wPair];
  }
  return {
    input,
    inputShape,
    expected,
    expectedShape,
    options: {
      strides: quad(c.strides),
      dilations: quad(c.dilations ?? [1, 1]),
      padding,
      dataFormat: layout,
    },
  };
}

export const ALGORITHMS_UNDER_TEST: AlgorithmChoice[] = [...CONV2D_ALGORITHMS, 'auto'];

/**
 * Runs the case through every algorithm (and 'auto') in NHWC and NCHW, and through nn.conv2d; asserts
 * the shape exactly and the values within the case's tolerance.
 */
export function checkLiteralCase(c: LiteralConvCase): void {
  assert.equal(
    c.expected.length,
    sizeOfShape(c.expectedShape),
    `${c.name}: expected values do not fill the shape`,
  );
  const tolerance = c.tolerance ?? TF_TOLERANCE;
  for (const layout of ['NHWC', 'NCHW'] as const) {
    const v = caseInLayout(c, layout);
    const x = tensor(v.input, v.inputShape);
    const w = tensor(filterValuesOf(c), c.filterShape);
    for (const algorithm of ALGORITHMS_UNDER_TEST) {
      const label = `${c.name} ${layout} algorithm '${algorithm}'`;
      const y = conv2d(x, w, { ...v.options, algorithm });
      assert.deepEqual([...y.shape], v.expectedShape, `${label}: shape`);
      assertAllClose(y.data, v.expected, { ...tolerance, label });
    }
    const positional = nn.conv2d(x, w, v.options.strides, v.options.padding, layout, v.options.dilations);
    assert.deepEqual([...positional.shape], v.expectedShape, `${c.name} ${layout} nn.conv2d: shape`);
    assertAllClose(positional.data, v.expected, { ...tolerance, label: `${c.name} ${layout} nn.conv2d` });
  }
}
