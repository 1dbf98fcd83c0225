/**
 * Scratch space for one synchronous call on the fast engine: buffers are carved, 64-byte aligned, from
 * the heap's scratch area (past the resident packed weights), and the memory is grown once for all of
 * them. Nothing here outlives the call: the next call carves the same bytes again.
 */
import { align64, type WasmHeap } from '../kernels/wasm/heap.js';
import { NR } from '../kernels/wasm/pack.js';

export class ScratchArena {
  private top: number;

  constructor(private readonly heap: WasmHeap) {
    this.top = heap.scratchBase;
  }

  /** Byte address of `bytes` fresh bytes (contents undefined). */
  take(bytes: number): number {
    const address = this.top;
    this.top = align64(address + bytes);
    return address;
  }

  /** Grows the memory so that every buffer taken so far exists; call before writing to them. */
  commit(): void {
    this.heap.ensure(this.top);
  }
}

/** Floats of a matrix of `k` rows and `n` columns packed into 8-column panels (the igemm kernel's W). */
export function panelFloats(k: number, n: number): number {
  return Math.ceil(n / NR) * k * NR;
}

/**
 * The row table of f32_igemm_4x8 for a plain matrix: row r of A is one segment at byte offset
 * r * rowBytes; rows past `m` (up to a multiple of 4) repeat the last row.
 */
export function plainRowTable(m: number, rowBytes: number): Int32Array {
  const table = new Int32Array(Math.ceil(m / 4) * 4);
  for (let r = 0; r < table.length; r++) table[r] = Math.min(r, m - 1) * rowBytes;
  return table;
}
