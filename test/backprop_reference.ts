/**
 * An independent float64 conv2d for the gradient tests: written from TensorFlow's rules (not from
 * src/geometry.ts or src/algorithms/), so finite differences and the adjoint identity are checked
 * against a forward pass that shares no code with the gradients under test.
 */
import {
  filterShapeOf,
  inChannelsOf,
  outChannelsOf,
  outHeightOf,
  outWidthOf,
  type ConvCase,
} from './helpers/random_geometry.js';

/** Padding before (top, left) of one axis under TensorFlow's rules. */
function padBefore(
  inSize: number,
  outSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'SAME' | 'VALID' | [number, number],
): number {
  if (padding === 'VALID') return 0;
  if (padding !== 'SAME') return padding[0];
  const effective = (kernel - 1) * dilation + 1;
  return Math.floor(Math.max((outSize - 1) * stride + effective - inSize, 0) / 2);
}

/** Where element (b, y, x, c) of a [batch, height, width, channels] tensor lives in the case's layout. */
function indexer(c: ConvCase, height: number, width: number, channels: number) {
  return c.dataFormat === 'NHWC'
    ? (b: number, y: number, x: number, ch: number) => ((b * height + y) * width + x) * channels + ch
    : (b: number, y: number, x: number, ch: number) => ((b * channels + ch) * height + y) * width + x;
}

export interface ForwardTerms {
  /** conv2d(x, w) in the case's layout, summed in float64. */
  output: Float64Array;
  /** The same sum over |x| * |w|: the scale that rounding errors are measured against. */
  magnitude: Float64Array;
}

/** conv2d of `x` (the case's input layout) with `w` (HWIO), in float64. */
export function forward64(c: ConvCase, x: ArrayLike<number>, w: ArrayLike<number>): ForwardTerms {
  const outHeight = outHeightOf(c);
  const outWidth = outWidthOf(c);
  const inC = inChannelsOf(c);
  const outC = outChannelsOf(c);
  const [kh, kw, fic] = filterShapeOf(c);
  const axisPad = (axis: 0 | 1) => (typeof c.padding === 'string' ? c.padding : c.padding[axis]);
  const top = padBefore(c.inHeight, outHeight, kh, c.strides[0], c.dilations[0], axisPad(0));
  const left = padBefore(c.inWidth, outWidth, kw, c.strides[1], c.dilations[1], axisPad(1));
  const xAt = indexer(c, c.inHeight, c.inWidth, inC);
  const yAt = indexer(c, outHeight, outWidth, outC);
  const output = new Float64Array(c.batch * outHeight * outWidth * outC);
  const magnitude = new Float64Array(output.length);
  for (let b = 0; b < c.batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let oc = 0; oc < outC; oc++) {
          const group = Math.floor(oc / c.outPerGroup);
          let sum = 0;
          let abs = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * c.strides[0] + ky * c.dilations[0] - top;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * c.strides[1] + kx * c.dilations[1] - left;
              if (iy < 0 || iy >= c.inHeight || ix < 0 || ix >= c.inWidth) continue;
              for (let ic = 0; ic < fic; ic++) {
                const product =
                  x[xAt(b, iy, ix, group * fic + ic)] * w[((ky * kw + kx) * fic + ic) * outC + oc];
                sum += product;
                abs += Math.abs(product);
              }
            }
          }
          output[yAt(b, oy, ox, oc)] = sum;
          magnitude[yAt(b, oy, ox, oc)] = abs;
        }
      }
    }
  }
  return { output, magnitude };
}

/** sum(a * b) in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** sum(|a * b|) in float64. */
export function absDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] * b[i]);
  return sum;
}

/**
 * Central differences of L(v) = sum(f(v) * dy) for every element of v, in float64. L is linear in v,
 * so the difference quotient is the exact derivative up to rounding, whatever the step.
 */
export function finiteDifferenceGradient(
  v: ArrayLike<number>,
  dy: ArrayLike<number>,
  f: (v: Float64Array) => Float64Array,
  step = 1e-2,
): Float64Array {
  const probe = Float64Array.from(v);
  const grad = new Float64Array(probe.length);
  for (let i = 0; i < probe.length; i++) {
    const saved = probe[i];
    probe[i] = saved + step;
    const up = dot(f(probe), dy);
    probe[i] = saved - step;
    const down = dot(f(probe), dy);
    probe[i] = saved;
    grad[i] = (up - down) / (2 * step);
  }
  return grad;
}
