/**
 * Dense matrix products for the layers, on top of the packed GEMM kernel (src/kernels/gemm.ts). The
 * kernel multiplies row-major A[M, K] by B[K, N]; a transposed operand is copied into row-major order
 * first, which costs M * K (or K * N) moves against M * N * K multiply-adds.
 */
import { gemmPacked, packGemmB } from '../kernels/gemm.js';

/** Row-major transpose of a rows x cols matrix. */
export function transposeMatrix(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) t[c * rows + r] = a[base + c];
  }
  return t;
}

/**
 * C[M, N] = op(A) x op(B), where op(A) is M x K and op(B) is K x N. With `transposeA`, `a` holds A as
 * K x M; with `transposeB`, `b` holds B as N x K.
 */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): Float32Array {
  const rowA = options.transposeA ? transposeMatrix(a, k, m) : a;
  const rowB = options.transposeB ? transposeMatrix(b, n, k) : b;
  const c = new Float32Array(m * n);
  if (m === 0 || n === 0) return c;
  gemmPacked(m, n, k, rowA, 0, k, packGemmB(rowB, 0, n, k, n), c, 0, n);
  return c;
}
