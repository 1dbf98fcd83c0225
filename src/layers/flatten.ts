/**
 * Flatten (Keras): [batch, ...] to [batch, features]. NHWC data is already in channels_last order, so
 * this only changes the shape; Dense weights trained after it line up with Keras' and TF.js'.
 */
import { invalid } from '../errors.js';
import { Tensor } from '../tensor.js';
import { baseConfig, checkBatchShape, optionalName } from './args.js';
import type { KerasLayerConfig, Layer, Parameter } from './layer.js';

export class Flatten implements Layer {
  readonly className = 'Flatten';
  name: string;
  private inputShape: readonly number[] | null = null;
  private features = 0;

  constructor(options: { name?: string } = {}) {
    this.name = optionalName('Flatten', options.name);
  }

  build(inputShape: readonly number[]): readonly number[] {
    this.inputShape = [...inputShape];
    this.features = inputShape.reduce((a, b) => a * b, 1);
    return [this.features];
  }

  parameters(): Parameter[] {
    return [];
  }

  forward(x: Tensor): Tensor {
    checkBatchShape(this, x, this.inputShape);
    return new Tensor(x.data, [x.shape[0], this.features]);
  }

  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    if (!this.inputShape) invalid(`Flatten '${this.name}'`, 'backward', 'needs a built layer');
    return needInputGradient ? new Tensor(dy.data, [dy.shape[0], ...this.inputShape]) : null;
  }

  kerasConfig(): KerasLayerConfig {
    return { ...baseConfig(this.name), data_format: 'channels_last' };
  }
}
