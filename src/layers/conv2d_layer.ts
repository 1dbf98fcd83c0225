/**
 * Conv2D (Keras' convolution layer): y = activation(conv2d(x, kernel) + bias) on NHWC batches, with
 * kernel [kernel_height, kernel_width, in_channels, filters]. Forward is convkit's conv2d; backward uses
 * TensorFlow's two gradient ops, conv2dBackpropFilter (for the kernel) and conv2dBackpropInput (for
 * the layer below), so the layer inherits whatever engine those ops run on.
 */
import { convGeometry, type ConvOptions } from '../geometry.js';
import { invalid, show } from '../errors.js';
import { conv2d } from '../ops/conv2d.js';
import { conv2dBackpropFilter } from '../ops/conv2d_backprop_filter.js';
import { conv2dBackpropInput } from '../ops/conv2d_backprop_input.js';
import { Tensor } from '../tensor.js';
import { activationBackward, checkActivation, type ActivationName } from './activations.js';
import {
  baseConfig,
  checkBatchShape,
  layerPadding,
  optionalBoolean,
  optionalName,
  optionalSeed,
  positiveInt,
  spatialInts,
  type LayerPadding,
} from './args.js';
import { biasThenActivate, sumRowsInto } from './bias.js';
import {
  checkInitializer,
  initialize,
  kerasInitializerConfig,
  type InitializerName,
} from './initializers.js';
import { makeParameter, type ActivatedLayer, type KerasLayerConfig, type Parameter } from './layer.js';
import { createRng } from './random.js';

export interface Conv2DOptions {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: LayerPadding;
  dilationRate?: number | [number, number];
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  /** Seed for the kernel initialiser; by default the model's seed picks one. */
  seed?: number;
  name?: string;
}

export class Conv2D implements ActivatedLayer {
  readonly className = 'Conv2D';
  name: string;
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: LayerPadding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly seed: number | undefined;
  private inputShape: readonly number[] | null = null;
  private outputShape: readonly number[] = [];
  private kernel: Parameter | null = null;
  private bias: Parameter | null = null;
  private lastInput: Tensor | null = null;
  private lastOutput: Tensor | null = null;
  private lastZ: Tensor | null = null;

  constructor(options: Conv2DOptions) {
    const op = 'Conv2D';
    if (options === null || typeof options !== 'object')
      invalid(op, 'options', `must be an object, got ${show(options)}`);
    this.filters = positiveInt(op, 'filters', options.filters);
    this.kernelSize = spatialInts(op, 'kernelSize', options.kernelSize);
    this.strides = spatialInts(op, 'strides', options.strides, [1, 1]);
    this.padding = layerPadding(op, options.padding);
    this.dilationRate = spatialInts(op, 'dilationRate', options.dilationRate, [1, 1]);
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      // Keras refuses this pair in a layer (tf.nn.conv2d itself allows it), so a saved model must too.
      invalid(
        op,
        'strides',
        `${show(this.strides)} cannot be combined with dilationRate ${show(this.dilationRate)}: Keras allows ` +
          'strides > 1 only when dilationRate is 1',
      );
    }
    this.activation = checkActivation(op, options.activation);
    this.useBias = optionalBoolean(op, 'useBias', options.useBias, true);
    this.kernelInitializer = checkInitializer(op, 'kernelInitializer', options.kernelInitializer);
    this.biasInitializer = checkInitializer(op, 'biasInitializer', options.biasInitializer);
    this.seed = optionalSeed(op, options.seed);
    this.name = optionalName(op, options.name);
  }

  /** The conv2d options this layer's forward and backward passes use. */
  private convOptions(): ConvOptions {
    return {
      strides: this.strides,
      padding: this.padding === 'same' ? 'SAME' : 'VALID',
      dilations: this.dilationRate,
    };
  }

  build(inputShape: readonly number[], seed: number): readonly number[] {
    const op = `Conv2D '${this.name}'`;
    if (inputShape.length !== 3) {
      invalid(op, 'input', `must be [batch, height, width, channels], got ${show([null, ...inputShape])}`);
    }
    const kernelShape = [this.kernelSize[0], this.kernelSize[1], inputShape[2], this.filters];
    const g = convGeometry(op, [1, ...inputShape], kernelShape, this.convOptions());
    this.inputShape = [...inputShape];
    this.outputShape = [g.outHeight, g.outWidth, this.filters];
    const rng = createRng(this.seed ?? seed);
    this.kernel = makeParameter('kernel', kernelShape);
    initialize(this.kernelInitializer, kernelShape, this.kernel.value, rng);
    if (this.useBias) {
      this.bias = makeParameter('bias', [this.filters]);
      initialize(this.biasInitializer, this.bias.shape, this.bias.value, rng);
    }
    return this.outputShape;
  }

  parameters(): Parameter[] {
    return [this.kernel, this.bias].filter((p): p is Parameter => p !== null);
  }

  forward(x: Tensor, training: boolean): Tensor {
    checkBatchShape(this, x, this.inputShape);
    const kernel = this.kernel as Parameter;
    // The kernel's own array, though it changes in place between steps: the packed-weights cache compares
    // it with the values it packed on every call (src/plan/weights_cache.ts) and repacks when they differ.
    const z = conv2d(x, new Tensor(kernel.value, kernel.shape), this.convOptions());
    const y = new Tensor(
      biasThenActivate(this.activation, z.data, this.bias?.value ?? null, this.filters),
      z.shape,
    );
    if (training) {
      this.lastInput = x;
      this.lastZ = z;
      this.lastOutput = y;
    }
    return y;
  }

  lastPreActivation(): Tensor {
    if (!this.lastZ)
      invalid(`Conv2D '${this.name}'`, 'lastPreActivation', 'needs a training forward pass first');
    return this.lastZ;
  }

  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    const a = this.requireForward().output;
    const dz = activationBackward(this.activation, a.data, dy.data, this.filters);
    return this.backwardFromPreActivation(new Tensor(dz, dy.shape), needInputGradient);
  }

  backwardFromPreActivation(dz: Tensor, needInputGradient: boolean): Tensor | null {
    const { input } = this.requireForward();
    const kernel = this.kernel as Parameter;
    const options = this.convOptions();
    kernel.grad.set(conv2dBackpropFilter(input, [...kernel.shape], dz, options).data);
    if (this.bias) sumRowsInto(dz.data, this.filters, this.bias.grad);
    if (!needInputGradient) return null;
    return conv2dBackpropInput([...input.shape], new Tensor(kernel.value, kernel.shape), dz, options);
  }

  kerasConfig(): KerasLayerConfig {
    return {
      ...baseConfig(this.name),
      filters: this.filters,
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [...this.dilationRate],
      activation: this.activation,
      use_bias: this.useBias,
      kernel_initializer: kerasInitializerConfig(this.kernelInitializer, this.seed),
      bias_initializer: kerasInitializerConfig(this.biasInitializer, undefined),
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
  }

  private requireForward(): { input: Tensor; output: Tensor } {
    if (!this.lastInput || !this.lastOutput) {
      invalid(`Conv2D '${this.name}'`, 'backward', 'needs a training forward pass (forward(x, true)) first');
    }
    return { input: this.lastInput, output: this.lastOutput };
  }
}
