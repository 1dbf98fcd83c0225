/**
 * Where a model's activation arena lives: in the fast engine's WebAssembly memory when there is one
 * (a region pinned for the model, see WasmHeap.pin), so that the kernels that know how (igemm, the
 * depthwise kernel, the epilogue and pooling, through WasmHeap.addressOf) read their input and write their output there in place
 * instead of copying them in and out; else (no WebAssembly SIMD, or the memory cannot grow to hold it)
 * a plain Float32Array, as before.
 *
 * WebAssembly memory that grows detaches the views of its old buffer. The memory only grows while a
 * step runs (a kernel's scratch or weights), so after each step the plan's views are re-derived if it
 * grew, and that step runs again on the new views: steps only write their own output, so running one
 * again gives the same result. Aliases already taken (Reshape, Flatten) are taken again.
 */
import { wasmEngine } from '../kernels/wasm/engine.js';
import { WasmMemoryError, type WasmHeap } from '../kernels/wasm/heap.js';
import { bindArena, type CompiledPlan } from './executor.js';

/** A step is run again at most this many times after the memory grew under it. */
const RETRIES = 4;

const unpinWhenCollected = new FinalizationRegistry<{ heap: WasmHeap; address: number }>(
  ({ heap, address }) => heap.unpin(address),
);

export class ActivationMemory {
  private readonly heap: WasmHeap | null = wasmEngine()?.heap ?? null;
  private address = -1;
  private bytes = 0;
  private fallback: Float32Array | null = null;
  private readonly token = {};

  /** Points `plan`'s slots at this model's arena memory (made large enough for it) before a run. */
  bind(plan: CompiledPlan): void {
    const need = plan.arena.size;
    if (this.heap && this.fallback === null && need > this.bytes) this.pinAtLeast(this.heap, need);
    if (this.heap && this.fallback === null) {
      const memory = this.heap.f32;
      if (plan.memory !== memory || plan.base !== this.address >> 2) {
        bindArena(plan, memory, this.address >> 2);
      }
      return;
    }
    if (this.fallback === null || this.fallback.length * 4 < need) this.fallback = new Float32Array(need / 4);
    if (plan.memory !== this.fallback) bindArena(plan, this.fallback, 0);
  }

  private pinAtLeast(heap: WasmHeap, need: number): void {
    if (this.address >= 0) {
      unpinWhenCollected.unregister(this.token);
      heap.unpin(this.address);
      this.address = -1;
      this.bytes = 0;
    }
    try {
      this.address = heap.pin(need);
    } catch (error) {
      if (!(error instanceof WasmMemoryError)) throw error;
      this.fallback = new Float32Array(need / 4);
      return;
    }
    this.bytes = need;
    unpinWhenCollected.register(this, { heap, address: this.address }, this.token);
  }

  /** Runs step `index` of a bound plan, again on fresh views if the memory grew under it. */
  runStep(plan: CompiledPlan, index: number): void {
    const step = plan.steps[index];
    for (let attempt = 0; ; attempt++) {
      let failure: unknown = null;
      try {
        step.run(plan.values);
      } catch (error) {
        failure = error;
      }
      if (!this.rebound(plan, index, attempt, failure)) return;
    }
  }

  /** runStep for a step's asynchronous form (predictAsync), or its synchronous one where it has none. */
  async runStepAsync(plan: CompiledPlan, index: number): Promise<void> {
    const step = plan.steps[index];
    if (!step.runAsync) return this.runStep(plan, index);
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
    const heap = this.heap;
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
    bindArena(plan, heap.f32, this.address >> 2);
    for (let i = 0; i < index; i++) if (plan.steps[i].algorithm === 'alias') plan.steps[i].run(plan.values);
    return true;
  }

  /** Frees the pinned region (the model is disposed). */
  dispose(): void {
    if (this.heap && this.address >= 0) {
      unpinWhenCollected.unregister(this.token);
      this.heap.unpin(this.address);
    }
    this.address = -1;
    this.bytes = 0;
    this.fallback = null;
  }
}
