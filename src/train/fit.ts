/**
 * The training loop: epochs of shuffled mini-batches, one optimizer step per batch, with an optional
 * wall-clock limit. It yields to the event loop between batches so progress output and timers run.
 */
import { invalid, show } from '../errors.js';
import type { Sequential } from '../layers/sequential.js';
import { createRng, shuffleInPlace } from '../layers/random.js';
import { dataTensor, gatherBatch, type LabeledData } from './dataset.js';
import type { Optimizer } from './optimizers.js';
import { randomShift } from './augment.js';
import type { Tensor } from '../tensor.js';
import type { Labels } from '../layers/losses.js';

/** Mean loss and correct predictions of one batch. */
export interface StepResult {
  loss: number;
  correct: number;
}

export interface BatchInfo {
  epoch: number;
  /** Batch number within the epoch, from 1. */
  batch: number;
  batchesPerEpoch: number;
  loss: number;
  /** Accuracy on the training batches of this epoch so far. */
  accuracy: number;
  seconds: number;
}

export interface EpochInfo {
  epoch: number;
  loss: number;
  accuracy: number;
  seconds: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  /** Seed for the order of the training examples in each epoch. */
  seed?: number;
  /** Stop after the batch during which this many seconds have passed. */
  timeLimitSeconds?: number;
  /**
   * Computes a batch's gradients into the model's parameters in place of model.computeGradients, e.g.
   * ParallelGradients (parallel_gradients.ts), which spreads each batch over worker threads.
   */
  gradients?: { computeGradients(x: Tensor, labels: Labels): Promise<StepResult> | StepResult };
  /** Shift each training image by up to this many pixels each way, at random (0: no augmentation). */
  maxShift?: number;
  /** Learning rate for each epoch (from 1), given the optimizer's initial rate; default constant. */
  learningRateSchedule?: (epoch: number, initialRate: number) => number;
  onBatchEnd?: (info: BatchInfo) => void;
  onEpochEnd?: (info: EpochInfo) => void;
}

export interface FitResult {
  epochs: EpochInfo[];
  steps: number;
  examplesSeen: number;
  seconds: number;
  stoppedByTimeLimit: boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function fit(model: Sequential, data: LabeledData, options: FitOptions): Promise<FitResult> {
  const op = 'fit';
  const { epochs, batchSize, optimizer } = options;
  if (!Number.isSafeInteger(epochs) || epochs < 1) {
    invalid(op, 'epochs', `must be an integer >= 1, got ${show(epochs)}`);
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    invalid(op, 'batchSize', `must be an integer >= 1, got ${show(batchSize)}`);
  }
  const limit = options.timeLimitSeconds ?? Infinity;
  if (!(limit > 0)) invalid(op, 'timeLimitSeconds', `must be a number > 0, got ${show(limit)}`);
  const gradients = options.gradients ?? model;
  const rng = createRng(options.seed ?? 0);
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  const batchesPerEpoch = Math.ceil(data.count / batchSize);
  const initialRate = optimizer.learningRate;
  const parameters = model.parameters().map((p) => p.parameter);
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const result: FitResult = { epochs: [], steps: 0, examplesSeen: 0, seconds: 0, stoppedByTimeLimit: false };

  for (let epoch = 1; epoch <= epochs && !result.stoppedByTimeLimit; epoch++) {
    if (options.learningRateSchedule)
      optimizer.learningRate = options.learningRateSchedule(epoch, initialRate);
    shuffleInPlace(order, rng);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let b = 0; b < batchesPerEpoch; b++) {
      const n = Math.min(batchSize, data.count - b * batchSize);
      const { x, labels } = gatherBatch(data, order, b * batchSize, n);
      const step = await gradients.computeGradients(randomShift(x, options.maxShift ?? 0, rng), labels);
      optimizer.step(parameters);
      lossSum += step.loss * n;
      correct += step.correct;
      seen += n;
      result.steps++;
      result.examplesSeen += n;
      options.onBatchEnd?.({
        epoch,
        batch: b + 1,
        batchesPerEpoch,
        loss: lossSum / seen,
        accuracy: correct / seen,
        seconds: elapsed(),
      });
      await yieldToEventLoop();
      if (elapsed() >= limit) {
        result.stoppedByTimeLimit = true;
        break;
      }
    }
    const info = { epoch, loss: lossSum / seen, accuracy: correct / seen, seconds: elapsed() };
    result.epochs.push(info);
    options.onEpochEnd?.(info);
  }
  result.seconds = elapsed();
  return result;
}

/** Accuracy of the model's predictions (argmax of its output) on a set. */
export function evaluate(
  model: Sequential,
  data: LabeledData,
  batchSize = 500,
): { accuracy: number; correct: number } {
  const output = model.predict(dataTensor(data), batchSize);
  const classes = output.shape[1];
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++)
      if (output.data[i * classes + j] > output.data[i * classes + best]) best = j;
    if (best === data.labels[i]) correct++;
  }
  return { accuracy: data.count > 0 ? correct / data.count : 0, correct };
}
