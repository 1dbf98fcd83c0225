/** Relaxed SIMD is behind a flag on Node 20: runs relaxed_simd_child.ts in a child Node that has it. */
import { spawnSync } from 'node:child_process';

export function runRelaxedSimdChild(algorithm: 'igemm' | 'fft' | 'winograd') {
  return spawnSync(
    process.execPath,
    ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'test/helpers/relaxed_simd_child.ts', algorithm],
    { encoding: 'utf8', timeout: 50_000 },
  );
}
