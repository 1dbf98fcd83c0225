// The WebAssembly gradients (src/algorithms/backprop_wasm.ts and its siblings) against the direct
// reference (backprop_direct.ts) on random geometries: strides with dilations, SAME/VALID/explicit
// padding, NCHW, groups, batches, odd channel counts and more than one 8-column panel; with the bands
// of the input gradient and the chunks of the filter gradient shrunk so that both loops run many times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { convGeometry, type ConvGeometry, type ConvOptions } from '../src/geometry.js';
import { conv2dBackpropFilterDirect, conv2dBackpropInputDirect } from '../src/algorithms/backprop_direct.js';
import { conv2dBackpropFilterGemm, conv2dBackpropInputGemm } from '../src/algorithms/backprop_gemm.js';
import { conv2dBackpropFilterWasm, conv2dBackpropInputWasm } from '../src/algorithms/backprop_wasm.js';
import { conv2dBackpropInputWasm as inputOnEngine } from '../src/algorithms/backprop_input_wasm.js';
import { conv2dBackpropFilterWasm as filterOnEngine } from '../src/algorithms/backprop_filter_wasm.js';
import { setWasmVariant, wasmEngine, type WasmEngine } from '../src/kernels/wasm/engine.js';
import { maxAbs, scaledError } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  convCaseArb,
  convkitOptionsOf,
  describeCase,
  filterShapeOf,
  inputShapeOf,
  outHeightOf,
  outWidthOf,
  type GeometryLimits,
} from './helpers/random_geometry.js';

const TOLERANCE = 1e-5;

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
  // Past 8 channels a group's columns fill more than one of the kernel's 8-column panels.
  maxInChannels: 12,
  maxOutPerGroup: 11,
  layouts: ['NHWC', 'NCHW'],
};

interface Problem {
  g: ConvGeometry;
  input: Float32Array;
  filter: Float32Array;
  dy: Float32Array;
}

function problemOf(g: ConvGeometry, seed: number): Problem {
  return {
    g,
    input: seededUniform(sizeOfShape(g.inputShape), seed),
    filter: seededUniform(sizeOfShape(g.filterShape), seed + 1),
    dy: seededUniform(sizeOfShape(g.outputShape), seed + 2),
  };
}

/** The SIMD engine (plain SIMD: what every Node >= 20 runs without flags). */
function simdEngine(): WasmEngine {
  assert.equal(setWasmVariant('simd'), 'simd', 'WebAssembly SIMD must be available in Node >= 20');
  const engine = wasmEngine();
  assert.ok(engine, 'engine');
  return engine;
}

test('wasm gradients match the direct reference on random geometries (fast-check, seed 4242)', (t) => {
  const engine = simdEngine();
  const worst = { input: 0, filter: 0 };
  const seen = {
    strided: 0,
    dilated: 0,
    explicit: 0,
    nchw: 0,
    grouped: 0,
    batched: 0,
    wide: 0,
    oddChannels: 0,
  };
  const arb = fc.tuple(
    convCaseArb(LIMITS).filter((c) => outHeightOf(c) >= 1 && outWidthOf(c) >= 1),
    fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 6000 })),
    fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 40 })),
  );
  fc.assert(
    fc.property(arb, ([c, bandBytes, chunkPixels]) => {
      const g = convGeometry('test', inputShapeOf(c), filterShapeOf(c), convkitOptionsOf(c));
      const p = problemOf(g, c.seed);
      const dx = inputOnEngine(engine, g, p.filter, p.dy, bandBytes);
      const dw = filterOnEngine(engine, g, p.input, p.dy, chunkPixels);
      const input = scaledError(dx, conv2dBackpropInputDirect(g, p.filter, p.dy));
      const filter = scaledError(dw, conv2dBackpropFilterDirect(g, p.input, p.dy));
      worst.input = Math.max(worst.input, input);
      worst.filter = Math.max(worst.filter, filter);
      seen.strided += +(g.strideHeight > 1 || g.strideWidth > 1);
      seen.dilated += +(g.dilationHeight > 1 || g.dilationWidth > 1);
      seen.explicit += +(g.paddingMode === 'EXPLICIT');
      seen.nchw += +(g.dataFormat === 'NCHW');
      seen.grouped += +(g.groups > 1);
      seen.batched += +(g.batch > 1);
      seen.wide += +(g.filterInChannels > 8 || g.outChannels / g.groups > 8);
      seen.oddChannels += +(g.filterInChannels % 2 === 1 && g.outChannels % 2 === 1);
      assert.ok(
        input <= TOLERANCE && filter <= TOLERANCE,
        `${describeCase(c)} band ${bandBytes} chunk ${chunkPixels}: input error ${input}, filter error ${filter}`,
      );
    }),
    { seed: 4242, numRuns: 300 },
  );
  t.diagnostic(
    `worst scaled error: input ${worst.input}, filter ${worst.filter}; seen ${JSON.stringify(seen)}`,
  );
  // The generator must have reached every feature the kernels special-case.
  for (const [feature, count] of Object.entries(seen)) assert.ok(count > 0, `no case with ${feature}`);
  setWasmVariant('auto');
});

test('wasm gradients on layer-sized problems with the default bands and chunks', (t) => {
  simdEngine();
  const cases: [number[], number[], ConvOptions][] = [
    // LeNet's two convolutions at batch 64 (the filter gradient sums over many chunks).
    [[64, 28, 28, 1], [5, 5, 1, 8], { padding: 'VALID' }],
    [[64, 12, 12, 8], [5, 5, 8, 16], { padding: 'VALID' }],
    [[3, 14, 14, 32], [5, 5, 32, 64], { padding: 'SAME' }],
    [[2, 3, 17, 15], [3, 3, 3, 10], { padding: 'SAME', strides: 2, dataFormat: 'NCHW' }],
    [
      [2, 19, 16, 12],
      [3, 2, 4, 9],
      {
        padding: [
          [0, 0],
          [1, 2],
          [3, 0],
          [0, 0],
        ],
        dilations: [2, 3],
      },
    ],
  ];
  for (const [inputShape, filterShape, options] of cases) {
    const g = convGeometry('test', inputShape, filterShape, options);
    const p = problemOf(g, 11);
    const dx = conv2dBackpropInputWasm(g, p.filter, p.dy);
    const dw = conv2dBackpropFilterWasm(g, p.input, p.dy);
    const input = scaledError(dx, conv2dBackpropInputDirect(g, p.filter, p.dy));
    const filter = scaledError(dw, conv2dBackpropFilterDirect(g, p.input, p.dy));
    t.diagnostic(
      `${JSON.stringify(inputShape)} x ${JSON.stringify(filterShape)}: input ${input}, filter ${filter}`,
    );
    assert.ok(maxAbs(dx) > 0 && maxAbs(dw) > 0, 'maxAbs(dx) > 0 && maxAbs(dw) > 0');
    assert.ok(input <= TOLERANCE, `input error ${input}`);
    assert.ok(filter <= TOLERANCE, `filter error ${filter}`);
  }
  setWasmVariant('auto');
});

test('NaN in dy reaches the same gradient entries as in the direct reference', () => {
  const engine = simdEngine();
  for (const options of [{ padding: 'SAME' }, { padding: 'VALID', strides: 2 }] as ConvOptions[]) {
    const g = convGeometry('test', [2, 7, 8, 3], [3, 3, 3, 4], options);
    const p = problemOf(g, 5);
    p.dy[7] = NaN;
    const nanMask = (values: Float32Array) => Array.from(values, (v) => Number.isNaN(v));
    assert.deepEqual(
      nanMask(inputOnEngine(engine, g, p.filter, p.dy)),
      nanMask(conv2dBackpropInputDirect(g, p.filter, p.dy)),
    );
    const dw = filterOnEngine(engine, g, p.input, p.dy);
    assert.deepEqual(nanMask(dw), nanMask(conv2dBackpropFilterDirect(g, p.input, p.dy)));
    assert.ok(
      nanMask(dw).some((isNaN) => isNaN),
      'nanMask(dw).some((isNaN) => isNaN)',
    );
  }
  setWasmVariant('auto');
});

test('without WebAssembly SIMD the gradients fall back to the TypeScript GEMM', () => {
  const g = convGeometry('test', [2, 9, 7, 6], [3, 3, 6, 5], { padding: 'SAME', strides: [2, 1] });
  const p = problemOf(g, 3);
  assert.equal(setWasmVariant('none'), null);
  try {
    assert.deepEqual(conv2dBackpropInputWasm(g, p.filter, p.dy), conv2dBackpropInputGemm(g, p.filter, p.dy));
    assert.deepEqual(conv2dBackpropFilterWasm(g, p.input, p.dy), conv2dBackpropFilterGemm(g, p.input, p.dy));
  } finally {
    setWasmVariant('auto');
  }
});

test('an empty batch gives zero gradients of the right sizes', () => {
  simdEngine();
  const g = convGeometry('test', [0, 5, 5, 2], [3, 3, 2, 4], { padding: 'SAME' });
  const p = problemOf(g, 1);
  assert.deepEqual(conv2dBackpropInputWasm(g, p.filter, p.dy), new Float32Array(0));
  assert.deepEqual(conv2dBackpropFilterWasm(g, p.input, p.dy), new Float32Array(3 * 3 * 2 * 4));
  setWasmVariant('auto');
});
