/**
 * The planner with the fast engine: which algorithm 'auto' picks, what it says about it, and what an
 * explicit request for igemm does where WebAssembly SIMD is missing. Plus the scratch bound of igemm on
 * every shape of bench/shapes.json (batch 64 included).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONV2D_ALGORITHMS, InvalidArgumentError, convGeometry, planConv2d } from '../src/index.js';
import { igemmLayout } from '../src/algorithms/igemm.js';
import { setWasmVariant, wasmEngine } from '../src/kernels/wasm/engine.js';

after(() => setWasmVariant('auto'));

const resnet = convGeometry('conv2d', [1, 56, 56, 64], [3, 3, 64, 64], { padding: 'SAME' });
const seed = convGeometry('conv2d', [1, 5, 5, 5], [3, 3, 5, 7], { padding: 'SAME', strides: 2 });
const trivial = convGeometry('conv2d', [1, 2, 2, 1], [1, 1, 1, 1], { padding: 'SAME' });

test('igemm is one of the algorithms', () => {
  assert.ok(
    (CONV2D_ALGORITHMS as readonly string[]).includes('igemm'),
    "(CONV2D_ALGORITHMS as readonly string[]).includes('igemm')",
  );
});

test("with WebAssembly SIMD, 'auto' picks igemm beyond a handful of FLOPs and names the kernel", () => {
  setWasmVariant('simd');
  // A 1x1 layer and the seed's tiny shape: winograd and fft do not apply, igemm does.
  const pointwise = convGeometry('conv2d', [1, 56, 56, 64], [1, 1, 64, 256], { padding: 'VALID' });
  for (const g of [pointwise, seed]) {
    const plan = planConv2d(g);
    assert.equal(plan.algorithm, 'igemm', `${g.inputShape} x ${g.filterShape}`);
    assert.equal(plan.kernel, 'f32-igemm-4x8-wasmsimd');
    assert.match(plan.reason, /WebAssembly SIMD/);
  }
  assert.equal(planConv2d(trivial).algorithm, 'direct');
});

test("without WebAssembly SIMD, 'auto' picks im2col, and a request for igemm is served by im2col", () => {
  setWasmVariant('none');
  assert.equal(planConv2d(resnet).algorithm, 'im2col');
  assert.match(planConv2d(resnet).reason, /WebAssembly SIMD is not available/);
  const requested = planConv2d(resnet, 'igemm');
  assert.equal(requested.algorithm, 'im2col');
  assert.match(requested.reason, /igemm was requested but WebAssembly SIMD is not available/);
  assert.equal(planConv2d(trivial).algorithm, 'direct');
  setWasmVariant('auto');
});

test('explicit requests are honoured and unknown ones rejected', () => {
  setWasmVariant('auto');
  for (const algorithm of CONV2D_ALGORITHMS) {
    const plan = planConv2d(resnet, algorithm);
    // fft and winograd fall back (to igemm or im2col) only where they cannot compute this geometry.
    if (algorithm === 'direct' || algorithm === 'im2col') assert.equal(plan.algorithm, algorithm);
    else if (wasmEngine()) assert.equal(plan.algorithm, algorithm);
  }
  assert.throws(() => planConv2d(resnet, 'magic'), InvalidArgumentError);
  assert.throws(() => planConv2d(resnet, 'magic'), /conv2d: algorithm must be one of 'auto', 'direct'/);
});

interface SuiteShape {
  name: string;
  input: number[];
  filter: number[];
  strides: number;
  padding: 'SAME' | 'VALID';
}

test('igemm scratch stays within 8 MB on every suite shape, and within its 4 MB band budget', () => {
  const shapes = JSON.parse(
    readFileSync(new URL('../bench/shapes.json', import.meta.url), 'utf8'),
  ) as SuiteShape[];
  assert.ok(shapes.length > 0, 'shapes.length > 0');
  for (const s of shapes) {
    const g = convGeometry('conv2d', s.input, s.filter, { strides: s.strides, padding: s.padding });
    const layout = igemmLayout(g);
    assert.ok(layout.scratchBytes <= 4 << 20, `${s.name}: ${layout.scratchBytes} bytes`);
    assert.ok(layout.bandRows * layout.bands >= g.outHeight, `${s.name}: bands cover the output`);
  }
  // Larger images are split into bands instead of growing the scratch.
  const big = convGeometry('conv2d', [64, 512, 512, 64], [3, 3, 64, 64], { padding: 'SAME' });
  const layout = igemmLayout(big);
  assert.ok(layout.bands > 1 && layout.scratchBytes <= 8 << 20, JSON.stringify(layout));
});

test('a geometry whose single output row would not fit in wasm memory goes to im2col', () => {
  setWasmVariant('auto');
  if (!wasmEngine()) return;
  const wide = convGeometry('conv2d', [1, 1, 2 ** 27, 4], [1, 1, 4, 1], { padding: 'VALID' });
  const plan = planConv2d(wide);
  assert.equal(plan.algorithm, 'im2col');
  assert.match(plan.reason, /one band of output rows would need \d+ bytes/);
});
