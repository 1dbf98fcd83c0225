/**
 * Data augmentation for digit images: each image in a batch is shifted by a random whole number of
 * pixels (up to `maxShift` each way, vertically and horizontally), filling the uncovered border with 0
 * (the background). A shifted digit is still the same digit, so the model sees more variety than the
 * training set holds.
 */
import { Tensor } from '../tensor.js';
import type { Rng } from '../layers/random.js';

export function randomShift(x: Tensor, maxShift: number, rng: Rng): Tensor {
  if (maxShift <= 0) return x;
  const [batch, height, width, channels] = x.shape;
  const out = new Float32Array(x.size);
  const imageSize = height * width * channels;
  const rowSize = width * channels;
  for (let b = 0; b < batch; b++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    const base = b * imageSize;
    // Output row y takes input row y - dy; columns likewise, as one contiguous run per row.
    const x0 = Math.max(0, dx);
    const x1 = Math.min(width, width + dx);
    for (let y = Math.max(0, dy); y < Math.min(height, height + dy); y++) {
      const from = base + (y - dy) * rowSize + (x0 - dx) * channels;
      out.set(x.data.subarray(from, from + (x1 - x0) * channels), base + y * rowSize + x0 * channels);
    }
  }
  return new Tensor(out, x.shape);
}
