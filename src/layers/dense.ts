/**
 * Dense (Keras' fully connected layer): y = activation(x . kernel + bias), with x [batch, inputs],
 * kernel [inputs, units] and bias [units].
 */
import { invalid, show } from '../errors.js';
import { Tensor } from '../tensor.js';
import { activationBackward, checkActivation, type ActivationName } from './activations.js';
import {
  baseConfig,
  checkBatchShape,
  optionalBoolean,
  optionalName,
  optionalSeed,
  positiveInt,
} from './args.js';
import {
  checkInitializer,
  initialize,
  kerasInitializerConfig,
  type InitializerName,
} from './initializers.js';
import { makeParameter, type ActivatedLayer, type KerasLayerConfig, type Parameter } from './layer.js';
import { biasThenActivate, sumRowsInto } from './bias.js';
import { matmul } from './matmul.js';
import { createRng } from './random.js';

export interface DenseOptions {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  /** Seed for the kernel initialiser; by default the model's seed picks one. */
  seed?: number;
  name?: string;
}

export class Dense implements ActivatedLayer {
  readonly className = 'Dense';
  name: string;
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly seed: number | undefined;
  private inputShape: readonly number[] | null = null;
  private kernel: Parameter | null = null;
  private bias: Parameter | null = null;
  private lastInput: Tensor | null = null;
  private lastOutput: Tensor | null = null;
  private lastZ: Tensor | null = null;

  constructor(options: DenseOptions) {
    const op = 'Dense';
    if (options === null || typeof options !== 'object')
      invalid(op, 'options', `must be an object, got ${show(options)}`);
    this.units = positiveInt(op, 'units', options.units);
    this.activation = checkActivation(op, options.activation);
    this.useBias = optionalBoolean(op, 'useBias', options.useBias, true);
    this.kernelInitializer = checkInitializer(op, 'kernelInitializer', options.kernelInitializer);
    this.biasInitializer = checkInitializer(op, 'biasInitializer', options.biasInitializer);
    this.seed = optionalSeed(op, options.seed);
    this.name = optionalName(op, options.name);
  }

  build(inputShape: readonly number[], seed: number): readonly number[] {
    if (inputShape.length !== 1) {
      invalid(
        `Dense '${this.name}'`,
        'input',
        `must be [batch, features], but the previous layer gives ${show([null, ...inputShape])}; add a Flatten layer first`,
      );
    }
    this.inputShape = [...inputShape];
    const rng = createRng(this.seed ?? seed);
    this.kernel = makeParameter('kernel', [inputShape[0], this.units]);
    initialize(this.kernelInitializer, this.kernel.shape, this.kernel.value, rng);
    if (this.useBias) {
      this.bias = makeParameter('bias', [this.units]);
      initialize(this.biasInitializer, this.bias.shape, this.bias.value, rng);
    }
    return [this.units];
  }

  parameters(): Parameter[] {
    return [this.kernel, this.bias].filter((p): p is Parameter => p !== null);
  }

  forward(x: Tensor, training: boolean): Tensor {
    checkBatchShape(this, x, this.inputShape);
    const kernel = this.kernel as Parameter;
    const batch = x.shape[0];
    const inputs = kernel.shape[0];
    const z = matmul(x.data, kernel.value, batch, inputs, this.units);
    const a = biasThenActivate(this.activation, z, this.bias?.value ?? null, this.units);
    const zTensor = new Tensor(z, [batch, this.units]);
    const y = new Tensor(a, [batch, this.units]);
    if (training) {
      this.lastInput = x;
      this.lastZ = zTensor;
      this.lastOutput = y;
    }
    return y;
  }

  lastPreActivation(): Tensor {
    if (!this.lastZ)
      invalid(`Dense '${this.name}'`, 'lastPreActivation', 'needs a training forward pass first');
    return this.lastZ;
  }

  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    const a = this.requireForward().output;
    const dz = activationBackward(this.activation, a.data, dy.data, this.units);
    return this.backwardFromPreActivation(new Tensor(dz, dy.shape), needInputGradient);
  }

  backwardFromPreActivation(dz: Tensor, needInputGradient: boolean): Tensor | null {
    const { input } = this.requireForward();
    const kernel = this.kernel as Parameter;
    const batch = input.shape[0];
    const inputs = kernel.shape[0];
    // dKernel = x^T . dz; dBias = column sums of dz; dx = dz . kernel^T.
    kernel.grad.set(matmul(input.data, dz.data, inputs, batch, this.units, { transposeA: true }));
    if (this.bias) sumRowsInto(dz.data, this.units, this.bias.grad);
    if (!needInputGradient) return null;
    return new Tensor(
      matmul(dz.data, kernel.value, batch, this.units, inputs, { transposeB: true }),
      input.shape,
    );
  }

  kerasConfig(): KerasLayerConfig {
    return {
      ...baseConfig(this.name),
      units: this.units,
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
      invalid(`Dense '${this.name}'`, 'backward', 'needs a training forward pass (forward(x, true)) first');
    }
    return { input: this.lastInput, output: this.lastOutput };
  }
}
