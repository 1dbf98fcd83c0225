/**
 * One output value as the sum of products behind it: walks the filter's taps over the input using the
 * geometry's strides, dilations and padding, exactly as the direct algorithm does, but records every
 * term (taps on padding included, with value 0) instead of only adding them up.
 */
import { layoutStrides, type ConvGeometry } from '../geometry.js';
import type { OutputBreakdown, ProductTerm } from './types.js';
import { formatFactor, formatNumber } from './numbers.js';

/** A layout index ([b, y, x, c] for NHWC, [b, c, y, x] for NCHW) from its parts. */
function layoutIndex(g: ConvGeometry, b: number, y: number, x: number, c: number): number[] {
  return g.dataFormat === 'NHWC' ? [b, y, x, c] : [b, c, y, x];
}

/** The parts of a rank-4 output layout index. */
function outputParts(
  g: ConvGeometry,
  index: readonly number[],
): { b: number; oy: number; ox: number; oc: number } {
  const [b, i1, i2, i3] = index;
  return g.dataFormat === 'NHWC' ? { b, oy: i1, ox: i2, oc: i3 } : { b, oc: i1, oy: i2, ox: i3 };
}

/** "input*weight", with "0(pad)" standing for a tap on padding. */
export function termText(term: ProductTerm): string {
  const input = term.padding ? '0(pad)' : formatFactor(term.inputValue);
  return `${input}*${formatFactor(term.weight)}`;
}

/**
 * The breakdown of the output at `outputIndex` (rank 4, output layout). `output` is the computed
 * output; its value is reported as is, so the text's left side is exactly what conv2d returns.
 */
export function breakdownAt(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  output: Float32Array,
  outputIndex: readonly number[],
): OutputBreakdown {
  const { b, oy, ox, oc } = outputParts(g, outputIndex);
  const xs = layoutStrides(g.dataFormat, g.inHeight, g.inWidth, g.inChannels);
  const ys = layoutStrides(g.dataFormat, g.outHeight, g.outWidth, g.outChannels);
  const firstInChannel = Math.floor(oc / (g.outChannels / g.groups)) * g.filterInChannels;
  const terms: ProductTerm[] = [];
  for (let ky = 0; ky < g.filterHeight; ky++) {
    const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
    for (let kx = 0; kx < g.filterWidth; kx++) {
      const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
      const onPadding = iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth;
      for (let ic = 0; ic < g.filterInChannels; ic++) {
        const c = firstInChannel + ic;
        const weight = filter[((ky * g.filterWidth + kx) * g.filterInChannels + ic) * g.outChannels + oc];
        terms.push({
          inputIndex: onPadding ? null : layoutIndex(g, b, iy, ix, c),
          filterIndex: [ky, kx, ic, oc],
          inputValue: onPadding ? 0 : input[b * xs.n + iy * xs.h + ix * xs.w + c * xs.c],
          weight,
          padding: onPadding,
        });
      }
    }
  }
  const value = output[b * ys.n + oy * ys.h + ox * ys.w + oc * ys.c];
  return {
    outputIndex: [...outputIndex],
    value,
    terms,
    text: `${formatNumber(value)} = ${terms.map(termText).join(' + ')}`,
  };
}

/** Every rank-4 output layout index, in the output's memory order. */
export function allOutputIndexes(g: ConvGeometry): number[][] {
  const dims = layoutIndex(g, g.batch, g.outHeight, g.outWidth, g.outChannels);
  // An empty output has no index (and its other axes may be 2^31 long: no walk over them).
  if (dims.includes(0)) return [];
  const indexes: number[][] = [];
  const walk = (prefix: number[]): void => {
    if (prefix.length === 4) {
      indexes.push(prefix);
      return;
    }
    for (let i = 0; i < dims[prefix.length]; i++) walk([...prefix, i]);
  };
  walk([]);
  return indexes;
}
