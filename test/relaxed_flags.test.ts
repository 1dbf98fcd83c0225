/**
 * bench/relaxed_flags.ts, which the bench's relaxed section and the kernel-module child tests use to
 * start a Node with relaxed SIMD: the tiny probe module answers as the relaxed kernel module does, and
 * the flags it picks (none on Node 22+, --experimental-wasm-relaxed-simd on Node 20) really give a
 * child Node that compiles the relaxed kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  RELAXED_FLAG,
  RELAXED_SIMD_PROBE,
  relaxedSimdNodeFlags,
  relaxedSimdValidates,
} from '../bench/relaxed_flags.js';
import { variantBytes, wasmVariantSupported } from '../src/kernels/wasm/features.js';

/** Exit status of a child Node started with `flags` that validates `bytes`: 0 valid, 3 invalid. */
function validateInChild(flags: readonly string[], bytes: Uint8Array) {
  return spawnSync(
    process.execPath,
    [
      ...flags,
      '-e',
      `process.exit(WebAssembly.validate(Buffer.from(process.env.WASM_B64, 'base64')) ? 0 : 3)`,
    ],
    { encoding: 'utf8', env: { ...process.env, WASM_B64: Buffer.from(bytes).toString('base64') } },
  );
}

test('the tiny relaxed-SIMD probe validates exactly where the relaxed kernel module does', () => {
  assert.deepEqual([...RELAXED_SIMD_PROBE.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'wasm magic');
  assert.equal(relaxedSimdValidates(), wasmVariantSupported('relaxed-simd'));
  assert.equal(wasmVariantSupported('simd'), true, 'plain WebAssembly SIMD is expected on Node >= 20');
});

test('the child flags are none where relaxed SIMD is on by default, else the flag', () => {
  const flags = relaxedSimdNodeFlags();
  assert.ok(flags, `node ${process.version} offers relaxed SIMD neither by default nor with ${RELAXED_FLAG}`);
  // This test process runs without the flag: the default decides.
  assert.deepEqual([...flags], relaxedSimdValidates() ? [] : [RELAXED_FLAG]);
  assert.equal(relaxedSimdNodeFlags(), flags, 'decided once per process');
});

test('a child Node started with those flags compiles the relaxed kernels; without them only if default', () => {
  const flags = relaxedSimdNodeFlags() ?? [];
  const withFlags = validateInChild(flags, variantBytes('relaxed-simd'));
  assert.equal(withFlags.status, 0, `node ${flags.join(' ')}: ${withFlags.stderr}`);
  const probe = validateInChild(flags, RELAXED_SIMD_PROBE);
  assert.equal(probe.status, 0, `probe under node ${flags.join(' ')}: ${probe.stderr}`);
  const plain = validateInChild([], variantBytes('relaxed-simd'));
  assert.equal(plain.status, flags.length === 0 ? 0 : 3, `node without flags: ${plain.stderr}`);
});
