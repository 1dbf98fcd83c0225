/**
 * Optimizers with Keras' update rules and defaults. Each step reads the gradients the model's backward
 * pass left on its parameters and updates the values in place; per-parameter state (velocity, moments)
 * is kept by the optimizer, keyed by the parameter.
 */
import { invalid, show } from '../errors.js';
import type { Parameter } from '../layers/layer.js';

export interface Optimizer {
  readonly name: string;
  learningRate: number;
  /** Applies one update to every parameter from its current gradient. */
  step(parameters: readonly Parameter[]): void;
}

function checkRate(op: string, arg: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    invalid(op, arg, `must be a number in [${min}, ${max}], got ${show(value)}`);
  }
  return value;
}

/** SGD with momentum (Keras): velocity = momentum * velocity - lr * grad; value += velocity. */
export class SGD implements Optimizer {
  readonly name = 'sgd';
  learningRate: number;
  readonly momentum: number;
  private readonly velocity = new Map<Parameter, Float32Array>();

  constructor(options: { learningRate?: number; momentum?: number } = {}) {
    this.learningRate = checkRate('SGD', 'learningRate', options.learningRate ?? 0.01, 0, Infinity);
    this.momentum = checkRate('SGD', 'momentum', options.momentum ?? 0, 0, 1);
  }

  step(parameters: readonly Parameter[]): void {
    const lr = this.learningRate;
    for (const p of parameters) {
      if (this.momentum === 0) {
        for (let i = 0; i < p.value.length; i++) p.value[i] -= lr * p.grad[i];
        continue;
      }
      let v = this.velocity.get(p);
      if (!v) this.velocity.set(p, (v = new Float32Array(p.value.length)));
      for (let i = 0; i < p.value.length; i++) {
        v[i] = this.momentum * v[i] - lr * p.grad[i];
        p.value[i] += v[i];
      }
    }
  }
}

/**
 * Adam (Keras): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * value -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon).
 */
export class Adam implements Optimizer {
  readonly name = 'adam';
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private t = 0;
  private readonly moments = new Map<Parameter, { m: Float32Array; v: Float32Array }>();

  constructor(options: { learningRate?: number; beta1?: number; beta2?: number; epsilon?: number } = {}) {
    this.learningRate = checkRate('Adam', 'learningRate', options.learningRate ?? 0.001, 0, Infinity);
    this.beta1 = checkRate('Adam', 'beta1', options.beta1 ?? 0.9, 0, 0.999999);
    this.beta2 = checkRate('Adam', 'beta2', options.beta2 ?? 0.999, 0, 0.999999);
    this.epsilon = checkRate('Adam', 'epsilon', options.epsilon ?? 1e-7, 0, 1);
  }

  step(parameters: readonly Parameter[]): void {
    this.t++;
    const { beta1, beta2, epsilon } = this;
    const stepSize = (this.learningRate * Math.sqrt(1 - beta2 ** this.t)) / (1 - beta1 ** this.t);
    for (const p of parameters) {
      let state = this.moments.get(p);
      if (!state) {
        state = { m: new Float32Array(p.value.length), v: new Float32Array(p.value.length) };
        this.moments.set(p, state);
      }
      const { m, v } = state;
      for (let i = 0; i < p.value.length; i++) {
        const g = p.grad[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        p.value[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + epsilon);
      }
    }
  }
}

export const OPTIMIZERS = ['adam', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Builds an optimizer by name; SGD gets momentum 0.9 unless told otherwise. */
export function createOptimizer(name: unknown, learningRate?: number, momentum = 0.9): Optimizer {
  if (name === 'adam') return new Adam({ learningRate });
  if (name === 'sgd') return new SGD({ learningRate, momentum });
  return invalid('createOptimizer', 'name', `must be 'adam' or 'sgd', got ${show(name)}`);
}
