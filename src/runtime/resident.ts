/**
 * Where a model's activation arena lives: in the fast engine's WebAssembly memory when there is one
 * (a region pinned for the model, see WasmHeap.pin), so that the kernels that know how (igemm, the
 * depthwise kernel, the epilogue and pooling, through WasmHeap.addressOf) read their input and write
 * their output there in place instead of copying them in and out; for `predict` of a plan with steps
 * on several threads, in the worker pool's shared memory instead, where the threads work in place;
 * else (no WebAssembly SIMD, or the memory cannot grow to hold it) a plain Float32Array.
 *
 * WebAssembly memory that grows detaches the views of its old buffer. The memory only grows while a
 * step runs (a kernel's scratch or weights), so after each step the plan's views are re-derived if it
 * grew, and that step runs again on the new views: steps only write their own output, so running one
 * again gives the same result. Aliases already taken (Reshape, Flatten) are taken again.
 */
import { wasmEngine } from '../kernels/wasm/engine.js';
import { WasmMemoryError, type WasmHeap } from '../kernels/wasm/heap.js';
import { existingParallelEngine, parallelEngine } from '../parallel/parallel_engine.js';
import { syncThreadsSupported } from '../parallel/conv2d_threaded.js';
import { bindArena, type CompiledPlan } from './executor.js';

/** A step is run again at most this many times after the memory grew under it. */
const RETRIES = 4;

const unpinWhenCollected = new FinalizationRegistry<{ heap: WasmHeap; address: number }>(
  ({ heap, address }) => heap.unpin(address),
);

/** A model's arena pinned in one heap. */
interface Region {
  heap: WasmHeap;
  address: number;
  bytes: number;
  token: object;
}

/**
 * The worker pool's shared heap, where a plan with steps on several threads keeps its arena (the
 * threaded kernels then read and write it in place: igemmInPlaceJobs, the depthwise kernel), or null
 * where there is no pool here or an asynchronous run holds it.
 */
function pooledHeap(): WasmHeap | null {
  if (!syncThreadsSupported()) return null;
  const engine = parallelEngine();
  return engine && !engine.busy ? engine.heap : null;
}

export class ActivationMemory {
  /** At most one region per heap: the fast engine's, and the worker pool's (see pooledHeap). */
  private regions: Region[] = [];
  /** The region the last bind used (null: the fallback array). */
  private current: Region | null = null;
  private fallback: Float32Array | null = null;

  /**
   * Points `plan`'s slots at this model's arena memory (made large enough for it) before a run:
   * `pooled` (predict of a plan with threaded steps) in the worker pool's heap when there is one,
   * else in the fast engine's.
   */
  bind(plan: CompiledPlan, pooled = false): void {
    const need = plan.arena.size;
    const heap = (pooled ? pooledHeap() : null) ?? wasmEngine()?.heap ?? null;
    this.current = heap && this.fallback === null ? this.regionIn(heap, need) : null;
    const region = this.current;
    if (region) {
      const memory = region.heap.f32;
      if (plan.memory !== memory || plan.base !== region.address >> 2) {
        bindArena(plan, memory, region.address >> 2);
      }
      return;
    }
    if (this.fallback === null || this.fallback.length * 4 < need) this.fallback = new Float32Array(need / 4);
    if (plan.memory !== this.fallback) bindArena(plan, this.fallback, 0);
  }

  /** This model's region in `heap`, at least `need` bytes; null (and the fallback from now on) if it cannot. */
  private regionIn(heap: WasmHeap, need: number): Region | null {
    // A pool that broke was replaced over new memory: regions in its heap are gone with it.
    const live = new Set([wasmEngine()?.heap, existingParallelEngine()?.heap]);
    for (const r of this.regions) if (!live.has(r.heap)) unpinWhenCollected.unregister(r.token);
    this.regions = this.regions.filter((r) => live.has(r.heap));
    let region = this.regions.find((r) => r.heap === heap);
    if (region && region.bytes >= need) return region;
    if (region) {
      this.release(region);
      this.regions = this.regions.filter((r) => r !== region);
    }
    let address: number;
    try {
      address = heap.pin(need);
    } catch (error) {
      if (!(error instanceof WasmMemoryError)) throw error;
      this.fallback = new Float32Array(need / 4);
      return null;
    }
    region = { heap, address, bytes: need, token: {} };
    unpinWhenCollected.register(this, { heap, address }, region.token);
    this.regions.push(region);
    return region;
  }

  private release(region: Region): void {
    unpinWhenCollected.unregister(region.token);
    region.heap.unpin(region.address);
  }

  /** Runs step `index` of a bound plan, again on fresh views if the memory grew under it (partMs: see Step.run). */
  runStep(plan: CompiledPlan, index: number, partMs?: number[]): void {
    const step = plan.steps[index];
    for (let attempt = 0; ; attempt++) {
      let failure: unknown = null;
      // A run again after the memory grew times its parts afresh.
      partMs?.fill(0);
      try {
        step.run(plan.values, partMs);
      } catch (error) {
        failure = error;
      }
      if (!this.rebound(plan, index, attempt, failure)) return;
    }
  }

  /** runStep for a step's asynchronous form (predictAsync), or its synchronous one where it has none. */
  async runStepAsync(plan: CompiledPlan, index: number, partMs?: number[]): Promise<void> {
    const step = plan.steps[index];
    if (!step.runAsync) return this.runStep(plan, index, partMs);
    for (let attempt = 0; ; attempt++) {
      let failure: unknown = null;
      try {
        await step.runAsync(plan.values);
      } catch (error) {
        failure = error;
      }
      if (!this.rebound(plan, index, attempt, failure)) return;
    }
  }

  /**
   * After a run of step `index`: true when the memory grew, views are re-derived and the step must run
   * again; throws the step's own failure otherwise.
   */
  private rebound(plan: CompiledPlan, index: number, attempt: number, failure: unknown): boolean {
    const region = this.current;
    const heap = region?.heap ?? null;
    const grew =
      heap !== null &&
      plan.memory !== null &&
      plan.memory !== this.fallback &&
      plan.memory.buffer !== heap.memory.buffer;
    if (!grew) {
      if (failure !== null) throw failure;
      return false;
    }
    if (attempt >= RETRIES) {
      throw new Error(
        `LayersModel.predict: step '${plan.steps[index].name}' kept growing WebAssembly memory`,
      );
    }
    bindArena(plan, heap.f32, region!.address >> 2);
    for (let i = 0; i < index; i++) if (plan.steps[i].algorithm === 'alias') plan.steps[i].run(plan.values);
    return true;
  }

  /** Frees the pinned regions (the model is disposed). */
  dispose(): void {
    for (const region of this.regions) this.release(region);
    this.regions = [];
    this.current = null;
    this.fallback = null;
  }
}
