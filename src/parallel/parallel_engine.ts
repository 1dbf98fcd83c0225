/**
 * The multi-threaded fast engine: the kernel module's shared-memory build over one shared WasmHeap,
 * and a WorkerPool whose workers run kernel calls on it. Jobs run one at a time (they share the heap's
 * scratch), in the order they were submitted.
 */
import { WasmHeap } from '../kernels/wasm/heap.js';
import { variantBytes, type WasmVariant } from '../kernels/wasm/features.js';
import { wasmEngine } from '../kernels/wasm/engine.js';
import { WorkerPool } from './pool.js';

export interface ParallelEngine {
  variant: WasmVariant;
  heap: WasmHeap;
  pool: WorkerPool;
}

let current: { threads: number; variant: WasmVariant; engine: Promise<ParallelEngine | null> } | undefined;
let queue: Promise<unknown> = Promise.resolve();

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

async function start(threads: number, variant: WasmVariant): Promise<ParallelEngine | null> {
  const bytes = variantBytes(variant, true);
  if (!sharedMemorySupported() || !WebAssembly.validate(bytes)) return null;
  const heap = new WasmHeap(4 << 20, true);
  const module = new WebAssembly.Module(bytes);
  // The main thread writes inputs and reads outputs through the heap's views; only workers compute.
  return { variant, heap, pool: await WorkerPool.create(threads, module, heap.memory) };
}

/**
 * The engine with `threads` workers (the same kernel variant as the single-threaded engine), or null
 * where WebAssembly SIMD or shared memory is missing. A different thread count restarts the pool.
 */
export function parallelEngine(threads: number): Promise<ParallelEngine | null> {
  const variant = wasmEngine()?.variant;
  if (!variant) return Promise.resolve(null);
  if (!current || current.threads !== threads || current.variant !== variant) {
    const previous = current?.engine;
    void previous?.then((engine) => engine?.pool.terminate());
    current = { threads, variant, engine: start(threads, variant) };
  }
  return current.engine;
}

/** Runs `job` after every job submitted before it (they share the heap's scratch). */
export function exclusive<T>(job: () => Promise<T>): Promise<T> {
  const result = queue.then(job, job);
  queue = result.catch(() => undefined);
  return result;
}

/** Stops the workers (a later call starts new ones). */
export function stopParallelEngine(): void {
  void current?.engine.then((engine) => engine?.pool.terminate());
  current = undefined;
}
