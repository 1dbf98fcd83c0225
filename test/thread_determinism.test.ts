/**
 * Issue 15, finding 2: 'auto' must give the same bits on every thread count. The plan may depend only
 * on the geometry, the precision and the machine's WebAssembly engine; so for random geometries near
 * the Winograd / FFT / igemm boundaries (3x3 to 7x7 filters, 1 to 24 channels, strides 1 and 2,
 * batches 1 to 4) conv2d with threads 1, 2 and 3, and conv2dAsync, give bitwise the same output, and
 * it is the output of the algorithm planConv2d names (forced, on one thread): the same plan.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conv2d, convGeometry, randomNormal, type Conv2dOptions } from '../src/index.js';
import { conv2dAsync } from '../src/parallel/conv2d_async.js';
import { stopParallelEngine } from '../src/parallel/parallel_engine.js';
import { planConv2d } from '../src/plan/planner.js';
import { assertSameBits } from './helpers/threads.js';

after(() => stopParallelEngine());

interface Problem {
  input: number[];
  filter: number[];
  options: Conv2dOptions;
}

/** Every thread count, and conv2dAsync, give the bits of the planned algorithm on one thread. */
async function checkSameBits(p: Problem, label: string): Promise<string> {
  const x = randomNormal(p.input, { seed: p.input.reduce((a, b) => a * 31 + b, 7) });
  const w = randomNormal(p.filter, { seed: p.filter.reduce((a, b) => a * 37 + b, 3) });
  const g = convGeometry('conv2d', p.input, p.filter, p.options);
  const plan = planConv2d(g, 'auto', { precision: p.options.precision });
  const planned = conv2d(x, w, { ...p.options, algorithm: plan.algorithm, threads: 1 }).data;
  for (const threads of [1, 2, 3]) {
    assertSameBits(
      conv2d(x, w, { ...p.options, threads }).data,
      planned,
      `${label}: threads ${threads} (${plan.algorithm})`,
    );
    assertSameBits(
      (await conv2dAsync(x, w, { ...p.options, threads })).data,
      planned,
      `${label}: conv2dAsync, threads ${threads}`,
    );
  }
  return plan.algorithm;
}

test("the issue's case: [1,14,14,13] x [5,5,13,16] SAME (the FFT on 1 thread, Winograd on 2 before)", async () => {
  await checkSameBits(
    { input: [1, 14, 14, 13], filter: [5, 5, 13, 16], options: { padding: 'SAME' } },
    'issue 15',
  );
  // mnist-c2 at batch 4: the same flip.
  await checkSameBits(
    { input: [4, 14, 14, 32], filter: [5, 5, 32, 64], options: { padding: 'SAME' } },
    'mnist-c2 b4',
  );
});

test("auto on random geometries: threads 1, 2 and 3 and conv2dAsync give the planned algorithm's bits", async () => {
  const problem = fc.record({
    batch: fc.integer({ min: 1, max: 4 }),
    size: fc.integer({ min: 4, max: 20 }),
    k: fc.integer({ min: 3, max: 7 }),
    inChannels: fc.integer({ min: 1, max: 24 }),
    outChannels: fc.integer({ min: 1, max: 24 }),
    stride: fc.constantFrom(1, 1, 2),
    padding: fc.constantFrom('SAME' as const, 'VALID' as const),
    precision: fc.constantFrom('auto' as const, 'auto' as const, 'highest' as const),
  });
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(problem, async (p) => {
      if (p.padding === 'VALID' && p.size < p.k) return;
      const label = JSON.stringify(p);
      const algorithm = await checkSameBits(
        {
          input: [p.batch, p.size, p.size, p.inChannels],
          filter: [p.k, p.k, p.inChannels, p.outChannels],
          options: { strides: p.stride, padding: p.padding, precision: p.precision },
        },
        label,
      );
      seen.add(algorithm);
    }),
    { seed: 2015, numRuns: 60 },
  );
  // The sample crosses the boundaries the thread count used to move.
  for (const algorithm of ['winograd', 'fft', 'igemm']) {
    assert.ok(seen.has(algorithm), `some geometry planned ${algorithm}: ${[...seen].join(', ')}`);
  }
});
