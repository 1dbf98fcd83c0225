/**
 * conv2d on several threads, synchronously: the calling thread copies rows in and out, takes its share
 * of each job's kernel calls, and blocks in Atomics.wait until the pool's workers have done the rest.
 * Only where a thread may block and start workers synchronously (Node, main thread or worker); a
 * browser's main thread may not block, so there conv2d runs on one thread (conv2dAsync uses the pool).
 *
 * igemm and winograd are threaded (igemm_jobs.ts, winograd_jobs.ts); the other algorithms (direct,
 * im2col, fft: not split into pool jobs yet) run on the calling thread. If the pool breaks mid-call (a
 * worker died, a job stalled) the call is computed again on the calling thread, by the single-threaded
 * engine over its own memory: never a partial result.
 */
import type { ConvGeometry } from '../geometry.js';
import { runConv2d, type Conv2dPlan } from '../plan/planner.js';
import { conv2dIgemm, type OutputClamp } from '../algorithms/igemm.js';
import { conv2dWinograd, winogradProblem } from '../algorithms/winograd.js';
import { IGEMM_KERNEL, igemmInPlaceJobs, igemmJobs } from './igemm_jobs.js';
import { winogradThreaded } from './winograd_jobs.js';
import { parallelEngine, type ParallelEngine } from './parallel_engine.js';
import { PoolBrokenError, isNode, workersSupported } from './pool.js';

/** Whether conv2d can use worker threads here (it must block while they run). */
export function syncThreadsSupported(): boolean {
  return isNode() && workersSupported();
}

/** The thread count conv2d's plan assumes for a `threads` option: the option, or 1 without workers. */
export function plannedThreads(requested?: number): number | undefined {
  return syncThreadsSupported() ? requested : 1;
}

/**
 * Runs `work` on the pool's engine: null when the pool is unavailable here, busy (a conv2d inside a
 * conv2d's caller, or conv2dAsync in flight) or broke during the call.
 */
function onPool<T>(work: (engine: ParallelEngine) => T): T | null {
  const engine = syncThreadsSupported() ? parallelEngine() : null;
  if (!engine || engine.busy) return null;
  try {
    return work(engine);
  } catch (error) {
    if (error instanceof PoolBrokenError) return null;
    throw error;
  }
}

/** igemm on `threads` threads, or null when the pool cannot run it (see onPool). */
export function conv2dIgemmThreaded(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  threads: number,
  out?: Float32Array,
  clamp?: OutputClamp,
): Float32Array | null {
  const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
  return onPool((engine) => {
    if (size === 0) return new Float32Array(0);
    // An output in the pool's own memory (a model's arena) is written in place, clamp included.
    const inPlace = out ? igemmInPlaceJobs(engine.heap, g, input, filter, threads, out, clamp) : null;
    if (inPlace && out) {
      for (const job of inPlace.jobs) {
        job.load();
        engine.pool.runSync(inPlace.kernel, job.calls, threads);
      }
      if (clamp && inPlace.clamped) clamp.applied = true;
      return out;
    }
    // Allocated while the workers run the first job: a large new array costs page faults.
    let output: Float32Array | undefined;
    const allocate = (): Float32Array => (output ??= out ?? new Float32Array(size));
    for (const job of igemmJobs(engine.heap, g, input, filter, threads)) {
      job.load();
      engine.pool.runSync(IGEMM_KERNEL, job.calls, threads, allocate);
      job.store(allocate());
    }
    return allocate();
  });
}

/**
 * winograd on `threads` threads, or null when the pool cannot run it (see onPool). Outputs that are
 * not finite are recomputed by igemm (threaded too) from g itself, as on one thread.
 */
export function conv2dWinogradThreaded(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  threads: number,
  out?: Float32Array,
  clamp?: OutputClamp,
): Float32Array | null {
  const result = onPool((engine) =>
    winogradThreaded(engine, winogradProblem(g, input, filter), threads, undefined, out, clamp),
  );
  if (result !== 'non-finite') return result;
  return conv2dIgemmThreaded(g, input, filter, threads, out) ?? conv2dIgemm(g, input, filter, out);
}

/**
 * runConv2d on `threads` threads where the plan's algorithm has a threaded form. With `out` (the
 * output's size; the model runtime passes its arena's slot) the result is written there. `clamp`: the
 * model runtime's output stage, which threaded igemm applies when the output lives in the pool's memory
 * (see igemmInPlaceJobs), and Winograd, on any thread count, when its output transform writes `out` in
 * place (see conv2dWinograd); `clamp.applied` says whether it ran.
 */
export function runConv2dThreaded(
  plan: Conv2dPlan,
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  threads: number,
  out?: Float32Array,
  clamp?: OutputClamp,
): Float32Array {
  if (threads > 1 && plan.algorithm === 'igemm') {
    const output = conv2dIgemmThreaded(g, input, filter, threads, out, clamp);
    if (output) return output;
  }
  if (plan.algorithm === 'winograd') {
    if (threads > 1) {
      const output = conv2dWinogradThreaded(g, input, filter, threads, out, clamp);
      if (output) return output;
    }
    return conv2dWinograd(g, input, filter, out, clamp);
  }
  return runConv2d(plan, g, input, filter, out);
}
