/**
 * The convolution epilogue: WebAssembly SIMD (f32_bias_clamp) against the TypeScript reference, on
 * random sizes (channel counts that are and are not multiples of 4), with and without bias and
 * residual, every clamp activation, and NaN / infinite values kept as TensorFlow keeps them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { epilogue } from '../src/runtime/kernels.js';
import type { Pointwise } from '../src/runtime/layers.js';
import { clampOf, epilogueFast } from '../src/runtime/wasm_epilogue.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';

const ACTS: (Pointwise | null)[] = [
  null,
  { fn: 'linear' },
  { fn: 'relu' },
  { fn: 'relu6' },
  { fn: 'relu_general', max: 2.5, slope: 0, threshold: 0 },
  { fn: 'relu_general', max: null, slope: 0.1, threshold: 0 },
  { fn: 'sigmoid' },
];

test('the WebAssembly epilogue kernel is loaded', () => {
  const kernels = wasmEngine()?.kernels as unknown as Record<string, unknown> | undefined;
  assert.equal(typeof kernels?.f32_bias_clamp, 'function', 'f32_bias_clamp is exported by the kernel module');
  assert.deepEqual(clampOf({ fn: 'relu6' }), [0, 6], 'relu6 is a clamp');
  assert.equal(clampOf({ fn: 'sigmoid' }), null, 'sigmoid is not');
});

test('epilogueFast = epilogue (within one float32 rounding per add) on random cases', () => {
  const value = fc.oneof(
    { weight: 20, arbitrary: fc.float({ min: -20, max: 20, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 13 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: ACTS.length - 1 }),
      fc.array(value, { minLength: 9 * 13 * 2, maxLength: 9 * 13 * 2 }),
      (pixels, c, withBias, withResidual, a, values) => {
        const n = pixels * c;
        const out = Float32Array.from(values.slice(0, n));
        const residual = withResidual ? Float32Array.from(values.slice(n, 2 * n)) : null;
        const bias = withBias ? Float32Array.from({ length: c }, (_, k) => (k % 3) - 1.25) : null;
        const want = out.slice();
        epilogue(want, bias, residual, ACTS[a], c);
        epilogueFast(out, bias, residual, ACTS[a], c);
        for (let i = 0; i < n; i++) {
          const same =
            Object.is(want[i], out[i]) || Math.abs(want[i] - out[i]) <= 1e-5 * Math.max(1, Math.abs(want[i]));
          assert.ok(
            same || (Number.isNaN(want[i]) && Number.isNaN(out[i])),
            `element ${i}: ${out[i]} vs ${want[i]}`,
          );
        }
      },
    ),
    { numRuns: 300, seed: 5 },
  );
});

test('a clamp keeps -0 as -0 (x < lo ? lo : x), in the vector and the scalar paths alike', () => {
  // pmax / pmin, not f32x4.max / min: those would turn max(-0, 0) into +0 where the reference keeps -0.
  for (const act of [{ fn: 'relu' }, { fn: 'relu6' }] as Pointwise[]) {
    for (const c of [8, 3]) {
      for (const withBias of [false, true]) {
        const out = new Float32Array(4 * c).fill(-0);
        const bias = withBias ? new Float32Array(c).fill(-0) : null;
        const want = out.slice();
        epilogue(want, bias, null, act, c);
        epilogueFast(out, bias, null, act, c);
        for (let i = 0; i < out.length; i++) {
          assert.ok(Object.is(want[i], -0), `reference keeps -0 (${act.fn}, c ${c})`);
          assert.ok(Object.is(out[i], -0), `element ${i}: ${out[i]} (${act.fn}, c ${c}, bias ${withBias})`);
        }
      }
    }
  }
});
