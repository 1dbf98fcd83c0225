/**
 * Scratch memory of one call, measured from the outside: the growth of process.memoryUsage().arrayBuffers
 * (the bytes held by ArrayBuffers and typed arrays outside V8's heap) across the call, after a full
 * garbage collection just before it. Nothing is collected in between on purpose: buffers the call
 * allocated and dropped are still counted, so the figure is everything allocated during the call, an
 * upper bound on the peak (exact when the call frees nothing before returning). The caller subtracts
 * the output it knows about. Typed arrays of 64 bytes or less live on V8's heap and are not counted.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { parallelEngine } from '../src/parallel/parallel_engine.js';

let collect: (() => void) | undefined;

/** A handle on V8's gc(), without needing node --expose-gc on the command line. */
function garbageCollector(): () => void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

/** Bytes of ArrayBuffer memory allocated while `call` ran (see above). */
export async function arrayBufferGrowth(call: () => void | Promise<void>): Promise<number> {
  const gc = garbageCollector();
  gc();
  gc();
  const before = process.memoryUsage().arrayBuffers;
  await call();
  const after = process.memoryUsage().arrayBuffers;
  return Math.max(0, after - before);
}

/**
 * Peak scratch in convkit's WebAssembly memory during `call`: the most bytes past the weight arena that
 * the call asked for (WasmHeap.takeScratchPeak), on the single-thread engine's heap or the worker pool's
 * shared heap. That memory is reused by the next call, so arrayBufferGrowth does not see it.
 */
export async function wasmScratchPeak(call: () => void | Promise<void>): Promise<number> {
  const heaps = [wasmEngine()?.heap, parallelEngine()?.heap].filter((h) => h !== undefined);
  for (const heap of heaps) heap.takeScratchPeak();
  await call();
  return Math.max(0, ...heaps.map((heap) => heap.takeScratchPeak()));
}
