/**
 * The fast engine's one WebAssembly.Memory and how it is laid out:
 *
 *   [0, RESERVED)                 never used (address 0 stays an invalid pointer)
 *   [RESERVED, pinnedTop)         pinned regions: the model runtime's activation arenas (see pin)
 *   [pinnedTop, arenaTop)         packed weights kept resident between calls (see placeWeights)
 *   [scratchBase, ...)            one call's scratch: indirection table, input band, output band
 *
 * The memory only grows. Packed weights stay resident so that repeated calls with the same filter
 * copy nothing; when the arena would pass its budget (WEIGHT_ARENA_BYTES by default) it is emptied and
 * refilled, so resident weights never take more than that (plus the one filter being placed). The
 * budget is sized for whole networks: a model's layers run in turn, and with an arena smaller than
 * their packed weights every layer would copy its weights in again on every pass (a 16 MB arena made
 * the 9.4 MB Winograd filter of a 256-channel 3x3 layer cost 0.6 ms a call next to one other layer).
 * The arena grows only as weights arrive, so small programs keep a small memory. The memory has a
 * maximum, so it can also be created shared (a SharedArrayBuffer that the worker pool's kernels use too).
 */

import { replacedForm } from '../../plan/weights_cache.js';
import { ResourceExhaustedError } from '../../errors.js';

const PAGE_BYTES = 65536;
const RESERVED_BYTES = 1024;
/**
 * Packed weights kept in wasm memory across calls: room for the packed (and Winograd-transformed)
 * filters of a ResNet-50-sized network.
 */
export const WEIGHT_ARENA_BYTES = 384 << 20;
/** 2 GiB: wasm32 pointers stay positive as i32. */
const MAXIMUM_PAGES = 32768;
/** The most bytes a heap's memory may hold (MAXIMUM_PAGES). */
export const WASM_MAX_BYTES = MAXIMUM_PAGES * PAGE_BYTES;

/**
 * The memory cannot hold what a call needs (past the maximum, or the engine could not grow it). The ops
 * that run on the engine turn it into a ResourceExhaustedError that names them (see wasmMemoryRefusal).
 */
export class WasmMemoryError extends ResourceExhaustedError {}

/**
 * Runs an op's work on the engine; a WasmMemoryError from it becomes a ResourceExhaustedError that
 * names the op and its operands (`what`), e.g. "conv2d: input [1,1,9000000,8], filter [1,1,8,8] needs
 * ... bytes of WebAssembly memory, more than ...". Nothing partial escapes: the work's result is lost.
 */
export function refusingWasmMemory<T>(op: string, what: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw namingOp(op, what, error);
  }
}

/** `error`, or for a WasmMemoryError the ResourceExhaustedError of refusingWasmMemory. */
export function namingOp(op: string, what: string, error: unknown): unknown {
  if (!(error instanceof WasmMemoryError)) return error;
  return new ResourceExhaustedError(`${op}: ${what} ${error.message}`);
}

export function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private arenaTop = RESERVED_BYTES;
  /** End of the pinned regions, where the weight arena starts. */
  private pinnedTop = RESERVED_BYTES;
  /** Pinned regions by address: [address, bytes, in use]. */
  private pinned: [number, number, boolean][] = [];
  /** Packed array -> its address. Weak: a form dropped by the weights cache is not kept alive here. */
  private resident = new WeakMap<Float32Array, number>();
  private residentCount = 0;
  private scratchPeakBytes = 0;

  /**
   * `shared`: back it with a SharedArrayBuffer, for the worker pool (src/parallel/). `arenaBytes`: the
   * weight arena's budget. `maxBytes`: the most the memory may grow to (at most WASM_MAX_BYTES; tests
   * lower it, also after construction, to exercise the refusals).
   */
  constructor(
    initialBytes = 4 << 20,
    shared = false,
    readonly arenaBytes = WEIGHT_ARENA_BYTES,
    public maxBytes = WASM_MAX_BYTES,
  ) {
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(initialBytes / PAGE_BYTES),
      maximum: Math.min(MAXIMUM_PAGES, Math.ceil(maxBytes / PAGE_BYTES)),
      shared,
    });
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }

  /** Float32 view of the whole memory (re-created after the memory grows). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.memory.buffer) this.refreshViews();
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.i32View.buffer !== this.memory.buffer) this.refreshViews();
    return this.i32View;
  }

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Grows the memory so that bytes [0, end) exist. Throws WasmMemoryError past the maximum, or where the
   * engine cannot grow it, before anything is written. Algorithms call
   * it with the end of the scratch a call needs, so it also keeps the peak (see takeScratchPeak).
   */
  ensure(end: number): void {
    this.scratchPeakBytes = Math.max(this.scratchPeakBytes, end - this.scratchBase);
    this.grow(end);
  }

  /**
   * The most scratch (bytes past scratchBase) asked for since the last call of this method: what a
   * convolution really used, for `npm run bench`'s scratch column.
   */
  takeScratchPeak(): number {
    const peak = this.scratchPeakBytes;
    this.scratchPeakBytes = 0;
    return peak;
  }

  private grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const limit = Math.min(this.maxBytes, WASM_MAX_BYTES);
    if (end > limit) {
      throw new WasmMemoryError(
        `needs ${end} bytes of WebAssembly memory, more than the ${limit} bytes it can hold`,
      );
    }
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    } catch (error) {
      // The engine's own limit (or the machine's memory) came first: same refusal, not a raw RangeError.
      if (!(error instanceof RangeError)) throw error;
      throw new WasmMemoryError(
        `needs ${end} bytes of WebAssembly memory, which the JavaScript engine could not grow to ` +
          `from ${have} (${error.message})`,
      );
    }
    this.refreshViews();
  }

  /**
   * Byte address of `packed` in wasm memory, copying it in on first use. Keyed by the array object:
   * the weights cache hands out the same array for the same filter values (and never writes one), so a
   * repeated call is a map lookup. A form repacked because its filter's values changed takes the place
   * of the form it replaced, so a filter updated in place does not use up the arena.
   */
  placeWeights(packed: Float32Array): number {
    const known = this.resident.get(packed);
    if (known !== undefined) return known;
    const bytes = align64(packed.byteLength);
    const replaced = replacedForm(packed);
    const slot = replaced ? this.resident.get(replaced) : undefined;
    if (replaced && slot !== undefined && align64(replaced.byteLength) >= bytes) {
      this.resident.delete(replaced);
      this.f32.set(packed, slot >> 2);
      this.resident.set(packed, slot);
      return slot;
    }
    if (this.arenaTop + bytes > this.pinnedTop + this.arenaBytes && this.residentCount > 0) {
      this.dropWeights();
    }
    const address = this.arenaTop;
    this.grow(address + bytes);
    this.f32.set(packed, address >> 2);
    this.arenaTop = address + bytes;
    this.resident.set(packed, address);
    this.residentCount++;
    return address;
  }

  /** Where placeWeights put `packed`, if it is still resident there; else -1. */
  residentAddress(packed: Float32Array): number {
    return this.resident.get(packed) ?? -1;
  }

  private dropWeights(): void {
    this.resident = new WeakMap();
    this.residentCount = 0;
    this.arenaTop = this.pinnedTop;
  }

  /**
   * Reserves `bytes` (64-byte aligned) below the weights for a caller's data that stays in wasm memory
   * between calls (the model runtime's activation arena, which the kernels then read and write in
   * place), and returns its address. A freed region that fits is reused; otherwise the pinned area
   * grows, and the resident weights above it are dropped (copied in again on their next use). Must not
   * be called while a kernel runs. Throws WasmMemoryError when the memory cannot grow to hold it.
   */
  pin(bytes: number): number {
    const size = align64(Math.max(bytes, 64));
    const hole = this.pinned.find(([, b, used]) => !used && b >= size);
    if (hole) {
      hole[2] = true;
      return hole[0];
    }
    const address = this.pinnedTop;
    this.grow(address + size);
    this.pinned.push([address, size, true]);
    this.pinnedTop = address + size;
    this.dropWeights();
    return address;
  }

  /** Frees a region from pin (its bytes are kept for the next pin that fits). */
  unpin(address: number): void {
    const region = this.pinned.find(([a]) => a === address);
    if (!region) return;
    region[2] = false;
    // Neighbouring free regions merge, so a larger pin can reuse them.
    this.pinned.sort((a, b) => a[0] - b[0]);
    const merged: [number, number, boolean][] = [];
    for (const r of this.pinned) {
      const last = merged[merged.length - 1];
      if (last && !last[2] && !r[2] && last[0] + last[1] === r[0]) last[1] += r[1];
      else merged.push(r);
    }
    this.pinned = merged;
  }

  /** Byte address of `view` when it lies in this heap's memory (as it is now), else -1. */
  addressOf(view: Float32Array): number {
    return view.buffer === this.memory.buffer ? view.byteOffset : -1;
  }

  /** First byte free for a call's scratch (after the resident weights). */
  get scratchBase(): number {
    return align64(this.arenaTop);
  }

  private refreshViews(): void {
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }
}
