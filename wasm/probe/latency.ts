/**
 * Probe: microseconds per conv2d call on tiny problems (the seed's shapes), convkit next to
 * tfjs-backend-wasm (XNNPACK, 1 thread) in the same process. Each sample times a batch of warm calls;
 * samples alternate between the engines so that load on a shared machine hits both alike; the median
 * sample is reported. With --stages, also the cost of each step of convkit's path on its own.
 *
 *   node --import tsx wasm/probe/latency.ts [--stages] [--samples=N]
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { conv2d, convGeometry, randomNormal, Tensor, type Conv2dOptions } from '../../src/index.js';
import { planConv2d, runConv2d } from '../../src/plan/planner.js';
import { planThreads } from '../../src/plan/threads.js';
import { wasmEngine } from '../../src/kernels/wasm/engine.js';
import {
  bandKernelCalls,
  bandRows,
  loadInputBand,
  placeIgemm,
  storeOutputBand,
} from '../../src/algorithms/igemm.js';
import { median } from '../../bench/stats.js';

const args = process.argv.slice(2);
const withStages = args.includes('--stages');
const samples = Number(args.find((a) => a.startsWith('--samples='))?.slice(10) ?? 201);
const CALLS_PER_SAMPLE = 200;

const CASES: { name: string; input: number[]; filter: number[]; options: Conv2dOptions }[] = [
  { name: 'seed [1,5,5,5]x[3,3,5,7] s2 SAME', input: [1, 5, 5, 5], filter: [3, 3, 5, 7], options: { strides: 2, padding: 'SAME' } },
  { name: 'seed [1,10,10,10]x[2,10,10,10] s2 SAME', input: [1, 10, 10, 10], filter: [2, 10, 10, 10], options: { strides: 2, padding: 'SAME' } },
  { name: 'seed [1,5,5,5]x[3,3,5,1] s1 SAME', input: [1, 5, 5, 5], filter: [3, 3, 5, 1], options: { strides: 1, padding: 'SAME' } },
]; // prettier-ignore

/** Microseconds per call of one batch. */
function sample(run: () => unknown): number {
  const t0 = performance.now();
  for (let i = 0; i < CALLS_PER_SAMPLE; i++) run();
  return ((performance.now() - t0) * 1000) / CALLS_PER_SAMPLE;
}

function medianOf(run: () => unknown): number {
  for (let i = 0; i < 5000; i++) run();
  const times: number[] = [];
  for (let s = 0; s < samples; s++) times.push(sample(run));
  return median(times);
}

setThreadsCount(1);
await tf.setBackend('wasm');
const engine = wasmEngine();
console.log(
  `convkit kernel: ${engine?.igemmKernel ?? 'none (no WebAssembly SIMD)'}; ${samples} samples of ${CALLS_PER_SAMPLE} calls`,
);

for (const c of CASES) {
  const x = randomNormal(c.input, { seed: 1 });
  const w = randomNormal(c.filter, { seed: 2 });
  const g = convGeometry('conv2d', c.input, c.filter, c.options);
  const plan = planConv2d(g);
  const tx = tf.tensor(x.data, c.input) as tf.Tensor4D;
  const tw = tf.tensor(w.data, c.filter) as tf.Tensor4D;
  const pad = c.options.padding === 'SAME' ? 'same' : 'valid';
  const ours = () => conv2d(x, w, c.options);
  const theirs = () => {
    const y = tf.conv2d(tx, tw, c.options.strides as number, pad);
    y.dataSync();
    y.dispose();
  };
  for (let i = 0; i < 5000; i++) {
    ours();
    theirs();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let s = 0; s < samples; s++) {
    a.push(sample(ours));
    b.push(sample(theirs));
  }
  const threads = planThreads(g, plan.algorithm);
  console.log(
    `${c.name.padEnd(40)} ${plan.algorithm} (${threads} thread${threads > 1 ? 's' : ''}): ` +
      `convkit ${median(a).toFixed(2)} us   tfjs-wasm ${median(b).toFixed(2)} us`,
  );
  if (!withStages) continue;
  const stages: [string, () => unknown][] = [
    ['convGeometry', () => convGeometry('conv2d', x.shape, w.shape, c.options)],
    ['planConv2d + planThreads', () => planThreads(g, planConv2d(g).algorithm)],
    ['runConv2d (the algorithm)', () => runConv2d(plan, g, x.data, w.data)],
    ['new Float32Array(output)', () => new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels)],
    ['new Tensor(output)', () => new Tensor(new Float32Array(1), [1])],
  ];
  if (engine && plan.algorithm === 'igemm') {
    const { heap, kernels } = engine;
    const run = placeIgemm(heap, g, w.data);
    const calls = bandKernelCalls(run, bandRows(run, 0).rows, 1)[0];
    const out = new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
    stages.push(
      ['igemm: placeIgemm (weights, table)', () => placeIgemm(heap, g, w.data)],
      ['igemm: loadInputBand (copy-in)', () => loadInputBand(heap, run, x.data, 0, 0)],
      ['igemm: kernel', () => calls.forEach((k) => kernels.f32_igemm_4x8(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]))],
      ['igemm: storeOutputBand (copy-out)', () => storeOutputBand(heap, run, out, 0, 0)],
    ); // prettier-ignore
  }
  for (const [name, run] of stages) console.log(`    ${name.padEnd(38)} ${medianOf(run).toFixed(2)} us`);
}
