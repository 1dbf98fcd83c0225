/**
 * GEMM in plain TypeScript: C[M, N] = A[M, K] x B[K, N], all row-major float32.
 *
 * B (the flattened filter) is first packed into panels of NR = 4 columns, each panel K x 4 contiguous,
 * so the inner loop reads B sequentially. The microkernel keeps a 4 x 4 block of C in local variables
 * (float64 in V8, so sums are more accurate than float32 accumulation) and walks K once per block.
 * Rows of A are read in place with their leading dimension.
 */

export const GEMM_NR = 4;
const MR = 4;

/** Packs columns [col0, col0 + n) of B (K rows, leading dimension ldb) into 4-column panels, zero-filled. */
export function packGemmB(b: Float32Array, bOffset: number, ldb: number, k: number, n: number): Float32Array {
  const panels = Math.ceil(n / GEMM_NR);
  const packed = new Float32Array(panels * k * GEMM_NR);
  for (let p = 0; p < panels; p++) {
    const base = p * k * GEMM_NR;
    const cols = Math.min(GEMM_NR, n - p * GEMM_NR);
    for (let kk = 0; kk < k; kk++) {
      const src = bOffset + kk * ldb + p * GEMM_NR;
      for (let j = 0; j < cols; j++) packed[base + kk * GEMM_NR + j] = b[src + j];
    }
  }
  return packed;
}

/**
 * C (M x N block at cOffset, leading dimension ldc) = A (M x K at aOffset, leading dimension lda)
 * times the packed B from packGemmB (K x N). Overwrites C.
 */
export function gemmPacked(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOffset: number,
  lda: number,
  packedB: Float32Array,
  c: Float32Array,
  cOffset: number,
  ldc: number,
): void {
  const panels = Math.ceil(n / GEMM_NR);
  let i = 0;
  for (; i + MR <= m; i += MR) {
    const a0 = aOffset + i * lda;
    const a1 = a0 + lda;
    const a2 = a1 + lda;
    const a3 = a2 + lda;
    for (let p = 0; p < panels; p++) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      let pb = p * k * GEMM_NR;
      for (let kk = 0; kk < k; kk++, pb += GEMM_NR) {
        const b0 = packedB[pb];
        const b1 = packedB[pb + 1];
        const b2 = packedB[pb + 2];
        const b3 = packedB[pb + 3];
        const x0 = a[a0 + kk];
        const x1 = a[a1 + kk];
        const x2 = a[a2 + kk];
        const x3 = a[a3 + kk];
        c00 += x0 * b0;
        c01 += x0 * b1;
        c02 += x0 * b2;
        c03 += x0 * b3;
        c10 += x1 * b0;
        c11 += x1 * b1;
        c12 += x1 * b2;
        c13 += x1 * b3;
        c20 += x2 * b0;
        c21 += x2 * b1;
        c22 += x2 * b2;
        c23 += x2 * b3;
        c30 += x3 * b0;
        c31 += x3 * b1;
        c32 += x3 * b2;
        c33 += x3 * b3;
      }
      const col = p * GEMM_NR;
      const cols = Math.min(GEMM_NR, n - col);
      storeRow(c, cOffset + i * ldc + col, cols, c00, c01, c02, c03);
      storeRow(c, cOffset + (i + 1) * ldc + col, cols, c10, c11, c12, c13);
      storeRow(c, cOffset + (i + 2) * ldc + col, cols, c20, c21, c22, c23);
      storeRow(c, cOffset + (i + 3) * ldc + col, cols, c30, c31, c32, c33);
    }
  }
  for (; i < m; i++) {
    const a0 = aOffset + i * lda;
    for (let p = 0; p < panels; p++) {
      let c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      let pb = p * k * GEMM_NR;
      for (let kk = 0; kk < k; kk++, pb += GEMM_NR) {
        const x = a[a0 + kk];
        c0 += x * packedB[pb];
        c1 += x * packedB[pb + 1];
        c2 += x * packedB[pb + 2];
        c3 += x * packedB[pb + 3];
      }
      const col = p * GEMM_NR;
      storeRow(c, cOffset + i * ldc + col, Math.min(GEMM_NR, n - col), c0, c1, c2, c3);
    }
  }
}

/** Writes the first `cols` (1..4) of four values at c[offset..]. */
function storeRow(
  c: Float32Array,
  offset: number,
  cols: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
): void {
  c[offset] = v0;
  if (cols > 1) c[offset + 1] = v1;
  if (cols > 2) c[offset + 2] = v2;
  if (cols > 3) c[offset + 3] = v3;
}
