/**
 * The direct algorithm: conv2d exactly as its definition reads. This is the spec every fast path is
 * tested against, so it stays plain: one loop per index, sums in float64, no tricks. It reads both
 * layouts (NHWC, NCHW) through element strides and handles groups, strides, dilations and padding.
 */
import { layoutStrides, type ConvGeometry } from '../geometry.js';

export function conv2dDirect(g: ConvGeometry, input: Float32Array, filter: Float32Array): Float32Array {
  const x = layoutStrides(g.dataFormat, g.inHeight, g.inWidth, g.inChannels);
  const y = layoutStrides(g.dataFormat, g.outHeight, g.outWidth, g.outChannels);
  const output = new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  const outPerGroup = g.outChannels / g.groups;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        for (let oc = 0; oc < g.outChannels; oc++) {
          const firstInChannel = Math.floor(oc / outPerGroup) * g.filterInChannels;
          let sum = 0;
          for (let ky = 0; ky < g.filterHeight; ky++) {
            // Input row under filter row ky; outside [0, inHeight) the tap falls on padding.
            const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
            for (let kx = 0; kx < g.filterWidth; kx++) {
              const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
              const inside = iy >= 0 && iy < g.inHeight && ix >= 0 && ix < g.inWidth;
              for (let ic = 0; ic < g.filterInChannels; ic++) {
                // Padding is a real zero that is multiplied (so 0 * Infinity gives NaN, as TensorFlow's
                // patch-based kernels do), not a skipped term.
                const xValue = inside
                  ? input[b * x.n + iy * x.h + ix * x.w + (firstInChannel + ic) * x.c]
                  : 0;
                const wValue =
                  filter[((ky * g.filterWidth + kx) * g.filterInChannels + ic) * g.outChannels + oc];
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
