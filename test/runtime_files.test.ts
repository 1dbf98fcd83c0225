/**
 * loadLayersModel's sources: model.json and its shards by path, by folder, by file:// URL and over
 * HTTP, all giving the artifacts' predictions; a missing or short shard is an error naming it; and a
 * model convkit's own training stack saved (as `convkit train-mnist --save` does) loads too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError, UnsupportedModelError } from '../src/errors.js';
import { saveTfjsLayersModel } from '../src/io/tfjs_layers_files.js';
import { loadLayersModel } from '../src/runtime/index.js';
import { createLenet } from '../src/train/lenet.js';
import { artifactsOf, randomInput, relativeError, seedWeights } from './helpers/tfjs_models.js';

/** Writes a tfjs model as model.json + two shards split mid-float; returns the folder. */
async function writeModel(): Promise<{ dir: string; model: tfl.LayersModel }> {
  await tf.setBackend('cpu');
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 5, activation: 'softmax' }),
    ],
  });
  seedWeights(model, 3);
  const a = await artifactsOf(model);
  const bytes = new Uint8Array(a.weightData as ArrayBuffer);
  const dir = mkdtempSync(join(tmpdir(), 'convkit-model-'));
  const cut = 4 * 50 + 2;
  writeFileSync(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, cut));
  writeFileSync(join(dir, 'group1-shard2of2.bin'), bytes.subarray(cut));
  const json = {
    format: 'layers-model',
    generatedBy: 'test',
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: a.weightSpecs }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return { dir, model };
}

test('model.json by path, folder, file:// URL and http:// URL all load, with shards concatenated', async () => {
  const { dir, model } = await writeModel();
  const x = randomInput([2, 8, 8, 3], 5);
  const want = (model.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync() as Float32Array;
  const server = createServer((req, res) => {
    try {
      res.end(readFileSync(join(dir, (req.url ?? '/').slice(1))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const sources = [
      join(dir, 'model.json'),
      dir,
      pathToFileURL(join(dir, 'model.json')).href,
      pathToFileURL(join(dir, 'model.json')),
      `http://127.0.0.1:${port}/model.json`,
    ];
    for (const source of sources) {
      const ours = await loadLayersModel(source);
      assert.ok(relativeError(ours.predict(x).data, want) < 2e-5, `predictions from ${String(source)}`);
    }
    await assert.rejects(
      loadLayersModel(`http://127.0.0.1:${port}/nothing.json`),
      (e: Error) => e instanceof InvalidArgumentError && /answered HTTP 404/.test(e.message),
      'HTTP 404',
    );
  } finally {
    server.close();
    rmSync(dir, { recursive: true });
  }
});

test('a missing or short shard is an error naming it; an unsupported layer is reported before shards are read', async () => {
  const { dir } = await writeModel();
  try {
    truncateSync(join(dir, 'group1-shard2of2.bin'), 10);
    await assert.rejects(
      loadLayersModel(dir),
      (e: Error) =>
        e instanceof InvalidArgumentError &&
        /shards \["group1-shard1of2.bin","group1-shard2of2.bin"\] of .*model.json hold \d+ bytes but the manifest lists \d+ \(short or missing shard\)/.test(
          e.message,
        ),
      'short shard',
    );
    unlinkSync(join(dir, 'group1-shard2of2.bin'));
    await assert.rejects(
      loadLayersModel(join(dir, 'model.json')),
      (e: Error) =>
        e instanceof InvalidArgumentError &&
        /shard "group1-shard2of2.bin" listed in .* is missing/.test(e.message),
      'missing shard',
    );
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: { class_name: string }[] } };
    };
    json.modelTopology.config.layers[1].class_name = 'LayerNormalization';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await assert.rejects(
      loadLayersModel(dir),
      (e: Error) =>
        e instanceof UnsupportedModelError && /\(LayerNormalization\) is a layer class/.test(e.message),
      'unsupported layer reported although a shard is missing',
    );
    writeFileSync(join(dir, 'model.json'), '{ not json');
    await assert.rejects(loadLayersModel(dir), /is not JSON/, 'not JSON');
    await assert.rejects(loadLayersModel(join(dir, 'nope')), /does not exist/, 'no such path');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("a model saved by convkit's training stack (train-mnist --save) loads and predicts the same", async () => {
  const lenet = createLenet({ seed: 4, hiddenUnits: 16 });
  const dir = mkdtempSync(join(tmpdir(), 'convkit-lenet-'));
  try {
    saveTfjsLayersModel(lenet, dir);
    const ours = await loadLayersModel(dir);
    const x = randomInput([3, 28, 28, 1], 8);
    const err = relativeError(ours.predict(x).data, lenet.predict(x).data);
    assert.ok(err < 1e-5, `LeNet relative error ${err}`);
    assert.ok(ours.summary().includes('(MaxPooling2D)'), 'summary lists the pooling layers');
  } finally {
    rmSync(dir, { recursive: true });
  }
});
