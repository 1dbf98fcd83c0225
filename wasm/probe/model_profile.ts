/**
 * Probe: a bench network's per-step profile in convkit, one thread against N, summed by class and
 * algorithm, fastest of several runs per step. Used to see where a model's time goes and what threads
 * buy per step kind.
 *
 *   node --import tsx wasm/probe/model_profile.ts [mobilenet_v2|resnet50|mobilenet_v1] [--threads=N] [--batch=B] [--steps]
 */
import type { NetworkName } from '../../bench/model_nets.js';
import { loadNetwork } from './network.js';

const args = process.argv.slice(2);
const name = (args.find((a) => !a.startsWith('--')) ?? 'mobilenet_v2') as NetworkName;
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10) ?? 2);
const batch = Number(args.find((a) => a.startsWith('--batch='))?.slice(8) ?? 1);
const perStep = args.includes('--steps');
const RUNS = 7;

const { model, input: x } = await loadNetwork(name, batch);

function profile(t: number): {
  names: string[];
  keys: string[];
  ms: number[];
  total: number;
  stepSum: number;
} {
  const best: number[] = [];
  let names: string[] = [];
  let keys: string[] = [];
  const totals: number[] = [];
  const sums: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    model.predict(x, { threads: t, profile: true });
    totals.push(performance.now() - t0);
    const steps = model.lastProfile!;
    sums.push(steps.reduce((a, s) => a + s.ms, 0));
    names = steps.map((s) => s.name);
    keys = steps.map((s) => `${s.className}/${s.algorithm}`);
    steps.forEach((s, i) => (best[i] = Math.min(best[i] ?? Infinity, s.ms)));
  }
  totals.sort((a, b) => a - b);
  sums.sort((a, b) => a - b);
  return { names, keys, ms: best, total: totals[RUNS >> 1], stepSum: sums[RUNS >> 1] };
}

for (let i = 0; i < 3; i++) {
  model.predict(x, { threads: 1 });
  model.predict(x, { threads });
}
const one = profile(1);
const many = profile(threads);
console.log(
  `${name} batch ${batch}: predict median ${one.total.toFixed(1)} ms (1 thread), ${many.total.toFixed(1)} ms (${threads})`,
);
const byKey = new Map<string, [number, number, number]>();
one.keys.forEach((k, i) => {
  const e = byKey.get(k) ?? [0, 0, 0];
  e[0] += one.ms[i];
  e[1] += many.ms[i] ?? 0;
  e[2]++;
  byKey.set(k, e);
});
const sum1 = one.ms.reduce((a, b) => a + b, 0);
const sumN = many.ms.reduce((a, b) => a + b, 0);
console.log(`sum of fastest steps: ${sum1.toFixed(1)} ms (1), ${sumN.toFixed(1)} ms (${threads})`);
console.log(
  `median sum of a run's steps: ${one.stepSum.toFixed(1)} ms (1), ${many.stepSum.toFixed(1)} ms (${threads})`,
);
for (const [k, [a, b, n]] of [...byKey].sort((p, q) => q[1][0] - p[1][0])) {
  console.log(
    `${k.padEnd(40)} n=${String(n).padStart(3)} ${a.toFixed(2).padStart(8)} ms ${b.toFixed(2).padStart(8)} ms  ${(a / b).toFixed(2)}x`,
  );
}
if (perStep) {
  one.names.forEach((s, i) =>
    console.log(
      `${s.slice(0, 70).padEnd(70)} ${one.keys[i].padEnd(28)} ${one.ms[i].toFixed(3).padStart(7)} ${many.ms[i].toFixed(3).padStart(7)}`,
    ),
  );
}
model.dispose();
