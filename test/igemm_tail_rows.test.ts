/**
 * f32_igemm_4x8 on row counts that are not a multiple of 4, and on GEMMs of at most 16 rows: the last
 * 1 to 3 rows go to 2x8, 1x8 and 1x16 tiles instead of a 4x8 tile computing rows past m, and short GEMMs
 * take panels in pairs (2x16 and 1x16 tiles); in the relaxed SIMD build, rows in segments of at least
 * 64 floats end in 5-row tiles, and segments of at most 128 floats (or GEMMs of 128 rows or more) go
 * two rows over three panels (2x24 tiles). Checked on every kernel module this engine runs: each row
 * gets the same bits as in 4x8 tiles (so results stay identical whatever the split of rows over threads
 * or blocks), the values match a float64 GEMM, and nothing is written past row m.
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

/** Rows of the reference GEMM: more than the kernel's few-rows limit (16), so only 4x8 tiles compute it. */
const FULL_ROWS = 20;

/**
 * C = A x W through the kernel, A being `m` rows of ks segments of kc floats (row r's segment s at
 * a[(r * ks + s) * kc]); returns `total` rows of C (a multiple of 4), the rows past m as the kernel
 * left them (NaN). With `first`, the GEMM's rows are A's rows first, first + 1, ...
 */
function runKernel(
  m: number,
  n: number,
  ks: number,
  kc: number,
  a: Float32Array,
  w: Float32Array,
  total = FULL_ROWS,
  first = 0,
): Float32Array {
  const engine = wasmEngine();
  assert.ok(engine, 'WebAssembly SIMD engine');
  const { heap } = engine;
  const weights = heap.placeWeights(packFilterPanels(w, ks * kc, n, 1));
  const tableAt = heap.scratchBase;
  const aAt = align64(tableAt + total * ks * 4);
  const cAt = align64(aAt + a.byteLength);
  heap.ensure(cAt + total * n * 4);
  const table = new Uint32Array(heap.memory.buffer, tableAt, total * ks);
  for (let t = 0; t < total / 4; t++) {
    for (let s = 0; s < ks; s++) {
      for (let i = 0; i < 4; i++) {
        const row = first + Math.min(4 * t + i, m - 1); // rows past m repeat a valid entry
        table[(t * ks + s) * 4 + i] = (row * ks + s) * kc * 4;
      }
    }
  }
  heap.f32.set(a, aAt >> 2);
  heap.f32.fill(NaN, cAt >> 2, (cAt >> 2) + total * n);
  engine.kernels.f32_igemm_4x8(m, n, ks, kc, tableAt, aAt, weights, cAt, n);
  return heap.f32.slice(cAt >> 2, (cAt >> 2) + total * n);
}

const variants = WASM_VARIANTS.filter((v) => wasmVariantSupported(v));

/**
 * m rows through the kernel (A and W seeded from `seed`): the values match a float64 GEMM, nothing
 * past row m is written, and every row has the bits it gets alone (a one-row GEMM).
 */
function checkAgainstLoneRows(
  m: number,
  n: number,
  ks: number,
  kc: number,
  total: number,
  seed: number,
): void {
  const k = ks * kc;
  const a = seededUniform(total * k, seed);
  const w = seededUniform(k * n, seed + 1);
  const all = runKernel(m, n, ks, kc, a, w, total);
  const exact = float64Gemm(m, n, k, a, w);
  for (let i = 0; i < m * n; i++) {
    assert.ok(Math.abs(all[i] - exact[i]) < 1e-5 * k, `n ${n}: C[${i}] ${all[i]}, float64 ${exact[i]}`);
  }
  assert.ok(
    all.subarray(m * n).every((v) => Number.isNaN(v)),
    `n ${n}: the kernel wrote rows past m`,
  );
  for (let r = 0; r < m; r++) {
    const lone = runKernel(1, n, ks, kc, a, w, 4, r);
    assertSameBits(all.subarray(r * n, (r + 1) * n), lone.subarray(0, n), `n ${n}, ks ${ks}, row ${r}`);
  }
}

for (const variant of variants) {
  test(`${variant}: rows of a partial 4-row tile get the bits of a full tile, and nothing past m is written`, () => {
    assert.equal(setWasmVariant(variant), variant);
    // m <= 16 (panel pairs): n = 13 and 12 a full and a partial second panel; 24 a pair and a last
    // odd panel (relaxed SIMD: a triple); 50 two triples and a partial panel, 40 a triple and a pair
    // (relaxed SIMD; plain: pairs); 20 a pair and a 4x4 tile; 8 and 3 one panel. m > 16 (4-row tiles, then the tail):
    // n = 8 one panel; 13 a lone row's 1x16 tile over a full and a partial panel; 24 a 1x16 tile and a
    // 1x8 tile; 20 a 1x16 tile and the 4x4 tile; 3 the 4x4 tile alone. ks = 2: two segments.
    for (const [n, ks, kc] of [
      [8, 1, 37],
      [13, 2, 18],
      [12, 1, 11],
      [24, 1, 19],
      [20, 2, 9],
      [3, 1, 21],
      [50, 3, 7],
      [40, 1, 70],
    ]) {
      const k = ks * kc;
      const a = seededUniform(FULL_ROWS * k, n);
      const w = seededUniform(k * n, n + 1);
      const full = runKernel(FULL_ROWS, n, ks, kc, a, w);
      const exact = float64Gemm(FULL_ROWS, n, k, a, w);
      for (let i = 0; i < full.length; i++) {
        assert.ok(Math.abs(full[i] - exact[i]) < 1e-5 * k, `n ${n}: C[${i}] ${full[i]}, float64 ${exact[i]}`);
      }
      for (let m = 1; m < FULL_ROWS; m++) {
        const part = runKernel(m, n, ks, kc, a, w);
        const label = `n ${n}, ks ${ks}, m ${m}`;
        assertSameBits(part.subarray(0, m * n), full.subarray(0, m * n), label);
        assert.ok(
          part.subarray(m * n).every((v) => Number.isNaN(v)),
          `${label}: the kernel wrote rows past m`,
        );
      }
    }
  });
}

for (const variant of variants) {
  test(`${variant}: rows in 5-row tiles (segments >= 64, the last 5t rows) get the bits of a lone row`, () => {
    assert.equal(setWasmVariant(variant), variant);
    // 47 rows: 12 in 4-row tiles, then 35 in 5-row tiles (relaxed SIMD). n = 8 one panel; 13 a
    // partial second panel; 20 a narrow last panel, whose 4x4 tiles end in a 3-row one beside the
    // 5-row tiles; segments of 64 (the 5-row threshold, 3 of them a row) and 70.
    const m = 47;
    const total = 48;
    for (const [n, ks, kc] of [
      [8, 1, 64],
      [13, 3, 64],
      [20, 1, 70],
    ]) {
      checkAgainstLoneRows(m, n, ks, kc, total, n + 7);
    }
  });
}

for (const variant of variants) {
  test(`${variant}: rows in 2x24 tiles (segments of at most 128 floats, or 128 rows or more) get the bits of a lone row`, () => {
    assert.equal(setWasmVariant(variant), variant);
    // 47 rows: 23 row pairs and a last row. n = 24 one triple of panels; 50 two triples and a partial
    // panel; 100 four triples and a 4-column panel (4x4 tiles); 40 a triple and a pair; 61 two triples
    // and a pair whose second panel is partial; 288 with 3 segments of 63: twelve triples in two chunks
    // of panels; 131 rows in segments of 150 (wide by their count), two triples and a last panel.
    for (const [m, n, ks, kc] of [
      [47, 24, 1, 16],
      [47, 50, 2, 9],
      [47, 100, 1, 24],
      [47, 40, 3, 5],
      [47, 61, 2, 60],
      [47, 288, 3, 63],
      [131, 56, 1, 150],
    ]) {
      checkAgainstLoneRows(m, n, ks, kc, Math.ceil(m / 4) * 4, n + 17);
    }
  });
}
