// The bench's statistics, timing loop and speed-up bookkeeping (no timing assertions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geometricMean, median, quantileSorted, summarize } from '../bench/stats.js';
import { maxAbsDiff, measureInterleaved } from '../bench/measure.js';
import type { PreparedRun } from '../bench/engine.js';
import { addSpeedups } from '../bench/speedup.js';
import type { EngineResult } from '../bench/results.js';
import { engineSelected, parseBenchOptions, QUICK_SHAPES, SECTIONS } from '../bench/options.js';
import { arrayBufferGrowth } from '../bench/memory.js';

test('median of odd and even counts, in any order', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

test('summarize gives min, max and interpolated quartiles', () => {
  const s = summarize([5, 3, 1, 4, 2]);
  assert.deepEqual(s, { count: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4 });
  assert.equal(quantileSorted([10, 20], 0.25), 12.5);
  assert.throws(() => quantileSorted([], 0.5), RangeError);
});

test('geometricMean averages ratios multiplicatively', () => {
  assert.ok(Math.abs(geometricMean([2, 8]) - 4) < 1e-12, 'Math.abs(geometricMean([2, 8]) - 4) < 1e-12');
  assert.ok(Math.abs(geometricMean([0.5, 2]) - 1) < 1e-12, 'Math.abs(geometricMean([0.5, 2]) - 1) < 1e-12');
});

test('maxAbsDiff: largest difference; a NaN or a length mismatch counts as infinitely wrong', () => {
  assert.equal(maxAbsDiff(new Float32Array([1, 2, 3]), new Float32Array([1, 2.5, 2])), 1);
  assert.equal(maxAbsDiff(new Float32Array([1, NaN]), new Float32Array([1, 2])), Infinity);
  assert.equal(maxAbsDiff(new Float32Array([1]), new Float32Array([1, 2])), Infinity);
});

test('measureInterleaved: every engine takes one sample per round, the start rotates, stops at maxSamples', async () => {
  const order: number[] = [];
  const fake = (id: number): PreparedRun => ({
    run: () => {
      order.push(id);
    },
    output: async () => new Float32Array(0),
    dispose: () => {},
  });
  const settings = { budgetMs: 1e9, minSamples: 3, maxSamples: 4, minSampleMs: 0, warmupMs: 0 };
  const done: number[] = [];
  const timed = await measureInterleaved([fake(0), fake(1), fake(2)], [1, 2, 1], settings, (i) =>
    done.push(i),
  );
  assert.deepEqual(
    timed.map((t) => t.samplesMs.length),
    [4, 4, 4],
  );
  assert.deepEqual(done.sort(), [0, 1, 2]);
  // Engine 1 makes two calls per sample. Rounds start at engine 0, 1, 2, 0.
  assert.deepEqual(order, [0, 1, 1, 2, 1, 1, 2, 0, 2, 0, 1, 1, 0, 1, 1, 2]);
});

function result(engine: string, family: 'convkit' | 'peer', threads: number, medianMs: number): EngineResult {
  return {
    engine,
    family,
    threads,
    status: 'ok',
    ms: { count: 3, median: medianMs, min: medianMs, max: medianMs, q1: medianMs, q3: medianMs },
  };
}

test('addSpeedups compares each peer with the fastest convkit engine using no more threads', () => {
  const results = [
    result('convkit:direct', 'convkit', 1, 40),
    result('convkit:im2col', 'convkit', 1, 10),
    result('convkit:im2col:t2', 'convkit', 2, 6),
    result('tfjs-wasm', 'peer', 1, 20),
    result('onnxruntime:t2', 'peer', 2, 3),
  ];
  addSpeedups(results);
  assert.equal(results[3].speedup, 2);
  assert.equal(results[3].speedupAgainst, 'convkit:im2col');
  assert.equal(results[4].speedup, 0.5);
  assert.equal(results[4].speedupAgainst, 'convkit:im2col:t2');
  assert.equal(results[0].speedup, undefined);
});

test('addSpeedups ignores a wrong convkit engine', () => {
  const wrong = { ...result('convkit:im2col', 'convkit', 1, 1), status: 'wrong' as const };
  const results = [result('convkit:direct', 'convkit', 1, 8), wrong, result('tfjs-cpu', 'peer', 1, 16)];
  addSpeedups(results);
  assert.equal(results[2].speedupAgainst, 'convkit:direct');
  assert.equal(results[2].speedup, 2);
});

test('addSpeedups: the headline is convkit:auto at the peer thread count, the best case skips fallbacks', () => {
  const fellBack = { ...result('convkit:winograd', 'convkit', 1, 2), fellBack: true, runs: 'igemm' };
  const results = [
    result('convkit:auto', 'convkit', 1, 8),
    result('convkit:auto:t2', 'convkit', 2, 5),
    result('convkit:igemm', 'convkit', 1, 4),
    fellBack,
    result('tfjs-wasm', 'peer', 1, 16),
    result('onnxruntime:t2', 'peer', 2, 10),
    result('onnxruntime:t4', 'peer', 4, 10),
  ];
  addSpeedups(results);
  const [, , , , wasm, t2, t4] = results;
  assert.equal(wasm.speedupAgainst, 'convkit:auto');
  assert.equal(wasm.speedup, 2);
  assert.equal(wasm.bestSpeedupAgainst, 'convkit:igemm');
  assert.equal(wasm.bestSpeedup, 4);
  assert.equal(t2.speedupAgainst, 'convkit:auto:t2');
  assert.equal(t2.speedup, 2);
  // No auto engine with four threads: the one with the most threads below.
  assert.equal(t4.speedupAgainst, 'convkit:auto:t2');
  assert.equal(fellBack.speedup, undefined);
});

test('engine selection by full name or family prefix', () => {
  assert.ok(engineSelected('convkit:im2col', ['convkit']), "engineSelected('convkit:im2col', ['convkit'])");
  assert.ok(engineSelected('tfjs-wasm', ['tfjs']), "engineSelected('tfjs-wasm', ['tfjs'])");
  assert.ok(
    engineSelected('onnxruntime:t2', ['onnxruntime:t2']),
    "engineSelected('onnxruntime:t2', ['onnxruntime:t2'])",
  );
  assert.ok(
    !engineSelected('onnxruntime:t2', ['onnxruntime:t1']),
    "!engineSelected('onnxruntime:t2', ['onnxruntime:t1'])",
  );
  assert.ok(!engineSelected('convkit:im2col', ['conv']), "!engineSelected('convkit:im2col', ['conv'])");
  assert.ok(engineSelected('anything', undefined), "engineSelected('anything', undefined)");
});

test('parseBenchOptions: --quick picks the quick shapes and a short budget; flags override', () => {
  const quick = parseBenchOptions(['--quick']);
  assert.deepEqual(quick.shapes, QUICK_SHAPES);
  assert.ok(
    quick.budgetMs < parseBenchOptions([]).budgetMs,
    'quick.budgetMs < parseBenchOptions([]).budgetMs',
  );
  const custom = parseBenchOptions([
    '--quick',
    '--shapes',
    'a,b',
    '--engines',
    'tfjs',
    '--budget',
    '50',
    '--all',
  ]);
  assert.deepEqual(custom.shapes, ['a', 'b']);
  assert.deepEqual(custom.engines, ['tfjs']);
  assert.equal(custom.budgetMs, 50);
  assert.equal(custom.directMaxFlops, Infinity);
  assert.throws(() => parseBenchOptions(['--budget', '-3']));
});

test('parseBenchOptions: --batches gives the models section its batch sizes (default 1 and 8)', () => {
  assert.deepEqual(parseBenchOptions([]).batches, [1, 8]);
  assert.deepEqual(parseBenchOptions(['--batches', '8, 1,8']).batches, [8, 1]);
  for (const bad of ['0', '1.5', 'x', ','])
    assert.throws(() => parseBenchOptions(['--batches', bad]), `--batches ${bad} is refused`);
});

test('parseBenchOptions: sections, and which of them --quick, --shapes, --no-relaxed and no --sections leave out', () => {
  // webgpu (a GPU, or minutes on an emulator) and models (whole networks, minutes) run only when named.
  assert.deepEqual(
    parseBenchOptions([]).sections,
    SECTIONS.filter((s) => s !== 'webgpu' && s !== 'models'),
  );
  assert.deepEqual(parseBenchOptions(['--sections', 'webgpu']).sections, ['webgpu']);
  assert.deepEqual(parseBenchOptions(['--sections', 'models']).sections, ['models']);
  assert.deepEqual(parseBenchOptions(['--no-relaxed']).sections, ['conv', 'depthwise', 'grouped', 'train']);
  assert.deepEqual(parseBenchOptions(['--quick']).sections, ['conv', 'depthwise', 'grouped', 'train']);
  assert.deepEqual(parseBenchOptions(['--quick', '--sections', 'relaxed,conv']).sections, [
    'conv',
    'relaxed',
  ]);
  assert.deepEqual(parseBenchOptions(['--sections', 'relaxed', '--no-relaxed']).sections, []);
  // train has no shapes: --shapes leaves it out unless --sections names it.
  assert.deepEqual(parseBenchOptions(['--shapes', 'x']).sections, [
    'conv',
    'depthwise',
    'grouped',
    'relaxed',
  ]);
  assert.deepEqual(parseBenchOptions(['--shapes', 'x', '--sections', 'train']).sections, ['train']);
  assert.throws(() => parseBenchOptions(['--sections', 'conv,nope']), /unknown section "nope"/);
});

test('arrayBufferGrowth counts a buffer allocated during the call', async () => {
  const bytes = 4 * 1024 * 1024;
  let kept: Float32Array | undefined;
  const growth = await arrayBufferGrowth(() => {
    kept = new Float32Array(bytes / 4);
  });
  assert.equal(kept?.byteLength, bytes);
  assert.ok(growth >= bytes, `growth ${growth}`);
});
