/**
 * A plain matrix product on the fast engine's f32-igemm-4x8 kernel: with one segment per row (the
 * row's K contiguous floats), the indirect GEMM is an ordinary GEMM. A is copied into wasm memory
 * (transposed on the way when it is stored K x M), B is packed into the kernel's 8-column panels
 * (transposed on the way when stored N x K), and C is copied back out: O(MK + KN + MN) moves for MNK
 * multiply-adds.
 */
import type { WasmEngine } from '../kernels/wasm/engine.js';
import { NR } from '../kernels/wasm/pack.js';
import { ScratchArena, panelFloats, plainRowTable } from './wasm_scratch.js';

export interface MatmulOperands {
  /** A as M x K, or as K x M with transposeA. */
  a: Float32Array;
  /** B as K x N, or as N x K with transposeB. */
  b: Float32Array;
  m: number;
  k: number;
  n: number;
  transposeA?: boolean;
  transposeB?: boolean;
}

/** C[M, N] = op(A) x op(B) on the wasm kernel, into `out` (M x N) when given; M, K and N must be >= 1. */
export function matmulWasm(engine: WasmEngine, p: MatmulOperands, out?: Float32Array): Float32Array {
  const { heap, kernels } = engine;
  const { m, k, n } = p;
  const table = rowTable(m, k);
  const scratch = new ScratchArena(heap);
  const tableAt = scratch.take(table.byteLength);
  const aAt = scratch.take(m * k * 4);
  const wAt = scratch.take(panelFloats(k, n) * 4);
  const cAt = scratch.take(m * n * 4);
  scratch.commit();
  const f32 = heap.f32;
  heap.i32.set(table, tableAt >> 2);
  if (p.transposeA) transposeInto(f32, aAt >> 2, p.a, k, m);
  else f32.set(p.a.subarray(0, m * k), aAt >> 2);
  packPanels(f32, wAt >> 2, p.b, k, n, p.transposeB ?? false);
  kernels.f32_igemm_4x8(m, n, 1, k, tableAt, aAt, wAt, cAt, n);
  const c = f32.subarray(cAt >> 2, (cAt >> 2) + m * n);
  if (!out) return c.slice();
  out.set(c);
  return out;
}

/** Writes the transpose of `rows` x `cols` row-major `src` at float index `dst`. */
function transposeInto(f32: Float32Array, dst: number, src: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let c = 0; c < cols; c++) f32[dst + c * rows + r] = src[from + c];
  }
}

/** Packs B (K x N, or N x K when `transposed`) into 8-column panels at float index `dst`. */
function packPanels(
  f32: Float32Array,
  dst: number,
  b: Float32Array,
  k: number,
  n: number,
  transposed: boolean,
): void {
  const panels = Math.ceil(n / NR);
  for (let q = 0; q < panels; q++) {
    const col0 = q * NR;
    const cols = Math.min(NR, n - col0);
    let d = dst + q * k * NR;
    for (let kk = 0; kk < k; kk++, d += NR) {
      for (let j = 0; j < cols; j++) f32[d + j] = transposed ? b[(col0 + j) * k + kk] : b[kk * n + col0 + j];
      for (let j = cols; j < NR; j++) f32[d + j] = 0;
    }
  }
}

let lastTable: { m: number; k: number; table: Int32Array } | null = null;

/** The row table for an M x K A (the last one is kept: a layer multiplies the same shapes every step). */
function rowTable(m: number, k: number): Int32Array {
  if (!lastTable || lastTable.m !== m || lastTable.k !== k) {
    lastTable = { m, k, table: plainRowTable(m, k * 4) };
  }
  return lastTable.table;
}
