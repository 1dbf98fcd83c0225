/**
 * The fast engine: one instance of the best kernel module this JavaScript engine can run, over one
 * WasmHeap. Chosen once, on first use: relaxed SIMD if it validates, else plain SIMD, else none (the
 * callers then use the plain-TypeScript path). `setWasmVariant` overrides the choice (tests, benches);
 * so does the environment variable CONVKIT_WASM=relaxed-simd|simd|none where there is a process.
 */
import { WasmHeap } from './heap.js';
import { ISA_NAME, WASM_VARIANTS, variantBytes, wasmVariantSupported, type WasmVariant } from './features.js';

export interface KernelExports {
  /** See wasm/assembly/igemm.ts. Addresses and offsets in bytes, ldc in floats. */
  f32_igemm_4x8(
    m: number,
    n: number,
    ks: number,
    kc: number,
    ind: number,
    aOffset: number,
    w: number,
    c: number,
    ldc: number,
  ): void;
  /**
   * f32_igemm_4x8 with the model runtime's output stage (bias, residual, clamp bounds as float32 bits);
   * absent from modules built before it existed.
   */
  f32_igemm_4x8_epilogue?(
    ...args: [
      ...gemm: Parameters<KernelExports['f32_igemm_4x8']>,
      bias: number,
      residual: number,
      residualDelta: number,
      loBits: number,
      hiBits: number,
    ]
  ): void;
}

export interface WasmEngine {
  variant: WasmVariant;
  /** XNNPACK-style name of the convolution microkernel, e.g. f32-igemm-4x8-wasmsimd. */
  igemmKernel: string;
  kernels: KernelExports;
  heap: WasmHeap;
}

export type WasmVariantChoice = WasmVariant | 'auto' | 'none';

let choice: WasmVariantChoice = initialChoice();
let engine: WasmEngine | null | undefined;
const instances = new Map<WasmVariant, WasmEngine>();

function initialChoice(): WasmVariantChoice {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.CONVKIT_WASM;
  if (value === 'relaxed-simd' || value === 'simd' || value === 'none') return value;
  return 'auto';
}

function instantiate(variant: WasmVariant): WasmEngine {
  let instance = instances.get(variant);
  if (!instance) {
    const heap = new WasmHeap();
    // Synchronous compile: conv2d is synchronous, and the module is a few KB (well under the limits
    // browsers put on synchronous compilation on the main thread).
    const module = new WebAssembly.Module(variantBytes(variant));
    const wasm = new WebAssembly.Instance(module, { env: { memory: heap.memory } });
    instance = {
      variant,
      igemmKernel: `f32-igemm-4x8-${ISA_NAME[variant]}`,
      kernels: wasm.exports as unknown as KernelExports,
      heap,
    };
    instances.set(variant, instance);
  }
  return instance;
}

/** The engine in use, or null when WebAssembly SIMD is unavailable (or turned off). */
export function wasmEngine(): WasmEngine | null {
  if (engine === undefined) {
    engine = null;
    if (choice === 'auto') {
      const best = WASM_VARIANTS.find((v) => wasmVariantSupported(v));
      if (best) engine = instantiate(best);
    } else if (choice !== 'none' && wasmVariantSupported(choice)) {
      engine = instantiate(choice);
    }
  }
  return engine;
}

/**
 * Picks the kernel module: 'auto' (best supported), a variant, or 'none' (plain TypeScript only).
 * Returns the variant now in use, or null when the request cannot be met here.
 */
export function setWasmVariant(next: WasmVariantChoice): WasmVariant | null {
  choice = next;
  engine = undefined;
  return wasmEngine()?.variant ?? null;
}
