/**
 * Labeled examples for training: all examples' values back to back in one buffer, each of
 * `exampleShape` (e.g. [28, 28, 1] for an NHWC digit), with one class label each.
 */
import { Tensor } from '../tensor.js';

export interface LabeledData {
  /** count * size(exampleShape) values, example after example. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  exampleShape: readonly number[];
}

function exampleSize(data: LabeledData): number {
  return data.exampleShape.reduce((a, b) => a * b, 1);
}

/** The examples at positions order[start, start + n) as a batch [n, ...exampleShape], with their labels. */
export function gatherBatch(
  data: LabeledData,
  order: ArrayLike<number>,
  start: number,
  n: number,
): { x: Tensor; labels: Uint8Array } {
  const size = exampleSize(data);
  const images = new Float32Array(n * size);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = order[start + i];
    images.set(data.images.subarray(k * size, (k + 1) * size), i * size);
    labels[i] = data.labels[k];
  }
  return { x: new Tensor(images, [n, ...data.exampleShape]), labels };
}

/** All examples as one tensor [count, ...exampleShape] (shares the data's memory). */
export function dataTensor(data: LabeledData): Tensor {
  return new Tensor(data.images, [data.count, ...data.exampleShape]);
}
