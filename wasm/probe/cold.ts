/**
 * Probe: conv2d (the planner's algorithm, one thread) called back to back, and called after 16 ms of
 * other work (a busy loop that touches no memory), on the shapes of bench/shapes.json. Each round is
 * the busy loop, one timed call ("after"), then four timed calls in a row ("back to back"). In the bench,
 * and in a network, every call comes after other work; layers whose packed weights are large (Winograd's
 * transformed filters) then read them from memory rather than cache, and this shows what that costs.
 * Medians over 40 rounds. The machine is noisy: compare code versions in alternating runs.
 *
 *   node --import tsx wasm/probe/cold.ts [filter] [--idle-ms=16]
 */
import { performance } from 'node:perf_hooks';
import { conv2d, convGeometry, planConv2d, randomNormal, type Tensor } from '../../src/index.js';
import { loadShapes, SHAPES_FILE } from '../../bench/shapes.js';
import { median } from '../../bench/stats.js';

const args = process.argv.slice(2);
const only = args.find((a) => !a.startsWith('--'));
const idleMs = Number(args.find((a) => a.startsWith('--idle-ms='))?.slice(10) ?? 16);
const ROUNDS = 40;

function busy(ms: number): void {
  const start = performance.now();
  while (performance.now() - start < ms);
}

console.log(`shape            algorithm   back to back   after ${idleMs} ms of other work`);
for (const s of loadShapes(SHAPES_FILE)) {
  if (only && !s.name.includes(only)) continue;
  const x: Tensor = randomNormal(s.input, { seed: 1 });
  const w: Tensor = randomNormal(s.filter, { seed: 2 });
  const options = { strides: s.strides, padding: s.padding, threads: 1 };
  const g = convGeometry('conv2d', s.input, s.filter, options);
  const call = () => conv2d(x, w, options);
  for (let i = 0; i < 5; i++) call();
  const warm: number[] = [];
  const cold: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    busy(idleMs);
    let t = performance.now();
    call();
    cold.push(performance.now() - t);
    for (let i = 0; i < 4; i++) {
      t = performance.now();
      call();
      warm.push(performance.now() - t);
    }
  }
  const algorithm = planConv2d(g, 'auto').algorithm;
  console.log(
    `${s.name.padEnd(16)} ${algorithm.padEnd(11)} ${median(warm).toFixed(3).padStart(8)} ms   ${median(cold).toFixed(3).padStart(8)} ms`,
  );
}
