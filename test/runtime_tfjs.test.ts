/**
 * The model runtime against tfjs-layers (cpu backend): every supported layer type and option, alone
 * and in small graphs (residual Add, Concatenate, shared layers, nested Sequential, several inputs and
 * outputs), saved by tfjs' own model.save into artifacts, loaded with loadLayersModel, run fused and
 * unfused at batch 1 and 3, and compared with tfjs' prediction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadLayersModel } from '../src/runtime/index.js';
import { artifactsOf, randomInput, relativeError, seedWeights, tfjsPredict } from './helpers/tfjs_models.js';

type Sym = tfl.SymbolicTensor;
const L = tfl.layers;

/** A Sequential model of `layers` on a [h, w, c] (or other) input. */
function seq(inputShape: number[], ...layers: tfl.layers.Layer[]): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.inputLayer({ inputShape }));
  for (const l of layers) m.add(l);
  return m;
}

/** A functional model built by `body` from one input of `shape`. */
function fn(shape: number[], body: (x: Sym) => Sym | Sym[]): tfl.LayersModel {
  const input = tfl.input({ shape });
  return tfl.model({ inputs: input, outputs: body(input) });
}

const apply = (layer: tfl.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

const IMG = [7, 6, 4];
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

const CASES: [string, () => tfl.LayersModel, number[]][] = [
  ['Conv2D valid', () => seq(IMG, L.conv2d({ filters: 5, kernelSize: 3 })), IMG],
  [
    'Conv2D same, strides [2,1]',
    () => seq(IMG, L.conv2d({ filters: 5, kernelSize: [3, 2], strides: [2, 1], padding: 'same' })),
    IMG,
  ],
  [
    'Conv2D dilation 2, no bias',
    () => seq(IMG, L.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, useBias: false })),
    IMG,
  ],
  ['Conv2D 1x1 stride 2', () => seq(IMG, L.conv2d({ filters: 6, kernelSize: 1, strides: 2 })), IMG],
  [
    'Conv2D 3x3 same, 16 channels (Winograd)',
    () => seq([10, 9, 16], L.conv2d({ filters: 16, kernelSize: 3, padding: 'same' })),
    [10, 9, 16],
  ],
  ...ACTIVATIONS.map((a): [string, () => tfl.LayersModel, number[]] => [
    `Conv2D activation ${a}`,
    () => seq(IMG, L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: a })),
    IMG,
  ]),
  ...ACTIVATIONS.map((a): [string, () => tfl.LayersModel, number[]] => [
    `Activation ${a}`,
    () => seq(IMG, L.activation({ activation: a })),
    IMG,
  ]),
  ['DepthwiseConv2D', () => seq(IMG, L.depthwiseConv2d({ kernelSize: 3 })), IMG],
  [
    'DepthwiseConv2D multiplier 2, stride 2 same, relu',
    () =>
      seq(
        IMG,
        L.depthwiseConv2d({
          kernelSize: 3,
          depthMultiplier: 2,
          strides: 2,
          padding: 'same',
          activation: 'relu',
        }),
      ),
    IMG,
  ],
  [
    // tfjs-layers' DepthwiseConv2D drops dilation_rate (its output is the undilated one), so it cannot be the oracle there;
    // dilated depthwise is covered against tf.depthwiseConv2d in the op's own tests.
    'DepthwiseConv2D kernel [2,3], no bias',
    () => seq(IMG, L.depthwiseConv2d({ kernelSize: [2, 3], useBias: false })),
    IMG,
  ],
  ['SeparableConv2D', () => seq(IMG, L.separableConv2d({ filters: 5, kernelSize: 3 })), IMG],
  [
    // tfjs-layers leaves depth_multiplier out of SeparableConv2D's saved config (its own loader then
    // fails), so the multiplier is covered by DepthwiseConv2D here.
    'SeparableConv2D stride 2 same, relu',
    () =>
      seq(
        IMG,
        L.separableConv2d({
          filters: 3,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
        }),
      ),
    IMG,
  ],
  ['Conv2DTranspose valid', () => seq(IMG, L.conv2dTranspose({ filters: 3, kernelSize: 3 })), IMG],
  [
    'Conv2DTranspose same stride 2, relu',
    () =>
      seq(
        IMG,
        L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      ),
    IMG,
  ],
  [
    'Conv2DTranspose valid stride 3 kernel 2',
    () => seq(IMG, L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3 })),
    IMG,
  ],
  ['Dense', () => seq([12], L.dense({ units: 7 })), [12]],
  ['Dense tanh, no bias', () => seq([12], L.dense({ units: 4, activation: 'tanh', useBias: false })), [12]],
  ['Dense on a rank-3 input (last axis)', () => seq(IMG, L.dense({ units: 3, activation: 'relu' })), IMG],
  ['BatchNormalization alone', () => seq(IMG, L.batchNormalization({ epsilon: 0.01 })), IMG],
  [
    'BatchNormalization center/scale off',
    () => seq(IMG, L.batchNormalization({ center: false, scale: false })),
    IMG,
  ],
  [
    'Conv2D + BatchNormalization (folded)',
    () => seq(IMG, L.conv2d({ filters: 5, kernelSize: 3, padding: 'same' }), L.batchNormalization()),
    IMG,
  ],
  [
    'Dense + BatchNormalization (folded) + ReLU',
    () => seq([9], L.dense({ units: 5 }), L.batchNormalization(), L.reLU()),
    [9],
  ],
  [
    'DepthwiseConv2D + BatchNormalization + ReLU6',
    () =>
      seq(
        IMG,
        L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, useBias: false }),
        L.batchNormalization(),
        L.reLU({ maxValue: 6 }),
      ),
    IMG,
  ],
  [
    'SeparableConv2D + BatchNormalization',
    () => seq(IMG, L.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same' }), L.batchNormalization()),
    IMG,
  ],
  [
    'Conv2DTranspose + BatchNormalization (not folded)',
    () => seq(IMG, L.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2 }), L.batchNormalization()),
    IMG,
  ],
  [
    // 64x64x40 outputs leave wasm memory band by band (> 512 KiB): the fused clamp runs per band.
    'DepthwiseConv2D + BatchNormalization + ReLU6 with a banded output',
    () =>
      seq(
        [64, 64, 40],
        L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }),
        L.batchNormalization(),
        L.reLU({ maxValue: 6 }),
      ),
    [64, 64, 40],
  ],
  [
    // A 1 MiB output: igemm computes it in chunks, and the fused clamp runs on each chunk in wasm memory.
    'Conv2D 1x1 + BatchNormalization + ReLU6 with a chunked igemm output',
    () =>
      seq(
        [64, 64, 16],
        L.conv2d({ filters: 64, kernelSize: 1, useBias: false }),
        L.batchNormalization(),
        L.reLU({ maxValue: 6 }),
      ),
    [64, 64, 16],
  ],
  [
    'DepthwiseConv2D relu, no bias (clamp without bias)',
    () => seq(IMG, L.depthwiseConv2d({ kernelSize: 3, useBias: false, activation: 'relu' })),
    IMG,
  ],
  ['ReLU max_value 6', () => seq(IMG, L.reLU({ maxValue: 6 })), IMG],
  ['LeakyReLU alpha 0.1', () => seq(IMG, L.leakyReLU({ alpha: 0.1 })), IMG],
  ['LeakyReLU default', () => seq(IMG, L.leakyReLU()), IMG],
  ['Softmax layer (TF.js default axis 1)', () => seq([12], L.softmax()), [12]],
  ['Softmax layer axis -1', () => seq(IMG, L.softmax({ axis: -1 })), IMG],
  [
    'Conv2D + Softmax axis 3 (fused)',
    () => seq(IMG, L.conv2d({ filters: 5, kernelSize: 1 }), L.softmax({ axis: 3 })),
    IMG,
  ],
  ['ZeroPadding2D 1', () => seq(IMG, L.zeroPadding2d({ padding: 1 })), IMG],
  [
    'ZeroPadding2D [[1,2],[0,3]]',
    () =>
      seq(
        IMG,
        L.zeroPadding2d({
          padding: [
            [1, 2],
            [0, 3],
          ],
        }),
      ),
    IMG,
  ],
  ['MaxPooling2D 2', () => seq(IMG, L.maxPooling2d({ poolSize: 2 })), IMG],
  [
    'MaxPooling2D 3 stride 2 same',
    () => seq(IMG, L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })),
    IMG,
  ],
  ['AveragePooling2D 2', () => seq(IMG, L.averagePooling2d({ poolSize: 2 })), IMG],
  [
    'AveragePooling2D 3 stride 2 same (padding not counted)',
    () => seq(IMG, L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })),
    IMG,
  ],
  [
    'AveragePooling2D [2,3] strides [1,2] valid',
    () => seq(IMG, L.averagePooling2d({ poolSize: [2, 3], strides: [1, 2] })),
    IMG,
  ],
  ['GlobalAveragePooling2D', () => seq(IMG, L.globalAveragePooling2d({})), IMG],
  ['GlobalMaxPooling2D', () => seq(IMG, L.globalMaxPooling2d({})), IMG],
  ['Flatten + Dense', () => seq(IMG, L.flatten(), L.dense({ units: 3 })), IMG],
  ['Reshape [-1, 8]', () => seq(IMG, L.reshape({ targetShape: [-1, 8] })), IMG],
  [
    'Dropout (identity at inference) + Dense',
    () => seq([6], L.dropout({ rate: 0.5 }), L.dense({ units: 2 })),
    [6],
  ],
  ['Rescaling', () => seq(IMG, L.rescaling({ scale: 1 / 127.5, offset: -1 })), IMG],
  [
    'Add of two convolutions',
    () =>
      fn(IMG, (x) =>
        apply(L.add(), [
          apply(L.conv2d({ filters: 3, kernelSize: 1 }), x),
          apply(L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), x),
        ]),
      ),
    IMG,
  ],
  [
    'Multiply (broadcast [1,1,c] by global pooling, as squeeze-excite)',
    () =>
      fn(IMG, (x) =>
        apply(L.multiply(), [
          x,
          apply(
            L.reshape({ targetShape: [1, 1, 4] }),
            apply(L.dense({ units: 4, activation: 'sigmoid' }), apply(L.globalAveragePooling2d({}), x)),
          ),
        ]),
      ),
    IMG,
  ],
  [
    'Concatenate channels',
    () =>
      fn(IMG, (x) =>
        apply(L.concatenate(), [
          apply(L.conv2d({ filters: 2, kernelSize: 1 }), x),
          x,
          apply(L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }), x),
        ]),
      ),
    IMG,
  ],
  [
    'Concatenate axis 1 (height)',
    () =>
      fn(IMG, (x) =>
        apply(L.concatenate({ axis: 1 }), [
          x,
          apply(
            L.zeroPadding2d({
              padding: [
                [1, 0],
                [0, 0],
              ],
            }),
            x,
          ),
        ]),
      ),
    IMG,
  ],
  [
    'residual block (conv-bn-relu, conv-bn, Add, relu)',
    () =>
      fn([8, 8, 6], (x) => {
        let y = apply(L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false }), x);
        y = apply(L.reLU(), apply(L.batchNormalization(), y));
        y = apply(
          L.batchNormalization(),
          apply(L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false }), y),
        );
        return apply(L.activation({ activation: 'relu' }), apply(L.add(), [x, y]));
      }),
    [8, 8, 6],
  ],
  [
    'residual Add whose shortcut is computed after the branch',
    () =>
      fn(IMG, (x) => {
        const branch = apply(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), x);
        const shortcut = apply(L.conv2d({ filters: 4, kernelSize: 1 }), x);
        return apply(L.reLU(), apply(L.add(), [branch, shortcut]));
      }),
    IMG,
  ],
  [
    'shared Dense applied twice',
    () =>
      fn([5], (x) => {
        const shared = L.dense({ units: 5, activation: 'tanh' });
        return apply(L.add(), [apply(shared, x), apply(shared, apply(shared, x))]);
      }),
    [5],
  ],
  [
    'nested Sequential inside a functional model',
    () => {
      const inner = tfl.sequential({
        layers: [
          L.conv2d({ inputShape: IMG, filters: 3, kernelSize: 3, padding: 'same' }),
          L.batchNormalization(),
          L.reLU(),
        ],
      });
      return fn(IMG, (x) => apply(L.globalMaxPooling2d({}), apply(inner, x)));
    },
    IMG,
  ],
  [
    'nested Sequential applied twice (shared weights)',
    () => {
      const inner = tfl.sequential({
        layers: [L.dense({ inputShape: [6], units: 6, activation: 'relu' }), L.dense({ units: 6 })],
      });
      return fn([6], (x) => apply(inner, apply(inner, x)));
    },
    [6],
  ],
  [
    'Sequential inside a Sequential',
    () => {
      const inner = tfl.sequential({
        layers: [L.conv2d({ inputShape: IMG, filters: 3, kernelSize: 3 }), L.maxPooling2d({ poolSize: 2 })],
      });
      return seq(IMG, inner, L.flatten(), L.dense({ units: 2, activation: 'softmax' }));
    },
    IMG,
  ],
];

test('every layer and option, alone and in small graphs, matches tfjs-layers (fused and unfused, batch 1 and 3)', async () => {
  await tf.setBackend('cpu');
  for (const [i, [name, build, shape]] of CASES.entries()) {
    const model = build();
    seedWeights(model, 100 + i);
    const artifacts = await artifactsOf(model);
    const fused = await loadLayersModel(artifacts);
    const unfused = await loadLayersModel(artifacts, { fuse: false });
    for (const batch of [1, 3]) {
      const x = randomInput([batch, ...shape], 7 * i + batch);
      const want = tfjsPredict(model, x)[0];
      for (const [label, m] of [
        ['fused', fused],
        ['unfused', unfused],
      ] as const) {
        const got = m.predict(x);
        const err = relativeError(got.data, want);
        assert.ok(err < 2e-5, `${name} (${label}, batch ${batch}): relative error ${err}`);
        // tfjs' symbolic shape has null where a Reshape said -1.
        const expected = model.outputs[0].shape.slice(1);
        assert.ok(
          got.shape[0] === batch &&
            got.shape.slice(1).every((d, k) => expected[k] === null || d === expected[k]),
          `${name}: output shape ${JSON.stringify(got.shape)} vs ${JSON.stringify(expected)}`,
        );
      }
    }
    model.dispose();
  }
});

test('Softmax over a middle axis matches tf.softmax over that axis moved last', async () => {
  await tf.setBackend('cpu');
  // tfjs' Softmax layer runs only on the last axis, so the oracle moves the axis there and back.
  const model = seq(IMG, L.softmax({ axis: -1 }));
  const artifacts = await artifactsOf(model);
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as {
    config: { layers: { class_name: string; config: { axis: number } }[] };
  };
  topology.config.layers.find((l) => l.class_name === 'Softmax')!.config.axis = 2;
  const ours = await loadLayersModel({ ...artifacts, modelTopology: topology });
  const x = randomInput([2, ...IMG], 4);
  const want = tf.tidy(() => {
    const t = tf.transpose(tf.tensor(x.data, [...x.shape]), [0, 1, 3, 2]);
    return tf.transpose(tf.softmax(t), [0, 1, 3, 2]).dataSync() as Float32Array;
  });
  assert.ok(relativeError(ours.predict(x).data, want) < 1e-6, 'softmax over axis 2');
});

test('several inputs and outputs: predictAll returns every output; predict asks for predictAll', async () => {
  await tf.setBackend('cpu');
  const a = tfl.input({ shape: [6, 6, 2] });
  const b = tfl.input({ shape: [6, 6, 3] });
  const joined = apply(L.concatenate(), [a, b]);
  const conv = apply(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), joined);
  const head1 = apply(
    L.dense({ units: 3, activation: 'softmax' }),
    apply(L.globalAveragePooling2d({}), conv),
  );
  const head2 = apply(L.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' }), conv);
  const model = tfl.model({ inputs: [a, b], outputs: [head1, head2] });
  seedWeights(model, 5);
  const ours = await loadLayersModel(await artifactsOf(model));
  assert.deepEqual(
    ours.inputs.map((s) => s.shape),
    [
      [null, 6, 6, 2],
      [null, 6, 6, 3],
    ],
    'input shapes',
  );
  assert.deepEqual(
    ours.outputs.map((s) => s.shape),
    [
      [null, 3],
      [null, 6, 6, 1],
    ],
    'output shapes',
  );
  const xs = [randomInput([2, 6, 6, 2], 1), randomInput([2, 6, 6, 3], 2)];
  const want = tfjsPredict(model, xs);
  const got = ours.predictAll(xs);
  got.forEach((g, k) => assert.ok(relativeError(g.data, want[k]) < 2e-5, `output ${k}`));
  assert.throws(() => ours.predict(xs), /has 2 outputs; use predictAll/, 'predict on a 2-output model');
});

test('predictAsync, threads, profile and summary', async () => {
  await tf.setBackend('cpu');
  const model = seq(
    [12, 12, 8],
    L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false }),
    L.batchNormalization(),
    L.reLU({ maxValue: 6 }),
    L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }),
    L.globalAveragePooling2d({}),
    L.dense({ units: 4 }),
  );
  seedWeights(model, 9);
  const ours = await loadLayersModel(await artifactsOf(model));
  const x = randomInput([2, 12, 12, 8], 3);
  const want = tfjsPredict(model, x)[0];
  assert.ok(relativeError((await ours.predictAsync(x)).data, want) < 2e-5, 'predictAsync');
  assert.ok(relativeError(ours.predict(x, { threads: 2 }).data, want) < 2e-5, 'two threads');
  ours.predict(x, { profile: true });
  assert.ok(
    ours.lastProfile !== null && ours.lastProfile.length === 4,
    `profile has one entry per step: ${JSON.stringify(ours.lastProfile)}`,
  );
  assert.ok(
    ours.lastProfile[0].name.includes('+'),
    `the conv step names its fused layers: ${ours.lastProfile[0].name}`,
  );
  const text = ours.summary();
  for (const needle of [
    'Layer (type)',
    'Output Shape',
    'Param #',
    '(Conv2D)',
    '[null,12,12,16]',
    'fused into',
    'depthwise',
    `Total params: ${model.countParams()} `,
    'peak live',
  ]) {
    assert.ok(text.includes(needle), `summary mentions ${needle}:\n${text}`);
  }
  const arena = ours.arena(1);
  assert.ok(
    arena.size >= arena.peak && arena.size <= 1.25 * arena.peak,
    `arena ${arena.size} vs peak ${arena.peak}`,
  );
  ours.dispose();
  assert.throws(() => ours.predict(x), /has been disposed/, 'predict after dispose');
});

test('Conv2D with groups (Keras; tfjs-layers has none) matches grouped conv2d plus bias', async () => {
  const { conv2d } = await import('../src/ops/conv2d.js');
  const kernel = randomInput([3, 3, 2, 6], 1);
  const bias = randomInput([6], 2);
  const weightData = new Float32Array([...kernel.data, ...bias.data]).buffer;
  const ours = await loadLayersModel({
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'grouped',
        layers: [
          {
            class_name: 'InputLayer',
            config: { name: 'in', batch_input_shape: [null, 5, 5, 4], dtype: 'float32' },
          },
          {
            class_name: 'Conv2D',
            config: {
              name: 'g',
              filters: 6,
              kernel_size: [3, 3],
              groups: 2,
              padding: 'same',
              activation: 'relu',
            },
          },
        ],
      },
    },
    weightSpecs: [
      { name: 'g/kernel', shape: [3, 3, 2, 6], dtype: 'float32' },
      { name: 'g/bias', shape: [6], dtype: 'float32' },
    ],
    weightData,
  });
  const x = randomInput([2, 5, 5, 4], 3);
  const want = conv2d(x, kernel, { padding: 'SAME' }).data.map((v, i) => Math.max(0, v + bias.data[i % 6]));
  assert.ok(relativeError(ours.predict(x).data, want) < 1e-6, 'grouped Conv2D');
});

test("DepthwiseConv2D's dilation_rate is applied, as Keras does (tfjs-layers ignores it): tf.depthwiseConv2d with dilations plus bias", async () => {
  await tf.setBackend('cpu');
  const kernel = randomInput([3, 3, 4, 1], 4);
  const bias = randomInput([4], 5);
  for (const [strides, padding] of [
    [1, 'same'],
    [1, 'valid'],
  ] as const) {
    const ours = await loadLayersModel({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'dilated',
          layers: [
            {
              class_name: 'InputLayer',
              config: { name: 'in', batch_input_shape: [null, 11, 9, 4], dtype: 'float32' },
            },
            {
              class_name: 'DepthwiseConv2D',
              config: { name: 'd', kernel_size: [3, 3], strides, padding, dilation_rate: [2, 3] },
            },
          ],
        },
      },
      weightSpecs: [
        { name: 'd/depthwise_kernel', shape: [3, 3, 4, 1], dtype: 'float32' },
        { name: 'd/bias', shape: [4], dtype: 'float32' },
      ],
      weightData: new Float32Array([...kernel.data, ...bias.data]).buffer,
    });
    const x = randomInput([2, 11, 9, 4], 6);
    const want = tf.tidy(() => {
      const y = tf.depthwiseConv2d(
        tf.tensor4d(x.data, [2, 11, 9, 4]),
        tf.tensor4d(kernel.data, [3, 3, 4, 1]),
        strides,
        padding,
        'NHWC',
        [2, 3],
      );
      return tf.add(y, tf.tensor1d(bias.data)).dataSync() as Float32Array;
    });
    for (const threads of [1, 2]) {
      const got = ours.predict(x, { threads }).data;
      assert.ok(relativeError(got, want) < 1e-6, `dilated DepthwiseConv2D, ${padding}, ${threads} thread(s)`);
    }
    ours.dispose();
  }
});

test("precision: 'highest' keeps a model's convolutions off Winograd and the FFT, at load or per predict", async () => {
  await tf.setBackend('cpu');
  const model = seq(
    [16, 16, 16],
    L.conv2d({ filters: 16, kernelSize: 3, padding: 'same' }),
    L.reLU({}),
    L.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }),
  );
  seedWeights(model, 21);
  const artifacts = await artifactsOf(model);
  const auto = await loadLayersModel(artifacts);
  const highest = await loadLayersModel(artifacts, { precision: 'highest' });
  assert.match(auto.steps()[0].algorithm, /^winograd/, 'auto: a 3x3 layer of 16 channels takes Winograd');
  for (const step of highest.steps()) {
    assert.doesNotMatch(step.algorithm, /winograd|fft/, `highest: ${step.name} runs ${step.algorithm}`);
  }
  const x = randomInput([2, 16, 16, 16], 5);
  const want = tfjsPredict(model, x)[0];
  assert.ok(relativeError(highest.predict(x).data, want) < 2e-6, 'highest agrees with tfjs-layers');
  assert.deepEqual(
    [...auto.predict(x, { precision: 'highest' }).data],
    [...highest.predict(x).data],
    'predict(x, { precision }) on an auto model computes as a model loaded with it',
  );
  await assert.rejects(
    loadLayersModel(artifacts, { precision: 'exact' as never }),
    /loadLayersModel: precision must be 'auto' or 'highest'/,
  );
  assert.throws(() => auto.predict(x, { precision: 1 as never }), /precision must be 'auto' or 'highest'/);
});

test('steps that write their arena slot themselves (Conv2DTranspose, the FFT) give fresh values call after call', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, v: tfl.SymbolicTensor) => layer.apply(v) as tfl.SymbolicTensor;
  // Strides past the kernel leave outputs no tap reaches (they must be zeroed in the reused slot); two
  // FFT layers stage 14 and then 12 input channels into the same padded buffer (channels 12-13 must
  // not keep the first layer's values); the first transpose is direct at batch 1, wasm at batch 2.
  const input = tfl.input({ shape: [8, 8, 4] });
  let y = ap(L.conv2dTranspose({ filters: 6, kernelSize: 2, strides: 3, activation: 'relu' }), input);
  y = ap(L.conv2d({ filters: 14, kernelSize: 1 }), y);
  y = ap(L.conv2d({ filters: 12, kernelSize: 11, padding: 'same' }), y);
  y = ap(L.conv2d({ filters: 24, kernelSize: 11, padding: 'same' }), y);
  y = ap(L.conv2dTranspose({ filters: 8, kernelSize: 2, strides: 3 }), y);
  y = ap(L.conv2d({ filters: 2, kernelSize: 1 }), y);
  const model = tfl.model({ inputs: input, outputs: y });
  seedWeights(model, 41);
  const ours = await loadLayersModel(await artifactsOf(model));
  const algorithms = ours.steps().map((s) => s.algorithm);
  assert.equal(
    algorithms.filter((a) => a.startsWith('fft')).length,
    2,
    `two FFT steps: ${algorithms.join(', ')}`,
  );
  for (const batch of [1, 2]) {
    const inputs = [randomInput([batch, 8, 8, 4], 42), randomInput([batch, 8, 8, 4], 43)];
    for (const x of [inputs[0], inputs[1], inputs[0]]) {
      const err = relativeError(ours.predict(x).data, tfjsPredict(model, x)[0]);
      assert.ok(err < 2e-5, `batch ${batch}: relative error ${err}`);
    }
  }
  ours.dispose();
  model.dispose();
});
