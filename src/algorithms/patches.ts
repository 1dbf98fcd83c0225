/**
 * Image patches (the "extract_image_patches" step of im2col). Row r of the patch matrix is output
 * pixel r = (b * outHeight + oy) * outWidth + ox; its columns run over (ky, kx, channel), channel
 * fastest, exactly as tf.image.extract_patches orders its output depth. Cells that fall on padding are 0.
 */
import type { WindowGeometry } from '../geometry.js';

/**
 * Writes `rowCount` patch rows starting at `firstRow` into `dst` (row-major, `rowLength` floats a row,
 * which must be >= filterHeight * filterWidth * channelCount). `input` is NHWC. Only channels
 * [firstChannel, firstChannel + channelCount) are taken (one group of a grouped convolution).
 */
export function fillPatchRows(
  g: WindowGeometry,
  input: Float32Array,
  firstRow: number,
  rowCount: number,
  dst: Float32Array,
  rowLength: number,
  firstChannel = 0,
  channelCount = g.inChannels,
): void {
  const rowStride = g.inWidth * g.inChannels;
  const imageStride = g.inHeight * rowStride;
  const pixelsPerImage = g.outHeight * g.outWidth;
  for (let r = 0; r < rowCount; r++) {
    const pixel = firstRow + r;
    const b = Math.floor(pixel / pixelsPerImage);
    const inImage = pixel - b * pixelsPerImage;
    const oy = Math.floor(inImage / g.outWidth);
    const ox = inImage - oy * g.outWidth;
    let d = r * rowLength;
    for (let ky = 0; ky < g.filterHeight; ky++) {
      const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
      const rowInside = iy >= 0 && iy < g.inHeight;
      for (let kx = 0; kx < g.filterWidth; kx++) {
        const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
        if (rowInside && ix >= 0 && ix < g.inWidth) {
          const s = b * imageStride + iy * rowStride + ix * g.inChannels + firstChannel;
          for (let c = 0; c < channelCount; c++) dst[d + c] = input[s + c];
        } else {
          dst.fill(0, d, d + channelCount);
        }
        d += channelCount;
      }
    }
  }
}
