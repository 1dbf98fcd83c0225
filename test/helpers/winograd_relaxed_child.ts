/**
 * Run by test/winograd.test.ts in a child Node started with --experimental-wasm-relaxed-simd: checks the
 * winograd kernels of the relaxed-SIMD module (every tile size) against the direct reference on random
 * 3x3 stride-1 geometries, prints a summary line and exits non-zero on the first disagreement.
 */
import fc from 'fast-check';
import { conv2d, convGeometry, tensor } from '../../src/index.js';
import { conv2dWinogradTile } from '../../src/algorithms/winograd.js';
import { setWasmVariant } from '../../src/kernels/wasm/engine.js';
import { assertCloseToScale } from './assert_close.js';
import { seededUniform, sizeOfShape } from './layout.js';
import { convkitOptionsOf, describeCase, filterShapeOf, inputShapeOf } from './random_geometry.js';
import { winogradCases } from './winograd_cases.js';

if (setWasmVariant('relaxed-simd') !== 'relaxed-simd') {
  console.error('relaxed-simd: the module does not validate even with --experimental-wasm-relaxed-simd');
  process.exit(1);
}
const runs = 40;
fc.assert(
  fc.property(winogradCases, (c) => {
    const x = tensor(seededUniform(sizeOfShape(inputShapeOf(c)), c.seed), inputShapeOf(c));
    const w = tensor(seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1), filterShapeOf(c));
    const options = convkitOptionsOf(c);
    const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
    const fast = conv2d(x, w, { ...options, algorithm: 'winograd' });
    assertCloseToScale(fast.data, reference.data, 1e-4, `relaxed-simd winograd on ${describeCase(c)}`);
    const g = convGeometry('conv2d', inputShapeOf(c), filterShapeOf(c), options);
    for (const tile of [2, 4, 5, 6] as const) {
      const y = conv2dWinogradTile(g, x.data, w.data, tile);
      assertCloseToScale(y, reference.data, 1e-4, `relaxed-simd F${tile} on ${describeCase(c)}`);
    }
  }),
  { seed: 0x3a3_beef, numRuns: runs },
);
console.log(`relaxed-simd: ${runs} winograd geometries agree with direct`);
