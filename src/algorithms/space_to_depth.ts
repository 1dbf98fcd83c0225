/**
 * Space-to-depth: a stride-2 convolution as a stride-1 one, so that Winograd (which needs stride 1) can
 * compute it. Output (y, x) of a stride-2 filter of height kh reads padded input rows 2y + t, t < kh.
 * Split the padded input into its 2 x 2 phases, phase (a, b) holding rows 2i + a and columns 2j + b;
 * tap t = 2u + a then reads row 2(y + u) + a, which is row y + u of phase a. So
 *
 *   out[y, x, o] = sum over u, v < r, phases (a, b), channels c of
 *                  phase_ab[y + u, x + v, c] * w[2u + a, 2v + b, c, o]          r = ceil(k / 2)
 *
 * a stride-1, VALID, r x r convolution over the four phases stacked as 4 * in_channels channels
 * (channel (2a + b) * in_channels + c), with taps past the filter's edge (2u + a >= kh) set to 0.
 * ResNet's 7x7 stride-2 stem becomes a 4x4 filter over 12 channels; 5x5 and 6x6 filters become 3x3,
 * 3x3 and 4x4 ones 2x2.
 * The multiplications are the same in number (plus the zero taps); Winograd then saves most of them.
 *
 * The phases exactly cover the rows and columns the output reads (phase height out_height + r - 1), so
 * the transformed problem has the original's output shape and layout. They are never built whole:
 * spaceToDepthRows writes the rows Winograd asks for straight into its input band. Inputs that the original
 * convolution never reads meet only zero taps: Winograd's non-finite fallback therefore recomputes the
 * ORIGINAL geometry (0 * infinity would be NaN here, where TensorFlow never reads that value).
 */
import { convGeometry, type ConvGeometry } from '../geometry.js';
import { packedWeights } from '../plan/weights_cache.js';
import type { RowLoader } from './winograd.js';

/** Why g cannot be rewritten as a stride-1 convolution with an r x r filter, r in `taps`; null if it can. */
export function spaceToDepthUnavailable(g: ConvGeometry, taps: readonly number[]): string | null {
  if (g.strideHeight !== 2 || g.strideWidth !== 2) {
    return `strides are [${g.strideHeight}, ${g.strideWidth}], not [2, 2]`;
  }
  if (g.dilationHeight !== 1 || g.dilationWidth !== 1) {
    return `dilations are [${g.dilationHeight}, ${g.dilationWidth}] and space-to-depth needs dilation 1`;
  }
  const r = Math.ceil(g.filterHeight / 2);
  if (Math.ceil(g.filterWidth / 2) !== r || !taps.includes(r)) {
    const sizes = taps.map((t) => `${2 * t - 1}x${2 * t - 1} to ${2 * t}x${2 * t}`).join(', ');
    return `the filter is ${g.filterHeight}x${g.filterWidth} and space-to-depth takes ${sizes} filters`;
  }
  if (g.groups !== 1) return `it is grouped (${g.groups} groups) and space-to-depth takes 1 group`;
  return null;
}

const geometries = new WeakMap<ConvGeometry, ConvGeometry>();

/**
 * The stride-1 geometry of g's phases (needs spaceToDepthUnavailable(g) null): same batch, layout,
 * rank and output shape; input (out_height + r - 1) x (out_width + r - 1) x 4 in_channels; filter
 * r x r x 4 in_channels x out_channels; VALID.
 */
export function spaceToDepthGeometry(g: ConvGeometry): ConvGeometry {
  let inner = geometries.get(g);
  if (!inner) {
    const r = Math.ceil(g.filterHeight / 2);
    const h = g.outHeight + r - 1;
    const w = g.outWidth + r - 1;
    const c = 4 * g.inChannels;
    const spatial = g.dataFormat === 'NHWC' ? [h, w, c] : [c, h, w];
    inner = convGeometry(g.op, g.batched ? [g.batch, ...spatial] : spatial, [r, r, c, g.outChannels], {
      strides: 1,
      padding: 'VALID',
      dataFormat: g.dataFormat,
    });
    geometries.set(g, inner);
  }
  return inner;
}

/**
 * A RowLoader for inner's input (g's four input phases, stacked along the channels): it writes rows
 * [first, first + count) of image b into the heap at float index dst, NHWC, cp >= 4 in_channels floats
 * a pixel, zeros for padding and for channels past 4 in_channels. It reads g's input (NHWC or NCHW)
 * directly: the phases are never built as a whole.
 */
export function spaceToDepthRows(g: ConvGeometry, inner: ConvGeometry, input: Float32Array): RowLoader {
  return (heap, dst, cp, b, first, count) => {
    const c = g.inChannels;
    const [h, w, wp] = [g.inHeight, g.inWidth, inner.inWidth];
    const nhwc = g.dataFormat === 'NHWC';
    const plane = h * w;
    heap.fill(0, dst, dst + count * wp * cp);
    // Phase column j reads input columns x = 2j - padLeft (phase b = 0) and x + 1 (b = 1); between jPair
    // and jPairEnd both exist, and in NHWC they are 2c consecutive floats that land on the consecutive
    // channels of phases (a, 0) and (a, 1).
    const jPair = Math.ceil(g.padLeft / 2);
    const jPairEnd = Math.max(jPair, Math.min(wp, Math.floor((w - 2 + g.padLeft) / 2) + 1));
    for (let i = first; i < first + count; i++) {
      const rowDst = dst + (i - first) * wp * cp;
      for (let a = 0; a < 2; a++) {
        const y = 2 * i + a - g.padTop;
        if (y < 0 || y >= h) continue;
        const phaseDst = rowDst + 2 * a * c;
        if (nhwc) {
          const rowSrc = (b * h + y) * w * c;
          let src = rowSrc + (2 * jPair - g.padLeft) * c;
          for (let j = jPair; j < jPairEnd; j++, src += 2 * c) {
            const d = phaseDst + j * cp;
            for (let k = 0; k < 2 * c; k++) heap[d + k] = input[src + k];
          }
          // The columns left and right of the pairs: one input column each, or none (padding).
          for (let j = 0; j < wp; j++) {
            if (j >= jPair && j < jPairEnd) continue;
            for (let bb = 0; bb < 2; bb++) {
              const x = 2 * j + bb - g.padLeft;
              if (x < 0 || x >= w) continue;
              const d = phaseDst + j * cp + bb * c;
              for (let ch = 0; ch < c; ch++) heap[d + ch] = input[rowSrc + x * c + ch];
            }
          }
        } else {
          for (let bb = 0; bb < 2; bb++) {
            const jFirst = Math.max(0, Math.ceil((g.padLeft - bb) / 2));
            const jEnd = Math.min(wp, Math.floor((w - 1 + g.padLeft - bb) / 2) + 1);
            const x0 = 2 * jFirst + bb - g.padLeft;
            for (let ch = 0; ch < c; ch++) {
              let src = (b * c + ch) * plane + y * w + x0;
              const d = phaseDst + bb * c + ch;
              for (let j = jFirst; j < jEnd; j++, src += 2) heap[d + j * cp] = input[src];
            }
          }
        }
      }
    }
  };
}

/**
 * g's filter as inner's ([r, r, 4 in_channels, out_channels], zeros past the filter's edge), made once
 * per filter array and kept with its packed forms, so inner's own packed forms are cached too.
 */
export function spaceToDepthFilter(g: ConvGeometry, inner: ConvGeometry, filter: Float32Array): Float32Array {
  const r = inner.filterHeight;
  const key = `space-to-depth/${g.filterHeight}x${g.filterWidth}x${g.inChannels}x${g.outChannels}`;
  return packedWeights(filter, key, () => {
    const [c, k] = [g.inChannels, g.outChannels];
    const out = new Float32Array(r * r * 4 * c * k);
    for (let u = 0; u < r; u++) {
      for (let v = 0; v < r; v++) {
        for (let a = 0; a < 2; a++) {
          for (let bb = 0; bb < 2; bb++) {
            const [ty, tx] = [2 * u + a, 2 * v + bb];
            if (ty >= g.filterHeight || tx >= g.filterWidth) continue;
            const src = (ty * g.filterWidth + tx) * c * k;
            const dst = ((u * r + v) * 4 * c + (2 * a + bb) * c) * k;
            out.set(filter.subarray(src, src + c * k), dst);
          }
        }
      }
    }
    return out;
  });
}
