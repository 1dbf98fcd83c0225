/**
 * The FFT kernels on their own (wasm/assembly/fft.ts and their TypeScript twins in src/kernels/fft.ts):
 *   - fft_run against a float64 DFT written out here, for every radix mix, with elements of several
 *     vectors and strided source and destination (the gaps must stay untouched), and in place;
 *   - known transforms: a delta, a cosine, a complex exponential;
 *   - the inverse used by the convolution, swap(FFT(swap(X))) = N * IFFT(X): FFT then that gives N x back;
 *   - the plans: lengths 2^a 3^b 5^c, radices whose product is the length.
 * Each check runs on the WebAssembly kernels (when this engine has WebAssembly SIMD) and on TypeScript.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrayHeap, typescriptFftKernels, type FftBackend, type FftKernels } from '../src/kernels/fft.js';
import {
  fftLengthsBetween,
  fftPlanFloats,
  fftRadices,
  isFftLength,
  nextFftLength,
  writeFftPlan,
} from '../src/kernels/fft_plan.js';
import { computeSpectra, spectraLayout, type SpectraShape } from '../src/kernels/fft_spectra.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { seededUniform } from './helpers/layout.js';

interface Backend {
  name: string;
  /** The same kernels and memory as the algorithm uses them. */
  fft: FftBackend;
  kernels: FftKernels;
  /** First free byte, and the memory (re-read after ensure). */
  base: number;
  ensure(end: number): void;
  f32(): Float32Array;
}

function backends(): Backend[] {
  const list: Backend[] = [];
  const engine = wasmEngine();
  if (engine) {
    list.push({
      name: `wasm ${engine.variant}`,
      fft: { heap: engine.heap, kernels: engine.kernels as unknown as FftKernels, isa: engine.variant },
      kernels: engine.kernels as unknown as FftKernels,
      base: engine.heap.scratchBase,
      ensure: (end) => engine.heap.ensure(end),
      f32: () => engine.heap.f32,
    });
  }
  const heap = new ArrayHeap();
  const kernels = typescriptFftKernels(() => heap.f32);
  list.push({
    name: 'typescript',
    fft: { heap, kernels, isa: 'typescript' },
    kernels,
    base: heap.scratchBase,
    ensure: (end) => heap.ensure(end),
    f32: () => heap.f32,
  });
  return list;
}

/** Writes n's plan at byte `at`; returns the first byte after it. */
function placePlan(b: Backend, at: number, n: number): number {
  const end = at + fftPlanFloats(n) * 4;
  b.ensure(end);
  const f32 = b.f32();
  writeFftPlan(f32, new Int32Array(f32.buffer, f32.byteOffset, f32.length), at >> 2, n);
  return end;
}

/** Complex lines: line l (of 4 * blk) holds n values; element e, vector v, lane i is line 4v + i. */
interface Lines {
  re: Float64Array[];
  im: Float64Array[];
}

function randomLines(n: number, count: number, seed: number): Lines {
  const values = seededUniform(2 * n * count, seed);
  const re: Float64Array[] = [];
  const im: Float64Array[] = [];
  for (let l = 0; l < count; l++) {
    re.push(Float64Array.from(values.subarray(2 * n * l, 2 * n * l + n)));
    im.push(Float64Array.from(values.subarray(2 * n * l + n, 2 * n * (l + 1))));
  }
  return { re, im };
}

function dft(re: Float64Array, im: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      outRe[k] += re[j] * Math.cos(a) - im[j] * Math.sin(a);
      outIm[k] += re[j] * Math.sin(a) + im[j] * Math.cos(a);
    }
  }
  return { re: outRe, im: outIm };
}

/** Stores lines as n elements of blk vectors, element e at `at + e * stride`. */
function store(f32: Float32Array, at: number, stride: number, blk: number, lines: Lines, n: number): void {
  for (let e = 0; e < n; e++) {
    for (let v = 0; v < blk; v++) {
      for (let i = 0; i < 4; i++) {
        const f = ((at + e * stride) >> 2) + v * 8 + i;
        f32[f] = lines.re[4 * v + i][e];
        f32[f + 4] = lines.im[4 * v + i][e];
      }
    }
  }
}

function load(f32: Float32Array, at: number, stride: number, blk: number, n: number): Lines {
  const re = Array.from({ length: 4 * blk }, () => new Float64Array(n));
  const im = Array.from({ length: 4 * blk }, () => new Float64Array(n));
  for (let e = 0; e < n; e++) {
    for (let v = 0; v < blk; v++) {
      for (let i = 0; i < 4; i++) {
        const f = ((at + e * stride) >> 2) + v * 8 + i;
        re[4 * v + i][e] = f32[f];
        im[4 * v + i][e] = f32[f + 4];
      }
    }
  }
  return { re, im };
}

/** max |got - want| over all lines, relative to max |want|. */
function lineError(got: Lines, want: Lines): number {
  let err = 0;
  let scale = 0;
  for (let l = 0; l < want.re.length; l++) {
    for (let e = 0; e < want.re[l].length; e++) {
      err = Math.max(err, Math.abs(got.re[l][e] - want.re[l][e]), Math.abs(got.im[l][e] - want.im[l][e]));
      scale = Math.max(scale, Math.abs(want.re[l][e]), Math.abs(want.im[l][e]));
    }
  }
  return err / scale;
}

/** Runs fft_run on `lines` (n elements of blk vectors); src and dst strides leave gaps between elements. */
function transform(b: Backend, lines: Lines, n: number, blk: number, inPlace = false): Lines {
  const plan = b.base;
  const afterPlan = placePlan(b, plan, n);
  const vectorBytes = blk * 32;
  const srcStride = vectorBytes + 64; // two vectors of gap after each element
  const dstStride = inPlace ? srcStride : vectorBytes + 32;
  const src = afterPlan;
  const dst = inPlace ? src : src + n * srcStride;
  const tA = dst + n * dstStride;
  const tB = tA + n * vectorBytes;
  b.ensure(tB + n * vectorBytes);
  const f32 = b.f32();
  f32.fill(7, src >> 2, (tB + n * vectorBytes) >> 2); // gaps hold 7s
  store(f32, src, srcStride, blk, lines, n);
  b.kernels.fft_run(src, srcStride, dst, dstStride, tA, tB, n, blk, plan);
  const after = b.f32();
  for (let e = 0; e < n; e++) {
    const gap = (dst + e * dstStride + vectorBytes) >> 2;
    for (let f = gap; f < (dst + (e + 1) * dstStride) >> 2; f++) {
      assert.equal(after[f], 7, `${b.name}: n=${n} wrote into the gap after element ${e}`);
    }
  }
  return load(after, dst, dstStride, blk, n);
}

const LENGTHS = fftLengthsBetween(8, 100).concat([125, 128, 135, 243, 256]);

test('fft_run matches a float64 DFT for every length of 8..100 and a few longer ones', () => {
  for (const b of backends()) {
    for (const n of LENGTHS) {
      const blk = n <= 32 ? 3 : 1;
      const lines = randomLines(n, 4 * blk, n);
      const want = { re: [] as Float64Array[], im: [] as Float64Array[] };
      for (let l = 0; l < 4 * blk; l++) {
        const d = dft(lines.re[l], lines.im[l]);
        want.re.push(d.re);
        want.im.push(d.im);
      }
      const err = lineError(transform(b, lines, n, blk), want);
      assert.ok(err < 2e-6, `${b.name}: n=${n} (radices ${fftRadices(n)}) error ${err}`);
    }
  }
});

test('fft_run in place (source = destination) gives the same transform', () => {
  for (const b of backends()) {
    for (const n of [8, 20, 45, 64]) {
      const lines = randomLines(n, 8, 3 * n);
      const apart = transform(b, lines, n, 2);
      const inPlace = transform(b, lines, n, 2, true);
      assert.ok(lineError(inPlace, apart) < 1e-7, `${b.name}: n=${n}`);
    }
  }
});

test('known transforms: a delta, a cosine and a complex exponential', () => {
  for (const b of backends()) {
    for (const n of [16, 30, 80]) {
      const k0 = 3;
      const zeros = () => new Float64Array(n);
      const delta = { re: [zeros(), zeros(), zeros(), zeros()], im: [zeros(), zeros(), zeros(), zeros()] };
      delta.re[0][0] = 1; // lane 0: delta at 0
      delta.re[1][5] = 1; // lane 1: delta at 5
      for (let j = 0; j < n; j++) {
        delta.re[2][j] = Math.cos((2 * Math.PI * k0 * j) / n); // lane 2: cosine
        delta.re[3][j] = Math.cos((2 * Math.PI * k0 * j) / n); // lane 3: e^(2 pi i k0 j / n)
        delta.im[3][j] = Math.sin((2 * Math.PI * k0 * j) / n);
      }
      const got = transform(b, delta, n, 1);
      const close = (a: number, e: number, what: string) =>
        assert.ok(Math.abs(a - e) < 1e-5 * n, `${b.name} n=${n} ${what}: got ${a}, expected ${e}`);
      for (let k = 0; k < n; k++) {
        close(got.re[0][k], 1, `delta at 0, bin ${k} (re)`);
        close(got.im[0][k], 0, `delta at 0, bin ${k} (im)`);
        // delta at 5: e^(-2 pi i 5 k / n)
        close(got.re[1][k], Math.cos((-2 * Math.PI * 5 * k) / n), `delta at 5, bin ${k} (re)`);
        close(got.im[1][k], Math.sin((-2 * Math.PI * 5 * k) / n), `delta at 5, bin ${k} (im)`);
        close(got.re[2][k], k === k0 || k === n - k0 ? n / 2 : 0, `cosine, bin ${k}`);
        close(got.im[2][k], 0, `cosine, bin ${k} (im)`);
        close(got.re[3][k], k === k0 ? n : 0, `exponential, bin ${k}`);
        close(got.im[3][k], 0, `exponential, bin ${k} (im)`);
      }
    }
  }
});

test('round trip: swap(FFT(swap(FFT(x)))) = n x, the inverse the convolution uses', () => {
  for (const b of backends()) {
    for (const n of [8, 12, 27, 50, 80, 96]) {
      const lines = randomLines(n, 8, 5 * n);
      const forward = transform(b, lines, n, 2);
      const swapped = { re: forward.im, im: forward.re };
      const back = transform(b, swapped, n, 2);
      const scaled = {
        re: back.im.map((line) => line.map((v) => v / n)),
        im: back.re.map((line) => line.map((v) => v / n)),
      };
      const err = lineError(scaled, lines);
      assert.ok(err < 1e-6, `${b.name}: n=${n} round-trip error ${err}`);
    }
  }
});

test('FFT lengths are 2^a 3^b 5^c from 8 on, and their radices multiply to the length', () => {
  const smooth = (n: number) => {
    for (const p of [2, 3, 5]) while (n % p === 0) n /= p;
    return n === 1;
  };
  for (let n = 1; n <= 300; n++) {
    assert.equal(isFftLength(n), n >= 8 && smooth(n), `isFftLength(${n})`);
    if (!isFftLength(n)) continue;
    const radices = fftRadices(n);
    assert.ok(radices.length >= 2, `${n}: at least two passes, got ${radices}`);
    assert.ok(
      radices.every((r) => [2, 3, 4, 5].includes(r)),
      'radices.every((r) => [2, 3, 4, 5].includes(r))',
    );
    assert.equal(
      radices.reduce((a, r) => a * r, 1),
      n,
    );
  }
  assert.equal(nextFftLength(78), 80);
  assert.equal(nextFftLength(3), 8);
  assert.equal(nextFftLength(97), 100);
  assert.throws(() => fftRadices(14), /14 is not a 2\^a 3\^b 5\^c length/);
});

/**
 * The filter spectra, written out as a float64 DFT of the (dilated) taps:
 * W[u][f][c][k] = sum over (ky, kx) of w[ky][kx][c][k] e^(-2 pi i (u ky dh / th + f kx dw / tw)) / (2 th tw).
 */
function spectraOracle(w: Float32Array, s: SpectraShape): Float64Array {
  const bins = (s.tileWidth >> 1) + 1;
  const blocks = 2 * s.outPairs;
  const out = new Float64Array(s.tileHeight * bins * s.inChannels * blocks * 8);
  const scale = 1 / (2 * s.tileHeight * s.tileWidth);
  for (let u = 0; u < s.tileHeight; u++) {
    for (let f = 0; f < bins; f++) {
      for (let c = 0; c < s.inChannels; c++) {
        for (let k = 0; k < s.outChannels; k++) {
          let re = 0;
          let im = 0;
          for (let ky = 0; ky < s.filterHeight; ky++) {
            for (let kx = 0; kx < s.filterWidth; kx++) {
              const v = w[((ky * s.filterWidth + kx) * s.inChannels + c) * s.outChannels + k];
              const angle =
                -2 *
                Math.PI *
                ((u * ky * s.dilationHeight) / s.tileHeight + (f * kx * s.dilationWidth) / s.tileWidth);
              re += v * Math.cos(angle);
              im += v * Math.sin(angle);
            }
          }
          const at = (((u * bins + f) * s.inChannels + c) * blocks + (k >> 2)) * 8 + (k & 3);
          out[at] = re * scale;
          out[at + 4] = im * scale;
        }
      }
    }
  }
  return out;
}

test('filter spectra (computed with the kernels) match a float64 DFT of the taps; plans lead the array', () => {
  const shapes: SpectraShape[] = [
    {
      filterHeight: 3,
      filterWidth: 4,
      inChannels: 3,
      outChannels: 5,
      dilationHeight: 1,
      dilationWidth: 1,
      tileHeight: 16,
      tileWidth: 20,
      outPairs: 1,
    },
    {
      filterHeight: 2,
      filterWidth: 3,
      inChannels: 2,
      outChannels: 9,
      dilationHeight: 3,
      dilationWidth: 2,
      tileHeight: 9,
      tileWidth: 15,
      outPairs: 2,
    },
  ];
  for (const b of backends()) {
    for (const s of shapes) {
      const w = seededUniform(s.filterHeight * s.filterWidth * s.inChannels * s.outChannels, s.tileWidth);
      const got = computeSpectra(w, s, b.fft);
      const layout = spectraLayout(s);
      assert.equal(got.length, layout.floats);
      const ints = new Int32Array(got.buffer);
      assert.deepEqual(
        [...ints.subarray(layout.heightPlan + 1, layout.heightPlan + 1 + 2 * ints[layout.heightPlan])].filter(
          (_, i) => i % 2 === 0,
        ),
        fftRadices(s.tileHeight),
      );
      assert.deepEqual(
        [...ints.subarray(layout.widthPlan + 1, layout.widthPlan + 1 + 2 * ints[layout.widthPlan])].filter(
          (_, i) => i % 2 === 0,
        ),
        fftRadices(s.tileWidth),
      );
      const want = spectraOracle(w, s);
      let err = 0;
      let scale = 0;
      for (let i = 0; i < want.length; i++) {
        err = Math.max(err, Math.abs(got[layout.spectra + i] - want[i]));
        scale = Math.max(scale, Math.abs(want[i]));
      }
      assert.ok(scale > 0 && err <= 1e-6 * scale, `${b.name} ${JSON.stringify(s)}: error ${err / scale}`);
    }
  }
});
