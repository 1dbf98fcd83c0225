/**
 * The Winograd tables of src/kernels/winograd_matrices.ts (F(m x m, 3 x 3) and F(4x4, 4x4)), checked in
 * float64:
 *   - each computes the correlation: A^T [(G g) (.) (B^T d)] equals sum_k d[i + k] g[k] (1-D), and the
 *     nested 2-D form equals the r x r correlation of an alpha x alpha tile;
 *   - each is the Toom-Cook construction from its points (rows of B^T proportional to the coefficients of
 *     M(x) / (x - p_i) and of M(x), columns of A^T the powers of the points, rows of G
 *     [1, p, ..., p^(r-1)] / N_i times the inverse of the B^T row scaling; the point at infinity's three
 *     scalings multiply to 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_WINOGRAD_MATRICES,
  WINOGRAD_MATRICES,
  winogradMatrices,
  winogradTilesFor,
} from '../src/kernels/winograd_matrices.js';
import { seededUniform } from './helpers/layout.js';

function matVec(mat: readonly (readonly number[])[], v: ArrayLike<number>): number[] {
  return mat.map((row) => row.reduce((s, x, i) => s + x * v[i], 0));
}

function polyMul(a: number[], b: number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  a.forEach((x, i) => b.forEach((y, j) => (out[i + j] += x * y)));
  return out;
}

/** Coefficients (lowest power first) of prod over the points except `skip` of (x - p). */
function residuePolynomial(points: readonly number[], skip: number): number[] {
  let p = [1];
  points.forEach((q, j) => {
    if (j !== skip) p = polyMul(p, [-q, 1]);
  });
  return p;
}

test('winogradMatrices finds every table by tile and filter size, and only those', () => {
  for (const r of [2, 3, 4, 5]) {
    for (const tile of winogradTilesFor(r)) {
      const t = winogradMatrices(tile, r);
      assert.deepEqual([t.m, t.r], [tile, r]);
      assert.ok(ALL_WINOGRAD_MATRICES.includes(t), 'ALL_WINOGRAD_MATRICES.includes(t)');
    }
  }
  const tables = [2, 3, 4, 5].reduce((n, r) => n + winogradTilesFor(r).length, 0);
  assert.equal(tables, ALL_WINOGRAD_MATRICES.length);
  assert.equal(winogradMatrices(4, 3), WINOGRAD_MATRICES[4]);
  assert.throws(() => winogradMatrices(6, 4), /no F\(6x6,4x4\) table/);
  assert.deepEqual(winogradTilesFor(6), []);
});

for (const { m, r, alpha, BT, G, AT, points } of ALL_WINOGRAD_MATRICES) {
  test(`F(${m}x${m},${r}x${r}) tables have the right sizes`, () => {
    assert.equal(alpha, m + r - 1);
    assert.equal(points.length, alpha - 1);
    assert.equal(BT.length, alpha);
    assert.ok(
      BT.every((r) => r.length === alpha),
      'BT.every((r) => r.length === alpha)',
    );
    assert.equal(G.length, alpha);
    assert.ok(
      G.every((row) => row.length === r),
      'G.every((row) => row.length === r)',
    );
    assert.equal(AT.length, m);
    assert.ok(
      AT.every((r) => r.length === alpha),
      'AT.every((r) => r.length === alpha)',
    );
  });

  test(`F(${m},${r}) computes the 1-D correlation (float64)`, () => {
    for (let trial = 0; trial < 50; trial++) {
      const d = seededUniform(alpha, 100 + trial);
      const g = seededUniform(r, 200 + trial);
      const u = matVec(G, g);
      const v = matVec(BT, d);
      const y = matVec(
        AT,
        u.map((x, i) => x * v[i]),
      );
      for (let o = 0; o < m; o++) {
        let expected = 0;
        for (let k = 0; k < r; k++) expected += d[o + k] * g[k];
        assert.ok(Math.abs(y[o] - expected) < 1e-13, `trial ${trial} output ${o}: ${y[o]} vs ${expected}`);
      }
    }
  });

  test(`F(${m}x${m},${r}x${r}) computes the 2-D correlation of a tile (float64)`, () => {
    const d = seededUniform(alpha * alpha, 7);
    const g = seededUniform(r * r, 8);
    const at = (mat: Float64Array, cols: number, i: number, j: number) => mat[i * cols + j];
    // U = G g G^T (alpha x alpha), V = B^T d B (alpha x alpha).
    const u = new Float64Array(alpha * alpha);
    const v = new Float64Array(alpha * alpha);
    for (let i = 0; i < alpha; i++) {
      for (let j = 0; j < alpha; j++) {
        let su = 0;
        for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) su += G[i][a] * g[a * r + b] * G[j][b];
        u[i * alpha + j] = su;
        let sv = 0;
        for (let a = 0; a < alpha; a++) {
          for (let b = 0; b < alpha; b++) sv += BT[i][a] * d[a * alpha + b] * BT[j][b];
        }
        v[i * alpha + j] = sv;
      }
    }
    const mm = u.map((x, i) => x * v[i]);
    for (let o = 0; o < m; o++) {
      for (let c = 0; c < m; c++) {
        let y = 0;
        for (let i = 0; i < alpha; i++)
          for (let j = 0; j < alpha; j++) y += AT[o][i] * at(mm, alpha, i, j) * AT[c][j];
        let expected = 0;
        for (let a = 0; a < r; a++)
          for (let b = 0; b < r; b++) expected += d[(o + a) * alpha + c + b] * g[a * r + b];
        assert.ok(Math.abs(y - expected) < 1e-12, `output (${o}, ${c}): ${y} vs ${expected}`);
      }
    }
  });

  test(`F(${m},${r}) tables are the Toom-Cook construction from points ${points.join(', ')}`, () => {
    const n = points.length;
    for (let i = 0; i <= n; i++) {
      // Row i of B^T is s_i times the residue polynomial (M(x) itself for the point at infinity).
      const poly = i < n ? [...residuePolynomial(points, i), 0] : residuePolynomial(points, -1);
      const lead = poly.findIndex((x) => x !== 0);
      const scale = BT[i][lead] / poly[lead];
      poly.forEach((x, j) => assert.ok(Math.abs(BT[i][j] - scale * x) < 1e-12, `B^T[${i}][${j}]`));
      if (i < n) {
        // Row i of G is [1, p, ..., p^(r-1)] / (N_i s_i); column i of A^T holds the powers of the point.
        const nI = residuePolynomial(points, i).reduce((sum, c, e) => sum + c * points[i] ** e, 0);
        Array.from({ length: r }, (_, e) => points[i] ** e).forEach((x, j) => {
          const expected = x / (nI * scale);
          assert.ok(Math.abs(G[i][j] - expected) < 1e-12, `G[${i}][${j}]: ${G[i][j]} vs ${expected}`);
        });
        for (let o = 0; o < m; o++) assert.equal(AT[o][i], points[i] ** o, `A^T[${o}][${i}]`);
      } else {
        // The point at infinity: G row [0, ..., 0, q], A^T column [0, ..., 0, t], and s q t = 1.
        assert.deepEqual(G[i].slice(0, r - 1), new Array<number>(r - 1).fill(0));
        for (let o = 0; o < m - 1; o++) assert.equal(AT[o][i], 0, `A^T[${o}][${i}]`);
        const q = G[i][r - 1];
        assert.ok(Math.abs(scale * q * AT[m - 1][i] - 1) < 1e-12, 'scalings of the point at infinity');
      }
    }
  });
}
