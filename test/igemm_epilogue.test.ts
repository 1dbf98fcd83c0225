/**
 * igemm's output stage fused into the kernel (f32_igemm_4x8_epilogue): conv2dIgemm with an OutputClamp
 * (bias, residual, clamp bounds) must give the same bits as conv2dIgemm alone followed by the
 * separate WebAssembly epilogue pass (f32_bias_clamp through epilogueFast), which the runtime ran before. Operands live
 * in pinned wasm memory, as the model runtime's arena does, so the kernel can read the residual in
 * place; the geometries reach each way the kernel stores tiles (4x8, 4x4 last panels, tail rows, the
 * few-rows GEMM) and each way the host runs a band (output in place, copied out, in chunks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { convGeometry, type ConvGeometry } from '../src/geometry.js';
import { conv2dIgemm, type OutputClamp } from '../src/algorithms/igemm.js';
import { epilogueFast } from '../src/runtime/wasm_epilogue.js';
import type { Pointwise } from '../src/runtime/layers.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { parallelEngine } from '../src/parallel/parallel_engine.js';
import { conv2dIgemmThreaded } from '../src/parallel/conv2d_threaded.js';
import { createRng } from '../src/layers/random.js';

const engine = wasmEngine();

interface Case {
  input: number[];
  filter: number[];
  strides?: [number, number];
  dilations?: [number, number];
  padding: 'SAME' | 'VALID';
}

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue;
    assert.fail(`${what}: element ${i} is ${a[i]}, the unfused reference ${b[i]}`);
  }
}

/**
 * Runs one case fused (operands pinned in wasm memory) and unfused; returns whether the kernel
 * applied the stage itself.
 */
function check(
  c: Case,
  seed: number,
  withBias: boolean,
  withResidual: boolean,
  lo: number,
  hi: number,
  outputOutside = false,
  threads = 1,
): boolean {
  // On several threads the operands are in the worker pool's memory, as a threaded plan's arena.
  const heap = threads > 1 ? parallelEngine()!.heap : engine!.heap;
  const g: ConvGeometry = convGeometry('conv2d', c.input, c.filter, {
    strides: c.strides,
    dilations: c.dilations,
    padding: c.padding,
  });
  const rng = createRng(seed);
  const value = () =>
    rng.next() < 0.01 ? [NaN, Infinity, -Infinity][Math.floor(rng.next() * 3)] : 4 * rng.next() - 2;
  const inSize = c.input.reduce((a, b) => a * b, 1);
  const outSize = g.outputShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: inSize }, value);
  const w = Float32Array.from({ length: c.filter.reduce((a, b) => a * b, 1) }, () => 2 * rng.next() - 1);
  const bias = withBias ? Float32Array.from({ length: g.outChannels }, () => 2 * rng.next() - 1) : null;
  const residual = withResidual ? Float32Array.from({ length: outSize }, value) : null;

  const act: Pointwise | null = lo === 0 && hi === 6 ? { fn: 'relu6' } : lo === 0 ? { fn: 'relu' } : null;
  const want = conv2dIgemm(g, x, w);
  epilogueFast(want, bias, residual, act, g.outChannels);

  // Input, output and residual in one pinned region, as the model runtime's arena holds them.
  const at = heap.pin((inSize + 2 * outSize + 48) * 4);
  const inAt = at >> 2;
  const outAt = inAt + inSize + 16;
  const resAt = outAt + outSize + 16;
  try {
    heap.f32.set(x, inAt);
    if (residual) heap.f32.set(residual, resAt);
    const f32 = heap.f32;
    const clamp: OutputClamp = {
      bias,
      residual: residual ? f32.subarray(resAt, resAt + outSize) : null,
      lo,
      hi,
    };
    // Outside wasm memory the output is computed through the kernel's bands (or chunks) and copied out.
    const outside = outputOutside ? new Float32Array(outSize) : null;
    const out = outside ?? f32.subarray(outAt, outAt + outSize);
    const input = f32.subarray(inAt, inAt + inSize);
    const result =
      threads > 1
        ? conv2dIgemmThreaded(g, input, w, threads, out, clamp)
        : conv2dIgemm(g, input, w, out, clamp);
    assert.ok(result === out, 'written into the given output');
    const got = outside ?? heap.f32.slice(outAt, outAt + outSize);
    if (!clamp.applied) epilogueFast(got, bias, residual, act, g.outChannels);
    sameBits(got, want, `${JSON.stringify(c)} bias ${withBias} residual ${withResidual} [${lo}, ${hi}]`);
    return clamp.applied === true;
  } finally {
    heap.unpin(at);
  }
}

test('the kernel module exports f32_igemm_4x8_epilogue', () => {
  const kernels = engine?.kernels as unknown as Record<string, unknown> | undefined;
  assert.equal(typeof kernels?.f32_igemm_4x8_epilogue, 'function', 'exported');
});

test('fused bias + residual + clamp = igemm then the epilogue, bit for bit, on the paths that matter', () => {
  const cases: Case[] = [
    // 1x1 stride 1: input and output in place; 56 channels: a 4x4 last panel.
    { input: [1, 9, 7, 24], filter: [1, 1, 24, 56], padding: 'VALID' },
    // 3x3 SAME: the input is copied (padding), the output written in place; 5 rows mod 4 = 1 tail row.
    { input: [2, 5, 5, 12], filter: [3, 3, 12, 20], padding: 'SAME' },
    // Few rows (m <= 12): panels two at a time (2x16, 1x16 tiles), an odd last panel.
    { input: [1, 3, 3, 16], filter: [1, 1, 16, 36], padding: 'VALID' },
    // Large output with small weights: in place when the output is in wasm memory (from its last rows
    // up, in pieces), else in chunks.
    { input: [1, 64, 64, 8], filter: [1, 1, 8, 32], padding: 'VALID' },
    // Two images of two bands each, every band in pieces, written upward when in place.
    { input: [2, 96, 96, 32], filter: [1, 1, 32, 128], padding: 'VALID' },
    // Stride 2 with a 3-row tail.
    { input: [1, 9, 13, 8], filter: [3, 3, 8, 12], strides: [2, 2], padding: 'SAME' },
    // Unpadded and strided (a ResNet shortcut), and 'valid' 3x3 stride 2 with unread right columns:
    // the input is read in place through a table over its own rows.
    { input: [2, 9, 8, 16], filter: [1, 1, 16, 24], strides: [2, 2], padding: 'VALID' },
    { input: [1, 10, 12, 8], filter: [3, 3, 8, 16], strides: [2, 2], padding: 'VALID' },
    // Channels not a multiple of 4: the kernel cannot fuse; the band stage or the caller does it.
    { input: [1, 6, 6, 5], filter: [3, 3, 5, 10], padding: 'SAME' },
  ];
  let fused = 0;
  let seed = 1;
  for (const c of cases) {
    for (const [withBias, withResidual] of [
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ]) {
      for (const [lo, hi] of [
        [0, 6],
        [0, Infinity],
        [-Infinity, Infinity],
      ]) {
        if (check(c, seed++, withBias, withResidual, lo, hi)) fused++;
        if (check(c, seed++, withBias, withResidual, lo, hi, true)) fused++;
      }
    }
  }
  assert.ok(fused >= 8 * 24, `the kernel applied the stage in ${fused} of ${cases.length * 24} runs`);
});

test('fused output stage on random geometries (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 12 }).map((k) => 4 * k),
      fc.constantFrom(1, 3),
      fc.constantFrom(1, 2),
      fc.constantFrom<'SAME' | 'VALID'>('SAME', 'VALID'),
      fc.boolean(),
      fc.integer({ min: 1, max: 1 << 20 }),
      fc.constantFrom<[number, number]>([1, 1], [2, 1], [1, 2]),
      (batch, h, w, cin, cout, k, s, padding, withBias, seed, dilations) => {
        const reach = (k - 1) * Math.max(...dilations) + 1;
        if (padding === 'VALID' && (h < reach || w < reach)) return;
        // Dilations with strides: TensorFlow allows one or the other above 1.
        const strides: [number, number] = dilations[0] * dilations[1] > 1 ? [1, 1] : [s, s];
        check(
          { input: [batch, h, w, cin], filter: [k, k, cin, cout], strides, dilations, padding },
          seed,
          withBias,
          true,
          0,
          6,
        );
      },
    ),
    { numRuns: 100 },
  );
});

test('threaded igemm on an output in the pool heap: written in place with the stage, same bits as one thread', () => {
  assert.ok(parallelEngine() !== null, 'the worker pool is available in Node');
  const cases: Case[] = [
    // Several bands (output past the 4 MiB band budget), input read in place.
    { input: [1, 96, 96, 32], filter: [1, 1, 32, 128], padding: 'VALID' },
    // Input copied (padding), two images.
    { input: [2, 11, 9, 12], filter: [3, 3, 12, 20], padding: 'SAME' },
    // Strided 1x1 and 'valid' 3x3: the input read in place by every thread.
    { input: [2, 28, 28, 32], filter: [1, 1, 32, 64], strides: [2, 2], padding: 'VALID' },
    { input: [1, 21, 23, 8], filter: [3, 3, 8, 16], strides: [2, 2], padding: 'VALID' },
    // One row (a Dense layer at batch 1): the threads split the columns, each call its own bias.
    { input: [1, 1, 1, 640], filter: [1, 1, 640, 200], padding: 'VALID' },
  ];
  let seed = 100;
  for (const c of cases) {
    assert.ok(
      check(c, seed++, true, true, 0, 6, false, 2),
      `the threads applied the stage: ${JSON.stringify(c)}`,
    );
  }
});
