/** The layers of convkit's small training stack, under Keras' class names. */
export { Conv2D, type Conv2DOptions } from './conv2d_layer.js';
export { Dense, type DenseOptions } from './dense.js';
export { MaxPooling2D, type MaxPooling2DOptions } from './max_pooling2d.js';
export { Flatten } from './flatten.js';
export { ReLU } from './relu.js';
export { Sequential, type SequentialOptions } from './sequential.js';
export { softmaxCrossEntropy, type LossResult, type Labels } from './losses.js';
export { ACTIVATIONS, type ActivationName } from './activations.js';
export { INITIALIZERS, type InitializerName } from './initializers.js';
export type { Layer, ActivatedLayer, Parameter, KerasLayerConfig } from './layer.js';
