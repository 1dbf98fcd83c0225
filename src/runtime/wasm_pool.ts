/**
 * Pooling in WebAssembly SIMD (wasm/assembly/pool.ts: f32_pool2d, f32_global_pool), NHWC, with the
 * same bits as kernels.ts' pool2d and globalPool (which run where the engine or the kernel is absent).
 * Input and output that already live in wasm memory (the model runtime's arena, WasmHeap.addressOf)
 * are read and written in place, one kernel call per image; an array elsewhere (the model's input,
 * an arena outside wasm memory) goes through the heap's scratch one image at a time.
 */
import { wasmEngine } from '../kernels/wasm/engine.js';
import { align64, WasmMemoryError, type WasmHeap } from '../kernels/wasm/heap.js';
import { engineFor } from '../parallel/engine_for.js';
import { globalPool, pool2d, poolOrigin, type PoolPadding, type PoolShape } from './kernels.js';

interface PoolExports {
  f32_pool2d(
    x: number,
    h: number,
    w: number,
    c: number,
    y: number,
    oh: number,
    ow: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    top: number,
    left: number,
    flags: number,
  ): void;
  f32_global_pool(x: number, cells: number, c: number, y: number, avg: number): void;
}

/** Past this much scratch for one image (input and output copied in), the TypeScript kernel runs. */
const POOL_SCRATCH_BYTES = 64 << 20;

/** The pooling kernels and their heap for an output `out` (see engineFor), or null. */
function kernels(out?: Float32Array): { exports: Partial<PoolExports>; heap: WasmHeap } | null {
  const engine = out ? engineFor(out) : wasmEngine();
  return engine ? { exports: engine.kernels as Partial<PoolExports>, heap: engine.heap } : null;
}

/** Whether pooling runs in WebAssembly here (the engine is on and its module has the kernels). */
export function poolWasmAvailable(): boolean {
  const k = kernels();
  return k !== null && k.exports.f32_pool2d !== undefined && k.exports.f32_global_pool !== undefined;
}

/**
 * Runs `call(xAt, yAt)` for each of `batch` images of `inFloats` -> `outFloats`, at their addresses in
 * wasm memory (in place) or in scratch. False when the scratch would not fit (nothing was written).
 */
function perImage(
  heap: WasmHeap,
  x: Float32Array,
  out: Float32Array,
  batch: number,
  inFloats: number,
  outFloats: number,
  call: (xAt: number, yAt: number) => void,
): boolean {
  // Addresses are taken before ensure, which may grow the memory (detaching views, not moving data).
  const xIn = heap.addressOf(x);
  const yIn = heap.addressOf(out);
  const base = heap.scratchBase;
  let top = base;
  const xs = top;
  if (xIn < 0) top = align64(top + inFloats * 4);
  const ys = top;
  if (yIn < 0) top = align64(top + outFloats * 4);
  if (top > base) {
    if (top - base > POOL_SCRATCH_BYTES) return false;
    try {
      heap.ensure(top + 64);
    } catch (error) {
      if (error instanceof WasmMemoryError) return false;
      throw error;
    }
  }
  for (let b = 0; b < batch; b++) {
    if (xIn < 0) heap.f32.set(x.subarray(b * inFloats, (b + 1) * inFloats), xs >> 2);
    call(xIn < 0 ? xs : xIn + b * inFloats * 4, yIn < 0 ? ys : yIn + b * outFloats * 4);
    if (yIn < 0) out.set(heap.f32.subarray(ys >> 2, (ys >> 2) + outFloats), b * outFloats);
  }
  return true;
}

/** pool2d (kernels.ts) on the WebAssembly kernel where there is one. */
export function pool2dFast(
  x: Float32Array,
  s: PoolShape,
  mode: 'max' | 'avg',
  k: [number, number],
  stride: [number, number],
  padding: PoolPadding,
  out: Float32Array,
  acc?: Float32Array,
): Float32Array {
  const engine = kernels(out);
  const kernel = engine?.exports.f32_pool2d;
  const { batch, height, width, channels: c, outHeight, outWidth } = s;
  const { top, left, zeros } = poolOrigin(s, k, stride, padding);
  const flags = (mode === 'avg' ? 1 : 0) | (zeros ? 2 : 0);
  const ran =
    kernel !== undefined &&
    out.length > 0 &&
    perImage(engine!.heap, x, out, batch, height * width * c, outHeight * outWidth * c, (xAt, yAt) =>
      kernel(
        xAt,
        height,
        width,
        c,
        yAt,
        outHeight,
        outWidth,
        k[0],
        k[1],
        stride[0],
        stride[1],
        top,
        left,
        flags,
      ),
    );
  return ran ? out : pool2d(x, s, mode, k, stride, padding, out, acc);
}

/** globalPool (kernels.ts) on the WebAssembly kernel where there is one. */
export function globalPoolFast(
  x: Float32Array,
  batch: number,
  cells: number,
  c: number,
  mode: 'max' | 'avg',
  out: Float32Array,
): Float32Array {
  const engine = kernels(out);
  const kernel = engine?.exports.f32_global_pool;
  const ran =
    kernel !== undefined &&
    out.length > 0 &&
    perImage(engine!.heap, x, out, batch, cells * c, c, (xAt, yAt) =>
      kernel(xAt, cells, c, yAt, mode === 'avg' ? 1 : 0),
    );
  return ran ? out : globalPool(x, batch, cells, c, mode, out);
}
