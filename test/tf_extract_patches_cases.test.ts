/**
 * TensorFlow's extract_image_patches cases, run through convkit's extractImagePatches.
 *
 * Sources:
 *   - tensorflow/tensorflow tensorflow/python/kernel_tests/image_ops/extract_image_patches_op_test.py
 *     (the same cases live in tensorflow/compiler/tests/extract_image_patches_op_test.py);
 *   - the worked example of tf.image.extract_patches (its docstring in tensorflow/python/ops/array_ops.py,
 *     published as tensorflow/docs site/en/api_docs/python/tf/image/extract_patches.md);
 *   - tensorflow/tensorflow tensorflow/core/ops/array_ops_test.cc, ExtractImagePatchesShapeTest (shapes).
 * Patches are copies of input values, so literal expectations are compared exactly. testKsize1x1Stride2x3Rate1x1
 * computes its expectation by slicing (image[:, ::2, ::3, :]); here tfjs's stridedSlice does that slicing.
 * Every case is also checked against the tfjs one-hot-filter oracle. Not ported: testComplexDataTypes
 * (convkit is float32 only) and testInvalidAttributes (a Python type error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractImagePatches, tensor } from '../src/index.js';
import { assertAllClose } from './helpers/assert_close.js';
import { oneToN, sizeOfShape, zeroToN } from './helpers/layout.js';
import { initTfjsCpu, tfjsExtractPatches, tfjsStridedSlice } from './helpers/tfjs_oracle.js';

await initTfjsCpu();

const OP_TEST =
  'tensorflow/tensorflow tensorflow/python/kernel_tests/image_ops/extract_image_patches_op_test.py';
const DOCS = 'tensorflow/docs site/en/api_docs/python/tf/image/extract_patches.md (array_ops.py docstring)';
const SHAPE_TEST = 'tensorflow/tensorflow tensorflow/core/ops/array_ops_test.cc ExtractImagePatchesShapeTest';

interface PatchesCase {
  name: string;
  source: string;
  expectedFrom: 'literal' | 'tfjs stridedSlice' | 'tfjs oracle (literal shape)';
  imageShape: number[];
  image: number[];
  sizes: [number, number];
  strides: [number, number];
  rates: [number, number];
  padding: 'SAME' | 'VALID';
  expectedShape: number[];
  expected: ArrayLike<number>;
}

const range120 = zeroToN(120);
const docsImage = oneToN(100);

const CASES: PatchesCase[] = [];

for (const padding of ['VALID', 'SAME'] as const) {
  CASES.push({
    name: `testKsize1x1Stride1x1Rate1x1 ${padding}`,
    source: OP_TEST,
    expectedFrom: 'literal',
    imageShape: [2, 3, 4, 5],
    image: range120,
    sizes: [1, 1],
    strides: [1, 1],
    rates: [1, 1],
    padding,
    expectedShape: [2, 3, 4, 5],
    expected: range120,
  });
}

const sliced = tfjsStridedSlice(
  { values: range120, shape: [2, 4, 5, 3] },
  [0, 0, 0, 0],
  [2, 4, 5, 3],
  [1, 2, 3, 1],
);
for (const padding of ['VALID', 'SAME'] as const) {
  CASES.push({
    name: `testKsize1x1Stride2x3Rate1x1 ${padding}`,
    source: OP_TEST,
    expectedFrom: 'tfjs stridedSlice',
    imageShape: [2, 4, 5, 3],
    image: range120,
    sizes: [1, 1],
    strides: [2, 3],
    rates: [1, 1],
    padding,
    expectedShape: sliced.shape,
    expected: sliced.values,
  });
}

CASES.push(
  {
    name: 'testKsize2x2Stride1x1Rate1x1Valid',
    source: OP_TEST,
    expectedFrom: 'literal',
    imageShape: [1, 2, 2, 1],
    image: [1, 2, 3, 4],
    sizes: [2, 2],
    strides: [1, 1],
    rates: [1, 1],
    padding: 'VALID',
    expectedShape: [1, 1, 1, 4],
    expected: [1, 2, 3, 4],
  },
  {
    name: 'testKsize2x2Stride1x1Rate1x1Same',
    source: OP_TEST,
    expectedFrom: 'literal',
    imageShape: [1, 2, 2, 1],
    image: [1, 2, 3, 4],
    sizes: [2, 2],
    strides: [1, 1],
    rates: [1, 1],
    padding: 'SAME',
    expectedShape: [1, 2, 2, 4],
    expected: [1, 2, 3, 4, 2, 0, 4, 0, 3, 4, 0, 0, 4, 0, 0, 0],
  },
  {
    name: 'testKsize2x2Stride1x1Rate2x2Valid',
    source: OP_TEST,
    expectedFrom: 'literal',
    imageShape: [1, 4, 4, 1],
    image: zeroToN(16),
    sizes: [2, 2],
    strides: [1, 1],
    rates: [2, 2],
    padding: 'VALID',
    expectedShape: [1, 2, 2, 4],
    expected: [0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15],
  },
  {
    name: 'docs example: 3x3 patches, stride 5, rate 1, VALID',
    source: DOCS,
    expectedFrom: 'literal',
    imageShape: [1, 10, 10, 1],
    image: docsImage,
    sizes: [3, 3],
    strides: [5, 5],
    rates: [1, 1],
    padding: 'VALID',
    expectedShape: [1, 2, 2, 9],
    expected: [
      1, 2, 3, 11, 12, 13, 21, 22, 23, 6, 7, 8, 16, 17, 18, 26, 27, 28, 51, 52, 53, 61, 62, 63, 71, 72, 73,
      56, 57, 58, 66, 67, 68, 76, 77, 78,
    ],
  },
  {
    name: 'docs example: 3x3 patches, stride 5, rate 2, VALID',
    source: DOCS,
    expectedFrom: 'literal',
    imageShape: [1, 10, 10, 1],
    image: docsImage,
    sizes: [3, 3],
    strides: [5, 5],
    rates: [2, 2],
    padding: 'VALID',
    expectedShape: [1, 2, 2, 9],
    expected: [
      1, 3, 5, 21, 23, 25, 41, 43, 45, 6, 8, 10, 26, 28, 30, 46, 48, 50, 51, 53, 55, 71, 73, 75, 91, 93, 95,
      56, 58, 60, 76, 78, 80, 96, 98, 100,
    ],
  },
);

// Shape-inference cases: TF states the shapes; the values come from the oracle.
for (const [name, sizes, expectedShape] of [
  ['ksizes 2x2, rates 2x2, VALID on [1,7,7,2] gives [1,5,5,8]', [2, 2], [1, 5, 5, 8]],
  ['ksizes 1x1, rates 2x2, VALID on [1,7,7,2] gives [1,7,7,2]', [1, 1], [1, 7, 7, 2]],
] as const) {
  const image = oneToN(98);
  const spec = {
    sizes: [...sizes] as [number, number],
    strides: [1, 1] as [number, number],
    rates: [2, 2] as [number, number],
    padding: 'VALID' as const,
  };
  const oracle = tfjsExtractPatches({ values: image, shape: [1, 7, 7, 2] }, spec);
  assert.deepEqual(oracle.shape, expectedShape, `oracle disagrees with TF's stated shape for ${name}`);
  CASES.push({
    name,
    source: SHAPE_TEST,
    expectedFrom: 'tfjs oracle (literal shape)',
    imageShape: [1, 7, 7, 2],
    image,
    ...spec,
    expectedShape: [...expectedShape],
    expected: oracle.values,
  });
}

const quad = ([r, c]: [number, number]): number[] => [1, r, c, 1];

for (const c of CASES) {
  test(`${c.name} (${c.expectedFrom})`, () => {
    assert.equal(c.image.length, sizeOfShape(c.imageShape), 'case table: image does not fill its shape');
    assert.equal(
      c.expected.length,
      sizeOfShape(c.expectedShape),
      'case table: expected does not fill its shape',
    );
    const y = extractImagePatches(tensor(c.image, c.imageShape), {
      sizes: quad(c.sizes),
      strides: quad(c.strides),
      rates: quad(c.rates),
      padding: c.padding,
    });
    assert.deepEqual([...y.shape], c.expectedShape, `${c.name}: shape`);
    assertAllClose(y.data, c.expected, { rtol: 0, atol: 0, label: c.name });
    // The oracle must reproduce TF's expectation too; otherwise the random differential tests that rely
    // on it would prove nothing.
    const oracle = tfjsExtractPatches({ values: c.image, shape: c.imageShape }, c);
    assert.deepEqual(oracle.shape, c.expectedShape, `${c.name}: oracle shape`);
    assertAllClose(oracle.values, c.expected, { rtol: 0, atol: 0, label: `${c.name} (oracle)` });
  });
}

test('the case table holds at least 8 TF cases, most of them literal', () => {
  assert.ok(CASES.length >= 8, 'CASES.length >= 8');
  assert.ok(
    CASES.filter((c) => c.expectedFrom === 'literal').length >= 7,
    "CASES.filter((c) => c.expectedFrom === 'literal').length >= 7",
  );
});
