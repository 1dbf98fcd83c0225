/**
 * The winograd algorithm against the direct reference, within 1e-4 of the output's scale:
 *   - a property test (fast-check, fixed seed) over random 3x3 stride-1 geometries: SAME, VALID and
 *     explicit padding, odd sizes, batches, rank-3 inputs, channel counts that are not multiples of 4,
 *     groups, NHWC and NCHW; through conv2d({ algorithm: 'winograd' }) and each tile size F(2x2), F(4x4)
 *     and F(6x6), for every kernel module this engine can compile;
 *   - relaxed SIMD on more geometries, every tile size, in a child Node (with
 *     --experimental-wasm-relaxed-simd only where Node needs it: Node 20);
 *   - blocks: images with many tile rows, and rows so wide that a block is part of one tile row;
 *   - edge cases: empty outputs, inputs that are only padding, tiny images;
 *   - NaN and infinity propagate exactly as in the direct loop (and TensorFlow);
 *   - the transformed filter is cached with the packed weights.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { childNodeFlags, runVariantChild } from './helpers/wasm_variant_child.js';
import fc from 'fast-check';
import { conv2d, convGeometry, tensor, type Conv2dOptions } from '../src/index.js';
import { conv2dWinogradTile, winogradPackKey } from '../src/algorithms/winograd.js';
import { winogradLayout, winogradTile } from '../src/algorithms/winograd_plan.js';
import { setWasmVariant } from '../src/kernels/wasm/engine.js';
import { WASM_VARIANTS, wasmVariantSupported } from '../src/kernels/wasm/features.js';
import type { WinogradTile } from '../src/kernels/winograd_matrices.js';
import { hasPackedWeights } from '../src/plan/weights_cache.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import { winogradCases } from './helpers/winograd_cases.js';
import {
  describeCase,
  filterShapeOf,
  inputShapeOf,
  convkitOptionsOf,
  type ConvCase,
} from './helpers/random_geometry.js';

const TOLERANCE = 1e-4;
const TILES: WinogradTile[] = [2, 4, 5, 6];
const SEED = 0x3a3_f00d;

const supported = WASM_VARIANTS.filter((v) => wasmVariantSupported(v));
after(() => setWasmVariant('auto'));

function data(shape: number[], seed: number) {
  return tensor(seededUniform(sizeOfShape(shape), seed), shape);
}

/** Checks conv2d with algorithm 'winograd' and every tile size against direct. */
function agreesWithDirect(
  shapeIn: number[],
  shapeFilter: number[],
  options: Conv2dOptions,
  seed: number,
  label: string,
) {
  const x = data(shapeIn, seed);
  const w = data(shapeFilter, seed + 1);
  const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
  const viaPlanner = conv2d(x, w, { ...options, algorithm: 'winograd' });
  assert.deepEqual([...viaPlanner.shape], [...reference.shape], `${label}: shape`);
  assertCloseToScale(viaPlanner.data, reference.data, TOLERANCE, `${label} (winograd)`);
  const g = convGeometry('conv2d', shapeIn, shapeFilter, options);
  for (const tile of TILES) {
    assertCloseToScale(
      conv2dWinogradTile(g, x.data, w.data, tile),
      reference.data,
      TOLERANCE,
      `${label} F${tile}`,
    );
  }
}

function checkCase(c: ConvCase): void {
  agreesWithDirect(inputShapeOf(c), filterShapeOf(c), convkitOptionsOf(c), c.seed, describeCase(c));
}

test('plain WebAssembly SIMD is available in Node >= 20', () => {
  assert.ok(supported.includes('simd'), `supported variants: ${supported.join(', ')}`);
});

for (const variant of supported) {
  test(`winograd (${variant}) agrees with direct on 120 random 3x3 stride-1 geometries`, () => {
    assert.equal(setWasmVariant(variant), variant);
    fc.assert(fc.property(winogradCases, checkCase), { seed: SEED, numRuns: 120 });
  });
}

test('the random geometries reach the corners that matter', () => {
  const drawn = fc.sample(winogradCases, { seed: SEED, numRuns: 120 });
  const some = (pred: (c: ConvCase) => boolean, what: string): void => assert.ok(drawn.some(pred), what);
  some((c) => c.padding === 'SAME', 'SAME');
  some((c) => c.padding === 'VALID', 'VALID');
  some((c) => typeof c.padding !== 'string', 'explicit padding');
  some((c) => c.inHeight % 2 === 1 && c.inWidth % 2 === 1, 'odd sizes');
  some((c) => c.batch > 1, 'batch > 1');
  some((c) => !c.batched, 'rank-3 input');
  some((c) => c.groups > 1, 'groups');
  some((c) => (c.groups * c.filterInChannels) % 4 !== 0, 'in channels not a multiple of 4');
  some((c) => (c.groups * c.outPerGroup) % 4 !== 0, 'out channels not a multiple of 4');
  some((c) => c.batch > 1 && c.dataFormat === 'NCHW', 'NCHW batches');
  some((c) => c.inHeight > 8 && c.inWidth > 8, 'several tiles each way');
});

/**
 * Relaxed SIMD is behind a flag on Node 20 and on by default in Node 22+ (whose tests above ran it too):
 * a child Node checks that module on its own geometries and every tile size either way, started with
 * the flag only where it is needed.
 */
test('winograd (relaxed-simd) agrees with direct on 40 more geometries, in a child Node', (t) => {
  t.diagnostic(
    `child node flags: ${childNodeFlags('relaxed-simd').join(' ') || 'none (relaxed SIMD is on by default)'}`,
  );
  const child = runVariantChild('winograd', 'relaxed-simd');
  assert.equal(child.status, 0, `child failed:\n${child.stdout}\n${child.stderr}`);
  assert.match(child.stdout, /winograd relaxed-simd: 40 geometries agree/);
});

test('many blocks per image, and blocks that are part of one tile row, agree with direct', () => {
  setWasmVariant('auto');
  const tall = convGeometry('conv2d', [1, 40, 3000, 8], [3, 3, 8, 6], { padding: 'SAME' });
  const tallLayout = winogradLayout(tall, 4);
  assert.ok(tallLayout.rowsPerBlock < tallLayout.tileRows, JSON.stringify(tallLayout));
  agreesWithDirect([1, 40, 3000, 8], [3, 3, 8, 6], { padding: 'SAME' }, 11, 'several blocks NHWC');
  const wide = convGeometry('conv2d', [1, 5, 9000, 8], [3, 3, 8, 5], { padding: 'VALID' });
  const wideLayout = winogradLayout(wide, 4);
  assert.ok(wideLayout.colsPerBlock < wideLayout.tileCols, JSON.stringify(wideLayout));
  agreesWithDirect([1, 5, 9000, 8], [3, 3, 8, 5], { padding: 'VALID' }, 12, 'part-row blocks NHWC');
  agreesWithDirect(
    [2, 6, 7, 9000],
    [3, 3, 6, 8],
    { padding: 'SAME', dataFormat: 'NCHW' },
    13,
    'part-row NCHW',
  );
});

test('empty outputs, padding-only inputs and tiny images', () => {
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
    [3, 3, 2, 9],
    {
      padding: [
        [5, 5],
        [6, 6],
      ],
    },
    4,
    'mostly padding',
  );
  agreesWithDirect([1, 1, 1, 1], [3, 3, 1, 1], { padding: 'SAME' }, 5, 'one pixel');
  agreesWithDirect([3, 3, 5], [3, 3, 5, 4], { padding: 'VALID' }, 6, 'one output, rank 3');
});

test('NaN and infinity propagate as in the direct loop', () => {
  setWasmVariant('auto');
  const shape = [2, 9, 10, 8];
  const x = data(shape, 21);
  const values = x.data.slice();
  values[(4 * 10 + 4) * 8 + 3] = NaN; // one NaN in image 0
  values[9 * 10 * 8 + 5] = Infinity; // an infinity at the corner of image 1
  values[9 * 10 * 8 + (8 * 10 + 9) * 8] = -Infinity;
  const xs = tensor(values, shape);
  const w = data([3, 3, 8, 8], 22);
  for (const padding of ['SAME', 'VALID'] as const) {
    const reference = conv2d(xs, w, { padding, algorithm: 'direct' });
    const y = conv2d(xs, w, { padding, algorithm: 'winograd' });
    let nonFinite = 0;
    for (let i = 0; i < y.size; i++) {
      const [a, b] = [y.data[i], reference.data[i]];
      if (!Number.isFinite(b)) nonFinite++;
      assert.ok(Object.is(a, b) || Math.abs(a - b) <= 1e-4 * 10, `${padding} index ${i}: ${a} vs ${b}`);
    }
    assert.ok(nonFinite > 0, 'the reference has non-finite outputs');
  }
  // An infinite weight: infinity where the window meets finite data, NaN where it meets 0 * infinity.
  const wi = w.data.slice();
  wi[4 * 64] = Infinity;
  const wInf = tensor(wi, [3, 3, 8, 8]);
  const reference = conv2d(x, wInf, { padding: 'SAME', algorithm: 'direct' });
  const y = conv2d(x, wInf, { padding: 'SAME', algorithm: 'winograd' });
  for (let i = 0; i < y.size; i++) {
    const [a, b] = [y.data[i], reference.data[i]];
    assert.ok(Object.is(a, b) || Math.abs(a - b) <= 1e-3, `infinite weight, index ${i}: ${a} vs ${b}`);
  }
});

test('the transformed filter is computed once and cached with the packed weights', () => {
  setWasmVariant('auto');
  const x = data([1, 12, 12, 16], 31);
  const w = data([3, 3, 16, 16], 32);
  const g = convGeometry('conv2d', x.shape, w.shape, { padding: 'SAME' });
  const key = winogradPackKey(winogradTile(g), g.groups);
  assert.equal(hasPackedWeights(w.data, key), false);
  const first = conv2d(x, w, { padding: 'SAME', algorithm: 'winograd' });
  assert.equal(hasPackedWeights(w.data, key), true);
  const second = conv2d(x, w, { padding: 'SAME', algorithm: 'winograd' });
  assert.deepEqual(second.data, first.data);
});
