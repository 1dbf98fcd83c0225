/**
 * Timing: warm-up, then interleaved rounds. In each round every engine still measuring takes one
 * sample (the starting engine rotates from round to round), so slow drifts of a shared, noisy machine
 * hit all engines alike. An engine stops once it has spent its time budget with at least `minSamples`
 * samples, or at `maxSamples`.
 */
import type { PreparedRun } from './engine.js';

export interface TimingSettings {
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
  /** Calls are batched until one sample lasts at least this long (timer resolution, await overhead). */
  minSampleMs: number;
  /** Warm-up: run for at least this long (and at least once) before timing. */
  warmupMs: number;
}

export interface Timed {
  callsPerSample: number;
  samplesMs: number[];
}

async function timeCalls(run: PreparedRun, calls: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const pending = run.run();
    if (pending) await pending;
  }
  return (performance.now() - start) / calls;
}

/**
 * Warms an engine up and returns how many calls make one sample. The runner has already made one
 * untimed call (the correctness check), so one more call is enough for a slow engine.
 */
export async function warmUp(run: PreparedRun, settings: TimingSettings): Promise<number> {
  await run.activate?.();
  let spent = 0;
  let calls = 0;
  let lastMs = Infinity;
  while (calls < 1 || (spent < settings.warmupMs && calls < 1000)) {
    lastMs = await timeCalls(run, 1);
    spent += lastMs;
    calls++;
  }
  return Math.max(1, Math.ceil(settings.minSampleMs / Math.max(lastMs, 1e-6)));
}

/**
 * Times prepared runs round-robin. `callsPerSample[i]` comes from warmUp; `onDone(i)` is called when
 * run i has finished measuring.
 */
export async function measureInterleaved(
  runs: readonly PreparedRun[],
  callsPerSample: readonly number[],
  settings: TimingSettings,
  onDone: (index: number) => void = () => {},
): Promise<Timed[]> {
  const timed: Timed[] = runs.map((_, i) => ({ callsPerSample: callsPerSample[i], samplesMs: [] }));
  const spentMs = runs.map(() => 0);
  const active = new Set(runs.map((_, i) => i));
  for (let round = 0; active.size > 0; round++) {
    const order = [...active];
    const offset = round % order.length;
    for (const i of [...order.slice(offset), ...order.slice(0, offset)]) {
      await runs[i].activate?.();
      const ms = await timeCalls(runs[i], timed[i].callsPerSample);
      timed[i].samplesMs.push(ms);
      spentMs[i] += ms * timed[i].callsPerSample;
      const count = timed[i].samplesMs.length;
      if ((spentMs[i] >= settings.budgetMs && count >= settings.minSamples) || count >= settings.maxSamples) {
        active.delete(i);
        onDone(i);
      }
    }
  }
  return timed;
}

/** max |a - b|; Infinity when the lengths differ, NaN-safe (a NaN anywhere gives Infinity). */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}
