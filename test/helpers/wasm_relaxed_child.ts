/**
 * Run by test/wasm_igemm.test.ts in a child Node started with --experimental-wasm-relaxed-simd: checks the
 * relaxed-SIMD kernel module against the direct reference on random geometries, prints a summary line and
 * exits non-zero on the first disagreement (or when the module cannot be used even with the flag).
 */
import fc from 'fast-check';
import { conv2d, tensor } from '../../src/index.js';
import { setWasmVariant } from '../../src/kernels/wasm/engine.js';
import { assertCloseToScale } from './assert_close.js';
import { seededUniform, sizeOfShape } from './layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  inputShapeOf,
  outHeightOf,
  outWidthOf,
} from './random_geometry.js';

if (setWasmVariant('relaxed-simd') !== 'relaxed-simd') {
  console.error('relaxed-simd: the module does not validate even with --experimental-wasm-relaxed-simd');
  process.exit(1);
}
const cases = convCaseArb({
  minBatch: 1,
  maxBatch: 2,
  minSpatial: 1,
  maxSpatial: 10,
  maxFilter: 4,
  maxStride: 2,
  maxDilation: 2,
  maxPad: 2,
  maxGroups: 2,
  maxInChannels: 18,
  maxOutPerGroup: 17,
  layouts: ['NHWC', 'NCHW'],
}).filter((c) => outHeightOf(c) >= 0 && outWidthOf(c) >= 0);
const runs = 60;
fc.assert(
  fc.property(cases, (c) => {
    const x = tensor(seededUniform(sizeOfShape(inputShapeOf(c)), c.seed), inputShapeOf(c));
    const w = tensor(seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1), filterShapeOf(c));
    const options = convkitOptionsOf(c);
    const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
    const fast = conv2d(x, w, { ...options, algorithm: 'igemm' });
    assertCloseToScale(fast.data, reference.data, 1e-5, `relaxed-simd on ${describeCase(c)}`);
  }),
  { seed: 0x5eed_f00d, numRuns: runs },
);
console.log(`relaxed-simd: ${runs} geometries agree with direct`);
