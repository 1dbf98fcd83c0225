/**
 * Sequential: a stack of layers, each feeding the next. Forward runs them in order over a mini-batch;
 * backward runs their gradients in reverse. computeGradients does one training step's worth of
 * work (forward, softmax cross-entropy, backward) and leaves the gradients on the parameters for an
 * optimizer to apply.
 */
import { invalid, show } from '../errors.js';
import { Tensor } from '../tensor.js';
import { isActivatedLayer, type Layer, type Parameter } from './layer.js';
import { softmaxCrossEntropy, type Labels } from './losses.js';
import { Workspace, inWorkspace } from './workspace.js';

export interface SequentialOptions {
  layers?: Layer[];
  /** Shape of one example, without the batch axis, e.g. [28, 28, 1]. */
  inputShape?: number[];
  /** Seed for the layers' initialisers: the same seed builds the same weights. */
  seed?: number;
  name?: string;
}

/** Keras' snake_case base names for automatic layer names ('conv2d', 'conv2d_1', ...). */
const BASE_NAMES: Record<string, string> = {
  Conv2D: 'conv2d',
  Dense: 'dense',
  MaxPooling2D: 'max_pooling2d',
  Flatten: 'flatten',
  ReLU: 're_lu',
};

export class Sequential {
  readonly className = 'Sequential';
  readonly name: string;
  readonly seed: number;
  private readonly stack: Layer[] = [];
  private shapeIn: readonly number[] | null = null;
  private shapeOut: readonly number[] | null = null;
  /** Output shape (no batch axis) of each layer, from build. */
  private layerShapes: (readonly number[])[] = [];
  /** Activation and gradient buffers, reused from one training step to the next. */
  private readonly workspace = new Workspace();

  constructor(options: SequentialOptions = {}) {
    if (options === null || typeof options !== 'object') {
      invalid('Sequential', 'options', `must be an object, got ${show(options)}`);
    }
    this.name = options.name ?? 'sequential';
    this.seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.seed))
      invalid('Sequential', 'seed', `must be an integer, got ${show(options.seed)}`);
    for (const layer of options.layers ?? []) this.add(layer);
    if (options.inputShape !== undefined) this.build(options.inputShape);
  }

  get layers(): readonly Layer[] {
    return this.stack;
  }

  /** Shape of one input example, once built. */
  get inputShape(): readonly number[] | null {
    return this.shapeIn;
  }

  /** Shape of one output example, once built. */
  get outputShape(): readonly number[] | null {
    return this.shapeOut;
  }

  add(layer: Layer): this {
    if (this.shapeIn !== null)
      invalid('Sequential.add', 'layer', 'cannot be added after the model was built');
    if (layer === null || typeof layer !== 'object' || typeof layer.forward !== 'function') {
      invalid('Sequential.add', 'layer', `must be a layer (Conv2D, Dense, ...), got ${show(layer)}`);
    }
    if (!layer.name) {
      const base = BASE_NAMES[layer.className] ?? layer.className.toLowerCase();
      const used = new Set(this.stack.map((l) => l.name));
      let name = base;
      for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
      layer.name = name;
    } else if (this.stack.some((l) => l.name === layer.name)) {
      invalid('Sequential.add', 'layer', `name ${show(layer.name)} is already used in this model`);
    }
    this.stack.push(layer);
    return this;
  }

  /** Builds every layer for examples of `inputShape` (no batch axis) and creates their weights. */
  build(inputShape: readonly number[]): this {
    if (!Array.isArray(inputShape) || inputShape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      invalid(
        'Sequential.build',
        'inputShape',
        `must be a list of positive integers, got ${show(inputShape)}`,
      );
    }
    if (this.stack.length === 0) invalid('Sequential.build', 'layers', 'must hold at least one layer');
    let shape: readonly number[] = [...inputShape];
    this.layerShapes = this.stack.map((layer, i) => {
      shape = Object.freeze([...layer.build(shape, layerSeed(this.seed, i))]);
      return shape;
    });
    this.shapeIn = Object.freeze([...inputShape]);
    this.shapeOut = Object.freeze([...shape]);
    return this;
  }

  /** Every trainable weight, layer by layer. */
  parameters(): { layer: Layer; parameter: Parameter }[] {
    return this.stack.flatMap((layer) => layer.parameters().map((parameter) => ({ layer, parameter })));
  }

  /** Runs the batch through every layer. With `training`, the layers keep what backward needs. */
  forward(x: Tensor, training = false): Tensor {
    if (!(x instanceof Tensor)) invalid('Sequential.forward', 'x', `must be a Tensor, got ${show(x)}`);
    if (this.shapeIn === null) this.build(x.shape.slice(1));
    let y = x;
    for (const layer of this.stack) y = layer.forward(y, training);
    return y;
  }

  /**
   * Gradients for the last training forward pass, given d(loss)/d(output); `fromLayer` starts lower
   * in the stack (the loss may already have stepped through the top layer's softmax).
   */
  backward(dOutput: Tensor, fromLayer = this.stack.length - 1): void {
    let grad: Tensor | null = dOutput;
    for (let i = fromLayer; i >= 0 && grad !== null; i--) grad = this.stack[i].backward(grad, i > 0);
  }

  /**
   * One step's gradients: forward (training), softmax cross-entropy against `labels` (class indices)
   * and backward. When the last layer ends in softmax, the loss reads its logits; otherwise the
   * output itself is taken as logits. Returns the mean loss and the count of correct predictions.
   * The step's activations live in buffers the next step reuses (see workspace.ts): the layers'
   * lastPreActivation() values are valid until then.
   */
  computeGradients(x: Tensor, labels: Labels): { loss: number; correct: number } {
    return inWorkspace(this.workspace, () => this.gradientStep(x, labels));
  }

  private gradientStep(x: Tensor, labels: Labels): { loss: number; correct: number } {
    const output = this.forward(x, true);
    const last = this.stack[this.stack.length - 1];
    if (isActivatedLayer(last) && last.activation === 'softmax') {
      const { loss, dLogits, correct } = softmaxCrossEntropy(last.lastPreActivation(), labels);
      const below = last.backwardFromPreActivation(dLogits, this.stack.length > 1);
      if (below) this.backward(below, this.stack.length - 2);
      return { loss, correct };
    }
    const { loss, dLogits, correct } = softmaxCrossEntropy(output, labels);
    this.backward(dLogits);
    return { loss, correct };
  }

  /** Outputs for any number of examples, computed `batchSize` at a time. */
  predict(x: Tensor, batchSize = 256): Tensor {
    if (!(x instanceof Tensor)) invalid('Sequential.predict', 'x', `must be a Tensor, got ${show(x)}`);
    if (this.shapeIn === null) this.build(x.shape.slice(1));
    const count = x.shape[0];
    const perExample = x.size / Math.max(count, 1);
    const outPer = (this.shapeOut as number[]).reduce((a, b) => a * b, 1);
    const out = new Float32Array(count * outPer);
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const batch = new Tensor(x.data.subarray(start * perExample, (start + n) * perExample), [
        n,
        ...x.shape.slice(1),
      ]);
      out.set(this.forward(batch, false).data, start * outPer);
    }
    return new Tensor(out, [count, ...(this.shapeOut as number[])]);
  }

  /** A table of layers, output shapes and parameter counts, like Keras' model.summary(). */
  summary(): string {
    const rows: string[] = [];
    if (this.shapeIn === null) return `${this.name}: not built yet (${this.stack.length} layers)`;
    let total = 0;
    this.stack.forEach((layer, i) => {
      const count = layer.parameters().reduce((n, p) => n + p.value.length, 0);
      total += count;
      const shape = show([null, ...this.layerShapes[i]]);
      rows.push(`${`${layer.name} (${layer.className})`.padEnd(34)}${shape.padEnd(22)}${count}`);
    });
    return [`Model: ${this.name}`, ...rows, `Total params: ${total}`].join('\n');
  }
}

/** A distinct, repeatable seed for layer `index` of a model seeded with `seed`. */
function layerSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}
