/** multiply: elementwise product with NumPy/TensorFlow broadcasting, as tf.multiply. */
import { Tensor, sizeOf, toTensor, checkAllocatable } from '../tensor.js';
import { invalid, show } from '../errors.js';

/** The broadcast shape of two shapes (trailing axes aligned; sizes equal or 1), or an error. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      invalid(
        op,
        'b',
        `of shape ${show(b)} cannot be broadcast with a of shape ${show(a)} (axis ${i}: ${da} vs ${db})`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element strides of `shape` seen through broadcast `outShape` (0 on broadcast axes). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = outShape.length - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

export function multiply(a: Tensor | number, b: Tensor | number): Tensor {
  const op = 'multiply';
  const x = toTensor(op, 'a', a);
  const y = toTensor(op, 'b', b);
  const shape = broadcastShapes(op, x.shape, y.shape);
  checkAllocatable(op, 'result', shape);
  const out = new Float32Array(sizeOf(shape));
  const sx = broadcastStrides(x.shape, shape);
  const sy = broadcastStrides(y.shape, shape);
  const index = new Array<number>(shape.length).fill(0);
  let ix = 0;
  let iy = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = x.data[ix] * y.data[iy];
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      ix += sx[d];
      iy += sy[d];
      if (index[d] < shape[d]) break;
      ix -= sx[d] * shape[d];
      iy -= sy[d] * shape[d];
      index[d] = 0;
    }
  }
  return new Tensor(out, shape);
}
