/**
 * Probe: Winograd (each tile size: F(2x2|4x4|5x5|6x6, 3x3), F(4x4, 4x4), F(4x4, 5x5)) against igemm and
 * tfjs-backend-wasm (XNNPACK, 1 thread) on the shapes of bench/shapes.json that winograd can compute
 * (3x3 and 5x5 at stride 1, the 7x7 stride-2 stem through space-to-depth), in one process, interleaved round by round (each round in a
 * rotated order, each timing after 3 untimed calls); prints medians as "effective" GFLOP/s (the direct
 * convolution's FLOP count) and the error of each tile size against a float64 reference (max |err| /
 * max |ref|, unit-normal data).
 *
 *   node --import tsx wasm/probe/winograd.ts [filter] [--rounds=7] [--tiles=2,4] [--no-tfjs] [--no-error]
 *   node --experimental-wasm-relaxed-simd --import tsx wasm/probe/winograd.ts     (relaxed SIMD, Node 20)
 *   CONVKIT_WASM=simd ...                                                        (force plain SIMD)
 *   ... --stages     time each phase (input transform, GEMM, output transform, copies) per tile size instead,
 *                    and print the cost of a transformed float in GEMM multiply-adds (winogradCost's constants)
 *   ... --threads=2  also time conv2d({ algorithm: 'winograd', threads: 2 }) (and igemm on 2 threads)
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { conv2d, convGeometry, randomNormal, type ConvGeometry } from '../../src/index.js';
import { conv2dIgemm } from '../../src/algorithms/igemm.js';
import {
  conv2dWinogradTile,
  gemmCalls,
  inputCalls,
  outputCalls,
  placeWinograd,
  winogradBlocks,
  winogradProblem,
  type WinogradKernel,
} from '../../src/algorithms/winograd.js';
import {
  winogradCost,
  winogradGemmMacs,
  winogradGeometry,
  winogradLayout,
  winogradTile,
  winogradUnavailable,
} from '../../src/algorithms/winograd_plan.js';
import { wasmEngine } from '../../src/kernels/wasm/engine.js';
import { winogradTilesFor, type WinogradTile } from '../../src/kernels/winograd_matrices.js';
import { loadShapes, SHAPES_FILE } from '../../bench/shapes.js';
import { median } from '../../bench/stats.js';

const args = process.argv.slice(2);
const only = args.find((a) => !a.startsWith('--'));
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 7);
const withTfjs = !args.includes('--no-tfjs');
const withError = !args.includes('--no-error');
const stages = args.includes('--stages');
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10) ?? 1);
const geometryOf = (s: { input: number[]; filter: number[]; strides: number; padding: 'SAME' | 'VALID' }) =>
  convGeometry('conv2d', s.input, s.filter, { strides: s.strides, padding: s.padding });
const shapes = loadShapes(SHAPES_FILE).filter(
  (s) => winogradUnavailable(geometryOf(s)) === null && (!only || s.name.includes(only)),
);
const tileArg = args.find((a) => a.startsWith('--tiles='))?.slice(8);
/** The tile sizes to try on g (those its filter has tables for, narrowed by --tiles). */
function tilesOf(g: ConvGeometry): WinogradTile[] {
  const all = winogradTilesFor(winogradGeometry(g).filterHeight);
  return tileArg ? all.filter((t) => tileArg.split(',').map(Number).includes(t)) : [...all];
}

if (withTfjs) {
  setThreadsCount(1);
  await tf.setBackend('wasm');
}
console.log(`kernel module: ${wasmEngine()?.variant ?? 'none'}`);

/** Mean time (ms) of a run repeated for ~40 ms (at least 4 times). */
function timeOne(run: () => void, flops: number): number {
  const reps = Math.max(4, Math.min(5000, Math.round(4e7 / Math.max(flops, 1))));
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / reps;
}

/** The convolution in float64 (NHWC, any filter size, stride and padding from the geometry). */
function reference(g: ConvGeometry, x: Float32Array, w: Float32Array): Float64Array {
  const out = new Float64Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  const k = g.outChannels;
  const c = g.inChannels;
  const acc = new Float64Array(k);
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < g.filterHeight; ky++) {
          const iy = oy * g.strideHeight + ky - g.padTop;
          if (iy < 0 || iy >= g.inHeight) continue;
          for (let kx = 0; kx < g.filterWidth; kx++) {
            const ix = ox * g.strideWidth + kx - g.padLeft;
            if (ix < 0 || ix >= g.inWidth) continue;
            const xi = ((b * g.inHeight + iy) * g.inWidth + ix) * c;
            const wi = (ky * g.filterWidth + kx) * c * k;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[xi + ci];
              const wr = wi + ci * k;
              for (let o = 0; o < k; o++) acc[o] += xv * w[wr + o];
            }
          }
        }
        out.set(acc, ((b * g.outHeight + oy) * g.outWidth + ox) * k);
      }
    }
  }
  return out;
}

function relativeError(y: Float32Array, ref: Float64Array): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]));
    err = Math.max(err, Math.abs(y[i] - ref[i]));
  }
  return err / scale;
}

/** Per-phase times (ms per call) of F(t x t) on g, the median of `rounds` timings of each phase. */
function stageTimes(
  g: ConvGeometry,
  x: Float32Array,
  w: Float32Array,
  t: WinogradTile,
): Record<string, number> {
  const engine = wasmEngine();
  if (!engine) throw new Error('no wasm engine');
  const kernels = engine.kernels as unknown as Record<WinogradKernel, (...a: number[]) => number>;
  const problem = winogradProblem(g, x, w); // stride 2: its space-to-depth form
  const run = placeWinograd(engine.heap, problem.g, problem.filter, t);
  const blocks = winogradBlocks(run);
  const phase = (kernel: WinogradKernel, make: typeof inputCalls) => () => {
    for (const block of blocks) for (const c of make(run, block, 1)) kernels[kernel](...c);
  };
  const out = new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  const parts: Record<string, () => void> = {
    input: phase('f32_winograd_input', inputCalls),
    gemm: phase('f32_winograd_gemm', gemmCalls),
    output: phase('f32_winograd_output', outputCalls),
    rows: () => {
      for (const b of blocks) {
        if (b.newBand)
          problem.loadRows(engine.heap.f32, run.inputBand >> 2, run.layout.cp, b.b, b.bandFirst, b.bandRows);
      }
    },
    total: () => void conv2dWinogradTile(g, x, w, t),
    alloc: () => void new Float32Array(out.length).fill(0, 0, out.length),
  };
  const times: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(parts)) {
      fn();
      (times[name] ??= []).push(timeOne(fn, g.flops / 4));
    }
  }
  return Object.fromEntries(Object.entries(times).map(([n, v]) => [n, median(v)]));
}

if (stages) {
  for (const s of shapes) {
    const x = randomNormal(s.input, { seed: 1 });
    const w = randomNormal(s.filter, { seed: 2 });
    const g = geometryOf(s);
    const inner = winogradGeometry(g);
    for (const t of tilesOf(g)) {
      const ms = stageTimes(g, x.data, w.data, t);
      const { alpha } = winogradLayout(inner, t);
      const tileCount = Math.ceil(inner.outHeight / t) * Math.ceil(inner.outWidth / t) * inner.batch;
      const cp = Math.ceil(inner.inChannels / 4) * 4;
      const kp = Math.ceil(inner.outChannels / 4) * 4;
      const perMac = ms.gemm / winogradGemmMacs(inner, t);
      const inCost = ms.input / (tileCount * alpha * alpha * cp) / perMac;
      const outCost = (ms.total - ms.input - ms.gemm) / (tileCount * alpha * alpha * kp) / perMac;
      const rest = ms.total - ms.input - ms.gemm - ms.output - ms.rows;
      console.log(
        `${s.name.padEnd(14)} F${t}: total ${ms.total.toFixed(3)} ms  rows in ${ms.rows.toFixed(3)}  input ` +
          `${ms.input.toFixed(3)}  gemm ${ms.gemm.toFixed(3)}  output ${ms.output.toFixed(3)}  rest ${rest.toFixed(3)}  ` +
          `(new zeroed output ${ms.alloc.toFixed(3)})  cost/float: input ${inCost.toFixed(2)} output+copies ${outCost.toFixed(2)}  ` +
          `model ${(winogradCost(inner, t) * perMac).toFixed(3)} ms`,
      );
    }
  }
  process.exit(0);
}

for (const s of shapes) {
  const x = randomNormal(s.input, { seed: 1 });
  const w = randomNormal(s.filter, { seed: 2 });
  const options = { strides: s.strides, padding: s.padding };
  const g = geometryOf(s);
  const TILES = tilesOf(g);
  const runs: Record<string, () => void> = {
    // Single-threaded igemm (conv2d may spread igemm over worker threads; this compares one thread each).
    igemm: () => void conv2dIgemm(g, x.data, w.data),
    auto: () => void conv2d(x, w, options),
  };
  for (const t of TILES) runs[`F${t}`] = () => void conv2dWinogradTile(g, x.data, w.data, t);
  if (threads > 1) {
    runs[`winograd:t${threads}`] = () => void conv2d(x, w, { ...options, algorithm: 'winograd', threads });
    runs[`igemm:t${threads}`] = () => void conv2d(x, w, { ...options, algorithm: 'igemm', threads });
  }
  if (withTfjs) {
    const tx = tf.tensor(x.data, s.input, 'float32');
    const tw = tf.tensor(w.data, s.filter, 'float32');
    const pad = s.padding === 'SAME' ? 'same' : 'valid';
    runs.tfjs = () => {
      const y = tf.conv2d(tx as tf.Tensor4D, tw as tf.Tensor4D, s.strides, pad);
      y.dataSync();
      y.dispose();
    };
  }
  for (const run of Object.values(runs)) run();
  const times: Record<string, number[]> = {};
  const entries = Object.entries(runs);
  for (let r = 0; r < rounds; r++) {
    // Each round starts one later, so that no candidate always follows the same one.
    for (let i = 0; i < entries.length; i++) {
      const [name, run] = entries[(i + r) % entries.length];
      // Untimed calls first: the tile sizes' transformed filters take turns in the weight arena, and the
      // first calls after another algorithm run slower while its data leaves the caches and TLBs.
      for (let i = 0; i < 3; i++) run();
      (times[name] ??= []).push(timeOne(run, g.flops));
    }
  }
  const med = Object.fromEntries(Object.entries(times).map(([n, t]) => [n, median(t)]));
  const gf = (ms: number) => (g.flops / ms / 1e6).toFixed(1);
  const parts = Object.entries(med).map(([n, ms]) => `${n} ${gf(ms)}`);
  const ratio = med.tfjs ? `  auto/tfjs x${(med.tfjs / med.auto).toFixed(2)}` : '';
  console.log(
    `${s.name.padEnd(14)} GFLOP/s (median of ${rounds}): ${parts.join('  ')}${ratio}  [auto tile F${winogradTile(winogradGeometry(g))}]`,
  );
  if (withError) {
    const ref = reference(g, x.data, w.data);
    const errs = TILES.map(
      (t) => `F${t} ${relativeError(conv2dWinogradTile(g, x.data, w.data, t), ref).toExponential(2)}`,
    );
    const igemmErr = relativeError(conv2d(x, w, { ...options, algorithm: 'igemm' }).data, ref).toExponential(
      2,
    );
    console.log(`${''.padEnd(14)} max|err|/max|ref| vs float64: ${errs.join('  ')}  igemm ${igemmErr}`);
  }
}
