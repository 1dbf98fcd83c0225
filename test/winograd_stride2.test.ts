/**
 * winograd beyond 3x3 stride 1: 4x4 and 5x5 stride-1 filters (F(4x4, 4x4), F(4x4, 5x5)) and 3x3 to
 * 10x10 stride-2 filters through space-to-depth (src/algorithms/space_to_depth.ts), against the direct reference:
 *   - property tests (fast-check, fixed seeds) over random geometries: SAME, VALID and explicit
 *     padding, odd sizes, batches, rank-3 inputs, NHWC and NCHW, channel counts not a multiple of 4;
 *     and the plan really is winograd (no silent fallback);
 *   - the same bits on 1, 2 and 3 threads;
 *   - NaN and infinity: an infinity the strided window never reads changes nothing (the phases meet it
 *     only with zero taps), one it reads propagates as in the direct loop;
 *   - the rearranged filter is made once per filter and cached with its transformed form;
 *   - the space-to-depth geometry and the memory plan.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conv2d, convGeometry, planConv2d, tensor, type Conv2dOptions } from '../src/index.js';
import { winogradPackKey } from '../src/algorithms/winograd.js';
import { spaceToDepthFilter, spaceToDepthGeometry } from '../src/algorithms/space_to_depth.js';
import { winogradGeometry, winogradLayout, winogradTile } from '../src/algorithms/winograd_plan.js';
import { setWasmVariant } from '../src/kernels/wasm/engine.js';
import { WASM_VARIANTS, wasmVariantSupported } from '../src/kernels/wasm/features.js';
import { planMemory } from '../src/plan/memory.js';
import { hasPackedWeights } from '../src/plan/weights_cache.js';
import { stopParallelEngine } from '../src/parallel/parallel_engine.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import { assertSameBits } from './helpers/threads.js';
import { winogradR4Cases, winogradR5Cases, winogradStride2Cases } from './helpers/winograd_cases.js';
import {
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  inputShapeOf,
  type ConvCase,
} from './helpers/random_geometry.js';

const TOLERANCE = 1e-4;
const supported = WASM_VARIANTS.filter((v) => wasmVariantSupported(v));
after(() => {
  setWasmVariant('auto');
  stopParallelEngine();
});

function data(shape: number[], seed: number) {
  return tensor(seededUniform(sizeOfShape(shape), seed), shape);
}

function checkCase(c: ConvCase): void {
  const [shapeIn, shapeFilter] = [inputShapeOf(c), filterShapeOf(c)];
  const options: Conv2dOptions = { ...convkitOptionsOf(c), threads: 1 };
  const g = convGeometry('conv2d', shapeIn, shapeFilter, options);
  // An empty output needs no algorithm: the plan says there is nothing to compute (issue 15).
  const expected = g.outputShape.includes(0) ? 'direct' : 'winograd';
  assert.equal(planConv2d(g, 'winograd').algorithm, expected, describeCase(c));
  const x = data(shapeIn, c.seed);
  const w = data(shapeFilter, c.seed + 1);
  const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
  const y = conv2d(x, w, { ...options, algorithm: 'winograd' });
  assert.deepEqual([...y.shape], [...reference.shape], describeCase(c));
  assertCloseToScale(y.data, reference.data, TOLERANCE, describeCase(c));
}

for (const variant of supported) {
  test(`F(4x4,4x4) (${variant}) agrees with direct on 60 random 4x4 stride-1 geometries`, () => {
    assert.equal(setWasmVariant(variant), variant);
    fc.assert(fc.property(winogradR4Cases, checkCase), { seed: 0x44_f00d, numRuns: 60 });
  });

  test(`F(4x4,5x5) (${variant}) agrees with direct on 60 random 5x5 stride-1 geometries`, () => {
    assert.equal(setWasmVariant(variant), variant);
    fc.assert(fc.property(winogradR5Cases, checkCase), { seed: 0x55_f00d, numRuns: 60 });
  });

  test(`space-to-depth winograd (${variant}) agrees with direct on 160 random stride-2 geometries`, () => {
    assert.equal(setWasmVariant(variant), variant);
    fc.assert(fc.property(winogradStride2Cases, checkCase), { seed: 0x52_f00d, numRuns: 160 });
  });
}

test('the random stride-2 geometries reach the corners that matter', () => {
  const drawn = fc.sample(winogradStride2Cases, { seed: 0x52_f00d, numRuns: 160 });
  const some = (pred: (c: ConvCase) => boolean, what: string): void => assert.ok(drawn.some(pred), what);
  for (const k of [3, 4, 5, 6, 7, 8, 9, 10]) some((c) => c.filterHeight === k, `${k}-high filters`);
  some((c) => c.filterHeight !== c.filterWidth, 'non-square filters');
  some((c) => c.padding === 'SAME', 'SAME');
  some((c) => c.padding === 'VALID', 'VALID');
  some((c) => typeof c.padding !== 'string', 'explicit padding');
  some((c) => c.inHeight % 2 === 1 && c.inWidth % 2 === 0, 'odd and even sizes');
  some((c) => c.batch > 1 && c.dataFormat === 'NCHW', 'NCHW batches');
  some((c) => !c.batched, 'rank-3 input');
  some((c) => (4 * c.filterInChannels) % 8 !== 0, 'stacked channels not a multiple of 8');
});

test('space-to-depth: the stride-1 geometry it computes', () => {
  const g = convGeometry('conv2d', [2, 224, 224, 3], [7, 7, 3, 64], { strides: 2, padding: 'SAME' });
  const inner = spaceToDepthGeometry(g);
  assert.equal(winogradGeometry(g), inner);
  assert.deepEqual([...inner.inputShape], [2, 115, 115, 12]);
  assert.deepEqual([...inner.filterShape], [4, 4, 12, 64]);
  assert.deepEqual([...inner.outputShape], [...g.outputShape]);
  assert.deepEqual([inner.strideHeight, inner.padTop, inner.padLeft], [1, 0, 0]);
  assert.equal(winogradTile(inner), 4);
  const nchw = convGeometry('conv2d', [5, 11, 9], [5, 6, 5, 2], { strides: 2, dataFormat: 'NCHW' });
  const innerNchw = spaceToDepthGeometry(nchw);
  assert.deepEqual([...innerNchw.inputShape], [20, 6, 4]); // rank 3, channels first: outputs 4 x 2, 3x3 filter
  assert.deepEqual([...innerNchw.outputShape], [...nchw.outputShape]);
  // The memory plan counts the inner problem (its phases go straight into the scratch's input band) and
  // both prepared filters: 7x7 (alpha^2) transformed 12 x 64 slices, and the rearranged 4x4x12x64 one.
  const memory = planMemory(g, 'winograd');
  assert.equal(memory.preparedFilterBytes, (7 * 7 + 4 * 4) * 12 * 64 * 4);
  assert.equal(memory.scratchBytes, winogradLayout(inner, 4).scratchBytes);
  assert.ok(memory.scratchBytes < 8 << 20, JSON.stringify(memory));
});

test('stride-2 winograd gives the same bits on 1, 2 and 3 threads', () => {
  setWasmVariant('auto');
  const shapes: [number[], number[], Conv2dOptions][] = [
    [[1, 64, 64, 3], [7, 7, 3, 16], { strides: 2, padding: 'SAME' }],
    [[2, 40, 33, 5], [5, 5, 5, 12], { strides: 2, padding: 'VALID' }],
    [[1, 6, 50, 30], [8, 8, 6, 9], { strides: 2, padding: 'SAME', dataFormat: 'NCHW' }],
  ];
  for (const [i, [shapeIn, shapeFilter, options]] of shapes.entries()) {
    const x = data(shapeIn, 40 + i);
    const w = data(shapeFilter, 50 + i);
    const one = conv2d(x, w, { ...options, algorithm: 'winograd', threads: 1 });
    const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
    assertCloseToScale(one.data, reference.data, TOLERANCE, `shape ${i}`);
    for (const threads of [2, 3]) {
      const y = conv2d(x, w, { ...options, algorithm: 'winograd', threads });
      assertSameBits(y.data, one.data, `shape ${i} on ${threads} threads`);
    }
  }
});

test('stride 2: images of many blocks, and blocks that are part of one tile row, agree with direct', () => {
  setWasmVariant('auto');
  for (const [shapeIn, shapeFilter, options] of [
    [[1, 90, 1200, 3], [7, 7, 3, 8], { strides: 2, padding: 'SAME' }],
    [[1, 9, 30000, 4], [5, 5, 4, 8], { strides: 2, padding: 'VALID' }],
    [[1, 5, 11, 9000], [8, 8, 5, 6], { strides: 2, padding: 'SAME', dataFormat: 'NCHW' }],
  ] as [number[], number[], Conv2dOptions][]) {
    const g = convGeometry('conv2d', shapeIn, shapeFilter, options);
    const inner = spaceToDepthGeometry(g);
    const layout = winogradLayout(inner, winogradTile(inner));
    assert.ok(
      layout.rowsPerBlock < layout.tileRows || layout.colsPerBlock < layout.tileCols,
      JSON.stringify(layout),
    );
    const x = data(shapeIn, 81);
    const w = data(shapeFilter, 82);
    const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
    const y = conv2d(x, w, { ...options, algorithm: 'winograd', threads: 1 });
    assertCloseToScale(y.data, reference.data, TOLERANCE, `${shapeIn} x ${shapeFilter}`);
  }
});

test('stride 2: an infinity the window never reads changes nothing; one it reads propagates', () => {
  setWasmVariant('auto');
  // 7x7 stride 2 VALID on 12 rows reads rows 0..10: row 11 and column 11 are never read.
  const shape = [1, 12, 12, 3];
  const w = data([7, 7, 3, 8], 61);
  const values = data(shape, 60).data.slice();
  values[(11 * 12 + 4) * 3 + 1] = Infinity;
  values[(5 * 12 + 11) * 3] = NaN;
  const unread = tensor(values, shape);
  for (const threads of [1, 2]) {
    const options: Conv2dOptions = { strides: 2, padding: 'VALID', threads };
    const reference = conv2d(unread, w, { ...options, algorithm: 'direct' });
    const y = conv2d(unread, w, { ...options, algorithm: 'winograd' });
    assert.ok(reference.data.every(Number.isFinite), 'the direct loop never reads them');
    assertCloseToScale(y.data, reference.data, TOLERANCE, `unread infinity, ${threads} threads`);
  }
  values[(4 * 12 + 4) * 3 + 2] = -Infinity; // read by output (0, 0) and others
  const read = tensor(values, shape);
  for (const threads of [1, 2]) {
    const options: Conv2dOptions = { strides: 2, padding: 'VALID', threads };
    const reference = conv2d(read, w, { ...options, algorithm: 'direct' });
    const y = conv2d(read, w, { ...options, algorithm: 'winograd' });
    let nonFinite = 0;
    for (let i = 0; i < y.size; i++) {
      const [a, b] = [y.data[i], reference.data[i]];
      if (!Number.isFinite(b)) nonFinite++;
      assert.ok(Object.is(a, b) || Math.abs(a - b) <= 1e-3, `${threads} threads, index ${i}: ${a} vs ${b}`);
    }
    assert.ok(nonFinite > 0, 'the reference has non-finite outputs');
  }
});

test('the rearranged and the transformed filter are made once and cached', () => {
  setWasmVariant('auto');
  const x = data([1, 20, 20, 3], 71);
  const w = data([7, 7, 3, 16], 72);
  const options: Conv2dOptions = { strides: 2, padding: 'SAME', algorithm: 'winograd', threads: 1 };
  const key = 'space-to-depth/7x7x3x16';
  assert.equal(hasPackedWeights(w.data, key), false);
  const first = conv2d(x, w, options);
  assert.equal(hasPackedWeights(w.data, key), true);
  const g = convGeometry('conv2d', x.shape, w.shape, options);
  const inner = spaceToDepthGeometry(g);
  // The rearranged filter is the key of its own transformed form (cached: the same array comes back).
  const rearranged = spaceToDepthFilter(g, inner, w.data);
  assert.equal(spaceToDepthFilter(g, inner, w.data), rearranged);
  const packKey = winogradPackKey(winogradTile(inner), 1, 4);
  assert.equal(packKey, 'winograd-f4x4-4x4/groups=1');
  assert.equal(hasPackedWeights(rearranged, packKey), true);
  const second = conv2d(x, w, options);
  assertSameBits(second.data, first.data, 'second call');
});
