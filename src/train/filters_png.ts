/**
 * A PNG picture of a convolution layer's filters: one tile per (output channel, input channel) pair,
 * each weight drawn as a square of `cell` pixels, grey 128 for zero, lighter for positive and darker
 * for negative weights (each tile scaled by its own largest magnitude).
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { invalid, show } from '../errors.js';
import { Conv2D } from '../layers/conv2d_layer.js';
import type { Sequential } from '../layers/sequential.js';

const GAP = 2;
const GAP_RGB = [32, 40, 64];

/** PNG bytes for a kernel of shape [height, width, in_channels, out_channels]. */
export function filtersPng(kernel: Float32Array, shape: readonly number[], cell = 12): Buffer {
  if (shape.length !== 4)
    invalid('filtersPng', 'shape', `must be [height, width, in, out], got ${show(shape)}`);
  const [kh, kw, inC, outC] = shape;
  const tiles = inC * outC;
  // About twice as wide as tall: 8 filters make 4 x 2.
  const columns = Math.min(tiles, Math.ceil(Math.sqrt(2 * tiles)));
  const rows = Math.ceil(tiles / columns);
  const tileW = kw * cell;
  const tileH = kh * cell;
  const png = new PNG({ width: columns * (tileW + GAP) + GAP, height: rows * (tileH + GAP) + GAP });
  for (let i = 0; i < png.data.length; i += 4) {
    png.data[i] = GAP_RGB[0];
    png.data[i + 1] = GAP_RGB[1];
    png.data[i + 2] = GAP_RGB[2];
    png.data[i + 3] = 255;
  }
  for (let t = 0; t < tiles; t++) {
    const o = Math.floor(t / inC);
    const c = t % inC;
    const at = (y: number, x: number): number => kernel[((y * kw + x) * inC + c) * outC + o];
    let maxAbs = 0;
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) maxAbs = Math.max(maxAbs, Math.abs(at(y, x)));
    const left = GAP + (t % columns) * (tileW + GAP);
    const top = GAP + Math.floor(t / columns) * (tileH + GAP);
    for (let py = 0; py < tileH; py++) {
      for (let px = 0; px < tileW; px++) {
        const v = maxAbs > 0 ? at(Math.floor(py / cell), Math.floor(px / cell)) / maxAbs : 0;
        const grey = Math.round(128 + 127 * v);
        const i = ((top + py) * png.width + left + px) * 4;
        png.data[i] = grey;
        png.data[i + 1] = grey;
        png.data[i + 2] = grey;
      }
    }
  }
  return PNG.sync.write(png);
}

/** Writes the filters of the model's first Conv2D layer to `path` as a PNG grid. */
export function writeFirstLayerFiltersPng(model: Sequential, path: string, cell = 12): void {
  const conv = model.layers.find((l): l is Conv2D => l instanceof Conv2D);
  if (!conv) invalid('writeFirstLayerFiltersPng', 'model', 'has no Conv2D layer');
  const kernel = conv.parameters().find((p) => p.name === 'kernel');
  if (!kernel) invalid('writeFirstLayerFiltersPng', 'model', `layer '${conv.name}' is not built`);
  writeFileSync(path, filtersPng(kernel.value, kernel.shape, cell));
}
