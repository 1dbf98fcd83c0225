/**
 * predictAsync: igemm convolutions on several threads run on the worker pool (the calling thread
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
