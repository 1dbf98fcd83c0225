/**
 * Winograd writing its output in place: an NHWC output that lives in wasm memory (the model runtime's
 * arena) with no padded channels is written by the output transform where it lies, not through the
 * output band and a copy. The same bits as into a plain array, on one thread (the fast engine's heap)
 * and on two and three (the worker pool's heap, as a threaded plan's arena), for every tile size, the
 * 7x7 stride-2 stem through space-to-depth, partial edge tiles, batch 2, and channel counts with and
 * without padding to a multiple of 4 (those take the band); nothing around the output is written.
 * In place, the output transform also applies the model runtime's bias + clamp (OutputClamp) with the
 * same bits as the epilogue pass it replaces. An input in wasm memory with channels a multiple of 4 is
 * read where it lies (no rows copied in), with the same bits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, type ConvGeometry } from '../src/geometry.js';
import { conv2dWinogradTile, placeWinograd, winogradProblem } from '../src/algorithms/winograd.js';
import type { OutputClamp } from '../src/algorithms/igemm.js';
import { epilogue } from '../src/runtime/kernels.js';
import type { Pointwise } from '../src/runtime/layers.js';
import { winogradThreaded } from '../src/parallel/winograd_jobs.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { parallelEngine } from '../src/parallel/parallel_engine.js';
import type { WasmHeap } from '../src/kernels/wasm/heap.js';
import type { WinogradTile } from '../src/kernels/winograd_matrices.js';
import { seededUniform } from './helpers/layout.js';

const GUARD = 16;
const SENTINEL = 12345.5;

interface Case {
  input: number[];
  filter: number[];
  strides: [number, number];
  tile: WinogradTile;
}

const CASES: Case[] = [
  { input: [2, 13, 11, 8], filter: [3, 3, 8, 12], strides: [1, 1], tile: 2 },
  { input: [2, 13, 11, 8], filter: [3, 3, 8, 12], strides: [1, 1], tile: 4 },
  { input: [1, 14, 14, 16], filter: [3, 3, 16, 20], strides: [1, 1], tile: 5 },
  { input: [1, 17, 9, 4], filter: [3, 3, 4, 8], strides: [1, 1], tile: 6 },
  // Out channels not a multiple of 4: padded channels, so the band and its copy.
  { input: [2, 10, 10, 8], filter: [3, 3, 8, 6], strides: [1, 1], tile: 4 },
  // The 7x7 stride-2 stem, through space-to-depth.
  { input: [1, 30, 30, 3], filter: [7, 7, 3, 16], strides: [2, 2], tile: 4 },
];

/** Runs `compute` with an output pinned in `heap` between sentinels; returns it (checked untouched around). */
function inPinned(
  heap: WasmHeap,
  size: number,
  label: string,
  compute: (out: Float32Array) => void,
): Float32Array {
  const at = heap.pin((size + 2 * GUARD) * 4);
  try {
    const first = (at >> 2) + GUARD;
    heap.f32.fill(SENTINEL, at >> 2, first + size + GUARD);
    compute(heap.f32.subarray(first, first + size));
    const f32 = heap.f32; // the memory may have grown
    for (let i = 0; i < GUARD; i++) {
      assert.equal(f32[first - 1 - i], SENTINEL, `${label}: nothing written before the output`);
      assert.equal(f32[first + size + i], SENTINEL, `${label}: nothing written after the output`);
    }
    return f32.slice(first, first + size);
  } finally {
    heap.unpin(at);
  }
}

function sameBits(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Object.is(got[i], want[i]),
      `${label}: element ${i} is ${got[i]}, into a plain array ${want[i]}`,
    );
  }
}

test('winograd writes an output in wasm memory in place: the same bits, on one thread and on the pool', () => {
  const engine = wasmEngine();
  const pool = parallelEngine();
  assert.ok(engine && pool, 'the engine and the worker pool are available in Node');
  for (const c of CASES) {
    const g: ConvGeometry = convGeometry('conv2d', c.input, c.filter, {
      strides: c.strides,
      padding: 'SAME',
    });
    const x = seededUniform(
      c.input.reduce((a, b) => a * b, 1),
      1,
    );
    const w = seededUniform(
      c.filter.reduce((a, b) => a * b, 1),
      2,
    );
    const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
    const label = `${JSON.stringify(c.input)} x ${JSON.stringify(c.filter)} F(${c.tile})`;
    const want = conv2dWinogradTile(g, x, w, c.tile);
    const single = inPinned(engine.heap, size, label, (out) => {
      assert.equal(conv2dWinogradTile(g, x, w, c.tile, out), out, `${label}: returns the given output`);
    });
    sameBits(single, want, `${label}, one thread`);
    for (const threads of [2, 3]) {
      const threaded = inPinned(pool.heap, size, label, (out) => {
        const result = winogradThreaded(pool, winogradProblem(g, x, w), threads, c.tile, out);
        assert.equal(result, out, `${label}: ${threads} threads return the given output`);
      });
      sameBits(threaded, want, `${label}, ${threads} threads`);
    }
  }
});

test('the run writes in place exactly when the output is NHWC in the heap with no padded channels', () => {
  const heap = wasmEngine()!.heap;
  for (const [channels, inPlace] of [
    [12, true],
    [6, false],
  ] as const) {
    const g = convGeometry('conv2d', [1, 8, 8, 4], [3, 3, 4, channels], { padding: 'SAME' });
    const problem = winogradProblem(g, new Float32Array(256), new Float32Array(36 * channels));
    const at = heap.pin(8 * 8 * channels * 4);
    try {
      const run = placeWinograd(heap, problem.g, problem.filter, 4, undefined, { inputAt: -1, outputAt: at });
      assert.equal(run.outputAt, inPlace ? at : -1, `${channels} output channels`);
      assert.equal(placeWinograd(heap, problem.g, problem.filter, 4).outputAt, -1, 'no address: the band');
    } finally {
      heap.unpin(at);
    }
  }
});

/** The stages a model fuses: [activation, its bounds, with a bias]. */
const STAGES: [Pointwise | null, number, number, boolean][] = [
  [{ fn: 'relu6' }, 0, 6, true],
  [{ fn: 'relu' }, 0, Infinity, false],
  [null, -Infinity, Infinity, true],
];

test('in place, the output transform applies bias + clamp: the bits of the epilogue pass, on 1 to 3 threads', () => {
  const engine = wasmEngine()!;
  const pool = parallelEngine()!;
  for (const c of CASES) {
    const g = convGeometry('conv2d', c.input, c.filter, { strides: c.strides, padding: 'SAME' });
    const x = seededUniform(
      c.input.reduce((a, b) => a * b, 1),
      3,
    );
    const w = seededUniform(
      c.filter.reduce((a, b) => a * b, 1),
      4,
    );
    const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
    const inPlace = g.outChannels % 4 === 0;
    for (const [act, lo, hi, withBias] of STAGES) {
      const bias = withBias ? seededUniform(g.outChannels, 5) : null;
      const label = `${JSON.stringify(c.input)} x ${JSON.stringify(c.filter)} F(${c.tile}) ${act?.fn ?? 'linear'}`;
      const want = conv2dWinogradTile(g, x, w, c.tile);
      epilogue(want, bias, null, act, g.outChannels);
      const runs: [string, WasmHeap, (out: Float32Array, clamp: OutputClamp) => void][] = [
        ['one thread', engine.heap, (out, clamp) => conv2dWinogradTile(g, x, w, c.tile, out, clamp)],
        ...[2, 3].map(
          (threads) =>
            [
              `${threads} threads`,
              pool.heap,
              (out: Float32Array, clamp: OutputClamp) =>
                winogradThreaded(pool, winogradProblem(g, x, w), threads, c.tile, out, clamp),
            ] as [string, WasmHeap, (out: Float32Array, clamp: OutputClamp) => void],
        ),
      ];
      for (const [where, heap, compute] of runs) {
        const clamp: OutputClamp = { bias, residual: null, lo, hi, applied: false };
        const got = inPinned(heap, size, label, (out) => compute(out, clamp));
        assert.equal(clamp.applied, inPlace, `${label}, ${where}: applied exactly when written in place`);
        if (!clamp.applied) epilogue(got, bias, null, act, g.outChannels);
        sameBits(got, want, `${label}, ${where}`);
      }
    }
  }
});

test('the fused stage is left to the caller for a residual, an output outside wasm memory, or non-finite values', () => {
  const g = convGeometry('conv2d', [1, 12, 12, 8], [3, 3, 8, 8], { padding: 'SAME' });
  const x = seededUniform(12 * 12 * 8, 6);
  const w = seededUniform(9 * 64, 7);
  const size = 12 * 12 * 8;
  const heap = wasmEngine()!.heap;
  const residual = seededUniform(size, 8);
  const withResidual: OutputClamp = { bias: null, residual, lo: 0, hi: 6, applied: false };
  const plain = conv2dWinogradTile(g, x, w, 4);
  sameBits(
    inPinned(heap, size, 'residual', (out) => conv2dWinogradTile(g, x, w, 4, out, withResidual)),
    plain,
    'a residual: the plain output, unclamped',
  );
  assert.equal(withResidual.applied, false, 'a residual stays with the epilogue pass');
  const outside: OutputClamp = { bias: null, residual: null, lo: 0, hi: 6, applied: false };
  sameBits(conv2dWinogradTile(g, x, w, 4, new Float32Array(size), outside), plain, 'outside wasm memory');
  assert.equal(outside.applied, false, 'an output outside wasm memory is not clamped by the kernel');
  // An infinity: Winograd reports it and igemm recomputes (unclamped: the caller's epilogue clamps).
  const xInf = x.slice();
  xInf[100] = Infinity;
  const clamp: OutputClamp = { bias: null, residual: null, lo: 0, hi: 6, applied: false };
  const got = inPinned(heap, size, 'infinity', (out) => conv2dWinogradTile(g, xInf, w, 4, out, clamp));
  assert.equal(clamp.applied, false, 'after the igemm fallback the caller clamps');
  assert.ok(
    got.some((v) => v === Infinity || v === -Infinity),
    'the infinity is not clamped away',
  );
});

test('winograd reads an input in wasm memory in place: the same bits, on one thread and on the pool', () => {
  const engine = wasmEngine()!;
  const pool = parallelEngine()!;
  // In place exactly for stride 1 with channels a multiple of 4 (the stem's space-to-depth and 6
  // channels, padded to 8, copy rows into the band).
  const cases: [Case, boolean][] = [
    [CASES[0], true],
    [CASES[2], true],
    [{ input: [2, 9, 12, 6], filter: [3, 3, 6, 8], strides: [1, 1], tile: 4 }, false],
    [CASES[5], false],
  ];
  for (const [c, inPlace] of cases) {
    const g = convGeometry('conv2d', c.input, c.filter, { strides: c.strides, padding: 'SAME' });
    const inputSize = c.input.reduce((a, b) => a * b, 1);
    const x = seededUniform(inputSize, 9);
    const w = seededUniform(
      c.filter.reduce((a, b) => a * b, 1),
      10,
    );
    const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
    const label = `${JSON.stringify(c.input)} x ${JSON.stringify(c.filter)} F(${c.tile})`;
    const want = conv2dWinogradTile(g, x, w, c.tile);
    const runs: [string, WasmHeap, (input: Float32Array, out: Float32Array) => void][] = [
      ['one thread', engine.heap, (input, out) => conv2dWinogradTile(g, input, w, c.tile, out)],
      [
        '2 threads',
        pool.heap,
        (input, out) => winogradThreaded(pool, winogradProblem(g, input, w), 2, c.tile, out),
      ],
    ];
    for (const [where, heap, compute] of runs) {
      const at = heap.pin(inputSize * 4);
      try {
        heap.f32.set(x, at >> 2);
        const input = heap.f32.subarray(at >> 2, (at >> 2) + inputSize);
        const problem = winogradProblem(g, input, w);
        const run = placeWinograd(heap, problem.g, problem.filter, c.tile, undefined, {
          inputAt: problem.input ? heap.addressOf(problem.input) : -1,
          outputAt: -1,
        });
        assert.equal(run.inputAt >= 0, inPlace, `${label}: read in place`);
        const got = inPinned(heap, size, label, (out) =>
          compute(heap.f32.subarray(at >> 2, (at >> 2) + inputSize), out),
        );
        sameBits(got, want, `${label}, ${where}`);
        sameBits(
          heap.f32.slice(at >> 2, (at >> 2) + inputSize),
          x,
          `${label}, ${where}: the input is unchanged`,
        );
      } finally {
        heap.unpin(at);
      }
    }
  }
});
