/**
 * The in-place depthwise call's replay (src/algorithms/depthwise_replay.ts): a model step keeps the
 * kernel's argument lists in its DwconvFilterCache and runs them again while nothing they name has
 * moved. Checked: a replayed call gives the bits of the banded path plus the clamp, on new input values;
 * it asks for no scratch (the sign that it replayed); and whatever moves between calls (the memory
 * grows, the weight arena is emptied and overwritten, the output is elsewhere, the bias is another
 * array, the bounds change, the zero row is pinned again) makes the next call plan again, with the
 * right bits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { depthwiseGeometry } from '../src/geometry.js';
import {
  depthwiseConv2dWasm,
  type DwconvFilterCache,
  type DwconvOutputClamp,
} from '../src/algorithms/depthwise_wasm.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { seededUniform } from './helpers/layout.js';
import { assertSameBits } from './helpers/threads.js';
import { growThenEmptyArena } from './helpers/replay.js';

const engine = wasmEngine();
assert.ok(engine, 'WebAssembly SIMD engine');
const { heap } = engine;

// MobileNet's depthwise layer in small: 3x3, stride 2, SAME, 12 channels.
const g = depthwiseGeometry('depthwiseConv2d', [1, 11, 9, 12], [3, 3, 12, 1], {
  strides: [2, 2],
  padding: 'SAME',
});
const inSize = 11 * 9 * 12;
const outSize = g.outHeight * g.outWidth * 12;
const filter = seededUniform(9 * 12, 1);

function operands() {
  const at = heap.pin((inSize + outSize + 32) * 4);
  const views = () => ({
    x: new Float32Array(heap.memory.buffer, at, inSize),
    y: new Float32Array(heap.memory.buffer, at + (inSize + 16) * 4, outSize),
  });
  return { at, views };
}

/** The banded path (input and output outside wasm memory), then the clamp as the kernel applies it. */
function expected(x: Float32Array, clamp: DwconvOutputClamp): Float32Array {
  const y = depthwiseConv2dWasm(g, x.slice(), filter);
  for (let i = 0; i < y.length; i++) {
    const v = Math.fround(y[i] + (clamp.bias ? clamp.bias[i % 12] : 0));
    y[i] = v < clamp.lo ? clamp.lo : v > clamp.hi ? clamp.hi : v;
  }
  return y;
}

test('a replayed depthwise call gives the planned bits on new values, and whatever moves makes it plan again', () => {
  const first = operands();
  const second = operands();
  const holes: number[] = [];
  try {
    const cache: DwconvFilterCache = {};
    const bias = seededUniform(12, 2);
    let round = 0;
    /** One call; returns whether it replayed (asked for no scratch). */
    const call = (ops: ReturnType<typeof operands>, clamp: DwconvOutputClamp) => {
      const { x, y } = ops.views();
      x.set(seededUniform(inSize, 100 + round++));
      const c = { ...clamp };
      heap.takeScratchPeak();
      depthwiseConv2dWasm(g, x, filter, y, c, cache);
      const replayed = heap.takeScratchPeak() === 0;
      assert.ok(c.applied, `call ${round}: the clamp was applied`);
      assertSameBits(y, expected(x, c), `call ${round}`);
      return replayed;
    };
    const clamp: DwconvOutputClamp = { bias, lo: 0, hi: 6 };
    assert.equal(call(first, clamp), false, 'first call: plans');
    assert.equal(call(first, clamp), true, 'same data: replays');
    assert.equal(call(first, clamp), true, 'and again');
    growThenEmptyArena(heap, () => call(first, clamp));
    assert.equal(call(second, clamp), false, 'input and output elsewhere: plans');
    assert.equal(call(second, { ...clamp, bias: bias.slice() }), false, 'another bias array: plans');
    assert.equal(call(second, { bias: null, lo: -Infinity, hi: Infinity }), false, 'no clamp: plans');
    assert.equal(call(second, { bias: null, lo: -Infinity, hi: Infinity }), true, 'then replays');
    // A wider image pins a larger zero row (elsewhere) for its padding rows: into a free region made
    // for it first, so that the weight arena stays as it is.
    const none: DwconvOutputClamp = { bias: null, lo: -Infinity, hi: Infinity };
    const wide = depthwiseGeometry('depthwiseConv2d', [1, 3, 700, 32], [3, 3, 32, 1], { padding: 'SAME' });
    const wideAt = heap.pin(2 * 3 * 700 * 32 * 4 + 64);
    holes.push(wideAt);
    heap.unpin(heap.pin(1 << 20));
    assert.equal(call(second, none), false, 'after a pin that emptied the arena: plans');
    const wx = new Float32Array(heap.memory.buffer, wideAt, 3 * 700 * 32);
    const wy = new Float32Array(heap.memory.buffer, wideAt + 3 * 700 * 32 * 4 + 64, 3 * 700 * 32);
    depthwiseConv2dWasm(wide, wx, seededUniform(9 * 32, 3), wy);
    // The old zero row's region, free now, is pinned again and written: a replay would read it.
    const hole = heap.pin(64 << 10);
    new Float32Array(heap.memory.buffer, hole, 16 << 10).fill(7);
    holes.push(hole);
    assert.equal(call(second, none), false, 'a new zero row: plans');
  } finally {
    heap.unpin(first.at);
    heap.unpin(second.at);
    for (const h of holes) heap.unpin(h);
  }
});
