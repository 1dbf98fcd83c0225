/** reduceSum: sums over axes (all by default), as tf.reduce_sum; keepDims keeps them as size 1. */
import { Tensor, sizeOf, toTensor } from '../tensor.js';
import { normalizeAxis } from './options.js';
import { invalid, show } from '../errors.js';

export function reduceSum(x: Tensor, axis?: number | number[], keepDims = false): Tensor {
  const op = 'reduceSum';
  const t = toTensor(op, 'x', x);
  if (typeof keepDims !== 'boolean') invalid(op, 'keepDims', `must be true or false, got ${show(keepDims)}`);
  const axes = axis === undefined ? t.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
  const reduced = new Set(axes.map((a) => normalizeAxis(op, 'axis', a, t.rank)));
  const keptShape = t.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const sums = new Float64Array(sizeOf(keptShape));
  // Walk the input once; each element adds into the output cell with the reduced axes set to 0.
  const outStrides = new Array<number>(t.rank).fill(0);
  let stride = 1;
  for (let i = t.rank - 1; i >= 0; i--) {
    outStrides[i] = reduced.has(i) ? 0 : stride;
    stride *= keptShape[i];
  }
  const index = new Array<number>(t.rank).fill(0);
  let o = 0;
  for (let n = 0; n < t.size; n++) {
    sums[o] += t.data[n];
    for (let d = t.rank - 1; d >= 0; d--) {
      index[d]++;
      o += outStrides[d];
      if (index[d] < t.shape[d]) break;
      o -= outStrides[d] * t.shape[d];
      index[d] = 0;
    }
  }
  const shape = keepDims ? keptShape : t.shape.filter((_, i) => !reduced.has(i));
  return new Tensor(Float32Array.from(sums), shape);
}
