/**
 * Probe: where a bench network's predict spends its time by function, from V8's sampling profiler
 * (node:inspector), self time in percent: the kernels show as wasm-function[n], everything else is the
 * JavaScript around them (planning caches, argument lists, copies). Used to find per-step JS overhead.
 *
 *   node --import tsx wasm/probe/js_profile.ts [mobilenet_v2|resnet50|mobilenet_v1] [--threads=N]
 */
import { Session } from 'node:inspector/promises';
import type { NetworkName } from '../../bench/model_nets.js';
import { loadNetwork } from './network.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

const args = process.argv.slice(2);
const name = (args.find((a) => !a.startsWith('--')) ?? 'mobilenet_v2') as NetworkName;
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10) ?? 1);
const RUNS = 150;

const { model, input: x } = await loadNetwork(name);
for (let i = 0; i < 10; i++) model.predict(x, { threads });

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
const t0 = performance.now();
for (let i = 0; i < RUNS; i++) model.predict(x, { threads });
const ms = (performance.now() - t0) / RUNS;
const { profile } = (await session.post('Profiler.stop')) as {
  profile: { nodes: ProfileNode[]; samples: number[] };
};
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
for (const id of profile.samples) {
  const frame = nodes.get(id)!.callFrame;
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
console.log(`${name}, ${threads} thread(s): predict ${ms.toFixed(2)} ms (profiled), ${total} samples`);
for (const [key, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${((100 * count) / total).toFixed(2).padStart(6)}%  ${key}`);
}
model.dispose();
