// Long reductions stay accurate whatever their length. conv2dBackpropFilter sums over every output
// pixel of every image: in one float32 running sum, error grows with the image (a sum of ones stops
// at 2^24; uniform data over 1024x1024 pixels was off by 2.7e-4). Every path (direct, the TypeScript
// GEMM, the wasm kernel) now adds float32 sums of at most a few thousand terms in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conv2dBackpropFilter, convGeometry, tensor, type ConvOptions } from '../src/index.js';
import { conv2dBackpropFilterDirect } from '../src/algorithms/backprop_direct.js';
import { conv2dBackpropFilterGemm } from '../src/algorithms/backprop_gemm.js';
import { conv2dBackpropFilterWasm as filterOnEngine } from '../src/algorithms/backprop_filter_wasm.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { seededUniform } from './helpers/layout.js';

const SIDE = 1024;
/** A first term large enough that a float32 running sum of the ones after it passes 2^24 and stalls. */
const BIG = 2 ** 24 - 2 ** 19;

/** Ones with BIG in the first pixel; the exact sum over all pixels is BIG + SIDE^2 - 1. */
function saturatingInput(): Float32Array {
  const x = new Float32Array(SIDE * SIDE).fill(1);
  x[0] = BIG;
  return x;
}

/** Every way the filter gradient is computed, for a geometry of these shapes. */
function paths(
  inputShape: number[],
  filterShape: number[],
  options: ConvOptions,
): [string, (x: Float32Array, dy: Float32Array) => Float32Array][] {
  const g = convGeometry('test', inputShape, filterShape, options);
  const engine = wasmEngine();
  assert.ok(engine, 'WebAssembly SIMD must be available in Node >= 20');
  return [
    [
      'conv2dBackpropFilter',
      (x, dy) =>
        conv2dBackpropFilter(tensor(x, inputShape), filterShape, tensor(dy, g.outputShape), options).data,
    ],
    ['wasm', (x, dy) => filterOnEngine(engine, g, x, dy)],
    ['TypeScript GEMM', (x, dy) => conv2dBackpropFilterGemm(g, x, dy)],
  ];
}

test('a sum that saturates float32 is exact on every path (1x1 filter, NHWC and NCHW)', () => {
  const expected = Math.fround(BIG + SIDE * SIDE - 1);
  for (const dataFormat of ['NHWC', 'NCHW'] as const) {
    const shape = dataFormat === 'NHWC' ? [1, SIDE, SIDE, 1] : [1, 1, SIDE, SIDE];
    const x = saturatingInput();
    const dy = new Float32Array(SIDE * SIDE).fill(1);
    for (const [name, run] of paths(shape, [1, 1, 1, 1], { dataFormat })) {
      const [dw] = run(x, dy);
      assert.equal(dw, expected, `${name} ${dataFormat}: ${dw}, expected ${expected}`);
    }
  }
});

test('a saturating sum under a dilated 3x3 filter with padding is exact on every path', () => {
  const options: ConvOptions = { padding: 'SAME', dilations: 2 };
  const x = saturatingInput();
  const g = convGeometry('test', [1, SIDE, SIDE, 1], [3, 3, 1, 1], options);
  const dy = new Float32Array(g.outHeight * g.outWidth).fill(1);
  // The float64 direct sum is the reference: every tap's sum is an integer below 2^53.
  const expected = conv2dBackpropFilterDirect(g, x, dy);
  assert.ok(expected[0] > 2 ** 24, 'the first tap sums past 2^24');
  for (const [name, run] of paths([1, SIDE, SIDE, 1], [3, 3, 1, 1], options)) {
    assert.deepEqual(Array.from(run(x, dy)), Array.from(expected), name);
  }
});

test("uniform data over a large image keeps a short sum's accuracy on every path", () => {
  // Positive values in [0, 1): no cancellation hides the growth of a running sum's error.
  const x = seededUniform(SIDE * SIDE, 11).map((v) => (v + 1) / 2);
  const dy = seededUniform(SIDE * SIDE, 12).map((v) => (v + 1) / 2);
  let exact = 0;
  for (let i = 0; i < x.length; i++) exact += x[i] * dy[i];
  for (const [name, run] of paths([1, SIDE, SIDE, 1], [1, 1, 1, 1], {})) {
    const [dw] = run(x, dy);
    const error = Math.abs(dw - exact) / Math.abs(exact);
    // One float32 rounding of the result is 6e-8; a float32 running sum over 2^20 terms was 2.7e-4.
    assert.ok(error < 2e-6, `${name}: relative error ${error}`);
  }
});

test('row bands and column blocks of one image give the direct sums (fast-check)', () => {
  const engine = wasmEngine();
  assert.ok(engine, 'engine');
  const arb = fc.record({
    height: fc.integer({ min: 1, max: 14 }),
    width: fc.integer({ min: 1, max: 14 }),
    batch: fc.integer({ min: 1, max: 3 }),
    channels: fc.integer({ min: 1, max: 3 }),
    out: fc.integer({ min: 1, max: 10 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    same: fc.boolean(),
    nchw: fc.boolean(),
    chunkPixels: fc.integer({ min: 1, max: 30 }),
    seed: fc.integer({ min: 1, max: 1000 }),
  });
  fc.assert(
    fc.property(arb, (c) => {
      const options: ConvOptions = {
        padding: c.same ? 'SAME' : 'VALID',
        strides: c.stride,
        dilations: c.dilation,
        dataFormat: c.nchw ? 'NCHW' : 'NHWC',
      };
      const inputShape = c.nchw
        ? [c.batch, c.channels, c.height, c.width]
        : [c.batch, c.height, c.width, c.channels];
      const filterShape = [c.k, c.k, c.channels, c.out];
      let g;
      try {
        g = convGeometry('test', inputShape, filterShape, options);
      } catch {
        return; // VALID with a window larger than the input
      }
      if (g.flops === 0) return;
      const x = seededUniform(g.batch * g.inHeight * g.inWidth * g.inChannels, c.seed);
      const dy = seededUniform(g.batch * g.outHeight * g.outWidth * g.outChannels, c.seed + 1);
      const got = filterOnEngine(engine, g, x, dy, c.chunkPixels);
      const want = conv2dBackpropFilterDirect(g, x, dy);
      for (let i = 0; i < want.length; i++) {
        assert.ok(
          Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])),
          `${JSON.stringify(c)}: dw[${i}] = ${got[i]}, direct ${want[i]}`,
        );
      }
    }),
    { seed: 1515, numRuns: 300 },
  );
});
