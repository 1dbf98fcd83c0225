/**
 * Filter spectra for the FFT convolution, computed once per filter and tile size and cached with the
 * other packed weights (src/plan/weights_cache.ts, keyed by the filter's Float32Array).
 *
 * conv2d is cross-correlation: out[y, x] = sum over (ky, kx) of in[y + ky, x + kx] w[ky, kx]. Its
 * transform is IN(u, f) * conj(W(u, f)), with W the transform of the filter placed at the tile's origin
 * (tap (ky, kx) at (ky * dilation_h, kx * dilation_w)), so no flip is needed: the spectra hold W and
 * the per-bin products (fft_cgemm) take its conjugate. W is scaled by 1 / (2 * tileHeight * tileWidth):
 * the inverse FFT's 1/N, and the 1/2 the forward real-to-complex step leaves out.
 *
 * W is computed with the convolution's own kernels: the filter is an image of filterHeight x filterWidth
 * pixels with in_channels x out_channels channels, so its spectra are one forward transform of that
 * image, a few milliseconds, not a cost to hide (a layer that is being trained has a new filter at
 * every step). Channel k of in_channel c goes to channel c * 8 * outPairs + k of the image, so the
 * transform comes out as [u][f][c][out_block] complex vectors of four output channels, the layout the
 * per-bin products read, with zeros past out_channels.
 *
 * The array holds, in this order: the FFT plan of the tile height, the FFT plan of the tile width
 * (src/kernels/fft_plan.ts) and the spectra as [u][f][in_channel][2 * outPairs] complex vectors,
 * u < tileHeight, f <= tileWidth / 2. One array, so that one placement in wasm memory brings
 * everything the kernels read.
 */
import { fftPlanFloats, writeFftPlan } from './fft_plan.js';
import type { FftBackend } from './fft.js';
import { packedWeights } from '../plan/weights_cache.js';

/** The filter and tile geometry the spectra depend on. */
export interface SpectraShape {
  filterHeight: number;
  filterWidth: number;
  inChannels: number;
  outChannels: number;
  dilationHeight: number;
  dilationWidth: number;
  tileHeight: number;
  tileWidth: number;
  /** Output channel pairs of blocks: the spectra hold 2 * outPairs blocks of 4 output channels. */
  outPairs: number;
}

/** Float offsets of the parts of a spectra array. */
export interface SpectraLayout {
  heightPlan: number;
  widthPlan: number;
  spectra: number;
  floats: number;
}

export function spectraLayout(s: SpectraShape): SpectraLayout {
  const widthPlan = fftPlanFloats(s.tileHeight);
  const spectra = widthPlan + fftPlanFloats(s.tileWidth);
  const bins = s.tileHeight * ((s.tileWidth >> 1) + 1);
  return { heightPlan: 0, widthPlan, spectra, floats: spectra + bins * s.inChannels * s.outPairs * 16 };
}

/** The cached spectra array of `filter` (HWIO, [filterHeight, filterWidth, inChannels, outChannels]). */
export function filterSpectra(filter: Float32Array, s: SpectraShape, backend: FftBackend): Float32Array {
  const key =
    `fft-spectra/${s.tileHeight}x${s.tileWidth}/dilations=${s.dilationHeight}x${s.dilationWidth}` +
    `/pairs=${s.outPairs}`;
  return packedWeights(filter, key, () => computeSpectra(filter, s, backend));
}

function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** The spectra array (see the header), transformed by `backend`'s kernels in its heap's scratch area. */
export function computeSpectra(
  filter: Float32Array,
  s: SpectraShape,
  { heap, kernels }: FftBackend,
): Float32Array {
  const { tileHeight: th, tileWidth: tw, inChannels: c, outChannels: k } = s;
  const bins = (tw >> 1) + 1;
  const pairs = c * s.outPairs; // channel pairs of the filter image
  const pixelFloats = 8 * pairs;
  const rows = (s.filterHeight - 1) * s.dilationHeight + 1;
  const rowBytes = bins * 2 * pairs * 32;
  const group = Math.max(1, Math.floor(16 / (2 * pairs)));
  const temporaryBytes = 32 * Math.max(tw * pairs, th * group * 2 * pairs);

  const heightPlan = heap.scratchBase;
  const widthPlan = align64(heightPlan + fftPlanFloats(th) * 4);
  const image = align64(widthPlan + fftPlanFloats(tw) * 4);
  const spectra = align64(image + rows * tw * pixelFloats * 4);
  const tA = align64(spectra + th * rowBytes);
  const tB = align64(tA + temporaryBytes);
  const tC = align64(tB + temporaryBytes);
  heap.ensure(tC + tw * pairs * 32);

  let f32 = heap.f32;
  const i32 = new Int32Array(f32.buffer, f32.byteOffset, f32.length);
  writeFftPlan(f32, i32, heightPlan >> 2, th);
  writeFftPlan(f32, i32, widthPlan >> 2, tw);
  const imageFloat = image >> 2;
  f32.fill(0, imageFloat, imageFloat + rows * tw * pixelFloats);
  // fft_rows_r2c doubles its spectra; with the 1/2 of the stored scale that is 1 / (4 * th * tw).
  const scale = 1 / (4 * th * tw);
  for (let ky = 0; ky < s.filterHeight; ky++) {
    for (let kx = 0; kx < s.filterWidth; kx++) {
      const pixel = imageFloat + (ky * s.dilationHeight * tw + kx * s.dilationWidth) * pixelFloats;
      const tap = (ky * s.filterWidth + kx) * c * k;
      for (let ch = 0; ch < c; ch++) {
        const to = pixel + ch * 8 * s.outPairs;
        for (let oc = 0; oc < k; oc++) f32[to + oc] = filter[tap + ch * k + oc] * scale;
      }
    }
  }
  kernels.fft_rows_r2c(
    image,
    tw * pixelFloats * 4,
    rows,
    tw,
    pairs,
    widthPlan,
    tA,
    tB,
    tC,
    spectra,
    rowBytes,
  );
  f32 = heap.f32;
  f32.fill(0, (spectra + rows * rowBytes) >> 2, (spectra + th * rowBytes) >> 2);
  kernels.fft_columns(spectra, rowBytes, th, bins, 2 * pairs, group, tA, tB, heightPlan);

  const layout = spectraLayout(s);
  const out = new Float32Array(layout.floats);
  const ints = new Int32Array(out.buffer);
  writeFftPlan(out, ints, layout.heightPlan, th);
  writeFftPlan(out, ints, layout.widthPlan, tw);
  const from = spectra >> 2;
  out.set(heap.f32.subarray(from, from + (th * rowBytes) / 4), layout.spectra);
  return out;
}
