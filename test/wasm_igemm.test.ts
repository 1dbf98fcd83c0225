/**
 * The WebAssembly igemm algorithm against the direct reference:
 *   - a property test (fast-check, fixed seed) over random geometries: strides, dilations, SAME/VALID/
 *     explicit padding, NHWC/NCHW, groups, batches, channel counts that are not multiples of 4 or 8,
 *     1x1 filters; run for every kernel module this engine can compile;
 *   - the relaxed-SIMD module on more geometries in a child Node (with --experimental-wasm-relaxed-simd only
 *     where Node needs it: Node 20);
 *   - inputs large enough to need several bands, with stride and NCHW, and the edge cases (empty outputs,
 *     an input that is only padding).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { childNodeFlags, runVariantChild } from './helpers/wasm_variant_child.js';
import fc from 'fast-check';
import { conv2d, convGeometry, tensor, type Conv2dOptions } from '../src/index.js';
import { igemmLayout } from '../src/algorithms/igemm.js';
import { setWasmVariant } from '../src/kernels/wasm/engine.js';
import { WASM_VARIANTS, wasmVariantSupported } from '../src/kernels/wasm/features.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  hasOutputShape,
  inputShapeOf,
  type ConvCase,
  type GeometryLimits,
} from './helpers/random_geometry.js';

const TOLERANCE = 1e-5;

/** Channel counts up to 20 and 19 output channels a group: partial 8-column panels and 4-row tiles. */
const LIMITS: GeometryLimits = {
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 12,
  maxFilter: 5,
  maxStride: 3,
  maxDilation: 3,
  maxPad: 3,
  maxGroups: 3,
  maxInChannels: 20,
  maxOutPerGroup: 19,
  layouts: ['NHWC', 'NCHW'],
};

const cases = convCaseArb(LIMITS).filter(hasOutputShape);

function agreesWithDirect(
  shapeIn: number[],
  shapeFilter: number[],
  options: Conv2dOptions,
  seed: number,
  label: string,
): void {
  const x = tensor(seededUniform(sizeOfShape(shapeIn), seed), shapeIn);
  const w = tensor(seededUniform(sizeOfShape(shapeFilter), seed + 1), shapeFilter);
  const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
  const fast = conv2d(x, w, { ...options, algorithm: 'igemm' });
  assert.deepEqual([...fast.shape], [...reference.shape], `${label}: shape`);
  assertCloseToScale(fast.data, reference.data, TOLERANCE, label);
}

function checkCase(c: ConvCase): void {
  agreesWithDirect(inputShapeOf(c), filterShapeOf(c), convkitOptionsOf(c), c.seed, describeCase(c));
}

const supported = WASM_VARIANTS.filter((v) => wasmVariantSupported(v));

after(() => setWasmVariant('auto'));

test('plain WebAssembly SIMD is available in Node >= 20', () => {
  assert.ok(supported.includes('simd'), `supported variants: ${supported.join(', ')}`);
});

for (const variant of supported) {
  test(`igemm (${variant}) agrees with direct on 150 random geometries`, () => {
    assert.equal(setWasmVariant(variant), variant);
    fc.assert(fc.property(cases, checkCase), { seed: 0x1ce_cafe, numRuns: 150 });
  });
}

test('the random geometries reach the corners that matter for the kernel', () => {
  const drawn = fc.sample(cases, { seed: 0x1ce_cafe, numRuns: 150 });
  const some = (pred: (c: ConvCase) => boolean, what: string): void => assert.ok(drawn.some(pred), what);
  some((c) => c.groups > 1, 'groups > 1');
  some((c) => c.filterHeight === 1 && c.filterWidth === 1, '1x1 filters');
  some((c) => c.outPerGroup > 8 && c.outPerGroup % 8 !== 0, 'a partial second panel');
  some((c) => c.filterInChannels % 4 !== 0, 'channels not a multiple of 4');
  some((c) => c.dilations[1] > 1 && c.groups === 1, 'dilated width (per-tap segments)');
  some((c) => c.batch > 1 && c.dataFormat === 'NCHW', 'NCHW batches');
  some((c) => typeof c.padding !== 'string', 'explicit padding');
});

/**
 * Relaxed SIMD is behind a flag on Node 20 and on by default in Node 22+ (whose tests above ran it too):
 * a child Node checks that module on its own geometries either way, started with the flag only where
 * it is needed.
 */
test('igemm (relaxed-simd) agrees with direct on 60 more geometries, in a child Node', (t) => {
  t.diagnostic(
    `child node flags: ${childNodeFlags('relaxed-simd').join(' ') || 'none (relaxed SIMD is on by default)'}`,
  );
  const child = runVariantChild('igemm', 'relaxed-simd');
  assert.equal(child.status, 0, `child failed:\n${child.stdout}\n${child.stderr}`);
  assert.match(child.stdout, /igemm relaxed-simd: 60 geometries agree/);
});

test('several bands per image (large rows), with stride 2 and NCHW, agree with direct', () => {
  setWasmVariant('auto');
  const input = [1, 40, 3000, 8];
  const filter = [3, 3, 8, 6];
  const g = convGeometry('conv2d', input, filter, { padding: 'SAME' });
  assert.ok(igemmLayout(g).bands > 1, `expected several bands, layout ${JSON.stringify(igemmLayout(g))}`);
  agreesWithDirect(input, filter, { padding: 'SAME' }, 7, 'bands NHWC stride 1');
  agreesWithDirect(input, filter, { padding: 'SAME', strides: [2, 1] }, 8, 'bands NHWC stride 2');
  agreesWithDirect([2, 8, 17, 3000], filter, { padding: 'VALID', dataFormat: 'NCHW' }, 9, 'bands NCHW');
});

test('empty outputs and inputs that are only padding', () => {
  setWasmVariant('auto');
  agreesWithDirect([0, 5, 5, 3], [3, 3, 3, 2], { padding: 'SAME' }, 1, 'batch 0');
  agreesWithDirect([1, 2, 5, 3], [3, 3, 3, 2], { padding: 'VALID' }, 2, 'VALID leaving no rows');
  agreesWithDirect(
    [2, 0, 0, 3],
    [3, 3, 3, 2],
    {
      padding: [
        [2, 2],
        [1, 3],
      ],
    },
    3,
    'no input, only padding',
  );
  agreesWithDirect(
    [1, 3, 3, 2],
    [2, 2, 2, 9],
    {
      padding: [
        [5, 5],
        [6, 6],
      ],
    },
    4,
    'mostly padding',
  );
});
