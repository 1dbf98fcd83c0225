/**
 * Probe: what the packed-weights cache's stale-filter check (src/plan/weights_cache.ts: the filter
 * compared bit for bit with the snapshot it was packed from, on every call) costs per conv2d call.
 * For each shape: the median conv2d call (auto, warm, the filter unchanged), the median compare as
 * conv2d runs it (memcmp through Buffer.compare in Node) and as browsers run it (the Float64Array
 * loop), and each as a percentage of the call. Samples alternate between the three so that load on a
 * shared machine hits them alike.
 *
 *   node --import tsx wasm/probe/stale_check.ts [--samples=N] [--threads=T]
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { conv2d, convGeometry, randomNormal } from '../../src/index.js';
import { planConv2d } from '../../src/plan/planner.js';
import { sameBits, sameBitsLoop } from '../../src/plan/weights_cache.js';
import { median } from '../../bench/stats.js';

const args = process.argv.slice(2);
const samples = Number(args.find((a) => a.startsWith('--samples='))?.slice(10) ?? 101);
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10) ?? 1);
const NAMES = ['resnet-3x3-56', 'resnet-3x3-14', 'resnet-1x1-56', 'mnist-c2-b64', 'seed-5x5-s2'];

interface Shape {
  name: string;
  input: number[];
  filter: number[];
  strides: number;
  padding: 'SAME' | 'VALID';
}
const suite = JSON.parse(
  readFileSync(new URL('../../bench/shapes.json', import.meta.url), 'utf8'),
) as Shape[];

/** Microseconds per run, over enough runs to take about 2 ms (at least one). */
function time(run: () => unknown, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return ((performance.now() - t0) * 1000) / reps;
}

console.log(`threads ${threads}, ${samples} samples; median microseconds`);
console.log('shape            algorithm  filter floats   call us   memcmp us (%)      loop us (%)');
for (const name of NAMES) {
  const s = suite.find((shape) => shape.name === name) as Shape;
  const x = randomNormal(s.input, { seed: 1 });
  const w = randomNormal(s.filter, { seed: 2 });
  const snapshot = w.data.slice();
  const options = { strides: s.strides, padding: s.padding, threads };
  const algorithm = planConv2d(convGeometry('conv2d', s.input, s.filter, options)).algorithm;
  for (let i = 0; i < 5; i++) conv2d(x, w, options);
  const callOnce = time(() => conv2d(x, w, options), 1);
  const callReps = Math.max(1, Math.round(2000 / callOnce));
  const [calls, memcmp, loop]: number[][] = [[], [], []];
  for (let i = 0; i < samples; i++) {
    calls.push(time(() => conv2d(x, w, options), callReps));
    memcmp.push(time(() => sameBits(snapshot, w.data), 50));
    loop.push(time(() => sameBitsLoop(snapshot, w.data), 20));
  }
  const [call, fast, slow] = [median(calls), median(memcmp), median(loop)];
  const pct = (v: number) => `${((100 * v) / call).toFixed(3)}%`;
  console.log(
    `${name.padEnd(16)} ${algorithm.padEnd(10)} ${String(w.data.length).padStart(13)} ${call.toFixed(1).padStart(9)} ` +
      `${fast.toFixed(2).padStart(10)} (${pct(fast)}) ${slow.toFixed(2).padStart(10)} (${pct(slow)})`,
  );
}
