/**
 * The LeNet-style model convkit trains on MNIST. Sized for a plain-TypeScript engine: two 5x5
 * convolutions (8 and 16 filters) with 2x2 max pooling, a hidden Dense layer (64 units by default;
 * 0 leaves it out), then a Dense softmax layer: about 0.7 MFLOP per digit forward, 20.5k weights.
 */
import { Conv2D } from '../layers/conv2d_layer.js';
import { Dense } from '../layers/dense.js';
import { Flatten } from '../layers/flatten.js';
import { MaxPooling2D } from '../layers/max_pooling2d.js';
import { Sequential } from '../layers/sequential.js';

export function createLenet(
  options: { seed?: number; filters?: [number, number]; hiddenUnits?: number } = {},
): Sequential {
  const [first, second] = options.filters ?? [8, 16];
  const hidden = options.hiddenUnits ?? 64;
  return new Sequential({
    name: 'lenet',
    seed: options.seed ?? 0,
    inputShape: [28, 28, 1],
    layers: [
      new Conv2D({ filters: first, kernelSize: 5, activation: 'relu' }),
      new MaxPooling2D({ poolSize: 2 }),
      new Conv2D({ filters: second, kernelSize: 5, activation: 'relu' }),
      new MaxPooling2D({ poolSize: 2 }),
      new Flatten(),
      ...(hidden > 0 ? [new Dense({ units: hidden, activation: 'relu' })] : []),
      new Dense({ units: 10, activation: 'softmax' }),
    ],
  });
}
