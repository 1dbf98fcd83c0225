/**
 * The convolution epilogue in WebAssembly SIMD (wasm/assembly/epilogue.ts, f32_bias_clamp): for the
 * activations that are a clamp (none, ReLU, ReLU6, ReLU with max_value), the output, bias and residual
 * go into the wasm heap's scratch, one SIMD pass computes clamp(y + bias + residual), and the result
 * comes back: two memory copies and a vector loop cost less than the scalar JavaScript pass (about 4x
 * on MobileNetV2's 112x112 layers). Output and residual that already live in wasm memory (the model
 * runtime's arena) are not copied: the pass runs on them in place. The general ReLU (LeakyReLU) and the
 * hard sigmoid on an output in wasm memory: the pass without bounds, then the activation's row kernel
 * in place (wasm_rows.ts). Other activations, or no WebAssembly SIMD: kernels.ts' `epilogue`.
 */
import type { WasmHeap } from '../kernels/wasm/heap.js';
import { engineFor } from '../parallel/engine_for.js';
import { epilogue } from './kernels.js';
import type { Pointwise } from './layers.js';
import { hasRowKernels, pointwiseInWasm, runPointwise } from './wasm_rows.js';

interface EpilogueExports {
  f32_bias_clamp(y: number, n: number, b: number, c: number, r: number, lo: number, hi: number): void;
}

/** The clamp bounds of an activation, or null if it is not a clamp. */
export function clampOf(act: Pointwise | null): [number, number] | null {
  if (act === null || act.fn === 'linear') return [-Infinity, Infinity];
  if (act.fn === 'relu') return [0, Infinity];
  if (act.fn === 'relu6') return [0, 6];
  if (act.fn === 'relu_general' && act.slope === 0 && act.threshold === 0) return [0, act.max ?? Infinity];
  return null;
}

function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** out = act(out + bias + residual), in WebAssembly where the activation is a clamp or a row kernel's. */
export function epilogueFast(
  out: Float32Array,
  bias: Float32Array | null,
  residual: Float32Array | null,
  act: Pointwise | null,
  width: number,
): void {
  const engine = engineFor(out);
  const kernel = (engine?.kernels as unknown as Partial<EpilogueExports> | undefined)?.f32_bias_clamp;
  // An activation the row kernels compute (the general ReLU, the hard sigmoid) on an output in wasm
  // memory: bias and residual first with no bounds, then the activation in place, at the address
  // taken now (the first pass may grow the memory, which detaches `out`).
  const rowAct =
    act !== null &&
    clampOf(act) === null &&
    pointwiseInWasm(act) &&
    engine &&
    hasRowKernels(engine.kernels as object)
      ? act
      : null;
  const at = rowAct && engine ? engine.heap.addressOf(out) : -1;
  const bounds = at >= 0 ? ([-Infinity, Infinity] as [number, number]) : clampOf(act);
  if (!engine || !kernel || bounds === null || out.length === 0) {
    epilogue(out, bias, residual, act, width);
    return;
  }
  if (bias !== null || residual !== null || bounds[0] !== -Infinity || bounds[1] !== Infinity)
    biasClamp(engine.heap, kernel, out, bias, residual, bounds);
  if (rowAct && at >= 0) runPointwise(engine.kernels as object, rowAct, at, at, out.length);
}

/** f32_bias_clamp over `out`, with out and residual where they are in wasm memory, else copied through scratch. */
function biasClamp(
  heap: WasmHeap,
  kernel: NonNullable<EpilogueExports['f32_bias_clamp']>,
  out: Float32Array,
  bias: Float32Array | null,
  residual: Float32Array | null,
  bounds: [number, number],
): void {
  const n = out.length;
  // Output and residual already in wasm memory (the model runtime's arena) are used where they are;
  // addresses taken before ensure can grow the memory (which detaches views, not data).
  const outAt = heap.addressOf(out);
  const residualAt = residual ? heap.addressOf(residual) : -1;
  const y = outAt >= 0 ? outAt : heap.scratchBase;
  let top = outAt >= 0 ? heap.scratchBase : align64(y + n * 4);
  const r = !residual ? 0 : residualAt >= 0 ? residualAt : top;
  if (residual && residualAt < 0) top = align64(top + n * 4);
  const b = top;
  heap.ensure(b + (bias?.length ?? 0) * 4 + 64);
  const f32 = heap.f32;
  if (outAt < 0) f32.set(out, y >> 2);
  if (residual && residualAt < 0) f32.set(residual, r >> 2);
  if (bias) f32.set(bias, b >> 2);
  kernel(y, n, b, bias?.length ?? 0, r, bounds[0], bounds[1]);
  if (outAt < 0) out.set(f32.subarray(y >> 2, (y >> 2) + n));
}
