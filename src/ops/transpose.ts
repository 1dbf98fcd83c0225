/** transpose: reorders axes (reverses them by default), as tf.transpose. */
import { Tensor, toTensor } from '../tensor.js';
import { invalid, show } from '../errors.js';
import { permute } from '../kernels/permute.js';

export function transpose(x: Tensor, perm?: number[]): Tensor {
  const op = 'transpose';
  const t = toTensor(op, 'x', x);
  const order = perm ?? t.shape.map((_, i) => t.rank - 1 - i);
  const sorted = Array.isArray(order) ? [...order].sort((a, b) => a - b) : [];
  if (!Array.isArray(order) || order.length !== t.rank || sorted.some((v, i) => v !== i)) {
    invalid(
      op,
      'perm',
      `must be a permutation of 0..${t.rank - 1} for shape ${show(t.shape)}, got ${show(perm)}`,
    );
  }
  return new Tensor(
    permute(t.data, t.shape, order),
    order.map((p) => t.shape[p]),
  );
}
