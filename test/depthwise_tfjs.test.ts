/**
 * depthwiseConv2d against TensorFlow.js (tfjs-core + tfjs-backend-cpu tf.depthwiseConv2d).
 *
 * 1. 400 seeded random geometries (fast-check, fixed seed): NHWC and NCHW, rank 3 and 4, batch 1..3,
 *    1..6 channels, channel multiplier 1..4, filters 1..5 (square or not), strides 1..3, dilations 1..3
 *    (strides and dilations > 1 together included), SAME, VALID and explicit padding, each option spelled
 *    in every form depthwiseConv2d accepts. Both algorithms and 'auto' must agree with tfjs within
 *    |a - b| <= 1e-4 * (1 + |b|).
 * 2. TensorFlow's ConfigsToTest / ConfigsToTestExplicit (depthwise_conv_op_test.py): the output shapes
 *    are TensorFlow's literal ones; the values, on TensorFlow's inputs (i / size), are tfjs's.
 *
 * The oracle covers what tfjs lacks by other constructions than convkit's: strides > 1 together with
 * dilations > 1 (tfjs refuses the pair) through a filter dilated with inserted zeros, NCHW through
 * tf.transpose, and a rank-3 input through tf.expandDims.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { DEPTHWISE_ALGORITHMS, depthwiseConv2d, tensor } from '../src/index.js';
import { assertAllClose, scaledError } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  inputShapeOf,
  outHeightOf,
  outWidthOf,
  tfOutputShapeOf,
  type ConvCase,
  type GeometryLimits,
} from './helpers/random_geometry.js';
import {
  dilateFilter,
  initTfjsCpu,
  type OracleConvSpec,
  type OracleResult,
  type PlainTensor,
} from './helpers/tfjs_oracle.js';

await initTfjsCpu();

const ALGORITHMS = [...DEPTHWISE_ALGORITHMS, 'auto'] as const;
const TOLERANCE = { rtol: 1e-4, atol: 1e-4 };

/** tf.nn.depthwise_conv2d by tfjs. Input NHWC/NCHW, rank 4 or 3; filter [kh, kw, C, M]. */
function tfjsDepthwiseConv2d(input: PlainTensor, filter: PlainTensor, spec: OracleConvSpec): OracleResult {
  const dataFormat = spec.dataFormat ?? 'NHWC';
  let dilations = spec.dilations ?? [1, 1];
  let w = filter;
  const strided = spec.strides[0] > 1 || spec.strides[1] > 1;
  if (strided && (dilations[0] > 1 || dilations[1] > 1)) {
    w = dilateFilter(filter, dilations);
    dilations = [1, 1];
  }
  const y = tf.tidy(() => {
    const raw: tf.Tensor = tf.tensor(Float32Array.from(input.values), [...input.shape]);
    let x = (input.shape.length === 3 ? tf.expandDims(raw, 0) : raw) as tf.Tensor4D;
    if (dataFormat === 'NCHW') x = tf.transpose(x, [0, 2, 3, 1]);
    let pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
    if (spec.padding === 'SAME') pad = 'same';
    else if (spec.padding === 'VALID') pad = 'valid';
    else {
      const [[top, bottom], [left, right]] = spec.padding;
      pad = [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ];
    }
    const filterTensor = tf.tensor4d(
      Float32Array.from(w.values),
      w.shape as [number, number, number, number],
    );
    let out: tf.Tensor4D = tf.depthwiseConv2d(x, filterTensor, spec.strides, pad, 'NHWC', dilations);
    if (dataFormat === 'NCHW') out = tf.transpose(out, [0, 3, 1, 2]);
    return input.shape.length === 3 ? tf.squeeze(out, [0]) : out;
  });
  const result = { values: new Float32Array(y.dataSync()), shape: [...y.shape] };
  y.dispose();
  return result;
}

// ---------------------------------------------------------------------------------------------------
// 1. Random geometries. A ConvCase (test/helpers/random_geometry.ts) with filterInChannels = 1 is a
// depthwise problem: groups are the channels, outPerGroup the channel multiplier.

const DEPTHWISE_LIMITS: GeometryLimits = {
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 11,
  maxFilter: 5,
  maxStride: 3,
  maxDilation: 3,
  maxPad: 3,
  maxGroups: 6,
  maxInChannels: 6,
  maxOutPerGroup: 4,
  layouts: ['NHWC', 'NCHW'],
};

const RANDOM_SEED = 0xd3_97a1;
const RANDOM_CASES = 400;

function depthwiseFilterShapeOf(c: ConvCase): number[] {
  return [c.filterHeight, c.filterWidth, c.groups, c.outPerGroup];
}

/** convkit options for the case; depthwise dilations have no 4-value form, so 'quad' spells them [h, w]. */
function depthwiseOptionsOf(c: ConvCase): ReturnType<typeof convkitOptionsOf> {
  const options = convkitOptionsOf(c);
  return c.optionForm === 'quad' ? { ...options, dilations: [...c.dilations] } : options;
}

// Only non-empty outputs: empty ones and negative sizes are checked in depthwise_property/errors tests.
const randomCases: ConvCase[] = fc.sample(
  convCaseArb(DEPTHWISE_LIMITS)
    .map((c) => ({ ...c, filterInChannels: 1 }))
    .filter((c) => outHeightOf(c) >= 1 && outWidthOf(c) >= 1),
  { seed: RANDOM_SEED, numRuns: RANDOM_CASES },
);

test('the random depthwise geometries cover every feature the oracle is asked about', () => {
  const count = (pred: (c: ConvCase) => boolean): number => randomCases.filter(pred).length;
  const strided = (c: ConvCase): boolean => c.strides[0] > 1 || c.strides[1] > 1;
  const dilated = (c: ConvCase): boolean => c.dilations[0] > 1 || c.dilations[1] > 1;
  assert.equal(randomCases.length, RANDOM_CASES);
  assert.ok(count((c) => c.dataFormat === 'NCHW') >= 100, 'NCHW');
  assert.ok(count((c) => !c.batched) >= 80, 'rank 3');
  assert.ok(count((c) => c.batch > 1) >= 80, 'batch > 1');
  assert.ok(count((c) => c.outPerGroup > 1) >= 150, 'channel multiplier > 1');
  assert.ok(count((c) => c.groups > 1) >= 150, 'more than one channel');
  assert.ok(count((c) => strided(c) && dilated(c)) >= 20, 'strides and dilations > 1 together');
  assert.ok(count((c) => c.strides[0] !== c.strides[1]) >= 40, 'unequal strides');
  assert.ok(count((c) => typeof c.padding !== 'string') >= 80, 'explicit padding');
  assert.ok(count((c) => c.padding === 'SAME') >= 80, 'SAME');
  assert.ok(count((c) => c.padding === 'VALID') >= 40, 'VALID');
  assert.ok(count((c) => c.filterHeight === 3 && c.filterWidth === 3) >= 10, '3x3 filters');
  assert.ok(count((c) => c.optionForm === 'quad') >= 80, '4-value strides and padding');
});

/** Compares every algorithm with tfjs on one case; returns the failures (empty when all agree). */
function compareWithTfjs(c: ConvCase, worst: Map<string, number>): string[] {
  const inputShape = inputShapeOf(c);
  const filterShape = depthwiseFilterShapeOf(c);
  const input = seededUniform(sizeOfShape(inputShape), c.seed);
  const filter = seededUniform(sizeOfShape(filterShape), c.seed ^ 0x9e3779b9);
  const expected = tfjsDepthwiseConv2d(
    { values: input, shape: inputShape },
    { values: filter, shape: filterShape },
    { strides: c.strides, dilations: c.dilations, padding: c.padding, dataFormat: c.dataFormat },
  );
  // TF's output-size rule, written out in the helpers: channels = groups * outPerGroup = C * M.
  if (JSON.stringify(expected.shape) !== JSON.stringify(tfOutputShapeOf(c))) {
    return [`oracle shape ${JSON.stringify(expected.shape)} breaks TF's rule: ${describeCase(c)}`];
  }
  const failures: string[] = [];
  const x = tensor(input, inputShape);
  const w = tensor(filter, filterShape);
  for (const algorithm of ALGORITHMS) {
    try {
      const y = depthwiseConv2d(x, w, { ...depthwiseOptionsOf(c), algorithm });
      assert.deepEqual([...y.shape], expected.shape, 'shape');
      assertAllClose(y.data, expected.values, { ...TOLERANCE, label: 'values' });
      worst.set(algorithm, Math.max(worst.get(algorithm) ?? 0, scaledError(y.data, expected.values)));
    } catch (e) {
      failures.push(`'${algorithm}' on ${describeCase(c)}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return failures;
}

test(`depthwiseConv2d matches tfjs-backend-cpu on ${RANDOM_CASES} random geometries, every algorithm`, (t) => {
  const failures: string[] = [];
  const worst = new Map<string, number>();
  for (const c of randomCases) failures.push(...compareWithTfjs(c, worst));
  for (const [algorithm, error] of worst) {
    t.diagnostic(`worst |convkit - tfjs| / max|tfjs| for '${algorithm}': ${error.toExponential(2)}`);
  }
  assert.deepEqual(failures.slice(0, 8), [], `${failures.length} mismatches with tfjs`);
});

// ---------------------------------------------------------------------------------------------------
// 2. TensorFlow's configurations (depthwise_conv_op_test.py): input, filter and output shapes as there.

interface TfConfig {
  input: number[];
  filter: number[];
  output: number[];
  stride: number;
  padding: 'SAME' | 'VALID' | [[number, number], [number, number]];
  dilations?: [number, number];
}

const TF_CONFIGS: TfConfig[] = [
  // ConfigsToTest()
  { input: [4, 5, 5, 48], filter: [1, 1, 48, 2], output: [4, 5, 5, 96], stride: 1, padding: 'SAME' },
  { input: [4, 8, 8, 84], filter: [1, 3, 84, 1], output: [4, 8, 8, 84], stride: 1, padding: 'SAME' },
  { input: [4, 17, 17, 48], filter: [3, 1, 48, 4], output: [4, 17, 17, 192], stride: 1, padding: 'SAME' },
  { input: [4, 9, 27, 8], filter: [3, 3, 8, 1], output: [4, 9, 27, 8], stride: 1, padding: 'SAME' },
  { input: [4, 31, 31, 7], filter: [3, 3, 7, 1], output: [4, 31, 31, 7], stride: 1, padding: 'SAME' },
  { input: [4, 35, 35, 2], filter: [5, 5, 2, 1], output: [4, 35, 35, 2], stride: 1, padding: 'SAME' },
  { input: [4, 147, 147, 2], filter: [3, 3, 2, 8], output: [4, 49, 49, 16], stride: 3, padding: 'VALID' },
  { input: [3, 299, 299, 3], filter: [3, 2, 3, 8], output: [3, 150, 150, 24], stride: 2, padding: 'SAME' },
  { input: [5, 183, 183, 1], filter: [5, 5, 1, 2], output: [5, 92, 92, 2], stride: 2, padding: 'SAME' },
  {
    input: [5, 183, 183, 1],
    filter: [5, 5, 1, 2],
    output: [5, 183, 183, 2],
    stride: 1,
    padding: 'SAME',
    dilations: [2, 2],
  },
  {
    input: [5, 41, 35, 2],
    filter: [4, 7, 2, 2],
    output: [5, 32, 23, 4],
    stride: 1,
    padding: 'VALID',
    dilations: [3, 2],
  },
  // ConfigsToTestExplicit()
  {
    input: [4, 5, 5, 48],
    filter: [1, 1, 48, 2],
    output: [4, 8, 12, 96],
    stride: 1,
    padding: [
      [1, 2],
      [3, 4],
    ],
  },
  {
    input: [4, 1, 1, 3],
    filter: [3, 3, 3, 2],
    output: [4, 29, 39, 6],
    stride: 1,
    padding: [
      [10, 20],
      [15, 25],
    ],
  },
  {
    input: [4, 9, 27, 8],
    filter: [3, 3, 8, 1],
    output: [4, 14, 31, 8],
    stride: 1,
    padding: [
      [3, 4],
      [4, 2],
    ],
  },
  {
    input: [4, 31, 31, 7],
    filter: [3, 3, 7, 1],
    output: [4, 29, 29, 7],
    stride: 1,
    padding: [
      [0, 0],
      [0, 0],
    ],
  },
  {
    input: [3, 299, 299, 3],
    filter: [3, 2, 3, 8],
    output: [3, 150, 153, 24],
    stride: 2,
    padding: [
      [1, 2],
      [3, 5],
    ],
  },
  {
    input: [5, 183, 183, 1],
    filter: [5, 5, 1, 2],
    output: [5, 62, 60, 2],
    stride: 3,
    padding: [
      [3, 2],
      [1, 0],
    ],
  },
  {
    input: [5, 29, 31, 1],
    filter: [5, 4, 1, 2],
    output: [5, 26, 23, 2],
    stride: 1,
    padding: [
      [3, 2],
      [1, 0],
    ],
    dilations: [2, 3],
  },
  {
    input: [4, 5, 5, 48],
    filter: [3, 3, 48, 1],
    output: [4, 5, 5, 48],
    stride: 1,
    padding: [
      [0, 2],
      [0, 2],
    ],
  },
  {
    input: [1, 8, 7, 2],
    filter: [8, 7, 2, 1],
    output: [1, 8, 7, 2],
    stride: 1,
    padding: [
      [0, 7],
      [3, 3],
    ],
  },
  {
    input: [2, 4, 3, 2],
    filter: [3, 2, 2, 1],
    output: [2, 4, 3, 2],
    stride: 1,
    padding: [
      [2, 0],
      [1, 0],
    ],
  },
];

/** TensorFlow's _VerifyValues input: [1, 2, ..., size] / size. */
function tfFill(shape: number[]): Float32Array {
  const size = sizeOfShape(shape);
  return Float32Array.from({ length: size }, (_, i) => (i + 1) / size);
}

for (const config of TF_CONFIGS) {
  const name =
    `TF config ${JSON.stringify(config.input)} * ${JSON.stringify(config.filter)} stride ${config.stride} ` +
    `${JSON.stringify(config.padding)}${config.dilations ? ` dilations ${JSON.stringify(config.dilations)}` : ''}`;
  test(`${name} -> ${JSON.stringify(config.output)}`, () => {
    const input = tfFill(config.input);
    const filter = tfFill(config.filter);
    const spec: OracleConvSpec = {
      strides: [config.stride, config.stride],
      dilations: config.dilations,
      padding: config.padding,
    };
    const expected = tfjsDepthwiseConv2d(
      { values: input, shape: config.input },
      { values: filter, shape: config.filter },
      spec,
    );
    assert.deepEqual(expected.shape, config.output, 'tfjs shape vs TensorFlow');
    const x = tensor(input, config.input);
    const w = tensor(filter, config.filter);
    // Explicit padding spelled TensorFlow's way: 4 pairs in NHWC order.
    const padding =
      typeof config.padding === 'string'
        ? config.padding
        : [[0, 0], config.padding[0], config.padding[1], [0, 0]];
    for (const algorithm of ALGORITHMS) {
      const y = depthwiseConv2d(x, w, {
        strides: [1, config.stride, config.stride, 1],
        padding,
        dilations: config.dilations,
        algorithm,
      });
      assert.deepEqual([...y.shape], config.output, `'${algorithm}': shape`);
      assertAllClose(y.data, expected.values, { ...TOLERANCE, label: `'${algorithm}'` });
    }
  });
}
