/**
 * Winograd on the worker pool (src/parallel/winograd_jobs.ts): the same bits for 1, 2 and 3 threads on
 * random geometries and on ones that take every block shape (batches, many blocks per image, blocks
 * that are part of one tile row), for every tile size; the workers really take calls; non-finite
 * inputs still go to igemm; and a worker that dies mid-call still leaves the right values.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conv2d, convGeometry, randomNormal, tensor, type Conv2dOptions } from '../src/index.js';
import { conv2dWinogradTile, winogradProblem } from '../src/algorithms/winograd.js';
import { winogradLayout, winogradUnavailable } from '../src/algorithms/winograd_plan.js';
import type { WinogradTile } from '../src/kernels/winograd_matrices.js';
import { winogradThreaded } from '../src/parallel/winograd_jobs.js';
import { parallelEngine, setStallTimeout, stopParallelEngine } from '../src/parallel/parallel_engine.js';
import { planThreads, THREADED_ALGORITHMS } from '../src/plan/threads.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { assertSameBits, sleep, workerCalls } from './helpers/threads.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import { convkitOptionsOf, describeCase, filterShapeOf, inputShapeOf } from './helpers/random_geometry.js';
import { winogradCases } from './helpers/winograd_cases.js';

after(() => {
  setStallTimeout(undefined);
  stopParallelEngine();
});

const TILES: readonly WinogradTile[] = [2, 4, 5, 6];

test('winograd is a threaded algorithm and large problems get more than one thread where there are several', () => {
  assert.ok(THREADED_ALGORITHMS.includes('winograd'), "THREADED_ALGORITHMS.includes('winograd')");
  const large = convGeometry('conv2d', [1, 56, 56, 64], [3, 3, 64, 64], { padding: 'SAME' });
  assert.equal(planThreads(large, 'winograd', 3), 3);
  const tiny = convGeometry('conv2d', [1, 8, 8, 8], [3, 3, 8, 8], { padding: 'SAME' });
  assert.equal(planThreads(tiny, 'winograd'), 1);
});

test('conv2d winograd with threads 1, 2 and 3 gives the same bits on 40 random geometries, and the right values', () => {
  fc.assert(
    fc.property(winogradCases, (c) => {
      const x = tensor(seededUniform(sizeOfShape(inputShapeOf(c)), c.seed), inputShapeOf(c));
      const w = tensor(seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1), filterShapeOf(c));
      const options: Conv2dOptions = { ...convkitOptionsOf(c), algorithm: 'winograd' };
      const one = conv2d(x, w, { ...options, threads: 1 });
      for (const threads of [2, 3]) {
        assertSameBits(
          conv2d(x, w, { ...options, threads }).data,
          one.data,
          `${threads} threads, ${describeCase(c)}`,
        );
      }
      const reference = conv2d(x, w, { ...convkitOptionsOf(c), algorithm: 'direct' });
      assertCloseToScale(one.data, reference.data, 1e-4, describeCase(c));
    }),
    { seed: 0x3a_91, numRuns: 40 },
  );
});

/** Geometries that take each block shape and edge case of the threaded run. */
const SHAPES: { name: string; input: number[]; filter: number[]; options: Conv2dOptions }[] = [
  { name: 'a batch, SAME', input: [3, 20, 21, 16], filter: [3, 3, 16, 12], options: { padding: 'SAME' } },
  { name: 'channels not a multiple of 4, VALID', input: [2, 19, 17, 7], filter: [3, 3, 7, 9], options: {} },
  { name: 'groups', input: [2, 16, 16, 12], filter: [3, 3, 4, 15], options: { padding: 'SAME' } },
  {
    name: 'NCHW, explicit padding',
    input: [2, 10, 18, 15],
    filter: [3, 3, 10, 6],
    options: {
      dataFormat: 'NCHW',
      padding: [
        [0, 0],
        [0, 0],
        [2, 0],
        [1, 3],
      ],
    },
  },
  {
    name: 'many blocks per image',
    input: [1, 180, 40, 64],
    filter: [3, 3, 64, 64],
    options: { padding: 'SAME' },
  },
  {
    name: 'blocks that are part of a tile row',
    input: [1, 6, 1300, 40],
    filter: [3, 3, 40, 40],
    options: {},
  },
];

test('every tile size and block shape: the same bits on 1, 2 and 3 threads, and the workers take calls', async () => {
  const engine = parallelEngine();
  assert.ok(engine, 'the parallel engine is available');
  conv2d(randomNormal([1, 16, 16, 8]), randomNormal([3, 3, 8, 8]), { algorithm: 'winograd', threads: 3 });
  await sleep(200);
  const before = workerCalls();
  let severalBlocks = 0;
  let partRows = 0;
  for (const s of SHAPES) {
    const x = randomNormal(s.input, { seed: 21 });
    const w = randomNormal(s.filter, { seed: 22 });
    const g = convGeometry('conv2d', s.input, s.filter, s.options);
    assert.equal(winogradUnavailable(g), null, s.name);
    for (const tile of TILES) {
      const layout = winogradLayout(g, tile);
      if (layout.rowsPerBlock < layout.tileRows) severalBlocks++;
      if (layout.colsPerBlock < layout.tileCols) partRows++;
      const one = conv2dWinogradTile(g, x.data, w.data, tile);
      for (const threads of [2, 3]) {
        const y = winogradThreaded(parallelEngine()!, winogradProblem(g, x.data, w.data), threads, tile);
        assert.ok(y instanceof Float32Array, `${s.name} F${tile}: finite`);
        assertSameBits(y, one, `${s.name} F${tile} on ${threads} threads`);
      }
    }
    const planned = conv2d(x, w, { ...s.options, algorithm: 'winograd', threads: 1 });
    assertSameBits(
      conv2d(x, w, { ...s.options, algorithm: 'winograd', threads: 2 }).data,
      planned.data,
      s.name,
    );
  }
  assert.ok(severalBlocks > 0 && partRows > 0, 'the shapes take both kinds of block');
  // The caller takes calls too and may take them all on a busy machine; a few more tries make sure.
  const x = randomNormal([1, 56, 56, 32], { seed: 23 });
  const w = randomNormal([3, 3, 32, 32], { seed: 24 });
  for (let i = 0; i < 50 && workerCalls() === before; i++)
    conv2d(x, w, { algorithm: 'winograd', threads: 2 });
  assert.ok(workerCalls() > before, 'no worker ran a kernel call');
});

test('a non-finite input on several threads gives the same bits as on one (igemm recomputes it)', () => {
  const x = randomNormal([2, 12, 12, 8], { seed: 25 });
  x.data[100] = NaN;
  x.data[777] = Infinity;
  const w = randomNormal([3, 3, 8, 8], { seed: 26 });
  const options: Conv2dOptions = { padding: 'SAME', algorithm: 'winograd' };
  const one = conv2d(x, w, { ...options, threads: 1 });
  assert.ok(one.data.some(Number.isNaN), 'NaN propagates');
  assertSameBits(conv2d(x, w, { ...options, threads: 2 }).data, one.data, 'threads 2');
  assertSameBits(conv2d(x, w, { ...options, algorithm: 'igemm', threads: 1 }).data, one.data, 'igemm');
});

test('a worker that exits mid-call: winograd on threads still returns the right values', async () => {
  setStallTimeout(300);
  try {
    const x = randomNormal([1, 56, 56, 32], { seed: 27 });
    const w = randomNormal([3, 3, 32, 32], { seed: 28 });
    const options: Conv2dOptions = { padding: 'SAME', algorithm: 'winograd' };
    const expected = conv2d(x, w, { ...options, threads: 1 }).data;
    conv2d(x, w, { ...options, threads: 3 });
    await sleep(200);
    const engine = parallelEngine();
    assert.ok(engine, 'engine');
    engine.pool.injectFault(1, 'exit');
    for (let i = 0; i < 50 && engine.pool.faultPending(); i++)
      assertSameBits(conv2d(x, w, { ...options, threads: 3 }).data, expected, `try ${i}`);
    assert.equal(engine.pool.faultPending(), false, 'the worker never claimed a call');
    assert.ok(engine.pool.broken, 'the pool is marked broken');
    assertSameBits(conv2d(x, w, { ...options, threads: 3 }).data, expected, 'the call after');
  } finally {
    setStallTimeout(undefined);
  }
});
