/**
 * Adversarial acceptance of the model runtime (review of issue 15's merge): manifests that are legal
 * but unusual must give tfjs' values, and options of the wrong type must be refused, never ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../src/errors.js';
import type { LayersModelArtifacts } from '../src/io/tfjs_layers.js';
import { loadLayersModel } from '../src/runtime/index.js';
import { artifactsOf, randomInput, seedWeights } from './helpers/tfjs_models.js';

async function denseModel(): Promise<LayersModelArtifacts> {
  await tf.setBackend('cpu');
  const m = tfl.sequential();
  m.add(tfl.layers.inputLayer({ inputShape: [4] }));
  m.add(tfl.layers.dense({ units: 2, name: 'd' }));
  seedWeights(m, 5);
  return artifactsOf(m);
}

test('a manifest that lists a weight name twice: the last entry is used, as tfjs does', async () => {
  const artifacts = await denseModel();
  const specs = artifacts.weightSpecs ?? [];
  const kernel = specs.find((s) => s.name.endsWith('/kernel'));
  assert.ok(kernel, 'the Dense model has a kernel');
  const first = new Float32Array(artifacts.weightData as ArrayBuffer);
  const data = new Float32Array(first.length + 8);
  data.set(first);
  data.set(
    Array.from({ length: 8 }, (_, i) => 3 - i),
    first.length,
  );
  const doubled = { ...artifacts, weightSpecs: [...specs, { ...kernel }], weightData: data.buffer };
  const x = randomInput([3, 4], 1);
  const theirs = await tfl.loadLayersModel(tf.io.fromMemory(doubled as tf.io.ModelArtifacts));
  const want = tf.tidy(() => (theirs.predict(tf.tensor(x.data, [3, 4])) as tf.Tensor).dataSync());
  const got = (await loadLayersModel(doubled)).predict(x).data;
  assert.equal(got.length, want.length, 'output size');
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])),
      `output ${i}: ${got[i]} vs tfjs ${want[i]}`,
    );
  }
});

test('predict refuses a profile option that is not true or false', async () => {
  const model = await loadLayersModel(await denseModel());
  const x = randomInput([1, 4], 2);
  for (const profile of ['yes', 1, null]) {
    assert.throws(
      () => model.predict(x, { profile } as never),
      (e: unknown) => e instanceof InvalidArgumentError && /profile must be true or false/.test(e.message),
      `profile ${String(profile)}`,
    );
    await assert.rejects(
      model.predictAsync(x, { profile } as never),
      (e: unknown) => e instanceof InvalidArgumentError && /profile must be true or false/.test(e.message),
      `predictAsync profile ${String(profile)}`,
    );
  }
  model.predict(x, { profile: true });
  assert.ok(model.lastProfile && model.lastProfile.length > 0, 'profile: true still records step times');
});

test('steps and arena check their batch and threads as predict does', async () => {
  const model = await loadLayersModel(await denseModel());
  for (const batch of [0, -1, 1.5, NaN, '2']) {
    for (const call of [() => model.steps(batch as never), () => model.arena(batch as never)]) {
      assert.throws(
        call,
        (e: unknown) =>
          e instanceof InvalidArgumentError && /^LayersModel\.(steps|arena): batch must be/.test(e.message),
        `batch ${String(batch)}`,
      );
    }
  }
  for (const threads of [0, NaN, '2', 1000]) {
    assert.throws(
      () => model.steps(1, threads as never),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /^LayersModel\.steps: threads must be/.test(e.message),
      `threads ${String(threads)}`,
    );
  }
  assert.equal(model.steps(2, 1).length, model.steps(1).length, 'a valid batch and thread count still plan');
});
