/**
 * Dense matrix products for the layers: on the wasm engine's GEMM (src/algorithms/matmul_wasm.ts), or
 * on the TypeScript GEMM (src/kernels/gemm.ts) where WebAssembly SIMD is missing. Both multiply
 * row-major A[M, K] by B[K, N]; a transposed operand is reordered on the way, which costs M * K (or
 * K * N) moves against M * N * K multiply-adds.
 */
import { gemmPacked, packGemmB } from '../kernels/gemm.js';
import { wasmEngine } from '../kernels/wasm/engine.js';
import { matmulWasm } from '../algorithms/matmul_wasm.js';
import { scratchFloats, zeroedFloats } from './workspace.js';

/** Row-major transpose of a rows x cols matrix. */
export function transposeMatrix(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) t[c * rows + r] = a[base + c];
  }
  return t;
}

/** Below this many multiply-adds the copies into wasm memory cost more than the TypeScript GEMM. */
const WASM_MIN_MACS = 4096;

/**
 * C[M, N] = op(A) x op(B), where op(A) is M x K and op(B) is K x N. With `transposeA`, `a` holds A as
 * K x M; with `transposeB`, `b` holds B as N x K. On the wasm engine where it is available (float32
 * sums), else on the TypeScript GEMM.
 */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): Float32Array {
  if (m === 0 || n === 0 || k === 0) return zeroedFloats(m * n);
  const engine = m * n * k >= WASM_MIN_MACS ? wasmEngine() : null;
  if (engine) return matmulWasm(engine, { a, b, m, k, n, ...options }, scratchFloats(m * n));
  const rowA = options.transposeA ? transposeMatrix(a, k, m) : a;
  const rowB = options.transposeB ? transposeMatrix(b, n, k) : b;
  const c = scratchFloats(m * n);
  gemmPacked(m, n, k, rowA, 0, k, packGemmB(rowB, 0, n, k, n), c, 0, n);
  return c;
}
