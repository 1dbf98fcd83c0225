/**
 * How many threads a conv2d uses: the `threads` option when given, else the planner's choice for the
 * geometry. Waking sleeping workers costs tens of microseconds, so a problem that one thread finishes
 * in about that time runs on one thread; above that, one more thread per MIN_FLOPS_PER_THREAD, up to
 * the default (every hardware thread on a program's main thread; one inside a Node worker thread,
 * where the program already runs conv2d in parallel).
 */
import type { ConvGeometry } from '../geometry.js';
import { invalid, show } from '../errors.js';
import type { Conv2dAlgorithm } from './planner.js';

/** Largest `threads` option accepted. */
export const MAX_THREADS = 64;

/** Algorithms that split their work over the worker pool (src/parallel/). */
export const THREADED_ALGORITHMS: readonly Conv2dAlgorithm[] = ['igemm', 'winograd'];

/**
 * FLOPs that make one more thread worth waking. Measured with wasm/probe/threads.ts (Node 20, a
 * 2-vCPU VM shared with other work): two threads on a 3x3 convolution lose below about 3 MFLOP, break
 * even at 5-10 MFLOP (the copies in and out and the output's allocation stay on one thread, and
 * publishing a job and waking a worker cost about 10-50 us), and win by 1.2x at 19 MFLOP and 1.4-1.8x
 * on the suite's larger shapes. So: a second thread from 10 MFLOP.
 */
export const MIN_FLOPS_PER_THREAD = 5_000_000;

/** How many times fewer FLOPs winograd does than the count in ConvGeometry.flops (the direct sum's). */
const WINOGRAD_SAVING = 4;

/** Checks the `threads` option: undefined, or an integer from 1 to MAX_THREADS. */
export function checkThreads(op: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_THREADS) {
    invalid(op, 'threads', `must be an integer from 1 to ${MAX_THREADS}, got ${show(value)}`);
  }
  return value;
}

interface Environment {
  process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
  navigator?: { hardwareConcurrency?: number };
}

let hardware: number | undefined;
let inWorkerThread: boolean | undefined;

/** Hardware threads: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
export function hardwareThreads(): number {
  if (hardware === undefined) {
    const env = globalThis as Environment;
    const os = env.process?.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
    hardware = Math.max(1, os?.availableParallelism?.() ?? env.navigator?.hardwareConcurrency ?? 1);
  }
  return hardware;
}

/** The thread count conv2d uses when none is given (see the file comment). */
export function defaultThreads(): number {
  if (inWorkerThread === undefined) {
    const env = globalThis as Environment;
    const threads = env.process?.getBuiltinModule?.('node:worker_threads') as
      typeof import('node:worker_threads') | undefined;
    inWorkerThread = threads !== undefined && !threads.isMainThread;
  }
  return inWorkerThread ? 1 : hardwareThreads();
}

/** The thread count for `algorithm` on `g`: `requested` if given, else the planner's choice. */
export function planThreads(g: ConvGeometry, algorithm: Conv2dAlgorithm, requested?: number): number {
  if (!THREADED_ALGORITHMS.includes(algorithm)) return 1;
  if (requested !== undefined) return requested;
  // Winograd does about a quarter of the direct sum's multiplications (F(4x4): 4x fewer).
  const work = algorithm === 'winograd' ? g.flops / WINOGRAD_SAVING : g.flops;
  return Math.max(1, Math.min(defaultThreads(), Math.floor(work / MIN_FLOPS_PER_THREAD)));
}
