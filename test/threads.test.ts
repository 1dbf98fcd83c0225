/**
 * conv2d's `threads` option: the same bits for any thread count (random geometries, batches of images
 * in one job, several bands, groups, NCHW), the workers really taking part, option validation, the
 * planner's thread choice, and what happens when a worker dies, hangs or throws mid-call: the call
 * throws a clear Error or returns the right values, never hangs or returns a partial result, and the
 * next call gets a new pool. Also: an idle pool neither keeps Node alive nor uses the CPU.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import {
  conv2d,
  convGeometry,
  randomNormal,
  tensor,
  CONV2D_ALGORITHMS,
  InvalidArgumentError,
  type Conv2dOptions,
  type Tensor,
} from '../src/index.js';
import { conv2dAsync } from '../src/parallel/conv2d_async.js';
import { parallelEngine, setStallTimeout, stopParallelEngine } from '../src/parallel/parallel_engine.js';
import { MIN_FLOPS_PER_THREAD, defaultThreads, planThreads } from '../src/plan/threads.js';
import { conv2dAcceptsThreads } from '../bench/peers/convkit.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { assertSameBits, sleep, workerCalls } from './helpers/threads.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
} from './helpers/random_geometry.js';

after(() => {
  setStallTimeout(undefined);
  stopParallelEngine();
});

const cases = convCaseArb({
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 14,
  maxFilter: 4,
  maxStride: 2,
  maxDilation: 2,
  maxPad: 2,
  maxGroups: 2,
  maxInChannels: 12,
  maxOutPerGroup: 11,
  layouts: ['NHWC', 'NCHW'],
}).filter(hasOutputShape);

test('conv2d with threads 1, 2 and 3 gives the same bits on 60 random geometries, and the right values', () => {
  fc.assert(
    fc.property(cases, (c) => {
      const x = tensor(seededUniform(sizeOfShape(inputShapeOf(c)), c.seed), inputShapeOf(c));
      const w = tensor(seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1), filterShapeOf(c));
      const options: Conv2dOptions = { ...convkitOptionsOf(c), algorithm: 'igemm' };
      const one = conv2d(x, w, { ...options, threads: 1 });
      for (const threads of [2, 3]) {
        const y = conv2d(x, w, { ...options, threads });
        assert.deepEqual(y.shape, one.shape);
        assertSameBits(y.data, one.data, `${threads} threads on ${describeCase(c)}`);
      }
      const reference = conv2d(x, w, { ...convkitOptionsOf(c), algorithm: 'direct' });
      assertCloseToScale(one.data, reference.data, 1e-5, describeCase(c));
    }),
    { seed: 0x7e_4d, numRuns: 60 },
  );
});

/** Problems that take each of the job shapes of src/parallel/igemm_jobs.ts. */
const JOB_SHAPES: { name: string; input: number[]; filter: number[]; options: Conv2dOptions }[] = [
  { name: 'a batch in one job', input: [9, 20, 20, 8], filter: [3, 3, 8, 12], options: { padding: 'SAME' } },
  { name: 'several bands', input: [1, 40, 2500, 8], filter: [3, 3, 8, 6], options: { padding: 'SAME' } },
  {
    name: 'groups, NCHW, strides, dilations',
    input: [2, 8, 30, 31],
    filter: [3, 3, 4, 10],
    options: {
      dataFormat: 'NCHW',
      strides: [2, 1],
      dilations: [1, 2],
      padding: [
        [0, 0],
        [0, 0],
        [1, 2],
        [3, 0],
      ],
    },
  },
  {
    name: 'one image, many calls',
    input: [1, 64, 64, 32],
    filter: [3, 3, 32, 24],
    options: { padding: 'VALID' },
  },
];

test('larger problems: the same bits on 1, 2 and 3 threads, and the workers take calls', async () => {
  conv2d(randomNormal([1, 8, 8, 4]), randomNormal([3, 3, 4, 4]), { threads: 3 }); // start the workers
  await sleep(200);
  const before = workerCalls();
  for (const s of JOB_SHAPES) {
    const x = randomNormal(s.input, { seed: 3 });
    const w = randomNormal(s.filter, { seed: 4 });
    const options: Conv2dOptions = { ...s.options, algorithm: 'igemm' };
    const one = conv2d(x, w, { ...options, threads: 1 });
    for (const threads of [2, 3])
      assertSameBits(conv2d(x, w, { ...options, threads }).data, one.data, s.name);
  }
  // The caller takes calls too, so on a busy machine it may take them all; a few more tries make sure
  // the workers are really used.
  const x = randomNormal([1, 64, 64, 32], { seed: 5 });
  const w = randomNormal([3, 3, 32, 32], { seed: 6 });
  for (let i = 0; i < 50 && workerCalls() === before; i++) conv2d(x, w, { threads: 2, algorithm: 'igemm' });
  assert.ok(workerCalls() > before, 'no worker ran a kernel call');
});

test('the default thread count gives the same bits as one thread', () => {
  const x = randomNormal([2, 48, 48, 16], { seed: 7 });
  const w = randomNormal([3, 3, 16, 16], { seed: 8 });
  const options: Conv2dOptions = { padding: 'SAME', algorithm: 'igemm' };
  assertSameBits(conv2d(x, w, options).data, conv2d(x, w, { ...options, threads: 1 }).data, 'default');
});

test('conv2d rejects a bad threads option, naming it', () => {
  const x = randomNormal([1, 4, 4, 1]);
  const w = randomNormal([2, 2, 1, 1]);
  for (const bad of [0, -1, 1.5, 65, NaN, Infinity, '2', null, [2]]) {
    assert.throws(
      () => conv2d(x, w, { threads: bad as number }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /^conv2d: threads must be an integer from 1 to 64, got /.test(e.message),
      `threads: ${String(bad)}`,
    );
  }
  assert.deepEqual(
    conv2d(x, w, { threads: 64, algorithm: 'igemm' }).data,
    conv2d(x, w, { algorithm: 'igemm' }).data,
  );
});

test('the bench sees the threads option', () => {
  assert.equal(conv2dAcceptsThreads(), true);
});

test('the planner: one thread for the seed problems, more for large ones, the option overrides', () => {
  const seed1 = convGeometry('conv2d', [1, 5, 5, 5], [3, 3, 5, 7], { strides: 2, padding: 'SAME' });
  const seed2 = convGeometry('conv2d', [1, 10, 10, 10], [2, 10, 10, 10], { strides: 2, padding: 'SAME' });
  const large = convGeometry('conv2d', [1, 56, 56, 64], [3, 3, 64, 64], { padding: 'SAME' });
  assert.equal(planThreads(seed1, 'igemm'), 1);
  assert.equal(planThreads(seed2, 'igemm'), 1);
  const expected = Math.min(defaultThreads(), Math.floor(large.flops / MIN_FLOPS_PER_THREAD));
  assert.ok(expected >= 1, 'expected >= 1');
  assert.equal(planThreads(large, 'igemm'), expected);
  assert.equal(planThreads(seed1, 'igemm', 3), 3);
  assert.equal(planThreads(large, 'igemm', 1), 1);
  for (const algorithm of CONV2D_ALGORITHMS.filter((a) => a !== 'igemm' && a !== 'winograd')) {
    assert.equal(planThreads(large, algorithm, 4), 1, `${algorithm} has no threaded form`);
  }
});

/** A problem of a few milliseconds, its one-thread result, and a warm pool with 2 workers. */
async function faultSetup(): Promise<{ run: () => Tensor; expected: Float32Array }> {
  const x = randomNormal([1, 64, 64, 32], { seed: 9 });
  const w = randomNormal([3, 3, 32, 32], { seed: 10 });
  const options: Conv2dOptions = { padding: 'SAME', algorithm: 'igemm' };
  const expected = conv2d(x, w, { ...options, threads: 1 }).data;
  conv2d(x, w, { ...options, threads: 3 });
  await sleep(200);
  return { run: () => conv2d(x, w, { ...options, threads: 3 }), expected };
}

for (const fault of ['exit', 'hang'] as const) {
  test(`a worker that ${fault === 'exit' ? 'exits' : 'hangs'} mid-call: conv2d returns the right values; a new pool follows`, async () => {
    setStallTimeout(300);
    try {
      const { run, expected } = await faultSetup();
      const engine = parallelEngine();
      assert.ok(engine, 'engine');
      engine.pool.injectFault(1, fault);
      for (let i = 0; i < 50 && engine.pool.faultPending(); i++)
        assertSameBits(run().data, expected, `try ${i}`);
      assert.equal(engine.pool.faultPending(), false, 'the worker never claimed a call');
      assert.ok(engine.pool.broken, 'the pool is marked broken');
      // An exit is seen at once, not by the stall watchdog (a lost wake-up once left that to it).
      if (fault === 'exit') assert.match(engine.pool.broken, /exited/);
      const replacement = parallelEngine();
      assert.ok(
        replacement && replacement !== engine && !replacement.pool.broken,
        'replacement && replacement !== engine && !replacement.pool.broken',
      );
      assertSameBits(run().data, expected, 'the call after');
    } finally {
      setStallTimeout(undefined);
    }
  });
}

test('back-to-back jobs of different lengths on 3 threads: every call runs once and is counted once', async () => {
  // A worker that woke late for one job could once claim a call of the next under the old job's tag
  // (it read COUNT after the caller had rewritten it): that call ran twice and counted twice, and the
  // caller returned early or waited on DONE until the stall watchdog broke the pool (5-20 thousand jobs
  // on a 2-core machine). Each call here adds 1 to its own slot (f32_bias_clamp with a bias of 1).
  const engine = parallelEngine();
  assert.ok(engine, 'engine');
  setStallTimeout(2000);
  try {
    const heap = engine.heap;
    const slots = 8;
    const one = heap.scratchBase;
    const y = one + 64;
    heap.ensure(y + slots * 4);
    heap.f32[one >> 2] = 1;
    heap.f32.fill(0, y >> 2, (y >> 2) + slots);
    const lengths = [1, 3, 8, 2, 5];
    const lists = lengths.map((n) =>
      Array.from({ length: n }, (_, i) => [y + i * 4, 1, one, 1, 0, -1e6, 1e6]),
    );
    const expected = new Float32Array(slots);
    const jobs = 60000;
    for (let j = 0; j < jobs; j++) {
      engine.pool.runSync('f32_bias_clamp', lists[j % lists.length], 3);
      for (let i = 0; i < lengths[j % lengths.length]; i++) expected[i]++;
    }
    assertSameBits(heap.f32.slice(y >> 2, (y >> 2) + slots), expected, 'calls run per slot');
    assert.equal(engine.pool.broken, null);
  } finally {
    setStallTimeout(undefined);
  }
});

test('a kernel call that throws in a worker: conv2d throws that error; the pool keeps working', async () => {
  const { run, expected } = await faultSetup();
  const engine = parallelEngine();
  assert.ok(engine, 'engine');
  engine.pool.injectFault(0, 'throw');
  let thrown = 0;
  for (let i = 0; i < 50 && engine.pool.faultPending(); i++) {
    try {
      assertSameBits(run().data, expected, `try ${i}`);
    } catch (error) {
      assert.match(String(error), /convkit worker: fault injected by a test/);
      thrown++;
    }
  }
  assert.equal(engine.pool.faultPending(), false, 'the worker never claimed a call');
  assert.equal(thrown, 1);
  assert.equal(engine.pool.broken, null);
  assertSameBits(run().data, expected, 'the call after');
});

test('conv2dAsync: a worker that exits mid-call still gives the right values', async () => {
  const x = randomNormal([1, 64, 64, 32], { seed: 11 });
  const w = randomNormal([3, 3, 32, 32], { seed: 12 });
  const options: Conv2dOptions = { padding: 'SAME', algorithm: 'igemm', threads: 2 };
  const expected = conv2d(x, w, { ...options, threads: 1 }).data;
  assertSameBits((await conv2dAsync(x, w, options)).data, expected, 'warm-up');
  const engine = parallelEngine();
  assert.ok(engine, 'engine');
  engine.pool.injectFault(1, 'exit');
  for (let i = 0; i < 50 && engine.pool.faultPending(); i++) {
    assertSameBits((await conv2dAsync(x, w, options)).data, expected, `try ${i}`);
  }
  assert.equal(engine.pool.faultPending(), false, 'the worker never claimed a call');
  assertSameBits((await conv2dAsync(x, w, options)).data, expected, 'the call after');
});

test('conv2dAsync with winograd: a worker that exits mid-call still gives the right values', async () => {
  const x = randomNormal([1, 40, 40, 32], { seed: 13 });
  const w = randomNormal([3, 3, 32, 32], { seed: 14 });
  const options: Conv2dOptions = { padding: 'SAME', algorithm: 'winograd', threads: 2 };
  const expected = conv2d(x, w, { ...options, threads: 1 }).data;
  assertSameBits((await conv2dAsync(x, w, options)).data, expected, 'warm-up');
  const engine = parallelEngine();
  assert.ok(engine, 'engine');
  engine.pool.injectFault(0, 'exit');
  for (let i = 0; i < 50 && engine.pool.faultPending(); i++) {
    assertSameBits((await conv2dAsync(x, w, options)).data, expected, `try ${i}`);
  }
  assert.equal(engine.pool.faultPending(), false, 'the worker claimed a call and exited');
  assertSameBits((await conv2dAsync(x, w, options)).data, expected, 'the call after');
});

test('conv2d with threads while a conv2dAsync holds the pool computes on its own thread, both right', async () => {
  const x = randomNormal([1, 64, 64, 32], { seed: 13 });
  const w = randomNormal([3, 3, 32, 32], { seed: 14 });
  const options: Conv2dOptions = { padding: 'SAME', algorithm: 'igemm' };
  const expected = conv2d(x, w, { ...options, threads: 1 }).data;
  const pending = conv2dAsync(x, w, { ...options, threads: 2 });
  // Microtasks only: conv2dAsync takes the pool, and its job cannot end before the next macrotask.
  for (let i = 0; i < 20 && !parallelEngine()?.busy; i++) await Promise.resolve();
  assert.equal(parallelEngine()?.busy, true);
  assertSameBits(conv2d(x, w, { ...options, threads: 2 }).data, expected, 'conv2d');
  assertSameBits((await pending).data, expected, 'conv2dAsync');
});

test('idle workers sleep: no CPU time while the pool waits', async () => {
  conv2d(randomNormal([1, 32, 32, 16]), randomNormal([3, 3, 16, 16]), { threads: 3, algorithm: 'igemm' });
  await sleep(100);
  const before = process.cpuUsage();
  await sleep(500);
  const used = process.cpuUsage(before);
  // Two spinning workers would use about 1000 ms of CPU in 500 ms.
  assert.ok((used.user + used.system) / 1000 < 150, `used ${(used.user + used.system) / 1000} ms of CPU`);
});

test('a program that ran threaded conv2d ends by itself', () => {
  const script =
    "import { conv2d, randomNormal } from './src/index.ts';" +
    'const y = conv2d(randomNormal([1, 30, 30, 8]), randomNormal([3, 3, 8, 8]), { threads: 2, algorithm: "igemm" });' +
    'console.log("done", y.shape.join("x"));';
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(child.signal, null, 'the child had to be killed: the pool kept it alive');
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /done 1x28x28x8/);
});
