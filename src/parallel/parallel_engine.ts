/**
 * The multi-threaded fast engine: the kernel module's shared-memory build over one shared WasmHeap,
 * and a WorkerPool whose workers (and the calling thread) run kernel calls on it. It uses the same
 * kernel variant as the single-threaded engine (src/kernels/wasm/engine.ts), so both compute the same
 * bits. It is made on first use, synchronously (workers boot in the background), and made again over
 * new memory when its pool breaks (a worker died or a job stalled).
 *
 * An algorithm becomes threaded by laying out its buffers in `heap` as it does on the single-threaded
 * engine, running its serial steps through `pool.exports` (the calling thread's instance), and handing
 * each data-parallel step to `pool.runSync(kernel, argLists, threads)` as independent calls (see
 * igemm_jobs.ts and conv2d_threaded.ts for igemm).
 */
import { WasmHeap } from '../kernels/wasm/heap.js';
import { variantBytes, type WasmVariant } from '../kernels/wasm/features.js';
import { wasmEngine } from '../kernels/wasm/engine.js';
import { DEFAULT_STALL_MS, PoolBrokenError, WorkerPool, workersSupported } from './pool.js';

export interface ParallelEngine {
  variant: WasmVariant;
  heap: WasmHeap;
  pool: WorkerPool;
  /** True while an asynchronous run holds the heap's scratch (between its awaits). */
  busy: boolean;
}

let current: ParallelEngine | null = null;
let stallMs: number | undefined;
let queue: Promise<unknown> = Promise.resolve();
const modules = new Map<WasmVariant, WebAssembly.Module | null>();

/** Whether this JavaScript engine can share WebAssembly memory between threads. */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  try {
    return (
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer
    );
  } catch {
    return false;
  }
}

/** The shared-memory build of a variant, compiled once (null where it does not validate). */
function sharedModule(variant: WasmVariant): WebAssembly.Module | null {
  let module = modules.get(variant);
  if (module === undefined) {
    const bytes = variantBytes(variant, true);
    module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    modules.set(variant, module);
  }
  return module;
}

/**
 * The engine, or null where WebAssembly SIMD, shared memory or workers are missing. Starts no worker:
 * runs start the ones they need (WorkerPool.ensureWorkers).
 */
export function parallelEngine(): ParallelEngine | null {
  const variant = wasmEngine()?.variant;
  if (!variant) return null;
  if (current && !current.pool.broken && current.variant === variant) return current;
  if (!workersSupported() || !sharedMemorySupported()) return null;
  const module = sharedModule(variant);
  if (!module) return null;
  current?.pool.terminate();
  const heap = new WasmHeap(4 << 20, true);
  const kernels = WebAssembly.Module.exports(module)
    .filter((entry) => entry.kind === 'function')
    .map((entry) => entry.name);
  const pool = new WorkerPool(module, heap.memory, kernels);
  if (stallMs !== undefined) pool.stallMs = stallMs;
  current = { variant, heap, pool, busy: false };
  return current;
}

/** The engine if one was made and still works; makes none. */
export function existingParallelEngine(): ParallelEngine | null {
  return current && !current.pool.broken ? current : null;
}

/**
 * Runs `job` on the engine after every job submitted before it (they share the heap's scratch),
 * marking the engine busy meanwhile so that synchronous runs compute on their own thread instead.
 */
export function exclusive<T>(job: (engine: ParallelEngine) => Promise<T>): Promise<T> {
  const run = async () => {
    const engine = parallelEngine();
    if (!engine) throw new PoolBrokenError('the parallel engine is not available here');
    engine.busy = true;
    try {
      return await job(engine);
    } finally {
      engine.busy = false;
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}

/** Stops the workers (a later threaded call starts new ones). */
export function stopParallelEngine(): void {
  current?.pool.terminate();
  current = null;
}

/** Test hook: how long a job may make no progress before its pool is taken as broken (default 10 s). */
export function setStallTimeout(ms: number | undefined): void {
  stallMs = ms;
  if (current) current.pool.stallMs = ms ?? DEFAULT_STALL_MS;
}
