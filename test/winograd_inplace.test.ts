/**
 * Winograd writing its output in place: an NHWC output that lives in wasm memory (the model runtime's
 * arena) with no padded channels is written by the output transform where it lies, not through the
 * output band and a copy. The same bits as into a plain array, on one thread (the fast engine's heap)
 * and on two and three (the worker pool's heap, as a threaded plan's arena), for every tile size, the
 * 7x7 stride-2 stem through space-to-depth, partial edge tiles, batch 2, and channel counts with and
 * without padding to a multiple of 4 (those take the band); nothing around the output is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, type ConvGeometry } from '../src/geometry.js';
import { conv2dWinogradTile, placeWinograd, winogradProblem } from '../src/algorithms/winograd.js';
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
      const run = placeWinograd(heap, problem.g, problem.filter, 4, undefined, at);
      assert.equal(run.outputAt, inPlace ? at : -1, `${channels} output channels`);
      assert.equal(placeWinograd(heap, problem.g, problem.filter, 4).outputAt, -1, 'no address: the band');
    } finally {
      heap.unpin(at);
    }
  }
});
