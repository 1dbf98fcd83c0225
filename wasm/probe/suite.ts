/**
 * Probe: single-thread GFLOP/s of convkit's conv2d on bench/shapes.json, next to tfjs-backend-wasm
 * (XNNPACK, 1 thread) in the same process, measured alternately so that machine load hits both alike.
 * convkit runs on one thread unless --threads=N says otherwise (conv2d's own default may use more).
 *
 *   node --import tsx wasm/probe/suite.ts [filter] [--algorithm=igemm] [--threads=N] [--no-tfjs]
 *   node --experimental-wasm-relaxed-simd --import tsx wasm/probe/suite.ts      (relaxed SIMD on Node 20)
 *   CONVKIT_WASM=simd node --experimental-wasm-relaxed-simd --import tsx wasm/probe/suite.ts
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { conv2d, convGeometry, planConv2d, randomNormal, type AlgorithmChoice } from '../../src/index.js';
import { loadShapes, SHAPES_FILE } from '../../bench/shapes.js';

const args = process.argv.slice(2);
const filter = args.find((a) => !a.startsWith('--'));
const algorithm = (args.find((a) => a.startsWith('--algorithm='))?.slice(12) ?? 'auto') as AlgorithmChoice;
const withTfjs = !args.includes('--no-tfjs');
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10) ?? 1);
const shapes = loadShapes(SHAPES_FILE);

if (withTfjs) {
  setThreadsCount(1);
  await tf.setBackend('wasm');
}

/** Best time (ms) of `rounds` rounds, each long enough (~40 ms) to time reliably. */
function timeOne(run: () => void, flops: number): number {
  const reps = Math.max(1, Math.min(5000, Math.round(4e7 / Math.max(flops, 1))));
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / reps;
}

for (const s of shapes) {
  if (filter && !s.name.includes(filter)) continue;
  const x = randomNormal(s.input, { seed: 1 });
  const w = randomNormal(s.filter, { seed: 2 });
  const options = { strides: s.strides, padding: s.padding, algorithm, threads };
  const g = convGeometry('conv2d', s.input, s.filter, options);
  const plan = planConv2d(g, algorithm);
  const ours = () => void conv2d(x, w, options);
  let theirs: (() => void) | null = null;
  if (withTfjs) {
    const tx = tf.tensor(x.data, s.input, 'float32');
    const tw = tf.tensor(w.data, s.filter, 'float32');
    const pad = s.padding === 'SAME' ? 'same' : 'valid';
    theirs = () => {
      const y = tf.conv2d(tx as tf.Tensor4D, tw as tf.Tensor4D, s.strides, pad);
      y.dataSync();
      y.dispose();
    };
  }
  for (let i = 0; i < 3; i++) {
    ours();
    theirs?.();
  }
  let bestOurs = Infinity;
  let bestTheirs = Infinity;
  for (let round = 0; round < 5; round++) {
    bestOurs = Math.min(bestOurs, timeOne(ours, g.flops));
    if (theirs) bestTheirs = Math.min(bestTheirs, timeOne(theirs, g.flops));
  }
  const gf = (ms: number) => (g.flops / ms / 1e6).toFixed(1).padStart(6);
  const us = (ms: number) => (ms * 1000).toFixed(1).padStart(9);
  const tfjsPart = theirs
    ? `   tfjs-wasm ${us(bestTheirs)} us ${gf(bestTheirs)} GFLOP/s   x${(bestTheirs / bestOurs).toFixed(2)}`
    : '';
  console.log(
    `${s.name.padEnd(15)} ${(plan.kernel ?? plan.algorithm).padEnd(30)} ${us(bestOurs)} us ${gf(bestOurs)} GFLOP/s${tfjsPart}`,
  );
}
