/**
 * The WebAssembly depthwise algorithm ('wasm', src/algorithms/depthwise_wasm.ts on the f32_dwconv kernel)
 * against the direct reference:
 *   - random geometries (fast-check, fixed seed): strides 1, 2 and 3, dilations, SAME / VALID / explicit
 *     padding, multipliers 1-3, 1..37 channels, both layouts, batches, rank 3 and 4: same shape, values
 *     within 1e-5 of the output's scale;
 *   - every channel count 1..37 (whole tiles and every partial tile) on the 3x3 stride 1 and 2 paths and
 *     the generic path, with odd widths (the unpaired last pixel);
 *   - padding is a multiplied zero (Infinity taps give NaN where direct does), -0 products sum to +0;
 *   - the packed filter is cached per filter array; bands stay within the scratch limit; a geometry whose
 *     smallest band passes it, and an engine without WebAssembly SIMD, run the TypeScript kernel;
 *   - 'auto' runs this algorithm where WebAssembly SIMD exists.
 * The other kernel module is checked by running this file again in a child Node with CONVKIT_WASM set
 * to it: relaxed SIMD (fused multiply-add) on Node 20, started with --experimental-wasm-relaxed-simd;
 * plain SIMD where relaxed SIMD is the default (Node 22+), without flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { depthwiseConv2d, tensor } from '../src/index.js';
import { depthwiseGeometry } from '../src/geometry.js';
import {
  DWCONV_SCRATCH_BYTES,
  depthwiseConv2dWasm,
  depthwiseWasmAvailable,
  dwconvLayout,
  dwconvPackKey,
} from '../src/algorithms/depthwise_wasm.js';
import { setWasmVariant, wasmEngine } from '../src/kernels/wasm/engine.js';
import { hasPackedWeights } from '../src/plan/weights_cache.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { childEnvironment, childNodeFlags, otherVariant } from './helpers/wasm_variant_child.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  depthwiseCases,
  describeDepthwise,
  filterShapeOf,
  inputShapeOf,
  optionsOf,
  outSizes,
  type DepthwiseCase,
} from './helpers/depthwise_cases.js';

/** Set in the child Node that checks the other kernel module: the module it must run. */
const CHILD_VARIANT = process.env.CONVKIT_DEPTHWISE_CHILD;
/** The module this process's checks run (the tests that switch modules switch back to 'auto'). */
const IN_USE = wasmEngine()?.variant;

const acceptedCase = depthwiseCases({ batch: [1, 3], size: [1, 13], channels: [1, 37] });

/** 'wasm' and 'direct' on seeded values: same shape, values within 1e-5 of the output's scale. */
function agreesWithDirect(
  inputShape: number[],
  filterShape: number[],
  options: Parameters<typeof depthwiseConv2d>[2],
  seed: number,
  label: string,
): void {
  const x = tensor(seededUniform(sizeOfShape(inputShape), seed), inputShape);
  const w = tensor(seededUniform(sizeOfShape(filterShape), seed + 1), filterShape);
  const expected = depthwiseConv2d(x, w, { ...options, algorithm: 'direct' });
  const actual = depthwiseConv2d(x, w, { ...options, algorithm: 'wasm' });
  assert.deepEqual([...actual.shape], [...expected.shape], `${label}: shape`);
  assertCloseToScale(actual.data, expected.data, 1e-5, label);
}

const SEED = 0xd3_7a5d;

test('the kernel module in use is the one this run checks', () => {
  const engine = wasmEngine();
  assert.ok(engine, 'WebAssembly SIMD is expected on Node >= 20');
  assert.equal(depthwiseWasmAvailable(), true);
  if (CHILD_VARIANT) assert.equal(engine.variant, CHILD_VARIANT);
});

test('wasm agrees with direct on random geometries (300 cases, fixed seed)', () => {
  fc.assert(
    fc.property(acceptedCase, (c) => {
      agreesWithDirect(inputShapeOf(c), filterShapeOf(c), optionsOf(c), c.seed, describeDepthwise(c));
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test('every channel count 1..37 on the 3x3 stride 1 and 2 paths and the generic path, odd widths', () => {
  for (let channels = 1; channels <= 37; channels++) {
    for (const [filter, strides, dilations] of [
      [[3, 3], 1, 1],
      [[3, 3], 2, 1],
      [
        [3, 3],
        [2, 1],
        [2, 1],
      ],
      [[2, 5], 1, 1],
      [[3, 3], 1, [1, 2]],
    ] as [number[], number | number[], number | number[]][]) {
      const multiplier = channels % 3 === 0 ? 2 : 1;
      // Width 9: odd output widths at stride 1 and 2 (the last pixel has no partner).
      agreesWithDirect(
        [2, 7, 9, channels],
        [filter[0], filter[1], channels, multiplier],
        { strides, dilations, padding: 'SAME' },
        channels,
        `${channels} channels, filter ${filter}, strides ${strides}, dilations ${dilations}`,
      );
    }
  }
});

test('padding is a multiplied zero: an Infinity tap gives NaN exactly where direct does', () => {
  const taps = new Float32Array(9 * 6).fill(1);
  taps[0] = Infinity; // top-left tap of channel 0: on padding along the top row and left column
  taps[8 * 6 + 5] = -Infinity; // bottom-right tap of channel 5
  const w = tensor(taps, [3, 3, 6, 1]);
  for (const dataFormat of ['NHWC', 'NCHW'] as const) {
    const shape = dataFormat === 'NHWC' ? [1, 5, 6, 6] : [1, 6, 5, 6];
    const x = tensor(new Float32Array(sizeOfShape(shape)).fill(1), shape);
    for (const strides of [1, 2]) {
      const options = { strides, padding: 'SAME' as const, dataFormat };
      const expected = depthwiseConv2d(x, w, { ...options, algorithm: 'direct' }).data;
      const actual = depthwiseConv2d(x, w, { ...options, algorithm: 'wasm' }).data;
      let nans = 0;
      for (let i = 0; i < expected.length; i++) {
        const e = expected[i];
        if (Number.isNaN(e)) nans++;
        const same = Number.isFinite(e) ? Math.abs(actual[i] - e) <= 1e-5 : Object.is(actual[i], e);
        assert.ok(same, `${dataFormat} strides ${strides}: index ${i} got ${actual[i]}, expected ${e}`);
      }
      assert.ok(nans > 0, 'the case has padding taps under Infinity');
    }
  }
});

test('a sum of -0 products is +0, as in a sum that starts from zero', () => {
  for (const [shape, filterShape, strides] of [
    [[1, 6, 7, 2], [3, 3, 2, 1], 1],
    [[1, 6, 7, 5], [3, 3, 5, 2], 2],
    [[1, 6, 9, 2], [2, 5, 2, 1], 1],
  ] as [number[], number[], number][]) {
    const x = tensor(new Float32Array(sizeOfShape(shape)), shape);
    const w = tensor(new Float32Array(sizeOfShape(filterShape)).fill(-1), filterShape);
    const y = depthwiseConv2d(x, w, { strides, padding: 'SAME', algorithm: 'wasm' }).data;
    assert.ok(y.length > 0, 'y.length > 0');
    const negativeZeros = y.filter((v) => Object.is(v, -0)).length;
    assert.equal(negativeZeros, 0, `${JSON.stringify(filterShape)} strides ${strides}: -0 outputs`);
  }
});

if (!CHILD_VARIANT) {
  test('the random geometries reach the corners that matter', () => {
    const drawn = fc.sample(acceptedCase, { seed: SEED, numRuns: 300 });
    const some = (pred: (c: DepthwiseCase) => boolean, what: string): void =>
      assert.ok(drawn.some(pred), what);
    some((c) => c.padding === 'SAME', 'SAME');
    some((c) => c.padding === 'VALID', 'VALID');
    some((c) => typeof c.padding !== 'string', 'explicit padding');
    some((c) => c.strides[0] === 2 && c.strides[1] === 2, 'stride 2');
    some((c) => c.dilations[0] > 1 && c.dilations[1] > 1, 'dilations');
    for (const m of [1, 2, 3]) some((c) => c.multiplier === m, `multiplier ${m}`);
    some((c) => c.channels % 4 !== 0 && c.channels > 4, 'channels past a whole tile');
    some((c) => c.channels > 32, 'more than 32 channels');
    some((c) => c.dataFormat === 'NCHW' && c.batch > 1, 'NCHW batches');
    some((c) => !c.batched, 'rank-3 input');
    some((c) => outSizes(c).some((s) => s === 0), 'empty outputs');
    some(
      (c) =>
        c.filterHeight === 3 &&
        c.filterWidth === 3 &&
        c.dilations[1] === 1 &&
        c.strides[1] <= 2 &&
        outSizes(c)[1] >= 3,
      '3x3 fast path with several pixels',
    );
  });

  test('the packed filter is made once per filter array and reused', () => {
    const x = tensor(seededUniform(2 * 5 * 6 * 7, 3), [2, 5, 6, 7]);
    const w = tensor(seededUniform(3 * 3 * 7 * 2, 4), [3, 3, 7, 2]);
    const key = dwconvPackKey(9, 14);
    assert.equal(hasPackedWeights(w.data, key), false);
    const first = depthwiseConv2d(x, w, { padding: 'SAME', algorithm: 'wasm' });
    assert.equal(hasPackedWeights(w.data, key), true);
    const again = depthwiseConv2d(x, w, { padding: 'SAME', algorithm: 'wasm' });
    assert.deepEqual([...again.data], [...first.data]);
  });

  test('large images run in several bands, each within the scratch limit, and agree with direct', () => {
    for (const [inputShape, filterShape, strides] of [
      [[2, 150, 160, 16], [3, 3, 16, 1], 1],
      [[1, 120, 130, 24], [3, 3, 24, 1], 2],
      [[1, 90, 100, 12], [5, 5, 12, 2], 1],
    ] as [number[], number[], number][]) {
      const g = depthwiseGeometry('depthwiseConv2d', inputShape, filterShape, { strides, padding: 'SAME' });
      const layout = dwconvLayout(g);
      assert.ok(layout, 'fits');
      assert.ok(layout.bands > 1, `${inputShape}: ${layout.bands} band(s)`);
      assert.ok(layout.bands * layout.bandRows >= g.outHeight, 'the bands cover every output row');
      assert.ok(
        layout.inputBytes + layout.outputBytes <= DWCONV_SCRATCH_BYTES,
        'layout.inputBytes + layout.outputBytes <= DWCONV_SCRATCH_BYTES',
      );
      agreesWithDirect(inputShape, filterShape, { strides, padding: 'SAME' }, 5, `${inputShape} in bands`);
    }
  });

  test('a small output computed whole over several bands and images agrees with direct', () => {
    // Output 2 x 66 x 67 x 9 floats (318 KB): one slice at the end; the input needs several bands. The
    // explicit padding puts zero columns on both sides, written once and kept from band to band.
    const inputShape = [2, 130, 131, 9];
    const filterShape = [3, 3, 9, 1];
    const options = {
      strides: 2,
      padding: [
        [0, 0],
        [1, 2],
        [3, 1],
        [0, 0],
      ],
    };
    const g = depthwiseGeometry('depthwiseConv2d', inputShape, filterShape, options);
    const layout = dwconvLayout(g);
    assert.ok(layout && layout.bands > 1, `${layout?.bands} band(s)`);
    // A call with other values first leaves its rows in the scratch, where padding columns now lie.
    agreesWithDirect([1, 130, 131, 9], filterShape, { strides: 1, padding: 'VALID' }, 21, 'scratch filler');
    agreesWithDirect(inputShape, filterShape, options, 23, 'whole output in bands');
  });

  test('a geometry whose smallest band passes the scratch limit runs the TypeScript kernel', () => {
    // Dilation 20: one output row needs 41 input rows of 1000 x 64 floats (10 MB).
    const inputShape = [1, 41, 1000, 64];
    const filterShape = [3, 3, 64, 1];
    const options = { dilations: 20, padding: 'VALID' as const };
    const g = depthwiseGeometry('depthwiseConv2d', inputShape, filterShape, options);
    assert.equal(dwconvLayout(g), null);
    agreesWithDirect(inputShape, filterShape, options, 9, 'scratch fallback');
  });

  test('without WebAssembly SIMD, wasm runs the TypeScript kernel and auto picks it too', () => {
    const inputShape = [1, 2, 6, 7];
    const filterShape = [3, 3, 2, 2];
    const options = { strides: 2, padding: 'SAME' as const, dataFormat: 'NCHW' as const };
    try {
      assert.equal(setWasmVariant('none'), null);
      assert.equal(depthwiseWasmAvailable(), false);
      agreesWithDirect(inputShape, filterShape, options, 13, 'no SIMD');
    } finally {
      setWasmVariant('auto');
    }
    assert.equal(depthwiseWasmAvailable(), true);
  });

  test("'auto' runs the wasm algorithm where WebAssembly SIMD exists", () => {
    // 'fast' sums in float64 and 'wasm' in float32: their last bits differ, so 'auto' shows which ran.
    const x = tensor(seededUniform(1 * 12 * 12 * 8, 21), [1, 12, 12, 8]);
    const w = tensor(seededUniform(9 * 8, 22), [3, 3, 8, 1]);
    const auto = depthwiseConv2d(x, w, { padding: 'SAME' }).data;
    const viaWasm = depthwiseConv2d(x, w, { padding: 'SAME', algorithm: 'wasm' }).data;
    const viaFast = depthwiseConv2d(x, w, { padding: 'SAME', algorithm: 'fast' }).data;
    assert.deepEqual([...auto], [...viaWasm]);
    assert.notDeepEqual([...auto], [...viaFast]);
  });

  test('the kernel entry point agrees with depthwiseConv2d on a prepared geometry', () => {
    const g = depthwiseGeometry('depthwiseConv2d', [3, 8, 10, 5], [3, 3, 5, 3], {
      strides: 2,
      padding: 'SAME',
    });
    const x = seededUniform(3 * 8 * 10 * 5, 31);
    const w = seededUniform(9 * 5 * 3, 32);
    const y = depthwiseConv2dWasm(g, x, w);
    const expected = depthwiseConv2d(tensor(x, [3, 8, 10, 5]), tensor(w, [3, 3, 5, 3]), {
      strides: 2,
      padding: 'SAME',
      algorithm: 'direct',
    });
    assertCloseToScale(y, expected.data, 1e-5, 'depthwiseConv2dWasm');
  });

  /**
   * Runs this file's checks again in a child Node on the module the checks above did not run. The
   * child's environment names that module, and has no NODE_TEST_CONTEXT (set for files run under
   * --test), so that the child's runner prints its own TAP report instead of reporting to a parent.
   */
  test('the other kernel module passes the same checks, in a child Node', (t) => {
    assert.ok(IN_USE, 'WebAssembly SIMD is expected on Node >= 20');
    const variant = otherVariant(IN_USE);
    const flags = childNodeFlags(variant);
    t.diagnostic(`this process ran ${IN_USE}; the child runs ${variant} (${flags.join(' ') || 'no flags'})`);
    const env = childEnvironment(variant, { CONVKIT_DEPTHWISE_CHILD: variant });
    delete env.NODE_TEST_CONTEXT;
    const child = spawnSync(
      process.execPath,
      [...flags, '--import', 'tsx', '--test', '--test-reporter=tap', fileURLToPath(import.meta.url)],
      { encoding: 'utf8', timeout: 50_000, env },
    );
    assert.equal(child.status, 0, `child failed:\n${child.stdout}\n${child.stderr}`);
    assert.match(child.stdout, /^# pass [1-9]/m);
    assert.match(child.stdout, /^# fail 0$/m);
  });
}
