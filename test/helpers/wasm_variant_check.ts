/**
 * Run in a child Node by runVariantChild (wasm_variant_child.ts) for the igemm, fft and winograd suites:
 * checks `algorithm` (argv[2]) on the kernel module `variant` (argv[3]: relaxed-simd, the fused
 * multiply-adds, or simd) against the direct reference on random geometries, prints
 * "<algorithm> <variant>: N geometries agree with direct" and exits non-zero on the first
 * disagreement, or when this Node cannot run the module (relaxed SIMD on Node 20 without
 * --experimental-wasm-relaxed-simd).
 */
import fc from 'fast-check';
import { conv2d, convGeometry, tensor, type Conv2dOptions } from '../../src/index.js';
import { conv2dWinogradTile } from '../../src/algorithms/winograd.js';
import { setWasmVariant } from '../../src/kernels/wasm/engine.js';
import { WASM_VARIANTS, type WasmVariant } from '../../src/kernels/wasm/features.js';
import { assertCloseToScale } from './assert_close.js';
import { seededUniform, sizeOfShape } from './layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
  type ConvCase,
  type GeometryLimits,
} from './random_geometry.js';
import { winogradCases, winogradR4Cases, winogradR5Cases, winogradStride2Cases } from './winograd_cases.js';
import type { CheckedAlgorithm as Checked } from './wasm_variant_child.js';

const common: Pick<GeometryLimits, 'minBatch' | 'maxBatch' | 'minSpatial' | 'layouts'> = {
  minBatch: 1,
  maxBatch: 2,
  minSpatial: 1,
  layouts: ['NHWC', 'NCHW'],
};
const accepted = (limits: GeometryLimits) => convCaseArb(limits).filter(hasOutputShape);

const CHECKS: Record<
  Checked,
  { cases: fc.Arbitrary<ConvCase>; runs: number; tolerance: number; seed: number }
> = {
  igemm: {
    cases: accepted({
      ...common,
      maxSpatial: 10,
      maxFilter: 4,
      maxStride: 2,
      maxDilation: 2,
      maxPad: 2,
      maxGroups: 2,
      maxInChannels: 18,
      maxOutPerGroup: 17,
    }),
    runs: 60,
    tolerance: 1e-5,
    seed: 0x5eed_f00d,
  },
  fft: {
    cases: accepted({
      ...common,
      maxSpatial: 23,
      maxFilter: 15,
      maxStride: 1,
      maxDilation: 2,
      maxPad: 3,
      maxGroups: 1,
      maxInChannels: 11,
      maxOutPerGroup: 10,
    }),
    runs: 60,
    tolerance: 1e-4,
    seed: 0x0ff7_5eed,
  },
  winograd: {
    cases: fc.oneof(winogradCases, winogradR4Cases, winogradR5Cases, winogradStride2Cases),
    runs: 40,
    tolerance: 1e-4,
    seed: 0x3a3_beef,
  },
};

const algorithm = process.argv[2] as Checked;
const variant = process.argv[3] as WasmVariant;
const check = CHECKS[algorithm];
if (!check || !WASM_VARIANTS.includes(variant)) {
  console.error(`wasm variant check: unknown algorithm or module ${JSON.stringify(process.argv.slice(2))}`);
  process.exit(2);
}
if (setWasmVariant(variant) !== variant) {
  const flags = process.execArgv.join(' ') || 'no flags';
  console.error(`${variant}: the kernel module does not validate in node ${process.version} (${flags})`);
  process.exit(1);
}
fc.assert(
  fc.property(check.cases, (c) => {
    const x = tensor(seededUniform(sizeOfShape(inputShapeOf(c)), c.seed), inputShapeOf(c));
    const w = tensor(seededUniform(sizeOfShape(filterShapeOf(c)), c.seed + 1), filterShapeOf(c));
    const options: Conv2dOptions = convkitOptionsOf(c);
    const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
    const label = `${algorithm} ${variant} on ${describeCase(c)}`;
    const fast = conv2d(x, w, { ...options, algorithm });
    assertCloseToScale(fast.data, reference.data, check.tolerance, label);
    if (algorithm === 'winograd' && c.filterHeight === 3 && c.strides[0] === 1) {
      // Every tile size, not just the planner's choice.
      const g = convGeometry('conv2d', inputShapeOf(c), filterShapeOf(c), options);
      for (const tile of [2, 4, 5, 6] as const) {
        const y = conv2dWinogradTile(g, x.data, w.data, tile);
        assertCloseToScale(y, reference.data, check.tolerance, `F${tile} ${label}`);
      }
    }
  }),
  { seed: check.seed, numRuns: check.runs },
);
console.log(`${algorithm} ${variant}: ${check.runs} geometries agree with direct`);
