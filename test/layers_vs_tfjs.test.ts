/**
 * The layers against an independent engine: the same model and weights in tfjs-layers (cpu backend)
 * must give the same forward values and, through tf.variableGrads, the same gradients as convkit's
 * hand-written backward passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Tensor } from '../src/tensor.js';
import { Conv2D, Dense, Flatten, MaxPooling2D, ReLU, Sequential } from '../src/layers/index.js';
import { toTfjsArtifacts } from '../src/io/tfjs_layers.js';
import { createRng } from '../src/layers/random.js';

async function asTfjs(model: Sequential): Promise<tfl.LayersModel> {
  const a = toTfjsArtifacts(model);
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: a.modelTopology as object,
      weightSpecs: a.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: a.weightData,
    }),
  );
}

test('forward values and every weight gradient match tfjs-layers', async () => {
  await tf.setBackend('cpu');
  const model = new Sequential({
    seed: 12,
    inputShape: [11, 10, 2],
    layers: [
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      new MaxPooling2D({ poolSize: 2, padding: 'same' }),
      new Conv2D({ filters: 6, kernelSize: [2, 3], strides: [1, 2] }),
      new ReLU(),
      // No dilation here: tfjs has no conv2d gradient with dilations (the finite-difference checks cover it).
      new Conv2D({ filters: 3, kernelSize: 2, activation: 'relu' }),
      new Flatten(),
      new Dense({ units: 8, activation: 'relu' }),
      new Dense({ units: 5, activation: 'softmax' }),
    ],
  });
  // Non-zero biases, so their gradients and their effect on the forward pass both count.
  const rng = createRng(3);
  for (const { parameter } of model.parameters()) {
    if (parameter.name === 'bias') parameter.value.forEach((_, i, v) => (v[i] = 0.2 * (rng.next() - 0.5)));
  }
  const tfjsModel = await asTfjs(model);
  const batch = 6;
  const values = Float32Array.from({ length: batch * 11 * 10 * 2 }, () => 2 * rng.next() - 1);
  const labels = [0, 4, 2, 1, 3, 2];

  const ours = model.predict(new Tensor(values, [batch, 11, 10, 2]));
  const xs = tf.tensor4d(values, [batch, 11, 10, 2]);
  const theirs = (tfjsModel.predict(xs) as tf.Tensor).dataSync();
  for (let i = 0; i < theirs.length; i++) assert.ok(Math.abs(ours.data[i] - theirs[i]) < 1e-5, `output ${i}`);

  const { loss } = model.computeGradients(new Tensor(values, [batch, 11, 10, 2]), labels);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 5);
  const variables = tfjsModel.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const p = tfjsModel.apply(xs, { training: true }) as tf.Tensor;
    return tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.log(p)), 1))) as tf.Scalar;
  }, variables);
  assert.ok(Math.abs(loss - value.dataSync()[0]) < 1e-5, `loss ${loss} vs ${value.dataSync()[0]}`);

  const parameters = model.parameters();
  assert.equal(parameters.length, variables.length);
  variables.forEach((variable, i) => {
    const expected = grads[variable.name].dataSync();
    const actual = parameters[i].parameter.grad;
    assert.equal(actual.length, expected.length);
    let scale = 0;
    for (const g of expected) scale = Math.max(scale, Math.abs(g));
    assert.ok(scale > 0, `${variable.name}: tfjs gradient is not all zero`);
    for (let j = 0; j < expected.length; j++) {
      assert.ok(
        Math.abs(actual[j] - expected[j]) <= 1e-5 * scale + 1e-7,
        `${parameters[i].layer.name}/${parameters[i].parameter.name}[${j}]: ${actual[j]} vs tfjs ${expected[j]}`,
      );
    }
  });
  tfjsModel.dispose();
});
