/**
 * The direct depthwise algorithm: tf.nn.depthwise_conv2d exactly as its definition reads,
 *   output[b, i, j, k * M + q] = sum over (di, dj) of
 *       filter[di, dj, k, q] * input[b, i * stride_h - pad_top + di * rate_h, j * stride_w - pad_left + dj * rate_w, k]
 * with M the channel multiplier. It is the spec the fast kernel is tested against, so it stays plain:
 * one loop per index, sums in float64, both layouts read through element strides.
 */
import { layoutStrides, type DepthwiseGeometry } from '../geometry.js';

export function depthwiseConv2dDirect(
  g: DepthwiseGeometry,
  input: Float32Array,
  filter: Float32Array,
): Float32Array {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, channelMultiplier } = g;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = g;
  const x = layoutStrides(g.dataFormat, inHeight, inWidth, inChannels);
  const y = layoutStrides(g.dataFormat, outHeight, outWidth, outChannels);
  const output = new Float32Array(batch * outHeight * outWidth * outChannels);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let k = 0; k < inChannels; k++) {
          for (let q = 0; q < channelMultiplier; q++) {
            let sum = 0;
            for (let ky = 0; ky < filterHeight; ky++) {
              // Input row under filter row ky; outside [0, inHeight) the tap falls on padding.
              const iy = oy * strideHeight - g.padTop + ky * dilationHeight;
              for (let kx = 0; kx < filterWidth; kx++) {
                const ix = ox * strideWidth - g.padLeft + kx * dilationWidth;
                const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
                // Padding is a real zero that is multiplied (0 * Infinity gives NaN, as in TensorFlow,
                // whose kernels copy the input into a zero-padded buffer), not a skipped term.
                const xValue = inside ? input[b * x.n + iy * x.h + ix * x.w + k * x.c] : 0;
                const wValue = filter[((ky * filterWidth + kx) * inChannels + k) * channelMultiplier + q];
                sum += xValue * wValue;
              }
            }
            output[b * y.n + oy * y.h + ox * y.w + (k * channelMultiplier + q) * y.c] = sum;
          }
        }
      }
    }
  }
  return output;
}
