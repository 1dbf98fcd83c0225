/**
 * Which WebAssembly instance and heap a runtime kernel (epilogue, pooling) runs on for an activation:
 * the worker pool's (its instance on this thread) when the activation lives in the pool's shared
 * memory, the arena of a plan with threaded steps (see resident.ts), so the kernel works on it in
 * place; else the fast engine's. Null without WebAssembly SIMD.
 */
import { wasmEngine } from '../kernels/wasm/engine.js';
import type { WasmHeap } from '../kernels/wasm/heap.js';
import { existingParallelEngine } from './parallel_engine.js';

export interface HeapEngine {
  /** The instance's exports (each runtime module casts them to the kernels it calls). */
  kernels: unknown;
  heap: WasmHeap;
}

export function engineFor(view: Float32Array): HeapEngine | null {
  const pool = existingParallelEngine();
  if (pool && !pool.busy && pool.heap.addressOf(view) >= 0)
    return { kernels: pool.pool.exports, heap: pool.heap };
  return wasmEngine();
}
