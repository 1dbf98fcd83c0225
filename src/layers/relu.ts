/** ReLU (Keras' layer form of the activation): max(x, 0), elementwise, any shape. */
import { invalid } from '../errors.js';
import { Tensor } from '../tensor.js';
import { baseConfig, checkBatchShape, optionalName } from './args.js';
import type { KerasLayerConfig, Layer, Parameter } from './layer.js';

export class ReLU implements Layer {
  readonly className = 'ReLU';
  name: string;
  private inputShape: readonly number[] | null = null;
  private lastOutput: Tensor | null = null;

  constructor(options: { name?: string } = {}) {
    this.name = optionalName('ReLU', options.name);
  }

  build(inputShape: readonly number[]): readonly number[] {
    this.inputShape = [...inputShape];
    return this.inputShape;
  }

  parameters(): Parameter[] {
    return [];
  }

  forward(x: Tensor, training: boolean): Tensor {
    checkBatchShape(this, x, this.inputShape);
    const out = new Float32Array(x.size);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] > 0 ? x.data[i] : 0;
    const y = new Tensor(out, x.shape);
    if (training) this.lastOutput = y;
    return y;
  }

  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    if (!this.lastOutput) invalid(`ReLU '${this.name}'`, 'backward', 'needs a training forward pass first');
    if (!needInputGradient) return null;
    const a = this.lastOutput.data;
    const dx = new Float32Array(dy.size);
    for (let i = 0; i < dx.length; i++) dx[i] = a[i] > 0 ? dy.data[i] : 0;
    return new Tensor(dx, dy.shape);
  }

  kerasConfig(): KerasLayerConfig {
    return { ...baseConfig(this.name), max_value: null };
  }
}
