/**
 * Winograd's rounding error on the shapes of bench/shapes.json it computes (the 3x3 stride-1 ones, the
 * 7x7 stride-2 ResNet stem through space-to-depth and F(4x4, 4x4), and mnist-c2's 5x5 filter with
 * F(4x4, 5x5), which 'auto' leaves to the FFT there): unit-normal input and filter,
 * max |winograd - exact| / max |exact| against a float64 convolution written here, for each tile size;
 * must stay within 1e-4 (the diagnostics print the measured values). vgg-3x3-b8 runs with batch 2
 * (same per-image arithmetic, a quarter of the time). Also: scratch stays within 8 MB on every such
 * shape, batch 64 included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { convGeometry, randomNormal, type ConvGeometry } from '../src/index.js';
import { conv2dWinograd, conv2dWinogradTile } from '../src/algorithms/winograd.js';
import { winogradGeometry, winogradLayout } from '../src/algorithms/winograd_plan.js';
import type { WinogradTile } from '../src/kernels/winograd_matrices.js';

interface SuiteShape {
  name: string;
  input: number[];
  filter: number[];
  strides: number;
  padding: 'SAME' | 'VALID';
}

const BOUND = 1e-4;
const TILES: WinogradTile[] = [2, 4, 5, 6];
const shapes = (
  JSON.parse(readFileSync(new URL('../bench/shapes.json', import.meta.url), 'utf8')) as SuiteShape[]
).filter((s) => s.filter[0] === 3 && s.filter[1] === 3 && s.strides === 1);

/** NHWC convolution of g (no dilation, one group) in float64, written from the definition. */
function exactConv(x: Float32Array, w: Float32Array, g: ConvGeometry): Float64Array {
  const { batch: n, inHeight: h, inWidth: wd, inChannels: c, outChannels: k } = g;
  const [oh, ow] = [g.outHeight, g.outWidth];
  const out = new Float64Array(n * oh * ow * k);
  const acc = new Float64Array(k);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < g.filterHeight; ky++) {
          const iy = oy * g.strideHeight + ky - g.padTop;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < g.filterWidth; kx++) {
            const ix = ox * g.strideWidth + kx - g.padLeft;
            if (ix < 0 || ix >= wd) continue;
            const xi = ((b * h + iy) * wd + ix) * c;
            const wi = (ky * g.filterWidth + kx) * c * k;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[xi + ci];
              const wr = wi + ci * k;
              for (let o = 0; o < k; o++) acc[o] += xv * w[wr + o];
            }
          }
        }
        out.set(acc, ((b * oh + oy) * ow + ox) * k);
      }
    }
  }
  return out;
}

/** max |y - exact| / max |exact|. */
function relativeError(y: Float32Array, exact: Float64Array): number {
  assert.equal(y.length, exact.length);
  let [worst, scale] = [0, 0];
  for (let i = 0; i < y.length; i++) {
    worst = Math.max(worst, Math.abs(y[i] - exact[i]));
    scale = Math.max(scale, Math.abs(exact[i]));
  }
  return worst / scale;
}

test('the suite has the four 3x3 stride-1 shapes', () => {
  assert.deepEqual(
    shapes.map((s) => s.name),
    ['resnet-3x3-56', 'resnet-3x3-28', 'resnet-3x3-14', 'vgg-3x3-b8'],
  );
});

for (const s of shapes) {
  test(`${s.name}: error vs float64 within ${BOUND} for F(2x2), F(4x4), F(5x5) and F(6x6)`, (t) => {
    const input = [Math.min(s.input[0], 2), ...s.input.slice(1)];
    const x = randomNormal(input, { seed: 101 });
    const w = randomNormal(s.filter, { seed: 102 });
    const g = convGeometry('conv2d', input, s.filter, { padding: s.padding });
    const exact = exactConv(x.data, w.data, g);
    const measured: string[] = [];
    for (const tile of TILES) {
      const error = relativeError(conv2dWinogradTile(g, x.data, w.data, tile), exact);
      measured.push(`F${tile} ${error.toExponential(2)}`);
      assert.ok(error <= BOUND, `${s.name} F(${tile}x${tile},3x3): ${error} > ${BOUND}`);
    }
    t.diagnostic(`${s.name} input ${JSON.stringify(input)}: max|err|/max|ref| ${measured.join(', ')}`);
  });
}

const suite = JSON.parse(
  readFileSync(new URL('../bench/shapes.json', import.meta.url), 'utf8'),
) as SuiteShape[];

// The stem through space-to-depth (a 4x4 filter), and mnist-c2's 5x5 filter (batch 2 of its 64).
for (const [name, batch, table] of [
  ['resnet-stem', 1, 'F(4x4,4x4)'],
  ['mnist-c2-b64', 2, 'F(4x4,5x5)'],
] as const) {
  test(`${name} (${table}): error vs float64 within ${BOUND}`, (t) => {
    const s = suite.find((shape) => shape.name === name) as SuiteShape;
    const input = [batch, ...s.input.slice(1)];
    const x = randomNormal(input, { seed: 103 });
    const w = randomNormal(s.filter, { seed: 104 });
    const g = convGeometry('conv2d', input, s.filter, { strides: s.strides, padding: s.padding });
    const inner = winogradGeometry(g);
    assert.equal(`F(4x4,${inner.filterHeight}x${inner.filterWidth})`, table);
    const error = relativeError(conv2dWinograd(g, x.data, w.data), exactConv(x.data, w.data, g));
    t.diagnostic(`${name}: max|err|/max|ref| ${table} ${error.toExponential(2)}`);
    assert.ok(error <= BOUND, `${name}: ${error} > ${BOUND}`);
    const layout = winogradLayout(winogradGeometry(g), 4);
    assert.ok(layout.scratchBytes <= 8 << 20, `${name} scratch: ${layout.scratchBytes} bytes`);
  });
}

test(`a 4x4 stride-2 layer (space-to-depth, F(5x5,2x2), 1024 stacked channels): error within ${BOUND}`, (t) => {
  const [input, filter] = [
    [1, 28, 28, 256],
    [4, 4, 256, 64],
  ];
  const x = randomNormal(input, { seed: 105 });
  const w = randomNormal(filter, { seed: 106 });
  const g = convGeometry('conv2d', input, filter, { strides: 2, padding: 'SAME' });
  assert.equal(winogradGeometry(g).filterHeight, 2);
  const error = relativeError(conv2dWinograd(g, x.data, w.data), exactConv(x.data, w.data, g));
  t.diagnostic(`4x4 stride 2, 256 -> 64 channels: max|err|/max|ref| F(5x5,2x2) ${error.toExponential(2)}`);
  assert.ok(error <= BOUND, `${error} > ${BOUND}`);
});

test('scratch stays within 8 MB on every 3x3 stride-1 suite shape and tile size, batch 64 too', () => {
  for (const s of shapes) {
    for (const batch of [s.input[0], 64]) {
      const g = convGeometry('conv2d', [batch, ...s.input.slice(1)], s.filter, { padding: s.padding });
      for (const tile of TILES) {
        const layout = winogradLayout(g, tile);
        assert.ok(layout.scratchBytes <= 8 << 20, `${s.name} F${tile}: ${layout.scratchBytes} bytes`);
        assert.ok(
          layout.rowsPerBlock * Math.ceil(layout.tileRows / layout.rowsPerBlock) >= layout.tileRows,
          'layout.rowsPerBlock * Math.ceil(layout.tileRows / layout.rowsPerBlock) >= layout.tileRows',
        );
      }
    }
  }
  // A large image is split into blocks instead of growing the scratch.
  const big = convGeometry('conv2d', [1, 512, 512, 256], [3, 3, 256, 256], { padding: 'SAME' });
  const layout = winogradLayout(big, 4);
  assert.ok(layout.rowsPerBlock < layout.tileRows && layout.scratchBytes <= 8 << 20, JSON.stringify(layout));
});
