/**
 * Which WebAssembly features this JavaScript engine has. Each fast-engine module is checked with
 * WebAssembly.validate on its own bytes: a module that validates is one the engine can compile, which
 * is the question that matters (Node 20 has SIMD; relaxed SIMD needs Node 22+, a current browser, or
 * node --experimental-wasm-relaxed-simd).
 */
import { WASM_BASE64 as SIMD_BASE64 } from './generated/simd.js';
import { WASM_BASE64 as RELAXED_SIMD_BASE64 } from './generated/relaxed_simd.js';
import { WASM_BASE64 as SIMD_SHARED_BASE64 } from './generated/simd_shared.js';
import { WASM_BASE64 as RELAXED_SIMD_SHARED_BASE64 } from './generated/relaxed_simd_shared.js';

/** The kernel modules, best first. */
export const WASM_VARIANTS = ['relaxed-simd', 'simd'] as const;
export type WasmVariant = (typeof WASM_VARIANTS)[number];

const BASE64: Record<WasmVariant, string> = { simd: SIMD_BASE64, 'relaxed-simd': RELAXED_SIMD_BASE64 };
/** The same kernels importing a shared memory (for the worker pool). */
const SHARED_BASE64: Record<WasmVariant, string> = {
  simd: SIMD_SHARED_BASE64,
  'relaxed-simd': RELAXED_SIMD_SHARED_BASE64,
};

/** XNNPACK-style ISA suffix used in kernel names: f32-igemm-4x8-<isa>. */
export const ISA_NAME: Record<WasmVariant, string> = {
  simd: 'wasmsimd',
  'relaxed-simd': 'wasmrelaxedsimd',
};

const bytesCache = new Map<string, Uint8Array<ArrayBuffer>>();

/** The module's bytes (its shared-memory build when `shared`), decoded once (atob: browsers, Node >= 16). */
export function variantBytes(variant: WasmVariant, shared = false): Uint8Array<ArrayBuffer> {
  const key = shared ? `${variant}/shared` : variant;
  let bytes = bytesCache.get(key);
  if (!bytes) {
    const text = atob((shared ? SHARED_BASE64 : BASE64)[variant]);
    bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    bytesCache.set(key, bytes);
  }
  return bytes;
}

const supportCache = new Map<WasmVariant, boolean>();

/** Whether this engine can compile the given kernel module (false where WebAssembly is missing). */
export function wasmVariantSupported(variant: WasmVariant): boolean {
  let ok = supportCache.get(variant);
  if (ok === undefined) {
    try {
      ok = typeof WebAssembly === 'object' && WebAssembly.validate(variantBytes(variant));
    } catch {
      ok = false;
    }
    supportCache.set(variant, ok);
  }
  return ok;
}
