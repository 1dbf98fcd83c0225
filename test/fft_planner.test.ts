/**
 * 'fft' in the planner: when 'auto' picks it (large stride-1 filters, with WebAssembly SIMD), what a
 * request for it does where it cannot run (strides, groups, spectra too large: another algorithm, with
 * the reason in the plan), the TypeScript kernels without WebAssembly SIMD, the filter-spectra cache,
 * and the bounds of its tiling.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CONV2D_ALGORITHMS, conv2d, convGeometry, planConv2d, tensor } from '../src/index.js';
import { conv2dFft, fftBackend, fftUnavailable } from '../src/algorithms/fft.js';
import { FFT_MAX_SPECTRA_BYTES, fftTiling } from '../src/algorithms/fft_tiling.js';
import { conv2dIgemm } from '../src/algorithms/igemm.js';
import { filterSpectra } from '../src/kernels/fft_spectra.js';
import { setWasmVariant, wasmEngine } from '../src/kernels/wasm/engine.js';
import { hasPackedWeights } from '../src/plan/weights_cache.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';

after(() => setWasmVariant('auto'));

const largeKernel = convGeometry('conv2d', [1, 64, 64, 16], [15, 15, 16, 16], { padding: 'SAME' });
const strided = convGeometry('conv2d', [1, 64, 64, 16], [15, 15, 16, 16], { padding: 'SAME', strides: 2 });
const grouped = convGeometry('conv2d', [1, 32, 32, 16], [9, 9, 8, 16], { padding: 'SAME' });
const mnistC1 = convGeometry('conv2d', [64, 28, 28, 1], [5, 5, 1, 32], { padding: 'SAME' });
const pointwise = convGeometry('conv2d', [1, 56, 56, 64], [1, 1, 64, 256], { padding: 'VALID' });
// 15x15 filter, 512 channels in and out: its spectra cannot stay under the limit at any tile size.
const huge = convGeometry('conv2d', [1, 16, 16, 512], [15, 15, 512, 512], { padding: 'SAME' });

function random(shape: number[], seed: number) {
  return tensor(seededUniform(sizeOfShape(shape), seed), shape);
}

test("'fft' is one of the algorithms", () => {
  assert.ok(
    (CONV2D_ALGORITHMS as readonly string[]).includes('fft'),
    "(CONV2D_ALGORITHMS as readonly string[]).includes('fft')",
  );
});

test("with WebAssembly SIMD, 'auto' picks fft for the large-kernel shape, and names the tile size and ISA", (t) => {
  if (setWasmVariant('simd') !== 'simd') {
    t.diagnostic('no WebAssembly SIMD here');
    return;
  }
  const plan = planConv2d(largeKernel);
  assert.equal(plan.algorithm, 'fft');
  assert.equal(plan.kernel, 'fft-80x80-wasmsimd');
  assert.match(plan.reason, /^15x15 filter at stride 1: in the Fourier domain \(80x80 FFT tiles\)/);
  assert.match(plan.reason, /modelled \d+\.\dx faster than indirect GEMM$/);
  for (const g of [strided, grouped, mnistC1, pointwise]) assert.notEqual(planConv2d(g).algorithm, 'fft');
  setWasmVariant('auto');
});

test("without WebAssembly SIMD, 'auto' never picks fft; a request for it runs the TypeScript kernels", () => {
  setWasmVariant('none');
  assert.notEqual(planConv2d(largeKernel).algorithm, 'fft');
  const plan = planConv2d(largeKernel, 'fft');
  assert.deepEqual(plan, {
    algorithm: 'fft',
    reason: "requested with algorithm: 'fft'",
    kernel: 'fft-80x80-typescript',
  });
  const x = random([1, 20, 17, 3], 1);
  const w = random([9, 9, 3, 5], 2);
  const reference = conv2d(x, w, { padding: 'SAME', algorithm: 'direct' });
  const y = conv2d(x, w, { padding: 'SAME', algorithm: 'fft' });
  for (let i = 0; i < y.data.length; i++) assert.ok(Math.abs(y.data[i] - reference.data[i]) < 1e-4, `${i}`);
  setWasmVariant('auto');
});

test('a request for fft where it cannot run goes to another algorithm, with the reason in the plan', () => {
  setWasmVariant('auto');
  const fallback = wasmEngine() ? 'igemm' : 'im2col';
  const cases: [typeof strided, RegExp][] = [
    [strided, /it supports stride 1 only \(strides are \[2,2\]\)/],
    [grouped, /it does not support grouped convolution \(2 groups\)/],
    [huge, new RegExp(`its filter spectra would pass ${FFT_MAX_SPECTRA_BYTES} bytes at every tile size`)],
  ];
  for (const [g, why] of cases) {
    const plan = planConv2d(g, 'fft');
    assert.equal(plan.algorithm, fallback);
    assert.match(
      plan.reason,
      new RegExp(`^fft was requested but ${why.source}; ${fallback} computes the same values$`),
    );
    assert.match(fftUnavailable(g) ?? '', why);
    assert.notEqual(planConv2d(g).algorithm, 'fft');
  }
  const x = random([1, 12, 12, 4], 3);
  const w = random([5, 5, 4, 3], 4);
  const y = conv2d(x, w, { padding: 'SAME', strides: 2, algorithm: 'fft' });
  const reference = conv2d(x, w, { padding: 'SAME', strides: 2, algorithm: 'direct' });
  for (let i = 0; i < y.data.length; i++) assert.ok(Math.abs(y.data[i] - reference.data[i]) < 1e-5, `${i}`);
  // Called directly on a geometry it cannot run, the algorithm hands over to igemm instead of failing.
  const g = convGeometry('conv2d', x.shape, w.shape, { padding: 'SAME', strides: 2 });
  assert.deepEqual(conv2dFft(g, x.data, w.data), conv2dIgemm(g, x.data, w.data));
});

test('filter spectra are computed once per filter and tile size, then reused', () => {
  const x = random([1, 30, 30, 6], 5);
  const w = random([11, 11, 6, 7], 6);
  const g = convGeometry('conv2d', x.shape, w.shape, { padding: 'SAME' });
  const t = fftTiling(g);
  assert.ok(typeof t === 'object', "typeof t === 'object'");
  const key = `fft-spectra/${t.tileHeight}x${t.tileWidth}/dilations=1x1/pairs=${t.outPairs}`;
  assert.equal(hasPackedWeights(w.data, key), false);
  const first = conv2d(x, w, { padding: 'SAME', algorithm: 'fft' });
  assert.equal(hasPackedWeights(w.data, key), true);
  const shape = {
    filterHeight: 11,
    filterWidth: 11,
    inChannels: 6,
    outChannels: 7,
    dilationHeight: 1,
    dilationWidth: 1,
    tileHeight: t.tileHeight,
    tileWidth: t.tileWidth,
    outPairs: t.outPairs,
  };
  const spectra = filterSpectra(w.data, shape, fftBackend());
  assert.equal(filterSpectra(w.data, shape, fftBackend()), spectra, 'the same array, not a recomputation');
  const second = conv2d(x, w, { padding: 'SAME', algorithm: 'fft' });
  assert.deepEqual(second.data, first.data);
  // A dilated use of the same filter has spectra of its own, kept next to the first ones.
  const dilated = fftTiling(convGeometry('conv2d', x.shape, w.shape, { padding: 'SAME', dilations: 2 }));
  assert.ok(typeof dilated === 'object', "typeof dilated === 'object'");
  const dilatedKey = `fft-spectra/${dilated.tileHeight}x${dilated.tileWidth}/dilations=2x2/pairs=${dilated.outPairs}`;
  assert.equal(hasPackedWeights(w.data, dilatedKey), false);
  conv2d(x, w, { padding: 'SAME', dilations: 2, algorithm: 'fft' });
  assert.equal(hasPackedWeights(w.data, dilatedKey), true);
  assert.equal(hasPackedWeights(w.data, key), true);
});

test('the tiling: one 80x80 tile for the large-kernel shape; bounded scratch and spectra on a large image', () => {
  const t = fftTiling(largeKernel);
  assert.ok(typeof t === 'object', "typeof t === 'object'");
  assert.deepEqual(
    [t.tileHeight, t.tileWidth, t.validHeight, t.validWidth, t.tilesDown, t.tilesAcross],
    [80, 80, 66, 66, 1, 1],
  );
  const big = convGeometry('conv2d', [4, 700, 900, 16], [15, 15, 16, 16], { padding: 'SAME' });
  const tb = fftTiling(big);
  assert.ok(typeof tb === 'object', "typeof tb === 'object'");
  assert.ok(tb.tilesDown * tb.tilesAcross > 1, 'a large image is cut into several tiles');
  assert.ok(tb.scratchBytes <= 8 << 20, `scratch ${tb.scratchBytes} bytes`);
  assert.ok(tb.spectraBytes <= FFT_MAX_SPECTRA_BYTES, `spectra ${tb.spectraBytes} bytes`);
  assert.ok(
    tb.validHeight * tb.tilesDown >= 700 && tb.validWidth * tb.tilesAcross >= 900,
    'tb.validHeight * tb.tilesDown >= 700 && tb.validWidth * tb.tilesAcross >= 900',
  );
});
