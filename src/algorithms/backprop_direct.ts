/**
 * The gradients of conv2d, written as the adjoint of the direct algorithm (direct.ts): the same loops
 * over every output pixel and filter tap, but instead of gathering input * filter into one output,
 * each tap scatters dy back to where it came from:
 *   forward:          y[b, oy, ox, oc]        += x[b, iy, ix, ic] * w[ky, kx, ic', oc]
 *   input gradient:   dx[b, iy, ix, ic]       += dy[b, oy, ox, oc] * w[ky, kx, ic', oc]
 *   filter gradient:  dw[ky, kx, ic', oc]     += dy[b, oy, ox, oc] * x[b, iy, ix, ic]
 * with iy = oy * stride - padTop + ky * dilation (likewise ix), and ic = group's first channel + ic'.
 * This is the readable reference the fast paths are tested against: sums in float64, no tricks.
 */
import { layoutStrides, type ConvGeometry } from '../geometry.js';

/** dL/dx for L = sum(conv2d(x, filter) * dy): a tensor of g.inputShape, in g.dataFormat. */
export function conv2dBackpropInputDirect(
  g: ConvGeometry,
  filter: Float32Array,
  dy: Float32Array,
  out?: Float32Array,
  scratch?: Float64Array,
): Float32Array {
  const x = layoutStrides(g.dataFormat, g.inHeight, g.inWidth, g.inChannels);
  const y = layoutStrides(g.dataFormat, g.outHeight, g.outWidth, g.outChannels);
  const size = g.batch * g.inHeight * g.inWidth * g.inChannels;
  const dx = scratch && scratch.length === size ? scratch.fill(0) : new Float64Array(size);
  const outPerGroup = g.outChannels / g.groups;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        for (let oc = 0; oc < g.outChannels; oc++) {
          const grad = dy[b * y.n + oy * y.h + ox * y.w + oc * y.c];
          const firstInChannel = Math.floor(oc / outPerGroup) * g.filterInChannels;
          for (let ky = 0; ky < g.filterHeight; ky++) {
            const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
            // A tap on padding read a constant zero: nothing flows back from it.
            if (iy < 0 || iy >= g.inHeight) continue;
            for (let kx = 0; kx < g.filterWidth; kx++) {
              const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
              if (ix < 0 || ix >= g.inWidth) continue;
              for (let ic = 0; ic < g.filterInChannels; ic++) {
                const wValue =
                  filter[((ky * g.filterWidth + kx) * g.filterInChannels + ic) * g.outChannels + oc];
                dx[b * x.n + iy * x.h + ix * x.w + (firstInChannel + ic) * x.c] += grad * wValue;
              }
            }
          }
        }
      }
    }
  }
  if (!out) return Float32Array.from(dx);
  out.set(dx);
  return out;
}

/** dL/dw for L = sum(conv2d(input, w) * dy): a [filter_height, filter_width, in_channels, out_channels] tensor. */
export function conv2dBackpropFilterDirect(
  g: ConvGeometry,
  input: Float32Array,
  dy: Float32Array,
): Float32Array {
  const x = layoutStrides(g.dataFormat, g.inHeight, g.inWidth, g.inChannels);
  const y = layoutStrides(g.dataFormat, g.outHeight, g.outWidth, g.outChannels);
  const dw = new Float64Array(g.filterHeight * g.filterWidth * g.filterInChannels * g.outChannels);
  const outPerGroup = g.outChannels / g.groups;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        for (let oc = 0; oc < g.outChannels; oc++) {
          const grad = dy[b * y.n + oy * y.h + ox * y.w + oc * y.c];
          const firstInChannel = Math.floor(oc / outPerGroup) * g.filterInChannels;
          for (let ky = 0; ky < g.filterHeight; ky++) {
            const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
            for (let kx = 0; kx < g.filterWidth; kx++) {
              const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
              const inside = iy >= 0 && iy < g.inHeight && ix >= 0 && ix < g.inWidth;
              for (let ic = 0; ic < g.filterInChannels; ic++) {
                // Padding is a real zero times dy (0 * Infinity is NaN), as in the patch-based GEMM path.
                const xValue = inside
                  ? input[b * x.n + iy * x.h + ix * x.w + (firstInChannel + ic) * x.c]
                  : 0;
                dw[((ky * g.filterWidth + kx) * g.filterInChannels + ic) * g.outChannels + oc] +=
                  grad * xValue;
              }
            }
          }
        }
      }
    }
  }
  return Float32Array.from(dw);
}
