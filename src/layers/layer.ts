/**
 * The contract every layer keeps. A layer is built once for an input shape (without the batch axis),
 * then runs forward over a mini-batch and, after a training forward pass, backward: given the gradient
 * of the loss with respect to its output, it sets its parameters' gradients and returns the gradient
 * with respect to its input. There is no general autodiff: each layer knows its own derivative.
 */
import type { Tensor } from '../tensor.js';

/** One trainable weight: its values (updated in place by an optimizer) and the last computed gradient. */
export interface Parameter {
  /** Keras' weight name inside the layer: 'kernel' or 'bias'. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

/** A Keras layer config: snake_case keys, as model.json stores it. */
export type KerasLayerConfig = Record<string, unknown>;

export interface Layer {
  /** Keras' class name ('Conv2D', 'Dense', ...), as written in model.json. */
  readonly className: string;
  /** Unique within a model; Sequential.add names an unnamed layer as Keras would ('dense_1'). */
  name: string;
  /**
   * Fixes the input shape (without batch) and creates the weights, drawn from `seed` unless the layer
   * was given its own. Returns the output shape (without batch).
   */
  build(inputShape: readonly number[], seed: number): readonly number[];
  /** Runs the layer on a batch. With `training`, keeps what backward needs. */
  forward(x: Tensor, training: boolean): Tensor;
  /**
   * Gradient step for the last training forward pass: sets the parameter gradients and returns the
   * gradient with respect to the input, or null when `needInputGradient` is false (the first layer).
   */
  backward(dy: Tensor, needInputGradient: boolean): Tensor | null;
  /** Trainable weights, in Keras' order (kernel, then bias). Empty before build. */
  parameters(): Parameter[];
  /** The layer's Keras config (name, trainable, dtype and its own keys). */
  kerasConfig(): KerasLayerConfig;
}

/** A layer whose output is activation(linear(input)); the loss may start backward at the linear part. */
export interface ActivatedLayer extends Layer {
  readonly activation: string;
  /** As backward, but `dz` is the gradient with respect to the pre-activation values (the logits). */
  backwardFromPreActivation(dz: Tensor, needInputGradient: boolean): Tensor | null;
  /** The pre-activation values of the last training forward pass. */
  lastPreActivation(): Tensor;
}

export function isActivatedLayer(layer: Layer): layer is ActivatedLayer {
  return typeof (layer as Partial<ActivatedLayer>).backwardFromPreActivation === 'function';
}

/** Makes a new weight of `shape` with a zeroed gradient. */
export function makeParameter(name: string, shape: readonly number[]): Parameter {
  let size = 1;
  for (const d of shape) size *= d;
  return {
    name,
    shape: Object.freeze([...shape]),
    value: new Float32Array(size),
    grad: new Float32Array(size),
  };
}
