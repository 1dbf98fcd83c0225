/** The GEMM oracle for the kernel tests: C = A (m x k) x W (k x n), row-major, summed in float64. */
export function float64Gemm(m: number, n: number, k: number, a: Float32Array, w: Float32Array): Float64Array {
  const c = new Float64Array(m * n);
  for (let r = 0; r < m; r++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += a[r * k + i] * w[i * n + j];
      c[r * n + j] = sum;
    }
  return c;
}
