/**
 * igemm's replay (src/algorithms/igemm_replay.ts): a model step that runs the same convolution on data
 * in place in wasm memory keeps its kernel calls and runs them again while nothing they name has moved.
 * Checked: a replayed call gives the bits of a call planned afresh, on new input values; it plans no
 * scratch (the sign that it replayed); and whatever moves between calls (the memory grows, the weight
 * arena is emptied, the output or residual is elsewhere, the bias is another array, the filter's values
 * change) makes the next call plan again and still give the right bits. Also two models predicting in
 * turn, each replaying while the other overwrites the scratch area.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { convGeometry } from '../src/geometry.js';
import { conv2dIgemm, type OutputClamp } from '../src/algorithms/igemm.js';
import { epilogueFast } from '../src/runtime/wasm_epilogue.js';
import type { Pointwise } from '../src/runtime/layers.js';
import type { IgemmReplay } from '../src/algorithms/igemm_replay.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { loadLayersModel } from '../src/runtime/index.js';
import { Tensor } from '../src/tensor.js';
import { assertSameBits } from './helpers/threads.js';
import { growThenEmptyArena } from './helpers/replay.js';
import { seededUniform } from './helpers/layout.js';
import { artifactsOf, seedWeights } from './helpers/tfjs_models.js';

const engine = wasmEngine();
assert.ok(engine, 'WebAssembly SIMD engine');
const { heap } = engine;

// A 1x1 convolution (read in place) with bias, residual and ReLU6, as a model's projection layer.
const g = convGeometry('conv2d', [1, 9, 7, 12], [1, 1, 12, 16], { padding: 'VALID' });
const inSize = 9 * 7 * 12;
const outSize = 9 * 7 * 16;
const filter = seededUniform(12 * 16, 1);

/** Input, output and residual in one pinned region; views re-made after the memory grows. */
function operands() {
  const at = heap.pin((inSize + 2 * outSize + 48) * 4);
  const views = () => ({
    x: new Float32Array(heap.memory.buffer, at, inSize),
    y: new Float32Array(heap.memory.buffer, at + (inSize + 16) * 4, outSize),
    r: new Float32Array(heap.memory.buffer, at + (inSize + outSize + 32) * 4, outSize),
  });
  return { at, views };
}

/** The same call without the fused stage (input, output and residual outside wasm memory), then the epilogue pass. */
function fresh(x: Float32Array, r: Float32Array, clamp: OutputClamp, w = filter): Float32Array {
  const want = conv2dIgemm(g, x.slice(), w);
  const act: Pointwise = { fn: 'relu_general', max: clamp.hi, slope: 0, threshold: 0 };
  epilogueFast(want, clamp.bias, r.slice(), act, g.outChannels);
  return want;
}

test('a replayed call gives the bits of a planned one, on new values, and plans no scratch', () => {
  const { at, views } = operands();
  try {
    const bias = seededUniform(16, 2);
    const replay: IgemmReplay = {};
    for (let round = 0; round < 4; round++) {
      const { x, y, r } = views();
      x.set(seededUniform(inSize, 10 + round));
      r.set(seededUniform(outSize, 20 + round));
      const clamp: OutputClamp = { bias, residual: r, lo: 0, hi: 6 };
      heap.takeScratchPeak();
      conv2dIgemm(g, x, filter, y, clamp, replay);
      const scratch = heap.takeScratchPeak();
      assert.ok(clamp.applied, `round ${round}: the clamp was applied`);
      assert.ok(replay.recorded, `round ${round}: the calls were recorded`);
      if (round === 0) assert.ok(scratch > 0, 'the first call planned its scratch');
      else assert.equal(scratch, 0, `round ${round}: a replay asks for no scratch`);
      assertSameBits(y, fresh(x, r, clamp), `round ${round}`);
    }
  } finally {
    heap.unpin(at);
  }
});

test('whatever moves between calls makes the next one plan again, with the right bits', () => {
  const first = operands();
  const second = operands();
  try {
    const bias = seededUniform(16, 3);
    const replay: IgemmReplay = {};
    let round = 0;
    /** One call on `ops`; returns whether it replayed (asked for no scratch). */
    const call = (ops: ReturnType<typeof operands>, clamp: Omit<OutputClamp, 'residual'>, w = filter) => {
      const { x, y, r } = ops.views();
      x.set(seededUniform(inSize, 100 + round));
      r.set(seededUniform(outSize, 200 + round));
      round++;
      const c: OutputClamp = { ...clamp, residual: r };
      heap.takeScratchPeak();
      conv2dIgemm(g, x, w, y, c, replay);
      const replayed = heap.takeScratchPeak() === 0;
      assertSameBits(y, fresh(x, r, c, w), `call ${round}`);
      return replayed;
    };
    const clamp = { bias, lo: 0, hi: 6 };
    assert.equal(call(first, clamp), false, 'first call: plans');
    assert.equal(call(first, clamp), true, 'same data: replays');
    growThenEmptyArena(heap, () => call(first, clamp));
    assert.equal(call(second, clamp), false, 'output and residual elsewhere: plans');
    assert.equal(call(second, { ...clamp, bias: bias.slice() }), false, 'another bias array: plans');
    assert.equal(call(second, { ...clamp, hi: 4 }), false, 'other bounds: plans');
    // New filter values (a user's array written in place) get a new packed form.
    const w = filter.slice();
    assert.equal(call(second, clamp, w), false, 'another filter: plans');
    assert.equal(call(second, clamp, w), true, 'then replays');
    w[5] += 1;
    assert.equal(call(second, clamp, w), false, 'the filter written in place: plans');
  } finally {
    heap.unpin(first.at);
    heap.unpin(second.at);
  }
});

test("two models predicting in turn keep their bits while each replays over the other's scratch", async () => {
  await tf.setBackend('cpu');
  const build = (filters: number, seed: number) => {
    const input = tfl.input({ shape: [12, 10, 8] });
    const a = tfl.layers
      .conv2d({ filters, kernelSize: 1, activation: 'relu' })
      .apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.conv2d({ filters: 8, kernelSize: 1 }).apply(a) as tfl.SymbolicTensor;
    const sum = tfl.layers.add().apply([b, input]) as tfl.SymbolicTensor;
    const out = tfl.layers.reLU({ maxValue: 6 }).apply(sum) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: out });
    seedWeights(m, seed);
    return m;
  };
  const models = await Promise.all(
    [build(24, 1), build(40, 2)].map(async (m) => loadLayersModel(await artifactsOf(m))),
  );
  const x = new Tensor(seededUniform(12 * 10 * 8, 5), [1, 12, 10, 8]);
  const firsts = models.map((m) => m.predict(x, { threads: 1 }).data.slice());
  for (let round = 0; round < 3; round++) {
    models.forEach((m, i) =>
      assertSameBits(m.predict(x, { threads: 1 }).data, firsts[i], `model ${i}, round ${round}`),
    );
  }
  for (const m of models) m.dispose();
});
