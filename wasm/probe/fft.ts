/**
 * Probe: the FFT convolution (algorithm: 'fft') next to igemm and tfjs-backend-wasm (XNNPACK, one
 * thread) in the same process, rounds interleaved so that machine load hits all alike; medians of the
 * rounds. Also its error against a float64 reference (max |err| / max |ref|, unit-normal data).
 *
 *   node --import tsx wasm/probe/fft.ts [name-filter] [--no-tfjs] [--rounds=N]
 *   node --experimental-wasm-relaxed-simd --import tsx wasm/probe/fft.ts        (relaxed SIMD on Node 20)
 *   node --import tsx wasm/probe/fft.ts --calibrate [name-filter]   per-kernel times vs the cost model
 *
 * GFLOP/s are effective: the direct convolution's FLOP count (2 * outputs * kh * kw * in_channels)
 * divided by the time, so an FFT that does fewer operations shows more than the machine's peak.
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { conv2d, convGeometry, planConv2d, randomNormal, type ConvGeometry } from '../../src/index.js';
import { conv2dFftWith, fftBackend } from '../../src/algorithms/fft.js';
import { fftTiling, fftTilingWith, type FftTiling } from '../../src/algorithms/fft_tiling.js';
import { fftRadices } from '../../src/kernels/fft_plan.js';
import type { FftKernels } from '../../src/kernels/fft.js';
import type { ShapeSpec as Shape } from '../../bench/shapes.js';
import { median } from '../../bench/stats.js';

const SHAPES: Shape[] = [
  { name: 'large-kernel', input: [1, 64, 64, 16], filter: [15, 15, 16, 16], padding: 'SAME' },
  { name: 'k11-128-c8', input: [1, 128, 128, 8], filter: [11, 11, 8, 8], padding: 'SAME' },
  { name: 'k9-64-c32', input: [1, 64, 64, 32], filter: [9, 9, 32, 32], padding: 'SAME' },
  { name: 'k7-b4-32-c16', input: [4, 32, 32, 16], filter: [7, 7, 16, 16], padding: 'SAME' },
  { name: 'k5-56-c64', input: [1, 56, 56, 64], filter: [5, 5, 64, 64], padding: 'SAME' },
  { name: 'mnist-c2-b64', input: [64, 14, 14, 32], filter: [5, 5, 32, 64], padding: 'SAME' },
  { name: 'mnist-c1-b64', input: [64, 28, 28, 1], filter: [5, 5, 1, 32], padding: 'SAME' },
  { name: 'k3-56-c64', input: [1, 56, 56, 64], filter: [3, 3, 64, 64], padding: 'SAME' },
  { name: 'k3-b8-32-c64', input: [8, 32, 32, 64], filter: [3, 3, 64, 64], padding: 'SAME' },
  { name: 'k31-64-c4', input: [1, 64, 64, 4], filter: [31, 31, 4, 4], padding: 'VALID' },
  { name: 'k7-224-c3', input: [1, 224, 224, 3], filter: [7, 7, 3, 16], padding: 'SAME' },
];

const args = process.argv.slice(2);
const nameFilter = args.find((a) => !a.startsWith('--'));
const withTfjs = !args.includes('--no-tfjs');
const calibrate = args.includes('--calibrate');
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 7);

/** Milliseconds per call of `run`, over enough calls to last about 30 ms. */
function timeOnce(run: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / reps;
}

function repsFor(run: () => void): number {
  const t0 = performance.now();
  run();
  return Math.max(1, Math.min(500, Math.round(30 / Math.max(performance.now() - t0, 0.01))));
}

/** conv2d in float64 (NHWC, stride 1, no dilation): the reference of the error column. */
function referenceConv(g: ConvGeometry, x: Float32Array, w: Float32Array): Float64Array {
  const { outHeight, outWidth, outChannels: k, inChannels: c, filterHeight, filterWidth } = g;
  const out = new Float64Array(g.batch * outHeight * outWidth * k);
  const acc = new Float64Array(k);
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy - g.padTop + ky;
          if (iy < 0 || iy >= g.inHeight) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = ox - g.padLeft + kx;
            if (ix < 0 || ix >= g.inWidth) continue;
            const xAt = ((b * g.inHeight + iy) * g.inWidth + ix) * c;
            const wAt = (ky * filterWidth + kx) * c * k;
            for (let ch = 0; ch < c; ch++) {
              const v = x[xAt + ch];
              for (let oc = 0; oc < k; oc++) acc[oc] += v * w[wAt + ch * k + oc];
            }
          }
        }
        out.set(acc, ((b * outHeight + oy) * outWidth + ox) * k);
      }
    }
  }
  return out;
}

function scaledError(y: ArrayLike<number>, ref: Float64Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(y[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return err / scale;
}

if (withTfjs && !calibrate) {
  setThreadsCount(1);
  await tf.setBackend('wasm');
}

const shapes = SHAPES.filter((s) => !nameFilter || s.name.includes(nameFilter));

if (calibrate) {
  runCalibration();
} else {
  for (const s of shapes) compare(s);
}

function compare(s: Shape): void {
  const x = randomNormal(s.input, { seed: 1 });
  const w = randomNormal(s.filter, { seed: 2 });
  const g = convGeometry('conv2d', s.input, s.filter, { padding: s.padding });
  const engines: [string, () => Float32Array][] = [
    ['fft', () => conv2d(x, w, { padding: s.padding, algorithm: 'fft' }).data],
    ['igemm', () => conv2d(x, w, { padding: s.padding, algorithm: 'igemm' }).data],
  ];
  if (withTfjs) {
    const tx = tf.tensor4d(x.data, s.input as [number, number, number, number]);
    const tw = tf.tensor4d(w.data, s.filter as [number, number, number, number]);
    const pad = s.padding === 'SAME' ? 'same' : 'valid';
    engines.push([
      'tfjs-wasm',
      () => {
        const y = tf.conv2d(tx, tw, 1, pad);
        const data = y.dataSync() as Float32Array;
        y.dispose();
        return data;
      },
    ]);
  }
  const ref = g.flops <= 2e9 ? referenceConv(g, x.data, w.data) : null;
  const errors = engines.map(([, run]) => (ref ? scaledError(run(), ref) : NaN));
  const reps = engines.map(([, run]) => repsFor(run));
  const times: number[][] = engines.map(() => []);
  for (let r = 0; r < rounds; r++) {
    engines.forEach(([, run], i) => times[i].push(timeOnce(run, reps[i])));
  }
  const ms = times.map(median);
  const plan = planConv2d(g);
  const t = fftTiling(g);
  const tiles =
    typeof t === 'string' ? t : `${t.tileHeight}x${t.tileWidth} x${g.batch * t.tilesDown * t.tilesAcross}`;
  console.log(
    `${s.name}: ${s.input} x ${s.filter} ${s.padding}; ${(g.flops / 1e6).toFixed(0)} MFLOP; tiles ${tiles}; auto -> ${plan.kernel ?? plan.algorithm}`,
  );
  const tfjsMs = withTfjs ? ms[engines.length - 1] : NaN;
  engines.forEach(([name], i) => {
    const ratio = withTfjs ? `  x${(tfjsMs / ms[i]).toFixed(2)} vs tfjs-wasm` : '';
    console.log(
      `  ${name.padEnd(10)} ${ms[i].toFixed(3).padStart(9)} ms (min ${Math.min(...times[i]).toFixed(3)}) ` +
        `${(g.flops / ms[i] / 1e6).toFixed(1).padStart(7)} GFLOP/s  err ${errors[i].toExponential(2)}${ratio}`,
    );
  });
}

/** Per-kernel milliseconds of one FFT convolution with tiling t, next to the model's terms. */
function runCalibration(): void {
  const backend = fftBackend();
  const spent: Record<string, number> = {};
  const timed: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(backend.kernels) as [string, (...a: number[]) => number][]) {
    timed[name] = (...a: number[]) => {
      const t0 = performance.now();
      const r = f(...a);
      spent[name] = (spent[name] ?? 0) + performance.now() - t0;
      return r;
    };
  }
  const instrumented = { ...backend, kernels: timed as unknown as FftKernels };
  console.log(
    'shape            tile     tiles | ms: total fft cgemm host | ns: /fft-vector-pass /cgemm-vector /tile',
  );
  for (const s of shapes) {
    const x = randomNormal(s.input, { seed: 1 }).data;
    const w = randomNormal(s.filter, { seed: 2 }).data;
    const g = convGeometry('conv2d', s.input, s.filter, { padding: s.padding });
    const best = fftTiling(g);
    if (typeof best === 'string') continue;
    const sizes = new Set([best.tileHeight, 16, 32, 64].filter((n) => n >= g.effectiveFilterHeight + 1));
    for (const size of sizes) {
      const t: FftTiling = size === best.tileHeight ? best : fftTilingWith(g, size, size);
      const run = () => conv2dFftWith(g, x, w, instrumented, t);
      run();
      const reps = repsFor(run);
      const totals: number[] = [];
      const parts: Record<string, number[]> = {};
      for (let r = 0; r < rounds; r++) {
        for (const key of Object.keys(spent)) spent[key] = 0;
        totals.push(timeOnce(run, reps));
        for (const [key, v] of Object.entries(spent)) (parts[key] ??= []).push(v / reps);
      }
      const total = median(totals);
      const cgemm = median(parts.fft_cgemm);
      const fft = median(parts.fft_rows_r2c) + median(parts.fft_columns) + median(parts.fft_rows_c2r);
      const tiles = g.batch * t.tilesDown * t.tilesAcross;
      const work = (n: number) =>
        fftRadices(n).reduce((a, r) => a + (r === 4 ? 1 : r === 2 ? 0.6 : r === 3 ? 0.9 : 1.3), 0);
      const bins = t.tileHeight * t.binsWide;
      const fftVectors =
        tiles *
        (t.tileHeight * t.tileWidth * t.inPairs * work(t.tileWidth) +
          bins * 2 * (t.inPairs + t.outPairs) * work(t.tileHeight) +
          t.validHeight * t.tileWidth * t.outPairs * work(t.tileWidth));
      const gemmVectors = tiles * bins * g.inChannels * 2 * t.outPairs;
      console.log(
        `${s.name.padEnd(16)} ${`${t.tileHeight}x${t.tileWidth}`.padEnd(8)} ${String(tiles).padStart(5)} | ` +
          `${total.toFixed(3)} ${fft.toFixed(3)} ${cgemm.toFixed(3)} ${(total - fft - cgemm).toFixed(3)} | ` +
          `${((fft * 1e6) / fftVectors).toFixed(2)} ${((cgemm * 1e6) / gemmVectors).toFixed(2)} ` +
          `${(((total - fft - cgemm) * 1e6) / tiles).toFixed(0)}   model ${(t.costNs / 1e6).toFixed(3)} ms`,
      );
    }
  }
}
