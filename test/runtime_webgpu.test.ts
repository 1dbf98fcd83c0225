/**
 * loadLayersModel(source, { backend: 'webgpu' }) on Dawn's SwiftShader adapter: small tfjs-layers
 * models covering every layer kind the GPU runtime runs (convolutions with every activation fused,
 * depthwise, separable, Dense, BatchNormalization folded and alone, pooling, global pooling, padding,
 * concatenation, broadcasting add / multiply, Rescaling, Conv2DTranspose, the aliases), a residual
 * block and a MobileNet-like block, at batch 1 and 3. The GPU model's predictAsync must equal the CPU runtime's
 * predict (precision 'highest', so no CPU Winograd) within 1e-5 of the output's scale (1e-4 where the
 * GPU's Winograd runs). predict is refused on a GPU model, and a model the GPU cannot run (a rank-7
 * broadcasting Add) is refused at load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError, UnsupportedModelError } from '../src/errors.js';
import { loadLayersModel, type LayersModel } from '../src/runtime/index.js';
import type { LayersModelArtifacts } from '../src/io/tfjs_layers.js';
import { artifactsOf, randomInput, seedWeights } from './helpers/tfjs_models.js';
import type { Tensor } from '../src/tensor.js';
import { sharedWebGPU } from '../src/gpu/one_call.js';

type Sym = tfl.SymbolicTensor;
const L = tfl.layers;
const apply = (layer: tfl.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

function seq(inputShape: number[], ...layers: tfl.layers.Layer[]): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(L.inputLayer({ inputShape }));
  for (const l of layers) m.add(l);
  return m;
}

function fn(shape: number[], body: (x: Sym) => Sym | Sym[]): tfl.LayersModel {
  const input = tfl.input({ shape });
  return tfl.model({ inputs: input, outputs: body(input) });
}

const IMG = [6, 5, 4];

/** Largest |gpu - cpu| over the largest |cpu| (the output's scale). */
function scaledError(gpu: Float32Array, cpu: Float32Array): number {
  assert.equal(gpu.length, cpu.length, 'the GPU output has as many values as the CPU output');
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < cpu.length; i++) {
    if (Number.isNaN(gpu[i]) !== Number.isNaN(cpu[i])) return Infinity;
    worst = Math.max(worst, Math.abs(gpu[i] - cpu[i]));
    scale = Math.max(scale, Math.abs(cpu[i]));
  }
  return scale === 0 ? worst : worst / scale;
}

async function load(artifacts: LayersModelArtifacts, fuse = true): Promise<[LayersModel, LayersModel]> {
  const cpu = await loadLayersModel(artifacts, { precision: 'highest', fuse, warmup: false });
  const gpu = await loadLayersModel(artifacts, { backend: 'webgpu', fuse });
  return [cpu, gpu];
}

/** Compares every output of the GPU model with the CPU runtime's at batch 1 and 3. */
async function check(name: string, build: () => tfl.LayersModel, tolerance = 1e-5, fuse = true) {
  const model = build();
  seedWeights(model, 7);
  const [cpu, gpu] = await load(await artifactsOf(model), fuse);
  try {
    for (const batch of [1, 3]) {
      const x = randomInput([batch, ...(cpu.inputs[0].shape.slice(1) as number[])], 11 + batch);
      const want = cpu.predictAll(x);
      const got = await gpu.predictAllAsync(x);
      assert.equal(got.length, want.length, `${name}: as many outputs on the GPU as on the CPU`);
      got.forEach((g: Tensor, i) => {
        assert.deepEqual(g.shape, want[i].shape, `${name}: output ${i} shape at batch ${batch}`);
        const err = scaledError(g.data, want[i].data);
        assert.ok(err <= tolerance, `${name}: output ${i} at batch ${batch} is off by ${err} of its scale`);
      });
    }
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
}

const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'swish',
  'softmax',
] as const;

test('Conv2D with every activation fused (one output each), strides, dilation, no bias', async () => {
  await check('activations', () =>
    fn(IMG, (x) => [
      ...ACTIVATIONS.map((activation) =>
        apply(L.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation }), x),
      ),
      apply(L.conv2d({ filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: 'same' }), x),
      apply(L.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, useBias: false }), x),
    ]),
  );
});

test('activation layers alone: Activation, ReLU(max 6), LeakyReLU, Softmax on the channel and another axis', async () => {
  await check('activation layers', () =>
    fn(IMG, (x) => [
      ...ACTIVATIONS.map((activation) => apply(L.activation({ activation }), x)),
      apply(L.reLU({ maxValue: 6 }), x),
      apply(L.leakyReLU({ alpha: 0.1 }), x),
      apply(L.softmax({ axis: -1 }), x),
      apply(L.softmax({ axis: 2 }), x),
    ]),
  );
});

test('residual block: Conv2D-BN-ReLU-Conv2D-BN-Add-ReLU (BN folded, Add fused)', async () => {
  const block = () =>
    fn(IMG, (x) => {
      let y = apply(
        L.reLU(),
        apply(L.batchNormalization(), apply(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), x)),
      );
      y = apply(L.batchNormalization(), apply(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), y));
      return apply(L.reLU(), apply(L.add(), [y, x]));
    });
  await check('residual block', block);
  await check('residual block, unfused', block, 1e-5, false);
});

test('MobileNet-like block: Conv2D/BN/ReLU6, DepthwiseConv2D/BN/ReLU6, 1x1 Conv2D/BN, Add; SeparableConv2D', async () => {
  await check('mobilenet block', () =>
    fn([6, 6, 8], (x) => {
      let y = apply(
        L.reLU({ maxValue: 6 }),
        apply(L.batchNormalization(), apply(L.conv2d({ filters: 16, kernelSize: 1 }), x)),
      );
      y = apply(
        L.reLU({ maxValue: 6 }),
        apply(L.batchNormalization(), apply(L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }), y)),
      );
      y = apply(L.batchNormalization(), apply(L.conv2d({ filters: 8, kernelSize: 1, useBias: false }), y));
      const z = apply(L.add(), [y, x]);
      return [
        z,
        apply(
          L.depthwiseConv2d({
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            depthMultiplier: 2,
            activation: 'relu',
          }),
          z,
        ),
        apply(L.separableConv2d({ filters: 5, kernelSize: 3, activation: 'relu6' }), z),
      ];
    }),
  );
});

test('pooling, padding, concatenation, BatchNormalization alone, Rescaling', async () => {
  await check('pooling and concat', () =>
    fn(IMG, (x) => {
      const r = apply(L.rescaling({ scale: 1 / 127.5, offset: -1 }), x);
      const p = apply(
        L.zeroPadding2d({
          padding: [
            [1, 0],
            [2, 1],
          ],
        }),
        r,
      );
      const a = apply(L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), p);
      const b = apply(L.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }), p);
      const c = apply(L.averagePooling2d({ poolSize: [1, 2], strides: [2, 2], padding: 'valid' }), p);
      const cat = apply(L.concatenate(), [a, b, apply(L.batchNormalization(), c)]);
      return [
        cat,
        apply(L.concatenate({ axis: 2 }), [a, b]),
        apply(L.globalAveragePooling2d({}), cat),
        apply(L.globalMaxPooling2d({}), cat),
        apply(L.maxPooling2d({ poolSize: 2 }), x),
      ];
    }),
  );
});

test('broadcasting Add / Multiply (squeeze-excite), three-input Add', async () => {
  await check('broadcast', () =>
    fn(IMG, (x) => {
      const se = apply(
        L.reshape({ targetShape: [1, 1, 4] }),
        apply(L.dense({ units: 4, activation: 'sigmoid' }), apply(L.globalAveragePooling2d({}), x)),
      );
      return [apply(L.multiply(), [x, se]), apply(L.add(), [x, se, x])];
    }),
  );
});

test('Flatten, Dense + ReLU, Dropout, Dense + softmax; Dense on a rank-3 input', async () => {
  await check('dense', () =>
    seq(
      IMG,
      L.flatten(),
      L.dense({ units: 12, activation: 'relu' }),
      L.dropout({ rate: 0.5 }),
      L.dense({ units: 6, activation: 'softmax' }),
    ),
  );
  await check('dense rank 3', () => seq([3, 5], L.dense({ units: 4 }), L.batchNormalization()));
});

test('Conv2D 3x3 with 32 channels in and out (the GPU planner picks Winograd): within 1e-4', async () => {
  const plan = (await sharedWebGPU()).planConv2d([3, 5, 4, 32], [3, 3, 32, 32], { padding: 'SAME' });
  assert.equal(plan.algorithm, 'winograd', 'the GPU planner runs this layer by Winograd');
  await check(
    'winograd',
    () => seq([5, 4, 32], L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' })),
    1e-4,
  );
});

test('a shared layer (one Conv2D applied twice) and a nested Sequential', async () => {
  await check('shared layer', () =>
    fn(IMG, (x) => {
      const shared = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh' });
      const inner = seq(IMG, L.conv2d({ filters: 4, kernelSize: 1 }), L.reLU());
      return apply(shared, apply(inner, apply(shared, x)));
    }),
  );
});

test('two inputs, two outputs (predictAllAsync), one output also read by a later layer', async () => {
  const a = tfl.input({ shape: IMG });
  const b = tfl.input({ shape: [6, 5, 2] });
  const cat = apply(L.concatenate(), [apply(L.conv2d({ filters: 3, kernelSize: 1 }), a), b]);
  const model = tfl.model({
    inputs: [a, b],
    outputs: [cat, apply(L.globalAveragePooling2d({}), apply(L.conv2d({ filters: 2, kernelSize: 3 }), cat))],
  });
  seedWeights(model, 9);
  const [cpu, gpu] = await load(await artifactsOf(model));
  try {
    const xs = [randomInput([2, ...IMG], 3), randomInput([2, 6, 5, 2], 4)];
    const want = cpu.predictAll(xs);
    const got = await gpu.predictAllAsync(xs);
    got.forEach((g, i) => {
      const err = scaledError(g.data, want[i].data);
      assert.ok(err <= 1e-5, `two inputs: output ${i} is off by ${err} of its scale`);
    });
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
});

test('predict (synchronous) on a WebGPU model is refused, naming predictAsync; inputs are checked', async () => {
  const model = seq(IMG, L.conv2d({ filters: 2, kernelSize: 1 }));
  seedWeights(model, 3);
  const gpu = await loadLayersModel(await artifactsOf(model), { backend: 'webgpu' });
  try {
    const x = randomInput([1, ...IMG], 1);
    assert.throws(
      () => gpu.predict(x),
      (e: Error) => e instanceof InvalidArgumentError && /predictAsync/.test(e.message),
      'predict refused',
    );
    assert.throws(() => gpu.predictAll(x), /predictAsync/, 'predictAll refused');
    await assert.rejects(
      gpu.predictAsync(randomInput([1, 5, 5, 4], 1)),
      /expects \[batch, 6, 5, 4\]/,
      'wrong input shape',
    );
    await assert.rejects(
      gpu.predictAsync(x, { threads: 2 }),
      /options.threads applies to the CPU runtime/,
      'a CPU-only option',
    );
    assert.match(gpu.summary(), /Runs on WebGPU/, 'the summary says where the model runs');
  } finally {
    gpu.dispose();
  }
  await assert.rejects(gpu.predictAsync(randomInput([1, ...IMG], 1)), /disposed/, 'a disposed model refuses');
});

test('Conv2DTranspose (valid; stride 2 same with relu; stride 3)', async () => {
  await check('transpose', () =>
    fn(IMG, (x) => [
      apply(L.conv2dTranspose({ filters: 3, kernelSize: 3 }), x),
      apply(
        L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        x,
      ),
      apply(L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3 }), x),
    ]),
  );
});

test('what the GPU cannot run is refused at load, naming the layer, before weights are read', async () => {
  // Broadcasting Add over 7 axes (batch included): the GPU kernel takes at most 6.
  const model = fn([2, 1, 2, 1, 2, 3], (x) => apply(L.add({ name: 'wide_add' }), [x, x]));
  const artifacts = await artifactsOf(model);
  const cpu = await loadLayersModel(artifacts, { warmup: false });
  assert.equal(cpu.outputs[0].shape.length, 7, 'the CPU runtime runs it (rank 7)');
  cpu.dispose();
  await assert.rejects(
    loadLayersModel(artifacts, { backend: 'webgpu' }),
    (e: Error) => e instanceof UnsupportedModelError && /'wide_add' \(Add\).*at most 6 axes/.test(e.message),
    'a rank-7 Add refused on the GPU',
  );
});
