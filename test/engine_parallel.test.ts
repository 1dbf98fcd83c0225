/**
 * conv2dAsync: the worker-pool engine over shared WebAssembly memory gives conv2d's values (random
 * geometries, several bands, concurrent calls), validates its `threads` option, and never keeps a
 * Node program alive once its work is done.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { conv2d, randomNormal, tensor, InvalidArgumentError } from '../src/index.js';
import { conv2dAsync } from '../src/parallel/conv2d_async.js';
import {
  parallelEngine,
  sharedMemorySupported,
  stopParallelEngine,
} from '../src/parallel/parallel_engine.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
} from './helpers/random_geometry.js';

after(() => stopParallelEngine());

test('Node has shared WebAssembly memory, so the pool engine starts', async () => {
  assert.equal(sharedMemorySupported(), true);
  const engine = parallelEngine();
  assert.ok(engine, 'parallel engine');
  assert.equal(engine.heap.memory.buffer instanceof SharedArrayBuffer, true);
  const x = randomNormal([1, 20, 20, 8], { seed: 1 });
  const w = randomNormal([3, 3, 8, 8], { seed: 2 });
  await conv2dAsync(x, w, { threads: 2, algorithm: 'igemm' });
  assert.equal(engine.pool.size, 2);
});

const cases = convCaseArb({
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 12,
  maxFilter: 4,
  maxStride: 2,
  maxDilation: 2,
  maxPad: 2,
  maxGroups: 2,
  maxInChannels: 12,
  maxOutPerGroup: 11,
  layouts: ['NHWC', 'NCHW'],
}).filter(hasOutputShape);

test('conv2dAsync with 2 and 3 threads agrees with direct on 40 random geometries', async () => {
  await fc.assert(
    fc.asyncProperty(cases, fc.constantFrom(2, 3), async (c, threads) => {
      const x = tensor(seededUniform(sizeOfShape(inputShapeOf(c)), c.seed), inputShapeOf(c));
      const w = tensor(seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1), filterShapeOf(c));
      const options = convkitOptionsOf(c);
      const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
      const y = await conv2dAsync(x, w, { ...options, algorithm: 'igemm', threads });
      assert.deepEqual([...y.shape], [...reference.shape]);
      assertCloseToScale(y.data, reference.data, 1e-5, `${threads} threads on ${describeCase(c)}`);
    }),
    { seed: 0xa5_1c, numRuns: 40 },
  );
});

test('conv2dAsync over several bands and images matches conv2d exactly (same kernel, same sums)', async () => {
  const x = randomNormal([2, 40, 3000, 8], { seed: 11 });
  const w = randomNormal([3, 3, 8, 6], { seed: 12 });
  const expected = conv2d(x, w, { padding: 'SAME', algorithm: 'igemm' });
  const y = await conv2dAsync(x, w, { padding: 'SAME', threads: 2 });
  assert.deepEqual(y.data, expected.data);
});

test('concurrent conv2dAsync calls each get their own result', async () => {
  const jobs = [3, 5, 7, 9].map((n, i) => {
    const x = randomNormal([1, 17, 13, n], { seed: 20 + i });
    const w = randomNormal([3, 3, n, 10], { seed: 30 + i });
    return { x, w, expected: conv2d(x, w, { padding: 'SAME' }) };
  });
  const results = await Promise.all(
    jobs.map(({ x, w }) => conv2dAsync(x, w, { padding: 'SAME', threads: 2 })),
  );
  results.forEach((y, i) => assertCloseToScale(y.data, jobs[i].expected.data, 1e-5, `job ${i}`));
});

test('threads: 1 computes on the calling thread with the same values as conv2d', async () => {
  const x = randomNormal([1, 9, 9, 4], { seed: 40 });
  const w = randomNormal([3, 3, 4, 5], { seed: 41 });
  const y = await conv2dAsync(x, w, { threads: 1, padding: 'VALID' });
  assert.deepEqual(y.data, conv2d(x, w, { padding: 'VALID' }).data);
});

test('conv2dAsync rejects a bad threads option and unknown options, naming them', async () => {
  const x = randomNormal([1, 4, 4, 1]);
  const w = randomNormal([2, 2, 1, 1]);
  for (const bad of [0, 1.5, -2, '2', 100]) {
    await assert.rejects(
      () => conv2dAsync(x, w, { threads: bad as number }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /^conv2dAsync: threads must be an integer from 1 to 64, got /.test(e.message),
    );
  }
  await assert.rejects(
    () => conv2dAsync(x, w, { thread: 2 } as never),
    /conv2dAsync: options has unknown option "thread"/,
  );
});

test('an idle worker pool does not keep a Node program alive', () => {
  const script =
    "import { conv2dAsync } from './src/parallel/conv2d_async.ts';" +
    "import { randomNormal } from './src/index.ts';" +
    'const y = await conv2dAsync(randomNormal([1, 30, 30, 8]), randomNormal([3, 3, 8, 8]), { threads: 2 });' +
    'console.log("done", y.shape.join("x"));';
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(child.signal, null, 'the child had to be killed: the pool kept it alive');
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /done 1x28x28x8/);
});
