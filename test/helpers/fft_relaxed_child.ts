/**
 * Run by test/fft_conv.test.ts in a child Node started with --experimental-wasm-relaxed-simd: checks
 * algorithm: 'fft' on the relaxed-SIMD kernel module (fused multiply-adds) against the direct reference
 * on random stride-1 geometries, prints a summary line and exits non-zero on the first disagreement.
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
  console.error('fft relaxed-simd: the module does not validate even with --experimental-wasm-relaxed-simd');
  process.exit(1);
}
const cases = convCaseArb({
  minBatch: 1,
  maxBatch: 2,
  minSpatial: 1,
  maxSpatial: 23,
  maxFilter: 15,
  maxStride: 1,
  maxDilation: 2,
  maxPad: 3,
  maxGroups: 1,
  maxInChannels: 11,
  maxOutPerGroup: 10,
  layouts: ['NHWC', 'NCHW'],
}).filter((c) => outHeightOf(c) >= 0 && outWidthOf(c) >= 0);
const runs = 60;
fc.assert(
  fc.property(cases, (c) => {
    const x = tensor(seededUniform(sizeOfShape(inputShapeOf(c)), c.seed), inputShapeOf(c));
    const w = tensor(seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1), filterShapeOf(c));
    const options = convkitOptionsOf(c);
    const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
    const fast = conv2d(x, w, { ...options, algorithm: 'fft' });
    assertCloseToScale(fast.data, reference.data, 1e-4, `fft relaxed-simd on ${describeCase(c)}`);
  }),
  { seed: 0x0ff7_5eed, numRuns: runs },
);
console.log(`fft relaxed-simd: ${runs} geometries agree with direct`);
