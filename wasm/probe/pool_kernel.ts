/**
 * Probe: the WebAssembly pooling kernel alone (src/runtime/wasm_pool.ts), in place in wasm memory as
 * in the model arena, on ResNet-50's pool1 (3x3 stride 2 over 112x112x64 with the folded 1-pixel zero
 * padding): fastest of 200 calls, max and average.
 *
 *   node --import tsx wasm/probe/pool_kernel.ts
 */
import { pool2dFast } from '../../src/runtime/wasm_pool.js';
import { wasmEngine } from '../../src/kernels/wasm/engine.js';

const heap = wasmEngine()!.heap;
const n = 112 * 112 * 64;
const m = 56 * 56 * 64;
const at = heap.pin(4 * (n + m) + 64);
const f = heap.f32;
const x = f.subarray(at >> 2, (at >> 2) + n);
for (let i = 0; i < n; i++) x[i] = Math.sin(i);
const out = f.subarray((at >> 2) + n, (at >> 2) + n + m);
const s = { batch: 1, height: 112, width: 112, channels: 64, outHeight: 56, outWidth: 56 };
for (const mode of ['max', 'avg'] as const) {
  let best = Infinity;
  for (let r = 0; r < 200; r++) {
    const t = performance.now();
    pool2dFast(
      x,
      s,
      mode,
      [3, 3],
      [2, 2],
      {
        zeros: [
          [1, 1],
          [1, 1],
        ],
      },
      out,
    );
    best = Math.min(best, performance.now() - t);
  }
  console.log(`${mode}: ${best.toFixed(3)} ms`);
}
