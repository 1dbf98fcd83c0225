/**
 * Concatenate, ZeroPadding2D, broadcasting Add / Multiply, BatchNormalization / Rescaling and the
 * clamp activations (linear, ReLU, ReLU6) in the model runtime on the WebAssembly
 * row kernels (wasm/assembly/rows.ts through src/runtime/wasm_rows.ts): against the TypeScript kernels
 * (kernels.ts) bit for bit (copies: NaN payloads and -0 included; arithmetic: any NaN for a NaN), in place in wasm memory with nothing written outside the output; arrays
 * outside wasm memory still take the TypeScript path; and whole models against tfjs-layers, with the
 * steps named as wasm steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadLayersModel } from '../src/runtime/index.js';
import type { CompiledPlan } from '../src/runtime/executor.js';
import {
  applyPointwise,
  broadcastBinary,
  concatChunks,
  scaleShift,
  zeroPad,
} from '../src/runtime/kernels.js';
import {
  affineFast,
  binaryFast,
  concatFast,
  packAffine,
  pointwiseFast,
  rowsWasmAvailable,
  zeroPadFast,
} from '../src/runtime/wasm_rows.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { epilogueFast } from '../src/runtime/wasm_epilogue.js';
import type { Pointwise } from '../src/runtime/layers.js';
import { createRng } from '../src/layers/random.js';
import { artifactsOf, randomInput, relativeError, seedWeights, tfjsPredict } from './helpers/tfjs_models.js';

const L = tfl.layers;
const heap = wasmEngine()!.heap;
const SENTINEL = 7.25;
const GUARD = 8;

/** Seeded values with NaNs of several payloads, infinities and both zeros among them. */
function values(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.03) bits[i] = 0x7fc00000 + (i & 0xffff);
    else if (r < 0.05) out[i] = -0;
    else if (r < 0.06) out[i] = -Infinity;
    else out[i] = 4 * rng.next() - 2;
  }
  return out;
}

function assertSameBits(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  const at = w.findIndex((bits, i) => bits !== g[i]);
  assert.equal(at, -1, `${label}: element ${at} is ${got[at]}, expected ${want[at]}`);
}

/**
 * Views of wasm memory holding `arrays` and an output of `outFloats` (sentinels on both sides of it).
 * The views' subarray throws, so a TypeScript kernel (which takes subarrays) cannot have run on them.
 */
function inWasm<T>(
  arrays: Float32Array[],
  outFloats: number,
  run: (ins: Float32Array[], out: Float32Array) => T,
) {
  const addresses = arrays.map((a) => heap.pin(a.length * 4 + 16));
  const outAt = heap.pin((outFloats + 2 * GUARD) * 4);
  try {
    arrays.forEach((a, i) => heap.f32.set(a, addresses[i] >> 2));
    heap.f32.fill(SENTINEL, outAt >> 2, (outAt >> 2) + outFloats + 2 * GUARD);
    const noSubarray = (view: Float32Array) => {
      Object.defineProperty(view, 'subarray', {
        value: () => {
          throw new Error('a TypeScript kernel ran');
        },
      });
      return view;
    };
    const ins = arrays.map((a, i) =>
      noSubarray(heap.f32.subarray(addresses[i] >> 2, (addresses[i] >> 2) + a.length)),
    );
    const out = noSubarray(heap.f32.subarray((outAt >> 2) + GUARD, (outAt >> 2) + GUARD + outFloats));
    run(ins, out);
    const f32 = heap.f32;
    const before = f32.subarray(outAt >> 2, (outAt >> 2) + GUARD);
    const after = f32.subarray((outAt >> 2) + GUARD + outFloats, (outAt >> 2) + outFloats + 2 * GUARD);
    assert.ok(
      [...before, ...after].every((v) => v === SENTINEL),
      'nothing written outside the output',
    );
    arrays.forEach((a, i) =>
      assertSameBits(f32.slice(addresses[i] >> 2, (addresses[i] >> 2) + a.length), a, `input ${i} unchanged`),
    );
    return f32.slice((outAt >> 2) + GUARD, (outAt >> 2) + GUARD + outFloats);
  } finally {
    heap.unpin(outAt);
    for (const a of addresses) heap.unpin(a);
  }
}

test('the copy kernels are in the module in use', () => {
  assert.ok(rowsWasmAvailable(), 'f32_copy_rows, f32_zero_rows and f32_binary_rows');
});

test("concatenation in wasm memory: the TypeScript kernel's bits for chunks of 1-67 floats, 2 and 3 inputs", () => {
  let seed = 1;
  for (const chunks of [
    [1, 1],
    [3, 5],
    [4, 8],
    [64, 64],
    [17, 2, 67],
    [5, 4, 3],
  ]) {
    for (const outer of [1, 7, 40]) {
      const inputs = chunks.map((n) => values(outer * n, seed++));
      const width = chunks.reduce((a, b) => a + b, 0);
      const want = concatChunks(inputs, chunks, outer, new Float32Array(outer * width));
      const got = inWasm(inputs, outer * width, (ins, out) => concatFast(ins, chunks, outer, out));
      assertSameBits(got, want, `chunks ${chunks}, outer ${outer}`);
      // Arrays outside wasm memory take the TypeScript kernel.
      assertSameBits(concatFast(inputs, chunks, outer, new Float32Array(outer * width)), want, 'outside');
    }
  }
});

test("zero padding in wasm memory: the TypeScript kernel's bits, every side, 1-9 channels, batch 1 and 3", () => {
  let seed = 100;
  const padsList: [[number, number], [number, number]][] = [
    [
      [0, 0],
      [0, 0],
    ],
    [
      [1, 1],
      [1, 1],
    ],
    [
      [0, 1],
      [0, 1],
    ],
    [
      [2, 0],
      [0, 3],
    ],
    [
      [3, 2],
      [1, 0],
    ],
  ];
  for (const pads of padsList) {
    for (const [batch, h, w, c] of [
      [1, 5, 4, 1],
      [3, 4, 6, 3],
      [1, 7, 5, 8],
      [3, 2, 3, 9],
    ]) {
      const x = values(batch * h * w * c, seed++);
      const size = batch * (h + pads[0][0] + pads[0][1]) * (w + pads[1][0] + pads[1][1]) * c;
      // A slot that held another tensor: the border must be written, not assumed zero.
      const want = zeroPad(x, batch, h, w, c, pads, new Float32Array(size).fill(3));
      const got = inWasm([x], size, ([input], out) => zeroPadFast(input, batch, h, w, c, pads, out));
      const label = `pads ${JSON.stringify(pads)}, [${batch}, ${h}, ${w}, ${c}]`;
      assertSameBits(got, want, label);
      assertSameBits(
        zeroPadFast(x, batch, h, w, c, pads, new Float32Array(size).fill(3)),
        want,
        `${label}, outside`,
      );
    }
  }
});

/** The same bits, except that any NaN stands for any NaN (arithmetic may change a NaN's payload). */
function assertSameValues(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  const at = w.findIndex((bits, i) => bits !== g[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i])));
  assert.equal(at, -1, `${label}: element ${at} is ${got[at]}, expected ${want[at]}`);
}

test("broadcasting Add and Multiply in wasm memory: the TypeScript kernel's values, ranks 2-5, 2 and 3 inputs", () => {
  const cases: number[][][] = [
    [
      [2, 3, 4, 5],
      [2, 3, 4, 5],
    ],
    [
      [2, 1, 1, 5],
      [2, 3, 4, 5],
    ],
    [
      [2, 3, 4, 5],
      [2, 1, 1, 5],
    ],
    [
      [2, 3, 4, 1],
      [2, 3, 4, 9],
    ],
    [
      [1, 3, 1, 4],
      [2, 3, 6, 4],
      [2, 1, 6, 1],
    ],
    [
      [4, 7],
      [1, 7],
    ],
    [
      [4, 1],
      [4, 3],
    ],
    [
      [2, 2, 3, 1, 6],
      [2, 1, 3, 5, 6],
    ],
  ];
  let seed = 300;
  for (const shapes of cases) {
    const outShape = shapes[0].map((_, d) => Math.max(...shapes.map((s) => s[d])));
    const size = outShape.reduce((a, b) => a * b, 1);
    const inputs = shapes.map((s) =>
      values(
        s.reduce((a, b) => a * b, 1),
        seed++,
      ),
    );
    for (const mode of ['add', 'multiply'] as const) {
      const want = broadcastBinary(mode, inputs, shapes, outShape, new Float32Array(size));
      const got = inWasm(inputs, size, (ins, out) => binaryFast(mode, ins, shapes, outShape, out));
      const label = `${mode} ${shapes.map((s) => `[${s}]`).join(' ')}`;
      assertSameValues(got, want, label);
      assertSameValues(
        binaryFast(mode, inputs, shapes, outShape, new Float32Array(size)),
        want,
        `${label}, outside`,
      );
    }
  }
});

test('a squeeze-and-excitation block (Multiply by a [1, 1, C] gate) and an Add of two pooling branches', async () => {
  await tf.setBackend('cpu');
  const input = tfl.input({ shape: [40, 36, 12] });
  const features = L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(
    input,
  ) as tfl.SymbolicTensor;
  let gate = L.globalAveragePooling2d({}).apply(features) as tfl.SymbolicTensor;
  gate = L.dense({ units: 32, activation: 'sigmoid' }).apply(gate) as tfl.SymbolicTensor;
  gate = L.reshape({ targetShape: [1, 1, 32] }).apply(gate) as tfl.SymbolicTensor;
  const scaled = L.multiply().apply([features, gate]) as tfl.SymbolicTensor;
  const maxed = L.maxPooling2d({ poolSize: 2 }).apply(scaled) as tfl.SymbolicTensor;
  const averaged = L.averagePooling2d({ poolSize: 2 }).apply(scaled) as tfl.SymbolicTensor;
  const sum = L.add().apply([maxed, averaged, maxed]) as tfl.SymbolicTensor;
  const oracle = tfl.model({ inputs: input, outputs: sum });
  seedWeights(oracle, 9);
  const model = await loadLayersModel(await artifactsOf(oracle));
  const kinds = model.steps(1).map((s) => s.algorithm);
  assert.ok(kinds.includes('multiply wasm') && kinds.includes('add wasm'), kinds.join(', '));
  const plan = (model as unknown as { plan(batch: number, threads?: number): CompiledPlan }).plan(1, 2);
  assert.ok(plan.threaded, 'two threads: the plan runs in the worker pool memory');
  for (const batch of [1, 3]) {
    const x = randomInput([batch, 40, 36, 12], 20 + batch);
    const got = model.predict(x).data;
    const want = tfjsPredict(oracle, x)[0];
    assert.ok(relativeError(got, want) < 1e-5, `batch ${batch}: relative error ${relativeError(got, want)}`);
    // Two threads: the arena in the worker pool's memory, where the row kernels run too.
    assertSameValues(model.predict(x, { threads: 2 }).data, got, `batch ${batch}, two threads`);
  }
  model.dispose();
});

test("the clamp activations, the general ReLU and the hard sigmoid in wasm memory: applyPointwise's bits", () => {
  const ops: Pointwise[] = [
    { fn: 'relu' },
    { fn: 'relu6' },
    { fn: 'linear' },
    { fn: 'relu_general', max: null, slope: 0.3, threshold: 0 }, // LeakyReLU
    { fn: 'relu_general', max: 6, slope: 0.1, threshold: -0.5 },
    { fn: 'relu_general', max: 2.5, slope: 0, threshold: 1 / 3 },
    { fn: 'hard_sigmoid' },
  ];
  ops.forEach((op, o) => {
    for (const n of [1, 3, 4, 37, 1000]) {
      const x = values(n, n + 10 * o);
      for (let i = 0; i < n; i += 7) x[i] = 6 + (i % 3) - 1; // around the ReLU6 bound
      for (let i = 3; i < n; i += 11) x[i] = (i % 2 ? 1 : -1) * 2.5 + 1e-7; // around the hard sigmoid's ends
      const want = x.slice();
      applyPointwise(op, want, n);
      const got = inWasm([x], n, ([input], out) => assert.ok(pointwiseFast(op, input, out), 'ran in wasm'));
      // The clamps pass values through (NaN payloads too); the others compute, so any NaN is a NaN.
      const same =
        op.fn === 'relu' || op.fn === 'relu6' || op.fn === 'linear' ? assertSameBits : assertSameValues;
      same(got, want, `${JSON.stringify(op)}, ${n} values`);
      assert.equal(pointwiseFast(op, x, new Float32Array(n)), false, 'outside wasm memory: not run');
    }
  });
  assert.equal(pointwiseFast({ fn: 'sigmoid' }, new Float32Array(1), new Float32Array(1)), false);
});

test('the convolution epilogue with a LeakyReLU or hard sigmoid, in wasm memory: float32 bias add, then the row kernel', () => {
  for (const op of [
    { fn: 'relu_general', max: null, slope: 0.2, threshold: 0 },
    { fn: 'relu_general', max: 3, slope: 0.05, threshold: 0.25 },
    { fn: 'hard_sigmoid' },
  ] as Pointwise[]) {
    for (const c of [1, 4, 7]) {
      const pixels = 19;
      const out = values(pixels * c, c + 500);
      const bias = values(c, c + 600);
      // What the wasm path computes: each sum rounded to float32, then the activation on it.
      const want = out.map((v, i) => Math.fround(v + bias[i % c]));
      applyPointwise(op, want, c);
      const got = inWasm([bias], out.length, ([b], y) => {
        y.set(out);
        epilogueFast(y, b, null, op, c);
      });
      assertSameValues(got, want, `${JSON.stringify(op)}, ${c} channels`);
    }
    // With a residual the two paths round differently, which shows which one ran: kernels.ts adds
    // bias + residual in float64 (1 + (1e8 - 1e8) = 1), the wasm pass in float32 ((1 + 1e8) - 1e8 = 0).
    const got = inWasm([new Float32Array([1e8]), new Float32Array([-1e8])], 1, ([b, r], y) => {
      y[0] = 1;
      epilogueFast(y, b, r, op, 1);
    });
    const zero = new Float32Array([0]);
    applyPointwise(op, zero, 1);
    assertSameValues(got, zero, `${JSON.stringify(op)}: the float32 pass ran`);
  }
});

test("BatchNormalization / Rescaling in wasm memory: scaleShift's bits, 1-9 channels, tiny and huge values", () => {
  const rng = createRng(77);
  for (const c of [1, 2, 3, 5, 8, 9]) {
    const pixels = 23;
    const x = values(pixels * c, c);
    // Subnormals, values near the float32 limits and sums that cancel: where rounding twice would show.
    for (let i = 0; i < x.length; i += 5) x[i] = (rng.next() - 0.5) * (i % 2 ? 1e-39 : 3e38);
    const scale = Float32Array.from({ length: c }, () => (rng.next() - 0.5) * 4);
    const shift = Float32Array.from({ length: c }, (_, k) => (k % 2 ? -1 : 1) * rng.next() * 1e-3);
    scale[0] = 1 / 3;
    const want = scaleShift(x, scale, shift, new Float32Array(x.length));
    const packed = packAffine(scale, shift);
    const got = inWasm([x], x.length, ([input], out) => affineFast(input, packed, out));
    assertSameValues(got, want, `${c} channels`);
    assertSameValues(affineFast(x, packed, new Float32Array(x.length)), want, `${c} channels, outside`);
  }
});

test("a BatchNormalization after an Add, a ReLU layer and a Rescaling: wasm steps and tfjs-layers' values", async () => {
  await tf.setBackend('cpu');
  const input = tfl.input({ shape: [11, 10, 7] });
  const a = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
  const b = L.conv2d({ filters: 6, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
  let y = L.add().apply([a, b]) as tfl.SymbolicTensor;
  y = L.batchNormalization({}).apply(y) as tfl.SymbolicTensor;
  y = L.reLU({ maxValue: 6 }).apply(y) as tfl.SymbolicTensor;
  y = L.rescaling({ scale: 0.5, offset: -0.25 } as never).apply(y) as tfl.SymbolicTensor;
  y = L.activation({ activation: 'relu' }).apply(y) as tfl.SymbolicTensor;
  y = L.leakyReLU({ alpha: 0.2 }).apply(y) as tfl.SymbolicTensor;
  y = L.activation({ activation: 'hardSigmoid' }).apply(y) as tfl.SymbolicTensor;
  const oracle = tfl.model({ inputs: input, outputs: y });
  seedWeights(oracle, 13);
  const model = await loadLayersModel(await artifactsOf(oracle));
  const kinds = model.steps(1).map((s) => s.algorithm);
  for (const kind of ['batchnorm wasm', 'rescale wasm', 'pointwise wasm'])
    assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
  for (const batch of [1, 3]) {
    const x = randomInput([batch, 11, 10, 7], 40 + batch);
    const got = model.predict(x).data;
    const want = tfjsPredict(oracle, x)[0];
    assert.ok(relativeError(got, want) < 1e-5, `batch ${batch}: relative error ${relativeError(got, want)}`);
  }
  model.dispose();
});

test("models with Concatenate and ZeroPadding2D: wasm steps and tfjs-layers' values", async () => {
  await tf.setBackend('cpu');
  const input = tfl.input({ shape: [9, 8, 6] });
  const a = L.conv2d({ filters: 5, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
  const b = L.conv2d({ filters: 7, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
  const joined = L.concatenate({ axis: -1 }).apply([a, input, b]) as tfl.SymbolicTensor;
  // A padding that nothing folds into ('same' convolution after it), then rows joined on axis 1.
  const padded = L.zeroPadding2d({
    padding: [
      [1, 2],
      [0, 3],
    ],
  }).apply(joined) as tfl.SymbolicTensor;
  const conv = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(padded) as tfl.SymbolicTensor;
  const rows = L.concatenate({ axis: 1 }).apply([conv, conv]) as tfl.SymbolicTensor;
  const oracle = tfl.model({ inputs: input, outputs: rows });
  seedWeights(oracle, 5);
  const artifacts = await artifactsOf(oracle);
  const model = await loadLayersModel(artifacts);
  const kinds = model.steps(1).map((s) => s.algorithm);
  assert.equal(kinds.filter((k) => k === 'concat wasm').length, 2, kinds.join(', '));
  assert.equal(kinds.filter((k) => k === 'pad wasm').length, 1, kinds.join(', '));
  for (const batch of [1, 3]) {
    const x = randomInput([batch, 9, 8, 6], batch);
    const got = model.predict(x).data;
    const want = tfjsPredict(oracle, x)[0];
    assert.ok(relativeError(got, want) < 1e-5, `batch ${batch}: relative error ${relativeError(got, want)}`);
    // Two threads: the arena in the worker pool's memory, where the row kernels run too.
    assertSameValues(model.predict(x, { threads: 2 }).data, got, `batch ${batch}, two threads`);
  }
  model.dispose();
});
