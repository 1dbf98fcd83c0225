/**
 * f32_igemm_4x8 reads its packed weights ahead (the next chunk of panels while the rows pass over this
 * one), and f32_winograd_gemm lets each transform point's GEMM read ahead into the next point's weights.
 * The reads must stop at the last weight: checked with weights that end exactly where the wasm memory
 * ends, where one byte further traps. Also checked: the values (float64 GEMM) and the bits (the same
 * GEMM with its weights elsewhere), on every kernel module this engine runs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setWasmVariant, wasmEngine } from '../src/kernels/wasm/engine.js';
import { WASM_VARIANTS, wasmVariantSupported } from '../src/kernels/wasm/features.js';
import { packFilterPanels } from '../src/kernels/wasm/pack.js';
import { align64 } from '../src/kernels/wasm/heap.js';
import { seededUniform } from './helpers/layout.js';
import { float64Gemm } from './helpers/gemm.js';
import { assertSameBits } from './helpers/threads.js';

after(() => setWasmVariant('auto'));

function assertGemm(
  c: Float32Array,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  w: Float32Array,
  label: string,
) {
  const exact = float64Gemm(m, n, k, a, w);
  for (let i = 0; i < m * n; i++) {
    assert.ok(Math.abs(c[i] - exact[i]) < 1e-5 * k, `${label}: C[${i}] ${c[i]}, float64 ${exact[i]}`);
  }
}

/**
 * Scratch for `points` GEMMs of m rows (one segment of k floats a row, the rows k floats apart) and
 * their weights: the table, A and C from scratchBase, and `weightBytes` at `atEnd` ? the memory's
 * very end : just after C.
 */
function layout(m: number, n: number, k: number, points: number, weightBytes: number, atEnd: boolean) {
  const engine = wasmEngine();
  assert.ok(engine, 'WebAssembly SIMD engine');
  const { heap } = engine;
  const rows = Math.ceil(m / 4) * 4;
  const tableAt = heap.scratchBase;
  const aAt = align64(tableAt + rows * 4);
  const cAt = align64(aAt + points * rows * k * 4);
  const cEnd = align64(cAt + points * m * n * 4);
  heap.ensure(cEnd + weightBytes);
  const end = heap.memory.buffer.byteLength;
  const weightsAt = atEnd ? end - weightBytes : cEnd;
  assert.ok(weightsAt >= cEnd && weightsAt % 64 === 0, `weights at ${weightsAt}, past C at ${cEnd}`);
  const table = new Uint32Array(heap.memory.buffer, tableAt, rows);
  for (let r = 0; r < rows; r++) table[r] = Math.min(r, m - 1) * k * 4; // rows past m repeat a valid entry
  return { engine, heap, tableAt, aAt, cAt, weightsAt, rowBytes: rows * k * 4 };
}

/** The Winograd GEMM export (src/algorithms/winograd.ts keeps its typed signature to itself). */
type WinogradGemm = { f32_winograd_gemm(...args: number[]): void };

const variants = WASM_VARIANTS.filter((v) => wasmVariantSupported(v));

for (const variant of variants) {
  test(`${variant}: igemm's read-ahead of the next panels stops at its last weight`, () => {
    assert.equal(setWasmVariant(variant), variant);
    // K = 512: 16 KB panels, 12 to a chunk. n = 136 (17 panels, two chunks) on 24 rows (4-row tiles,
    // and 5-row ones in the relaxed build) and on 9 rows (panel pairs, then a last odd panel).
    const k = 512;
    const n = 136;
    for (const m of [24, 9]) {
      const a = seededUniform(m * k, m);
      const w = seededUniform(k * n, m + 1);
      const packed = packFilterPanels(w, k, n, 1);
      const results: Float32Array[] = [];
      for (const atEnd of [true, false]) {
        const { engine, heap, tableAt, aAt, cAt, weightsAt } = layout(m, n, k, 1, packed.byteLength, atEnd);
        heap.f32.set(a, aAt >> 2);
        heap.f32.set(packed, weightsAt >> 2);
        engine.kernels.f32_igemm_4x8(m, n, 1, k, tableAt, aAt, weightsAt, cAt, n);
        results.push(heap.f32.slice(cAt >> 2, (cAt >> 2) + m * n));
      }
      assertGemm(results[0], m, n, k, a, w, `m ${m}`);
      assertSameBits(results[0], results[1], `m ${m}, weights at the memory's end or not`);
    }
  });

  test(`${variant}: Winograd's GEMMs read ahead into the next point's weights, and no further`, () => {
    assert.equal(setWasmVariant(variant), variant);
    // 3 points of 256 x 136 weights (each two chunks), on 20 rows and on 9 (F(5x5)'s 3 x 3 tiles).
    const k = 256;
    const n = 136;
    const points = 3;
    for (const m of [20, 9]) {
      const a = Array.from({ length: points }, (_, p) => seededUniform(m * k, 10 * m + p));
      const w = Array.from({ length: points }, (_, p) => seededUniform(k * n, 20 * m + p));
      const packed = w.map((wp) => packFilterPanels(wp, k, n, 1));
      const slice = packed[0].byteLength;
      for (const atEnd of [true, false]) {
        const { engine, heap, tableAt, aAt, cAt, weightsAt, rowBytes } = layout(
          m,
          n,
          k,
          points,
          points * slice,
          atEnd,
        );
        for (let p = 0; p < points; p++) {
          heap.f32.set(a[p], (aAt + p * rowBytes) >> 2);
          heap.f32.set(packed[p], (weightsAt + p * slice) >> 2);
        }
        const mSlice = m * n * 4;
        (engine.kernels as unknown as WinogradGemm).f32_winograd_gemm(
          points,
          m,
          1,
          k,
          n,
          tableAt,
          aAt,
          rowBytes,
          weightsAt,
          slice,
          cAt,
          mSlice,
          n,
        );
        for (let p = 0; p < points; p++) {
          const c = heap.f32.slice((cAt + p * mSlice) >> 2, (cAt + (p + 1) * mSlice) >> 2);
          assertGemm(c, m, n, k, a[p], w[p], `m ${m}, point ${p}, weights at the memory's end: ${atEnd}`);
        }
      }
    }
  });
}
