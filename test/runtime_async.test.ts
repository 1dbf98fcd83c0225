/**
 * predictAsync: igemm and Winograd convolutions on several threads run on the worker pool (the calling thread
 * waits without blocking) and give predict's values, bit for bit; calls on one model queue; predict
 * while one is in flight is a clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadLayersModel } from '../src/runtime/index.js';
import { parallelEngine } from '../src/parallel/parallel_engine.js';
import { conv2dAsync } from '../src/parallel/conv2d_async.js';
import { conv2d, randomNormal } from '../src/index.js';
import { artifactsOf, randomInput, relativeError, seedWeights, tfjsPredict } from './helpers/tfjs_models.js';

test('predictAsync runs igemm on the workers and matches predict bit for bit', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const model = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [24, 24, 16], filters: 32, kernelSize: 1, activation: 'relu' }),
      L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
      L.conv2d({ filters: 24, kernelSize: 1 }),
      L.globalAveragePooling2d({}),
    ],
  });
  seedWeights(model, 2);
  const ours = await loadLayersModel(await artifactsOf(model));
  const x = randomInput([2, 24, 24, 16], 3);
  assert.ok(
    ours.steps(2, 2).some((s) => s.runAsync),
    'a step has an asynchronous form on two threads',
  );
  const sync = ours.predict(x, { threads: 2 });
  const workersBefore =
    parallelEngine()
      ?.pool.callsRunByWorkers()
      .reduce((a, b) => a + b, 0) ?? 0;
  const pending = ours.predictAsync(x, { threads: 2 });
  assert.throws(() => ours.predict(x), /is running predictAsync; await it/, 'predict during predictAsync');
  const [a, b] = await Promise.all([pending, ours.predictAsync(x, { threads: 2, profile: true })]);
  const workersAfter =
    parallelEngine()
      ?.pool.callsRunByWorkers()
      .reduce((p, q) => p + q, 0) ?? 0;
  assert.ok(
    workersAfter > workersBefore,
    `the workers ran kernel calls (${workersBefore} -> ${workersAfter})`,
  );
  assert.deepEqual(a.data, sync.data, 'predictAsync = predict');
  assert.deepEqual(b.data, sync.data, 'a queued predictAsync = predict');
  assert.equal(ours.lastProfile?.length, ours.steps(2, 2).length, 'profiled');
  assert.ok(relativeError(a.data, tfjsPredict(model, x)[0]) < 1e-5, 'values');
});

test('Winograd steps and conv2dAsync with winograd run on the workers too, with the same bits', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const model = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [20, 20, 16], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.conv2d({ filters: 32, kernelSize: 3, padding: 'same' }),
      L.globalAveragePooling2d({}),
    ],
  });
  seedWeights(model, 5);
  const ours = await loadLayersModel(await artifactsOf(model));
  const x = randomInput([2, 20, 20, 16], 6);
  const steps = ours.steps(2, 2);
  assert.ok(
    steps.some((s) => s.algorithm.startsWith('winograd') && s.runAsync),
    `a Winograd step has an asynchronous form: ${steps.map((s) => s.algorithm).join(', ')}`,
  );
  const sync = ours.predict(x, { threads: 1 });
  const count = () =>
    parallelEngine()
      ?.pool.callsRunByWorkers()
      .reduce((p, q) => p + q, 0) ?? 0;
  const before = count();
  const got = await ours.predictAsync(x, { threads: 2 });
  assert.ok(count() > before, 'the workers ran kernel calls');
  assert.deepEqual(got.data, sync.data, 'predictAsync = predict on one thread, bit for bit');
  assert.ok(relativeError(got.data, tfjsPredict(model, x)[0]) < 1e-4, 'values');

  // conv2dAsync: the same Winograd on the workers as conv2d on one thread, finite or not.
  const xs = randomNormal([2, 17, 19, 24], { seed: 7 });
  const ws = randomNormal([3, 3, 24, 40], { seed: 8 });
  const options = { padding: 'SAME' as const, algorithm: 'winograd' as const };
  const one = conv2d(xs, ws, { ...options, threads: 1 });
  const workers = count();
  const two = await conv2dAsync(xs, ws, { ...options, threads: 2 });
  assert.ok(count() > workers, 'conv2dAsync ran Winograd on the workers');
  assert.deepEqual(two.data, one.data, 'conv2dAsync winograd = conv2d, bit for bit');
  xs.data[5] = Infinity;
  const oneInf = conv2d(xs, ws, { ...options, threads: 1 });
  const twoInf = await conv2dAsync(xs, ws, { ...options, threads: 2 });
  for (let i = 0; i < oneInf.data.length; i++) {
    const same =
      Object.is(oneInf.data[i], twoInf.data[i]) || (isNaN(oneInf.data[i]) && isNaN(twoInf.data[i]));
    assert.ok(same, `non-finite input, element ${i}: ${twoInf.data[i]} vs ${oneInf.data[i]}`);
  }
});
