/**
 * Softmax cross-entropy: the loss for classification, on logits (the values before softmax). Fusing
 * the softmax into the loss gives the simple, stable gradient (softmax(z) - onehot(label)) / batch,
 * where computing -log(p) from probabilities would overflow for p = 0.
 */
import { invalid, show } from '../errors.js';
import { Tensor } from '../tensor.js';

export interface LossResult {
  /** Mean loss over the batch. */
  loss: number;
  /** d(mean loss) / d(logits), same shape as the logits. */
  dLogits: Tensor;
  /** How many rows' largest logit is at the label. */
  correct: number;
}

export type Labels = ArrayLike<number>;

export function softmaxCrossEntropy(logits: Tensor, labels: Labels): LossResult {
  const op = 'softmaxCrossEntropy';
  if (logits.rank !== 2) invalid(op, 'logits', `must be [batch, classes], got shape ${show(logits.shape)}`);
  const [batch, classes] = logits.shape;
  if (labels.length !== batch) {
    invalid(op, 'labels', `must hold one class per row: ${batch} rows but ${labels.length} labels`);
  }
  const z = logits.data;
  const dz = new Float32Array(z.length);
  let total = 0;
  let correct = 0;
  for (let row = 0; row < batch; row++) {
    const label = labels[row];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      invalid(op, 'labels', `must be class indices in [0, ${classes - 1}], got ${show(label)} at row ${row}`);
    }
    const base = row * classes;
    let max = -Infinity;
    let argmax = 0;
    for (let j = 0; j < classes; j++) {
      if (z[base + j] > max) {
        max = z[base + j];
        argmax = j;
      }
    }
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(z[base + j] - max);
    // -log softmax(z)[label] = log(sum exp(z - max)) - (z[label] - max)
    total += Math.log(sum) - (z[base + label] - max);
    if (argmax === label) correct++;
    for (let j = 0; j < classes; j++) {
      const p = Math.exp(z[base + j] - max) / sum;
      dz[base + j] = (p - (j === label ? 1 : 0)) / batch;
    }
  }
  return { loss: batch > 0 ? total / batch : 0, dLogits: new Tensor(dz, logits.shape), correct };
}
