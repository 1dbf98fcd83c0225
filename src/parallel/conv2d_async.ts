/**
 * conv2dAsync: conv2d computed by the pool's worker threads over shared WebAssembly memory (igemm and
 * winograd; the other algorithms on the calling thread); resolves
 * to the same values as conv2d, bit for bit. The calling thread only copies rows in and out, so it
 * stays free while the workers compute: this is the threaded conv2d for a browser's main thread, which
 * may not block. Threads as conv2d's option (default: the planner's choice). Where the plan has no
 * threaded form, where there is one thread, or where workers or shared memory are missing, it computes
 * on the calling thread; if the pool breaks during a call (a worker died), it does too.
 */
import { Tensor, sizeOf, toTensor } from '../tensor.js';
import { convGeometry, type ConvGeometry } from '../geometry.js';
import { planConv2d, runConv2d } from '../plan/planner.js';
import { checkThreads, planThreads } from '../plan/threads.js';
import { CONV2D_OPTIONS, type Conv2dOptions } from '../ops/conv2d.js';
import { checkOptionKeys } from '../ops/options.js';
import { operands } from '../ops/conv2d.js';
import { namingOp, refusingWasmMemory } from '../kernels/wasm/heap.js';
import { IGEMM_KERNEL, igemmJobs } from './igemm_jobs.js';
import { winogradAsync } from './winograd_jobs.js';
import { winogradProblem } from '../algorithms/winograd.js';
import { exclusive, parallelEngine, type ParallelEngine } from './parallel_engine.js';
import { PoolBrokenError, loadWorkerThreads } from './pool.js';
import { conv2dOnWebGPU } from '../gpu/one_call.js';
import { checkBackend } from '../gpu/planner.js';

type OnWorkers = (
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  threads: number,
  out?: Float32Array,
) => Promise<Float32Array | null>;

/** The algorithms that run on the workers, and how (null: the pool broke; compute on this thread). */
export const WORKER_ALGORITHMS: Partial<Record<string, OnWorkers>> = {
  igemm: igemmOnWorkers,
  winograd: winogradOnWorkers,
};

/** conv2d's options; `threads` counts the workers (the calling thread does not compute). */
export interface Conv2dAsyncOptions extends Conv2dOptions {
  /**
   * 'wasm' (default): the CPU, on the worker pool. 'webgpu': upload, compute and read back on the
   * GPU (a backend shared by these calls; `algorithm` is then 'auto', 'direct', 'igemm' or 'winograd', and
   * `threads` has nothing to count).
   */
  backend?: 'wasm' | 'webgpu';
}

/**
 * igemm on `threads` workers, or null if the pool broke during the call (or there is no pool: call
 * loadWorkerThreads first in Node). `out` (the output's size): written instead of a new array (the
 * model runtime's arena slot).
 */
export async function igemmOnWorkers(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  threads: number,
  out?: Float32Array,
): Promise<Float32Array | null> {
  const output = out ?? new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  if (output.length === 0) return output;
  return onPool(async ({ heap, pool }) => {
    for (const job of igemmJobs(heap, g, input, filter, threads)) {
      job.load();
      await pool.runAsync(IGEMM_KERNEL, job.calls, threads);
      job.store(output);
    }
    return output;
  });
}

/** `work` on the pool's engine, after the jobs before it; null where there is no pool or it broke. */
async function onPool<T>(work: (engine: ParallelEngine) => Promise<T>): Promise<T | null> {
  if (!parallelEngine()) return null;
  try {
    return await exclusive(work);
  } catch (error) {
    if (error instanceof PoolBrokenError) return null;
    throw error;
  }
}

/**
 * winograd on `threads` workers (see winogradAsync), or null if the pool broke during the call (or
 * there is no pool). Outputs that are not finite are recomputed by igemm on the workers, as on one
 * thread. `out`: as igemmOnWorkers'.
 */
export async function winogradOnWorkers(
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  threads: number,
  out?: Float32Array,
): Promise<Float32Array | null> {
  const result = await onPool((engine) =>
    winogradAsync(engine, winogradProblem(g, input, filter), threads, out),
  );
  return result === 'non-finite' ? igemmOnWorkers(g, input, filter, threads, out) : result;
}

/**
 * conv2d as a promise: igemm and winograd on several threads run on the worker pool while this thread
 * waits without blocking. The input and filter values are read while it runs (the input band by band, between waits):
 * write to their data only after the promise settles.
 */
export async function conv2dAsync(
  input: Tensor,
  filter: Tensor,
  options?: Conv2dAsyncOptions,
): Promise<Tensor> {
  const op = 'conv2dAsync';
  const opts = checkOptionKeys(op, options, [...CONV2D_OPTIONS, 'backend'] as const);
  const requestedThreads = checkThreads(op, opts.threads);
  const x = toTensor(op, 'input', input);
  const w = toTensor(op, 'filter', filter);
  const g = convGeometry(op, x.shape, w.shape, opts);
  const plan = planConv2d(g, opts.algorithm ?? 'auto', { precision: opts.precision });
  if (sizeOf(g.outputShape) === 0) return new Tensor(new Float32Array(0), g.outputShape);
  if (checkBackend(op, opts.backend) === 'webgpu') return conv2dOnWebGPU(op, x, w, opts);
  const threads = planThreads(g, plan.algorithm, requestedThreads);
  const onWorkers = WORKER_ALGORITHMS[plan.algorithm];
  if (threads > 1 && onWorkers) await loadWorkerThreads();
  if (threads > 1 && onWorkers && parallelEngine()) {
    const output = await onWorkers(g, x.data, w.data, threads).catch((error: unknown) => {
      throw namingOp(op, operands(g), error);
    });
    if (output) return new Tensor(output, g.outputShape);
  }
  const values = refusingWasmMemory(op, operands(g), () => runConv2d(plan, g, x.data, w.data));
  return new Tensor(values, g.outputShape);
}
