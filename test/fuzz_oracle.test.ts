/**
 * Differential fuzz (issue 15): random geometries (fast-check, fixed seeds, small sizes) against the
 * independent float64 oracle of test/helpers/conv_oracle.ts, which works out TensorFlow's output sizes
 * and padding on its own (the property tests compare algorithms with 'direct', which shares
 * src/geometry.ts with everything else; this catches what they cannot).
 *
 * conv2d: every algorithm (direct, im2col, igemm, winograd, fft, auto; a forced one that cannot take
 * the geometry falls back) on threads 1, 2 and 3, NHWC and NCHW, rank 3 and 4, strides, dilations,
 * SAME / VALID / explicit padding in all three spellings, groups, batches 0 to 3, empty outputs; each
 * result has TF's shape, lies within the accuracy contract's bound of the algorithm that ran
 * (src/plan/accuracy.ts: max |y - exact| <= bound * max |exact|), and every thread count gives the same
 * bits. Geometries TF rejects (a negative output size) must throw an InvalidArgumentError.
 * Also, on fewer cases: depthwiseConv2d (every algorithm), conv2dBackpropInput and conv2dBackpropFilter,
 * within the float32-sum bound u (2 + 4 sqrt(L)) for sums of L terms.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  convGeometry,
  depthwiseConv2d,
  DEPTHWISE_ALGORITHMS,
  InvalidArgumentError,
  tensor,
  type Conv2dOptions,
} from '../src/index.js';
import { planConv2d } from '../src/plan/planner.js';
import { accuracyOf, UNIT_ROUNDOFF } from '../src/plan/accuracy.js';
import { stopParallelEngine } from '../src/parallel/parallel_engine.js';
import {
  backpropFilterOracle,
  backpropInputOracle,
  conv2dOracle,
  depthwiseOracle,
  normwiseError,
  shapeIn,
  tfAxes,
  type OracleProblem,
} from './helpers/conv_oracle.js';
import { convCaseArb, convkitOptionsOf, describeCase, type ConvCase } from './helpers/random_geometry.js';
import { seededUniform } from './helpers/layout.js';
import { assertSameBits } from './helpers/threads.js';

after(() => stopParallelEngine());

const ALGORITHMS = ['direct', 'im2col', 'igemm', 'winograd', 'fft', 'auto'] as const;
const THREADS = [1, 2, 3];

const cases = convCaseArb({
  minBatch: 0,
  maxBatch: 3,
  minSpatial: 0,
  maxSpatial: 12,
  maxFilter: 5,
  maxStride: 3,
  maxDilation: 3,
  maxPad: 3,
  maxGroups: 3,
  maxInChannels: 12,
  maxOutPerGroup: 9,
  layouts: ['NHWC', 'NCHW'],
});

function problemOf(c: ConvCase, depthwise = false): OracleProblem {
  return {
    dataFormat: c.dataFormat,
    batched: c.batched,
    batch: c.batch,
    inHeight: c.inHeight,
    inWidth: c.inWidth,
    // Depthwise: every input channel has its own filter; filterOut is the channel multiplier.
    inChannels: depthwise ? c.filterInChannels : c.groups * c.filterInChannels,
    filterHeight: c.filterHeight,
    filterWidth: c.filterWidth,
    filterInChannels: c.filterInChannels,
    filterOut: depthwise ? c.outPerGroup : c.groups * c.outPerGroup,
    strides: c.strides,
    dilations: c.dilations,
    padding: c.padding,
  };
}

function filterShape(p: OracleProblem): number[] {
  return [p.filterHeight, p.filterWidth, p.filterInChannels, p.filterOut];
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The float32-sum bound of the contract (igemm's) for sums of `terms` products. */
function sumBound(terms: number): number {
  return UNIT_ROUNDOFF * (2 + 4 * Math.sqrt(terms));
}

function checkWithinBound(
  actual: Float32Array,
  exact: ReturnType<typeof conv2dOracle>,
  bound: number,
  label: string,
): void {
  const error = normwiseError(actual, exact);
  assert.ok(error <= bound, `${label}: max |error| / max |exact| = ${error} > bound ${bound}`);
}

test('conv2d fuzz: every algorithm and thread count against the float64 oracle, TF shapes and errors', () => {
  let [ran, rejected, empty, transforms] = [0, 0, 0, 0];
  fc.assert(
    fc.property(cases, (c) => {
      const p = problemOf(c);
      const label = describeCase(c);
      const inputShape = shapeIn(p, p.inHeight, p.inWidth, p.inChannels);
      const x = tensor(seededUniform(size(inputShape), c.seed), inputShape);
      const w = tensor(seededUniform(size(filterShape(p)), c.seed + 1), filterShape(p));
      const options = convkitOptionsOf(c);
      const axes = tfAxes(p);
      if (!axes) {
        rejected++;
        assert.throws(() => conv2d(x, w, options), InvalidArgumentError, `${label}: TF rejects it`);
        return;
      }
      ran++;
      const exact = conv2dOracle(p, x.data, w.data);
      if (exact.values.length === 0) empty++;
      const g = convGeometry('conv2d', inputShape, filterShape(p), options);
      for (const algorithm of ALGORITHMS) {
        const runs = planConv2d(g, algorithm).algorithm;
        if (runs === 'winograd' || runs === 'fft') transforms++;
        const bound = accuracyOf(runs, g).relativeErrorBound;
        let first: Float32Array | null = null;
        for (const threads of THREADS) {
          const what = `${label}: ${algorithm} (runs ${runs}), threads ${threads}`;
          const y = conv2d(x, w, { ...options, algorithm, threads } as Conv2dOptions);
          assert.deepEqual(y.shape, exact.shape, `${what}: TF's output shape`);
          if (first) assertSameBits(y.data, first, what);
          else checkWithinBound(y.data, exact, bound, what);
          first ??= y.data;
        }
      }
    }),
    { seed: 1515, numRuns: 300 },
  );
  // The sample reaches what it is meant to: rejected and empty geometries, and the transforms.
  assert.ok(
    rejected > 0 && empty > 0 && transforms > 20,
    `ran ${ran}, rejected ${rejected}, empty ${empty}, transforms ${transforms}`,
  );
});

test('conv2d fuzz, geometries auto computes with Winograd or the FFT: 8 to 16 channels, 3x3 to 7x7', () => {
  const wide = convCaseArb({
    minBatch: 1,
    maxBatch: 2,
    minSpatial: 4,
    maxSpatial: 14,
    maxFilter: 7,
    maxStride: 2,
    maxDilation: 1,
    maxPad: 3,
    maxGroups: 1,
    maxInChannels: 16,
    maxOutPerGroup: 16,
    layouts: ['NHWC', 'NCHW'],
  }).filter(
    (c) => c.filterInChannels >= 8 && c.outPerGroup >= 8 && c.filterHeight >= 3 && c.filterWidth >= 3,
  );
  const picked = new Map<string, number>();
  fc.assert(
    fc.property(wide, (c) => {
      const p = problemOf(c);
      if (!tfAxes(p)) return;
      const label = describeCase(c);
      const inputShape = shapeIn(p, p.inHeight, p.inWidth, p.inChannels);
      const x = tensor(seededUniform(size(inputShape), c.seed), inputShape);
      const w = tensor(seededUniform(size(filterShape(p)), c.seed + 1), filterShape(p));
      const options = convkitOptionsOf(c);
      const g = convGeometry('conv2d', inputShape, filterShape(p), options);
      const exact = conv2dOracle(p, x.data, w.data);
      for (const precision of ['auto', 'highest'] as const) {
        const runs = planConv2d(g, 'auto', { precision }).algorithm;
        picked.set(`${precision}:${runs}`, (picked.get(`${precision}:${runs}`) ?? 0) + 1);
        let first: Float32Array | null = null;
        for (const threads of THREADS) {
          const y = conv2d(x, w, { ...options, precision, threads } as Conv2dOptions);
          const what = `${label}: auto (${runs}), precision ${precision}, threads ${threads}`;
          if (first) assertSameBits(y.data, first, what);
          else checkWithinBound(y.data, exact, accuracyOf(runs, g).relativeErrorBound, what);
          first ??= y.data;
        }
      }
    }),
    { seed: 1516, numRuns: 80 },
  );
  const summary = JSON.stringify(Object.fromEntries(picked));
  assert.ok((picked.get('auto:winograd') ?? 0) > 0, `auto picked winograd somewhere: ${summary}`);
  assert.ok(
    [...picked.keys()].every((k) => !k.startsWith('highest:') || /:(direct|im2col|igemm)$/.test(k)),
    `precision 'highest' kept to GEMM-accurate algorithms: ${summary}`,
  );
});

test('depthwiseConv2d fuzz: every algorithm against the float64 oracle', () => {
  const depthwise = cases.filter(
    (c) => c.strides[0] === c.strides[1] && (c.dilations[0] === 1 || c.strides[0] === 1),
  );
  fc.assert(
    fc.property(depthwise, (c) => {
      const p = problemOf(c, true);
      const label = `depthwise ${describeCase(c)}`;
      const inputShape = shapeIn(p, p.inHeight, p.inWidth, p.inChannels);
      const x = tensor(seededUniform(size(inputShape), c.seed), inputShape);
      const w = tensor(seededUniform(size(filterShape(p)), c.seed + 1), filterShape(p));
      const { padding, dataFormat } = convkitOptionsOf(c);
      const options = { strides: c.strides[0], dilations: c.dilations, padding, dataFormat };
      if (!tfAxes(p)) {
        assert.throws(() => depthwiseConv2d(x, w, options), InvalidArgumentError, `${label}: TF rejects it`);
        return;
      }
      const exact = depthwiseOracle(p, x.data, w.data);
      for (const algorithm of [...DEPTHWISE_ALGORITHMS, 'auto'] as const) {
        const y = depthwiseConv2d(x, w, { ...options, algorithm });
        assert.deepEqual(y.shape, exact.shape, `${label} ${algorithm}: TF's output shape`);
        checkWithinBound(y.data, exact, sumBound(p.filterHeight * p.filterWidth), `${label} ${algorithm}`);
      }
    }),
    { seed: 1517, numRuns: 200 },
  );
});

test('conv2dBackpropInput and conv2dBackpropFilter fuzz against the float64 oracle', () => {
  const accepted = cases.filter((c) => {
    const axes = tfAxes(problemOf(c));
    return axes !== null && axes.outHeight > 0 && axes.outWidth > 0;
  });
  fc.assert(
    fc.property(accepted, (c) => {
      const p = problemOf(c);
      const a = tfAxes(p) as NonNullable<ReturnType<typeof tfAxes>>;
      const label = `gradients ${describeCase(c)}`;
      const inputShape = shapeIn(p, p.inHeight, p.inWidth, p.inChannels);
      const dyShape = shapeIn(p, a.outHeight, a.outWidth, p.filterOut);
      const x = tensor(seededUniform(size(inputShape), c.seed), inputShape);
      const w = tensor(seededUniform(size(filterShape(p)), c.seed + 1), filterShape(p));
      const dy = tensor(seededUniform(size(dyShape), c.seed + 2), dyShape);
      const options = convkitOptionsOf(c);
      const dx = conv2dBackpropInput(inputShape, w, dy, options);
      const dxExact = backpropInputOracle(p, w.data, dy.data);
      assert.deepEqual(dx.shape, dxExact.shape, `${label}: dx shape`);
      const perGroupOut = p.filterOut / (p.inChannels / p.filterInChannels);
      checkWithinBound(
        dx.data,
        dxExact,
        sumBound(p.filterHeight * p.filterWidth * perGroupOut),
        `${label}: dx`,
      );
      const dw = conv2dBackpropFilter(x, filterShape(p), dy, options);
      const dwExact = backpropFilterOracle(p, x.data, dy.data);
      assert.deepEqual(dw.shape, dwExact.shape, `${label}: dw shape`);
      checkWithinBound(dw.data, dwExact, sumBound(p.batch * a.outHeight * a.outWidth), `${label}: dw`);
    }),
    { seed: 1518, numRuns: 200 },
  );
});
