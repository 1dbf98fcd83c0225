/** squeeze: drops axes of size 1 (all of them, or the ones named), as tf.squeeze. */
import { Tensor, toTensor } from '../tensor.js';
import { invalid, show } from '../errors.js';
import { normalizeAxis } from './options.js';

export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  const op = 'squeeze';
  const t = toTensor(op, 'x', x);
  let drop: Set<number>;
  if (axis === undefined) {
    drop = new Set(t.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  } else {
    const axes = Array.isArray(axis) ? axis : [axis];
    drop = new Set(axes.map((a) => normalizeAxis(op, 'axis', a, t.rank)));
    for (const a of drop) {
      if (t.shape[a] !== 1)
        invalid(
          op,
          'axis',
          `${show(axis)} names axis ${a} of size ${t.shape[a]}; only size-1 axes can be squeezed (shape ${show(t.shape)})`,
        );
    }
  }
  return new Tensor(
    t.data.slice(),
    t.shape.filter((_, i) => !drop.has(i)),
  );
}
