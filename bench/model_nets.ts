/**
 * Whole networks for the models bench section, built in tfjs-layers in the layouts of Keras
 * applications (keras.applications mobilenet, mobilenet_v2, resnet): the same layer classes, options,
 * padding layers and block structure, at 224x224x3 with 1000 classes. The classifier is left linear
 * (Keras' classifier_activation=None) so the cross-check compares logits.
 *
 * Weights are seeded, not trained: kernels uniform with variance 2 / fan_in (He), BatchNormalization
 * gamma in [0.5, 1], beta and moving mean in [-0.1, 0.1], moving variance in [0.5, 1.5], biases in
 * [-0.05, 0.05], so activations stay finite through ResNet-50's 16 residual blocks.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '../src/layers/random.js';

type Sym = tfl.SymbolicTensor;
const L = tfl.layers;
const ap = (layer: tfl.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

function bn(x: Sym, name: string, epsilon = 1e-3): Sym {
  return ap(L.batchNormalization({ epsilon, momentum: 0.999, name }), x);
}

/** keras.applications.MobileNetV2(alpha=1.0, input 224x224x3, classes=1000, classifier_activation=None). */
export function mobileNetV2(): tfl.LayersModel {
  const input = tfl.input({ shape: [224, 224, 3], name: 'input_1' });
  let x = ap(
    L.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }),
    input,
  );
  x = ap(L.reLU({ maxValue: 6, name: 'Conv1_relu' }), bn(x, 'bn_Conv1'));
  const block = (inputs: Sym, expansion: number, stride: number, filters: number, id: number): Sym => {
    const inChannels = inputs.shape[3] as number;
    const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`;
    let y = inputs;
    if (id !== 0) {
      y = ap(
        L.conv2d({
          filters: expansion * inChannels,
          kernelSize: 1,
          padding: 'same',
          useBias: false,
          name: `${prefix}expand`,
        }),
        y,
      );
      y = ap(L.reLU({ maxValue: 6, name: `${prefix}expand_relu` }), bn(y, `${prefix}expand_BN`));
    }
    // Keras' correct_pad for an even input and a 3x3 kernel: one row / column after.
    if (stride === 2)
      y = ap(
        L.zeroPadding2d({
          padding: [
            [0, 1],
            [0, 1],
          ],
          name: `${prefix}pad`,
        }),
        y,
      );
    y = ap(
      L.depthwiseConv2d({
        kernelSize: 3,
        strides: stride,
        useBias: false,
        padding: stride === 1 ? 'same' : 'valid',
        name: `${prefix}depthwise`,
      }),
      y,
    );
    y = ap(L.reLU({ maxValue: 6, name: `${prefix}depthwise_relu` }), bn(y, `${prefix}depthwise_BN`));
    y = ap(
      L.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` }),
      y,
    );
    y = bn(y, `${prefix}project_BN`);
    return inChannels === filters && stride === 1 ? ap(L.add({ name: `${prefix}add` }), [inputs, y]) : y;
  };
  const blocks: [number, number, number][] = [
    [16, 1, 1],
    [24, 2, 6],
    [24, 1, 6],
    [32, 2, 6],
    [32, 1, 6],
    [32, 1, 6],
    [64, 2, 6],
    [64, 1, 6],
    [64, 1, 6],
    [64, 1, 6],
    [96, 1, 6],
    [96, 1, 6],
    [96, 1, 6],
    [160, 2, 6],
    [160, 1, 6],
    [160, 1, 6],
    [320, 1, 6],
  ];
  blocks.forEach(([filters, stride, expansion], id) => (x = block(x, expansion, stride, filters, id)));
  x = ap(L.conv2d({ filters: 1280, kernelSize: 1, useBias: false, name: 'Conv_1' }), x);
  x = ap(L.reLU({ maxValue: 6, name: 'out_relu' }), bn(x, 'Conv_1_bn'));
  x = ap(L.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
  x = ap(L.dense({ units: 1000, name: 'predictions' }), x);
  return tfl.model({ inputs: input, outputs: x, name: 'mobilenetv2_1.00_224' });
}

/** keras.applications.MobileNet(alpha=1.0, depth_multiplier=1, 224x224x3, classifier_activation=None). */
export function mobileNetV1(): tfl.LayersModel {
  const input = tfl.input({ shape: [224, 224, 3], name: 'input_1' });
  let x = ap(
    L.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv1' }),
    input,
  );
  x = ap(L.reLU({ maxValue: 6, name: 'conv1_relu' }), bn(x, 'conv1_bn'));
  const dw = (inputs: Sym, filters: number, stride: number, id: number): Sym => {
    let y =
      stride === 1
        ? inputs
        : ap(
            L.zeroPadding2d({
              padding: [
                [0, 1],
                [0, 1],
              ],
              name: `conv_pad_${id}`,
            }),
            inputs,
          );
    y = ap(
      L.depthwiseConv2d({
        kernelSize: 3,
        strides: stride,
        padding: stride === 1 ? 'same' : 'valid',
        useBias: false,
        name: `conv_dw_${id}`,
      }),
      y,
    );
    y = ap(L.reLU({ maxValue: 6, name: `conv_dw_${id}_relu` }), bn(y, `conv_dw_${id}_bn`));
    y = ap(L.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, name: `conv_pw_${id}` }), y);
    return ap(L.reLU({ maxValue: 6, name: `conv_pw_${id}_relu` }), bn(y, `conv_pw_${id}_bn`));
  };
  const blocks: [number, number][] = [
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [1024, 2],
    [1024, 1],
  ];
  blocks.forEach(([filters, stride], i) => (x = dw(x, filters, stride, i + 1)));
  // Keras: GlobalAveragePooling2D(keepdims=True); tfjs' layer has no keepdims, so a Reshape adds the axes.
  x = ap(
    L.reshape({ targetShape: [1, 1, 1024], name: 'reshape_1' }),
    ap(L.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x),
  );
  x = ap(L.dropout({ rate: 1e-3, name: 'dropout' }), x);
  x = ap(L.conv2d({ filters: 1000, kernelSize: 1, padding: 'same', name: 'conv_preds' }), x);
  x = ap(L.reshape({ targetShape: [1000], name: 'reshape_2' }), x);
  return tfl.model({ inputs: input, outputs: x, name: 'mobilenet_1.00_224' });
}

/** keras.applications.ResNet50 (224x224x3, classifier_activation=None). */
export function resNet50(): tfl.LayersModel {
  const input = tfl.input({ shape: [224, 224, 3], name: 'input_1' });
  let x = ap(
    L.zeroPadding2d({
      padding: [
        [3, 3],
        [3, 3],
      ],
      name: 'conv1_pad',
    }),
    input,
  );
  x = ap(L.conv2d({ filters: 64, kernelSize: 7, strides: 2, name: 'conv1_conv' }), x);
  x = ap(L.activation({ activation: 'relu', name: 'conv1_relu' }), bn(x, 'conv1_bn', 1.001e-5));
  x = ap(
    L.zeroPadding2d({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: 'pool1_pad',
    }),
    x,
  );
  x = ap(L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }), x);
  const block = (inputs: Sym, filters: number, stride: number, convShortcut: boolean, name: string): Sym => {
    let shortcut = inputs;
    if (convShortcut) {
      shortcut = ap(
        L.conv2d({ filters: 4 * filters, kernelSize: 1, strides: stride, name: `${name}_0_conv` }),
        inputs,
      );
      shortcut = bn(shortcut, `${name}_0_bn`, 1.001e-5);
    }
    let y = ap(L.conv2d({ filters, kernelSize: 1, strides: stride, name: `${name}_1_conv` }), inputs);
    y = ap(L.activation({ activation: 'relu', name: `${name}_1_relu` }), bn(y, `${name}_1_bn`, 1.001e-5));
    y = ap(L.conv2d({ filters, kernelSize: 3, padding: 'same', name: `${name}_2_conv` }), y);
    y = ap(L.activation({ activation: 'relu', name: `${name}_2_relu` }), bn(y, `${name}_2_bn`, 1.001e-5));
    y = ap(L.conv2d({ filters: 4 * filters, kernelSize: 1, name: `${name}_3_conv` }), y);
    y = bn(y, `${name}_3_bn`, 1.001e-5);
    y = ap(L.add({ name: `${name}_add` }), [shortcut, y]);
    return ap(L.activation({ activation: 'relu', name: `${name}_out` }), y);
  };
  const stack = (x0: Sym, filters: number, blocks: number, stride: number, name: string): Sym => {
    let y = block(x0, filters, stride, true, `${name}_block1`);
    for (let i = 2; i <= blocks; i++) y = block(y, filters, 1, false, `${name}_block${i}`);
    return y;
  };
  x = stack(x, 64, 3, 1, 'conv2');
  x = stack(x, 128, 4, 2, 'conv3');
  x = stack(x, 256, 6, 2, 'conv4');
  x = stack(x, 512, 3, 2, 'conv5');
  x = ap(L.globalAveragePooling2d({ name: 'avg_pool' }), x);
  x = ap(L.dense({ units: 1000, name: 'predictions' }), x);
  return tfl.model({ inputs: input, outputs: x, name: 'resnet50' });
}

export const NETWORKS = { mobilenet_v2: mobileNetV2, resnet50: resNet50, mobilenet_v1: mobileNetV1 } as const;
export type NetworkName = keyof typeof NETWORKS;

/** Seeds every weight of `model` (see the header for the ranges). */
export function seedNetwork(model: tfl.LayersModel, seed: number): void {
  const rng = createRng(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const values = model.weights.map((w) => {
    const shape = w.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const name = w.originalName;
    let make: () => number;
    if (name.endsWith('kernel')) {
      // Depthwise kernels [kh, kw, c, m] sum kh * kw terms; others every axis but the last.
      const fanIn = name.endsWith('depthwise_kernel') ? shape[0] * shape[1] : size / shape[shape.length - 1];
      const limit = Math.sqrt(6 / fanIn);
      make = () => uniform(-limit, limit);
    } else if (name.endsWith('gamma')) make = () => uniform(0.5, 1);
    else if (name.endsWith('moving_variance')) make = () => uniform(0.5, 1.5);
    else if (name.endsWith('bias')) make = () => uniform(-0.05, 0.05);
    else make = () => uniform(-0.1, 0.1);
    return tf.tensor(Float32Array.from({ length: size }, make), shape);
  });
  model.setWeights(values);
  values.forEach((v) => v.dispose());
}
