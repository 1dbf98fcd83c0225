/**
 * How to start a child Node whose WebAssembly has relaxed SIMD (fused multiply-add), for the bench's
 * relaxed section and the tests that check the relaxed kernels in a child. Node 22+ has relaxed SIMD
 * on by default and Node 24 rejects --experimental-wasm-relaxed-simd as a bad option (exit 9); Node 20
 * has it only behind that flag. So the flag is passed only where it is needed and accepted, decided at
 * run time: never from the Node version, always by validating a tiny relaxed-SIMD module.
 */
import { spawnSync } from 'node:child_process';

export const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

/**
 * The smallest module that needs relaxed SIMD: one function () -> v128 returning
 * f32x4.relaxed_madd(0, 0, 0). WebAssembly.validate accepts it only where relaxed SIMD is on.
 */
const ZERO_V128 = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
export const RELAXED_SIMD_PROBE = Uint8Array.from([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type section: [] -> [v128]
  ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
  ...[0x0a, 0x3d, 0x01, 0x3b, 0x00], // code section: one body of 59 bytes, no locals
  ...ZERO_V128,
  ...ZERO_V128,
  ...ZERO_V128,
  ...[0xfd, 0x85, 0x02], // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
]);

/** Whether this process's WebAssembly has relaxed SIMD. */
export function relaxedSimdValidates(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

let cached: readonly string[] | null | undefined;

/**
 * The Node options a child (started with process.execPath) needs for relaxed SIMD: [] where it is on
 * by default, [RELAXED_FLAG] where this Node accepts the flag and the flag turns it on, or null where
 * neither holds. A process that itself runs with the flag asks a child Node about the default (the
 * flag is not inherited); so does one without relaxed SIMD about the flag. Decided once per process.
 */
export function relaxedSimdNodeFlags(): readonly string[] | null {
  if (cached !== undefined) return cached;
  const probeIn = (flags: string[]) =>
    spawnSync(
      process.execPath,
      [...flags, '-e', `process.exit(WebAssembly.validate(new Uint8Array([${RELAXED_SIMD_PROBE}])) ? 0 : 3)`],
      { stdio: 'ignore', timeout: 20_000 },
    ).status === 0;
  if (relaxedSimdValidates() && !process.execArgv.includes(RELAXED_FLAG)) cached = [];
  else if (probeIn([])) cached = [];
  else if (probeIn([RELAXED_FLAG])) cached = [RELAXED_FLAG];
  else cached = null;
  return cached;
}
