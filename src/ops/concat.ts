/** concat: joins tensors along an axis, as tf.concat. */
import { Tensor, sizeOf, toTensor } from '../tensor.js';
import { invalid, show } from '../errors.js';
import { normalizeAxis } from './options.js';

export function concat(tensors: Tensor[], axis: number): Tensor {
  const op = 'concat';
  if (!Array.isArray(tensors) || tensors.length === 0) {
    invalid(op, 'tensors', `must be a non-empty list of tensors, got ${show(tensors)}`);
  }
  const parts = tensors.map((t, i) => toTensor(op, `tensors[${i}]`, t));
  const first = parts[0];
  const ax = normalizeAxis(op, 'axis', axis, first.rank);
  parts.forEach((t, i) => {
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== ax && d !== first.shape[j])) {
      invalid(
        op,
        `tensors[${i}]`,
        `has shape ${show(t.shape)}, which does not match ${show(first.shape)} outside axis ${ax}`,
      );
    }
  });
  const shape = [...first.shape];
  shape[ax] = parts.reduce((s, t) => s + t.shape[ax], 0);
  const out = new Float32Array(sizeOf(shape));
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const t of parts) {
      const chunk = t.shape[ax] * inner;
      out.set(t.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return new Tensor(out, shape);
}
