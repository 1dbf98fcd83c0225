/**
 * The Winograd tables of src/kernels/winograd_matrices.ts, checked in float64:
 *   - each computes the correlation: A^T [(G g) (.) (B^T d)] equals sum_k d[r + k] g[k] (1-D), and the
 *     nested 2-D form equals the 3 x 3 correlation of an alpha x alpha tile;
 *   - each is the Toom-Cook construction from its points (rows of B^T proportional to the coefficients of
 *     M(x) / (x - p_i) and of M(x), columns of A^T the powers of the points, rows of G [1, p, p^2] / N_i
 *     times the inverse of the B^T row scaling; the point at infinity's three scalings multiply to 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WINOGRAD_MATRICES, type WinogradTile } from '../src/kernels/winograd_matrices.js';
import { seededUniform } from './helpers/layout.js';

const TILES: WinogradTile[] = [2, 4, 5, 6];

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

for (const tile of TILES) {
  const { m, alpha, BT, G, AT, points } = WINOGRAD_MATRICES[tile];

  test(`F(${m}x${m},3x3) tables have the right sizes`, () => {
    assert.equal(alpha, m + 2);
    assert.equal(points.length, alpha - 1);
    assert.equal(BT.length, alpha);
    assert.ok(BT.every((r) => r.length === alpha));
    assert.equal(G.length, alpha);
    assert.ok(G.every((r) => r.length === 3));
    assert.equal(AT.length, m);
    assert.ok(AT.every((r) => r.length === alpha));
  });

  test(`F(${m},3) computes the 1-D correlation (float64)`, () => {
    for (let trial = 0; trial < 50; trial++) {
      const d = seededUniform(alpha, 100 + trial);
      const g = seededUniform(3, 200 + trial);
      const u = matVec(G, g);
      const v = matVec(BT, d);
      const y = matVec(
        AT,
        u.map((x, i) => x * v[i]),
      );
      for (let r = 0; r < m; r++) {
        const expected = d[r] * g[0] + d[r + 1] * g[1] + d[r + 2] * g[2];
        assert.ok(Math.abs(y[r] - expected) < 1e-13, `trial ${trial} output ${r}: ${y[r]} vs ${expected}`);
      }
    }
  });

  test(`F(${m}x${m},3x3) computes the 2-D correlation of a tile (float64)`, () => {
    const d = seededUniform(alpha * alpha, 7);
    const g = seededUniform(9, 8);
    const at = (mat: Float64Array, cols: number, i: number, j: number) => mat[i * cols + j];
    // U = G g G^T (alpha x alpha), V = B^T d B (alpha x alpha).
    const u = new Float64Array(alpha * alpha);
    const v = new Float64Array(alpha * alpha);
    for (let i = 0; i < alpha; i++) {
      for (let j = 0; j < alpha; j++) {
        let su = 0;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) su += G[i][a] * g[a * 3 + b] * G[j][b];
        u[i * alpha + j] = su;
        let sv = 0;
        for (let a = 0; a < alpha; a++) {
          for (let b = 0; b < alpha; b++) sv += BT[i][a] * d[a * alpha + b] * BT[j][b];
        }
        v[i * alpha + j] = sv;
      }
    }
    const mm = u.map((x, i) => x * v[i]);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) {
        let y = 0;
        for (let i = 0; i < alpha; i++)
          for (let j = 0; j < alpha; j++) y += AT[r][i] * at(mm, alpha, i, j) * AT[c][j];
        let expected = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) expected += d[(r + a) * alpha + c + b] * g[a * 3 + b];
        assert.ok(Math.abs(y - expected) < 1e-12, `output (${r}, ${c}): ${y} vs ${expected}`);
      }
    }
  });

  test(`F(${m},3) tables are the Toom-Cook construction from points ${points.join(', ')}`, () => {
    const n = points.length;
    for (let i = 0; i <= n; i++) {
      // Row i of B^T is s_i times the residue polynomial (M(x) itself for the point at infinity).
      const poly = i < n ? [...residuePolynomial(points, i), 0] : residuePolynomial(points, -1);
      const lead = poly.findIndex((x) => x !== 0);
      const scale = BT[i][lead] / poly[lead];
      poly.forEach((x, j) => assert.ok(Math.abs(BT[i][j] - scale * x) < 1e-12, `B^T[${i}][${j}]`));
      if (i < n) {
        // Row i of G is [1, p, p^2] / (N_i s_i); column i of A^T holds the powers of the point.
        const nI = residuePolynomial(points, i).reduce((sum, c, e) => sum + c * points[i] ** e, 0);
        [1, points[i], points[i] ** 2].forEach((x, j) => {
          const expected = x / (nI * scale);
          assert.ok(Math.abs(G[i][j] - expected) < 1e-12, `G[${i}][${j}]: ${G[i][j]} vs ${expected}`);
        });
        for (let r = 0; r < m; r++) assert.equal(AT[r][i], points[i] ** r, `A^T[${r}][${i}]`);
      } else {
        // The point at infinity: G row [0, 0, q], A^T column [0, ..., 0, t], and s q t = 1.
        assert.deepEqual([G[i][0], G[i][1]], [0, 0]);
        for (let r = 0; r < m - 1; r++) assert.equal(AT[r][i], 0, `A^T[${r}][${i}]`);
        assert.ok(Math.abs(scale * G[i][2] * AT[m - 1][i] - 1) < 1e-12, 'scalings of the point at infinity');
      }
    }
  });
}
