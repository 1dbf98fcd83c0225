/**
 * Bad models and bad calls give clear errors: unsupported layers and options (before any weight is
 * read), manifests that do not match the layers, short or extra weight data, cyclic and dangling
 * graphs, and inputs of the wrong shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError, UnsupportedModelError } from '../src/errors.js';
import type { LayersModelArtifacts } from '../src/io/tfjs_layers.js';
import { loadLayersModel } from '../src/runtime/index.js';
import { Tensor } from '../src/tensor.js';
import { artifactsOf, randomInput, seedWeights } from './helpers/tfjs_models.js';

interface Topology {
  class_name: string;
  config: {
    layers: {
      name?: string;
      class_name: string;
      config: Record<string, unknown>;
      inbound_nodes: unknown[];
    }[];
    output_layers?: unknown;
  };
}

/** conv1 -> bn -> dense head, functional; artifacts plus a deep copy of the topology to edit. */
async function baseModel(): Promise<{ artifacts: LayersModelArtifacts; topology: () => Topology }> {
  await tf.setBackend('cpu');
  const input = tfl.input({ shape: [6, 6, 2], name: 'img' });
  const c1 = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, name: 'conv1' })
    .apply(input) as tfl.SymbolicTensor;
  const c2 = tfl.layers
    .conv2d({ filters: 3, kernelSize: 1, name: 'conv2', activation: 'relu' })
    .apply(c1) as tfl.SymbolicTensor;
  const out = tfl.layers.flatten({ name: 'flat' }).apply(c2) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out, name: 'base' });
  seedWeights(model, 1);
  const artifacts = await artifactsOf(model);
  return { artifacts, topology: () => JSON.parse(JSON.stringify(artifacts.modelTopology)) as Topology };
}

function layer(t: Topology, name: string) {
  return t.config.layers.find((l) => (l.name ?? l.config.name) === name)!;
}

/** Artifacts whose weights must not be read: touching weightData fails the test. */
function untouchable(a: LayersModelArtifacts, topology: Topology): LayersModelArtifacts {
  return {
    modelTopology: topology,
    weightSpecs: a.weightSpecs,
    get weightData(): ArrayBuffer {
      throw new Error('weights were read before the model was validated');
    },
  };
}

async function rejects(
  promise: Promise<unknown>,
  type: new (message: string) => Error,
  pattern: RegExp,
  what: string,
) {
  await assert.rejects(promise, (e: Error) => e instanceof type && pattern.test(e.message), what);
}

test('unsupported layers, options, activations and dtypes are UnsupportedModelErrors raised before any weight is read', async () => {
  const { artifacts, topology } = await baseModel();
  const edits: [string, (t: Topology) => void, RegExp][] = [
    [
      'unknown layer class',
      (t) => (layer(t, 'conv2').class_name = 'LSTM'),
      /layer 'conv2' \(LSTM\) is a layer class convkit does not support/,
    ],
    [
      'channels_first',
      (t) => (layer(t, 'conv1').config.data_format = 'channels_first'),
      /layer 'conv1' \(Conv2D\) option data_format is "channels_first"/,
    ],
    [
      'int32 dtype',
      (t) => (layer(t, 'conv1').config.dtype = 'int32'),
      /layer 'conv1' \(Conv2D\) option dtype is "int32"/,
    ],
    [
      'unknown activation',
      (t) => (layer(t, 'conv2').config.activation = 'elu'),
      /layer 'conv2' \(Conv2D\) option activation is "elu"/,
    ],
    ['causal padding', (t) => (layer(t, 'conv1').config.padding = 'causal'), /option padding is "causal"/],
    [
      'input without shape',
      (t) => delete layer(t, 'img').config.batch_input_shape,
      /layer 'img' \(InputLayer\) option batch_input_shape is missing/,
    ],
    [
      'input with a zero-size dimension',
      (t) => (layer(t, 'img').config.batch_input_shape = [null, 0, 8, 3]),
      /option batch_input_shape is \[null,0,8,3\]; a dimension of 0 leaves nothing to compute/,
    ],
    ['unknown model class', (t) => (t.class_name = 'Graph'), /modelTopology has class_name "Graph"/],
    [
      'no model class',
      (t) => delete (t as { class_name?: unknown }).class_name,
      /modelTopology has no class_name; convkit reads Sequential/,
    ],
  ];
  for (const [what, edit, pattern] of edits) {
    const t = topology();
    edit(t);
    await rejects(loadLayersModel(untouchable(artifacts, t)), UnsupportedModelError, pattern, what);
  }
  const bn = tfl.sequential({
    layers: [tfl.layers.batchNormalization({ inputShape: [4, 3], axis: 1, name: 'bn' })],
  });
  await rejects(
    loadLayersModel(await artifactsOf(bn)),
    UnsupportedModelError,
    /layer 'bn' \(BatchNormalization\) option axis is 1/,
    'BatchNormalization over axis 1',
  );
});

test('cyclic and dangling graphs are clear errors', async () => {
  const { artifacts, topology } = await baseModel();
  const cyclic = topology();
  layer(cyclic, 'conv1').inbound_nodes = [[['conv2', 0, 0, {}]]];
  await rejects(
    loadLayersModel(untouchable(artifacts, cyclic)),
    UnsupportedModelError,
    /cycle through layers 'conv1', 'conv2'/,
    'cycle',
  );
  const dangling = topology();
  layer(dangling, 'conv2').inbound_nodes = [[['nowhere', 0, 0, {}]]];
  await rejects(
    loadLayersModel(untouchable(artifacts, dangling)),
    UnsupportedModelError,
    /layer 'conv2' refers to layer 'nowhere'.*dangling/,
    'dangling layer',
  );
  const badNode = topology();
  layer(badNode, 'conv2').inbound_nodes = [[['conv1', 3, 0, {}]]];
  await rejects(
    loadLayersModel(untouchable(artifacts, badNode)),
    UnsupportedModelError,
    /refers to node 3 of layer 'conv1', which has 1/,
    'dangling node',
  );
  const badOutput = topology();
  badOutput.config.output_layers = [['gone', 0, 0]];
  await rejects(
    loadLayersModel(untouchable(artifacts, badOutput)),
    UnsupportedModelError,
    /output_layers refers to layer 'gone'/,
    'dangling output',
  );
});

test('weights that do not match the manifest, and short or long weight data, are errors (never a half-loaded model)', async () => {
  const { artifacts, topology } = await baseModel();
  const specs = artifacts.weightSpecs;
  const data = artifacts.weightData as ArrayBuffer;
  const missing = specs.filter((s) => s.name !== 'conv2/bias');
  await rejects(
    loadLayersModel({
      modelTopology: topology(),
      weightSpecs: missing,
      weightData: data.slice(0, data.byteLength - 12),
    }),
    InvalidArgumentError,
    /has no weight 'conv2\/bias' \(layer 'conv2', Conv2D\)/,
    'missing weight',
  );
  const reshaped = specs.map((s) => (s.name === 'conv1/kernel' ? { ...s, shape: [3, 3, 1, 6] } : s));
  await rejects(
    loadLayersModel({ modelTopology: topology(), weightSpecs: reshaped, weightData: data }),
    InvalidArgumentError,
    /weight "conv1\/kernel" has shape \[3,3,1,6\] but layer 'conv1' \(Conv2D\) needs \[3,3,2,3\]/,
    'wrong weight shape',
  );
  await rejects(
    loadLayersModel({
      modelTopology: topology(),
      weightSpecs: specs,
      weightData: data.slice(0, data.byteLength - 4),
    }),
    InvalidArgumentError,
    new RegExp(
      `hold ${data.byteLength - 4} bytes but the manifest lists ${data.byteLength} \\(short or missing shard\\)`,
    ),
    'short weight data',
  );
  const longer = new Uint8Array(data.byteLength + 8);
  longer.set(new Uint8Array(data));
  await rejects(
    loadLayersModel({ modelTopology: topology(), weightSpecs: specs, weightData: longer.buffer }),
    InvalidArgumentError,
    /extra bytes/,
    'long weight data',
  );
  const quantized = specs.map((s) =>
    s.name === 'conv1/kernel' ? { ...s, quantization: { dtype: 'uint8', scale: 1, min: 0 } } : s,
  );
  await rejects(
    loadLayersModel({ modelTopology: topology(), weightSpecs: quantized, weightData: data }),
    UnsupportedModelError,
    /weight "conv1\/kernel" of layer 'conv1' \(Conv2D\) is "float32" \(quantized\)/,
    'quantized weight',
  );
});

test('predict checks its input against the model and its options; bad sources and backends are clear errors', async () => {
  const { artifacts } = await baseModel();
  const model = await loadLayersModel(artifacts);
  assert.deepEqual(model.inputs[0].shape, [null, 6, 6, 2], 'inputs');
  assert.deepEqual(model.outputs[0].shape, [null, 48], 'outputs');
  const cases: [unknown, RegExp][] = [
    [
      randomInput([6, 6, 2], 1),
      /input has shape \[6,6,2\] but model 'base' expects \[batch, 6, 6, 2\] \(rank 4\)/,
    ],
    [randomInput([1, 6, 6, 3], 1), /input has shape \[1,6,6,3\] but model 'base' expects \[batch, 6, 6, 2\]/],
    [new Tensor(new Float32Array(0), [0, 6, 6, 2]), /input has batch 0; the batch must be at least 1/],
    [
      [randomInput([1, 6, 6, 2], 1), randomInput([1, 6, 6, 2], 1)],
      /x has 2 tensors but model 'base' takes 1 inputs/,
    ],
    ['pixels', /must be a Tensor/i],
  ];
  for (const [x, pattern] of cases) {
    assert.throws(
      () => model.predict(x as Tensor),
      (e: Error) => e instanceof InvalidArgumentError && pattern.test(e.message),
      String(pattern),
    );
  }
  const x = randomInput([1, 6, 6, 2], 1);
  assert.throws(() => model.predict(x, { thread: 2 } as never), /unknown option "thread"/, 'unknown option');
  assert.throws(() => model.predict(x, { threads: 0 }), /threads/, 'threads 0');
  await rejects(
    loadLayersModel(42 as never),
    InvalidArgumentError,
    /source must be model.json's path/,
    'number source',
  );
  await rejects(
    loadLayersModel(artifacts, { backend: 'cuda' as never }),
    InvalidArgumentError,
    /backend must be 'wasm' or 'webgpu', got "cuda"/,
    'unknown backend',
  );
  await rejects(
    loadLayersModel('ftp://example.com/model.json'),
    InvalidArgumentError,
    /protocol "ftp:"/,
    'ftp',
  );
});
