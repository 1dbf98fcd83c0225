/**
 * The direct algorithm: conv2d exactly as its definition reads. This is the spec every fast path is
 * tested against, so it stays plain: one loop per index, sums in float64, no tricks. It reads both
 * layouts (NHWC, NCHW) through element strides and handles groups, strides, dilations and padding.
 */
import { layoutStrides, type ConvGeometry } from '../geometry.js';

/** `out` (optional, the output's size): written (every element) and returned instead of a new array. */
export function conv2dDirect(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  out?: Float32Array,
): Float32Array {
  const { batch, inHeight, inWidth, outHeight, outWidth, outChannels, filterHeight, filterWidth } = g;
  const { filterInChannels, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = g;
  const x = layoutStrides(g.dataFormat, inHeight, inWidth, g.inChannels);
  const y = layoutStrides(g.dataFormat, outHeight, outWidth, outChannels);
  const output = out ?? new Float32Array(batch * outHeight * outWidth * outChannels);
  const outPerGroup = outChannels / g.groups;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let oc = 0; oc < outChannels; oc++) {
          const firstInChannel = Math.floor(oc / outPerGroup) * filterInChannels;
          let sum = 0;
          for (let ky = 0; ky < filterHeight; ky++) {
            // Input row under filter row ky; outside [0, inHeight) the tap falls on padding.
            const iy = oy * strideHeight - padTop + ky * dilationHeight;
            for (let kx = 0; kx < filterWidth; kx++) {
              const ix = ox * strideWidth - padLeft + kx * dilationWidth;
              const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
              for (let ic = 0; ic < filterInChannels; ic++) {
                // Padding is a real zero that is multiplied (so 0 * Infinity gives NaN, as TensorFlow's
                // patch-based kernels do), not a skipped term.
                const xValue = inside
                  ? input[b * x.n + iy * x.h + ix * x.w + (firstInChannel + ic) * x.c]
                  : 0;
                const wValue = filter[((ky * filterWidth + kx) * filterInChannels + ic) * outChannels + oc];
                sum += xValue * wValue;
              }
            }
          }
          output[b * y.n + oy * y.h + ox * y.w + oc * y.c] = sum;
        }
      }
    }
  }
  return output;
}
