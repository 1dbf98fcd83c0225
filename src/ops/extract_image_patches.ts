/** extractImagePatches: tf.image.extract_patches (a.k.a. tf.extract_image_patches). */
import { Tensor, sizeOf, toTensor } from '../tensor.js';
import { patchesGeometry, type PatchesOptions } from '../geometry.js';
import { fillPatchRows } from '../algorithms/patches.js';
import { checkOptionKeys } from './options.js';

/**
 * Every `sizes` window of `images` ([batch, rows, cols, depth]) laid out along the depth axis:
 * output [batch, out_rows, out_cols, size_rows * size_cols * depth], ordered (row, col, depth).
 * sizes/strides/rates are [1, r, c, 1]; rates space the window's taps (dilation). Padding cells are 0.
 */
export function extractImagePatches(images: Tensor, options: PatchesOptions): Tensor {
  const op = 'extractImagePatches';
  const opts = checkOptionKeys(op, options, ['sizes', 'strides', 'rates', 'padding']);
  const x = toTensor(op, 'images', images);
  const g = patchesGeometry(op, x.shape, opts);
  const rowLength = g.outputShape[3];
  const out = new Float32Array(sizeOf(g.outputShape));
  if (out.length === 0) return new Tensor(out, g.outputShape);
  fillPatchRows(g, x.data, 0, g.batch * g.outHeight * g.outWidth, out, rowLength);
  return new Tensor(out, g.outputShape);
}
