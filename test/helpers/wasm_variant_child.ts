/**
 * Checks of one WebAssembly kernel module in a child Node (wasm_variant_check.ts), for the module a
 * test process cannot or does not run in-process: relaxed SIMD on Node 20, where it needs
 * --experimental-wasm-relaxed-simd, and plain SIMD on Node 22+, where `auto` picks relaxed SIMD. The
 * flag is passed only where relaxed SIMD needs it and Node accepts it (bench/relaxed_flags.ts decides
 * that by validating a tiny relaxed module); Node 24 rejects the flag. CONVKIT_WASM names the module.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { RELAXED_FLAG, relaxedSimdNodeFlags } from '../../bench/relaxed_flags.js';
import { wasmEngine } from '../../src/kernels/wasm/engine.js';
import type { WasmVariant } from '../../src/kernels/wasm/features.js';

export type CheckedAlgorithm = 'igemm' | 'fft' | 'winograd';

/** The Node options a child needs to run `variant`: RELAXED_FLAG only for relaxed SIMD on Node 20. */
export function childNodeFlags(variant: WasmVariant): readonly string[] {
  if (variant === 'simd') return [];
  const flags = relaxedSimdNodeFlags();
  assert.ok(
    flags,
    `relaxed SIMD is neither on by default nor turned on by ${RELAXED_FLAG} in node ${process.version}`,
  );
  return flags;
}

/**
 * The module a test file's in-process checks leave out: plain SIMD where this process runs relaxed
 * SIMD (Node 22+), else relaxed SIMD.
 */
export function otherVariant(inUse = wasmEngine()?.variant): WasmVariant {
  return inUse === 'relaxed-simd' ? 'simd' : 'relaxed-simd';
}

/** The environment of a child that must run `variant` (CONVKIT_WASM read by src/kernels/wasm/engine.ts). */
export function childEnvironment(variant: WasmVariant, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, CONVKIT_WASM: variant, ...extra };
}

/** Runs wasm_variant_check.ts for `algorithm` on `variant` in a child Node; prints its verdict. */
export function runVariantChild(algorithm: CheckedAlgorithm, variant: WasmVariant) {
  return spawnSync(
    process.execPath,
    [...childNodeFlags(variant), '--import', 'tsx', 'test/helpers/wasm_variant_check.ts', algorithm, variant],
    { encoding: 'utf8', timeout: 50_000, env: childEnvironment(variant) },
  );
}
