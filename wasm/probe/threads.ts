/**
 * Probe: conv2d (igemm) on 1 thread against N threads, alternating samples so that load on a shared
 * machine hits both alike, median of each. Two parts:
 *   - crossover: 3x3 convolutions of growing size, to find where N threads start to win (the planner's
 *     MIN_FLOPS_PER_THREAD in src/plan/threads.ts);
 *   - suite: GFLOP/s on bench/shapes.json.
 * Prints the load average before and after: on a machine shared with other work, read it first.
 *
 *   node --import tsx wasm/probe/threads.ts [--threads=N] [--crossover-only] [--suite-only] [filter]
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { conv2d, convGeometry, randomNormal, type Conv2dOptions } from '../../src/index.js';
import { loadShapes, SHAPES_FILE } from '../../bench/shapes.js';
import { median } from '../../bench/stats.js';

const args = process.argv.slice(2);
const threads = Number(
  args.find((a) => a.startsWith('--threads='))?.slice(10) ?? Math.max(2, availableParallelism()),
);
const filter = args.find((a) => !a.startsWith('--'));
const ROUNDS = 15;

/** Milliseconds per call of `run`, one sample (enough calls to last about 20 ms). */
function sample(run: () => unknown, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / reps;
}

function compare(
  input: number[],
  filterShape: number[],
  options: Conv2dOptions,
): { flops: number; one: number; many: number } {
  const x = randomNormal(input, { seed: 1 });
  const w = randomNormal(filterShape, { seed: 2 });
  const flops = convGeometry('conv2d', input, filterShape, options).flops;
  const single = () => conv2d(x, w, { ...options, algorithm: 'igemm', threads: 1 });
  const multi = () => conv2d(x, w, { ...options, algorithm: 'igemm', threads });
  for (let i = 0; i < 3; i++) {
    single();
    multi();
  }
  const t0 = performance.now();
  single();
  multi();
  const reps = Math.max(1, Math.round(20 / Math.max(0.001, performance.now() - t0)));
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(sample(single, reps));
    b.push(sample(multi, reps));
  }
  return { flops, one: median(a), many: median(b) };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(8);
console.log(
  `threads: 1 vs ${threads}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
// Start the workers before timing anything.
conv2d(randomNormal([1, 32, 32, 16]), randomNormal([3, 3, 16, 16]), { threads });
await new Promise((resolve) => setTimeout(resolve, 200));

if (!args.includes('--suite-only')) {
  console.log('\ncrossover: [1, s, s, 16] x [3, 3, 16, 16] SAME');
  console.log('       s    MFLOP   1 thread us   N threads us   speed-up');
  for (const s of [4, 6, 8, 12, 16, 20, 24, 32, 48, 64]) {
    const { flops, one, many } = compare([1, s, s, 16], [3, 3, 16, 16], { padding: 'SAME' });
    console.log(
      `${fmt(s, 0)} ${fmt(flops / 1e6, 2)} ${fmt(one * 1000)}      ${fmt(many * 1000)}      x${(one / many).toFixed(2)}`,
    );
  }
}

if (!args.includes('--crossover-only')) {
  const shapes = loadShapes(SHAPES_FILE);
  console.log('\nsuite (igemm): GFLOP/s');
  console.log('shape                1 thread   N threads   speed-up');
  for (const s of shapes) {
    if (filter && !s.name.includes(filter)) continue;
    const { flops, one, many } = compare(s.input, s.filter, { strides: s.strides, padding: s.padding });
    const gf = (ms: number) => fmt(flops / ms / 1e6);
    console.log(`${s.name.padEnd(16)} ${gf(one)}   ${gf(many)}      x${(one / many).toFixed(2)}`);
  }
}
console.log(
  `\nload average at the end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
