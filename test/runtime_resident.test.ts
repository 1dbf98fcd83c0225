/**
 * The model runtime's activation arena in WebAssembly memory (src/runtime/resident.ts, WasmHeap.pin):
 * kernels read and write activations in place (igemm's 1x1 input and output, the depthwise kernel's
 * input and output with its padding and epilogue, the residual epilogue; depthwise layers of every
 * padding kind, strides 1 and 2, 3x3 and other filters, odd channels and batch 3 against tfjs-layers and the unfused
 * plan, within a few tables of scratch; Winograd's input and output with bias + ReLU6 in its output transform), the results still agree with tfjs-layers when the memory
 * grows under a running step (views detached and re-derived), outputs are never views of wasm memory,
 * and pinned regions, freed regions and resident weights never overlap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadLayersModel } from '../src/runtime/index.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { WasmHeap } from '../src/kernels/wasm/heap.js';
import { existingParallelEngine, parallelEngine } from '../src/parallel/parallel_engine.js';
import type { CompiledPlan } from '../src/runtime/executor.js';
import { artifactsOf, randomInput, relativeError, seedWeights, tfjsPredict } from './helpers/tfjs_models.js';

type Sym = tfl.SymbolicTensor;

/** An inverted residual block as MobileNetV2 has them, then a stride-2 depthwise on odd channels. */
function block(channels: number): tfl.LayersModel {
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  const input = tfl.input({ shape: [10, 10, channels] });
  let y = ap(L.conv2d({ filters: 4 * channels, kernelSize: 1, useBias: false }), input);
  y = ap(L.reLU({ maxValue: 6 }), ap(L.batchNormalization({}), y));
  y = ap(L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }), y);
  y = ap(L.reLU({ maxValue: 6 }), ap(L.batchNormalization({}), y));
  y = ap(L.batchNormalization({}), ap(L.conv2d({ filters: channels, kernelSize: 1, useBias: false }), y));
  y = ap(L.add(), [input, y]);
  y = ap(L.conv2d({ filters: 6, kernelSize: 1, activation: 'relu' }), y);
  y = ap(
    L.zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
    }),
    y,
  );
  y = ap(L.depthwiseConv2d({ kernelSize: 3, strides: 2, activation: 'relu6' }), y);
  y = ap(L.dense({ units: 5 }), ap(L.flatten({}), y));
  return tfl.model({ inputs: input, outputs: y });
}

test('activations in wasm memory: agrees with tfjs-layers, batch 1 and 3, 8 and 6 channels', async () => {
  await tf.setBackend('cpu');
  for (const channels of [8, 6]) {
    const oracle = block(channels);
    seedWeights(oracle, channels);
    const model = await loadLayersModel(await artifactsOf(oracle));
    for (const batch of [1, 3]) {
      const x = randomInput([batch, 10, 10, channels], batch);
      const want = tfjsPredict(oracle, x)[0];
      for (let run = 0; run < 2; run++) {
        const got = model.predict(x, { threads: 1 }).data;
        assert.ok(relativeError(got, want) < 1e-5, `${channels} channels, batch ${batch}, run ${run}`);
      }
    }
    model.dispose();
    oracle.dispose();
  }
});

test('memory that grows under a running step (detaching every view) still gives the right output', async () => {
  await tf.setBackend('cpu');
  const heap = wasmEngine()?.heap;
  assert.ok(heap, 'the WebAssembly engine runs here');
  const oracle = block(8);
  seedWeights(oracle, 3);
  const model = await loadLayersModel(await artifactsOf(oracle), { warmup: false });
  const x = randomInput([2, 10, 10, 8], 7);
  const want = tfjsPredict(oracle, x)[0];
  // Each step grows the memory once before it runs, as a kernel placing scratch or weights would.
  const steps = model.steps(2, 1);
  const grown = new Set<number>();
  steps.forEach((step, k) => {
    const run = step.run.bind(step);
    step.run = (values) => {
      if (!grown.has(k)) {
        grown.add(k);
        const before = heap.memory.buffer;
        heap.ensure(heap.byteLength + (1 << 16));
        assert.notEqual(heap.memory.buffer, before, 'the memory grew');
      }
      run(values);
    };
  });
  const got = model.predict(x, { threads: 1 }).data;
  assert.equal(grown.size, steps.length, 'every step grew the memory once');
  assert.ok(relativeError(got, want) < 1e-5, `after growth: ${relativeError(got, want)}`);
  // A conv2d between two predicts that grows the memory: the next predict re-derives its views.
  heap.ensure(heap.byteLength + (1 << 20));
  const again = model.predict(x, { threads: 1 }).data;
  assert.ok(relativeError(again, want) < 1e-5, 'after growth between predicts');
  model.dispose();
  oracle.dispose();
});

test('outputs are copies, never views of wasm memory; models side by side keep their own arenas', async () => {
  await tf.setBackend('cpu');
  const heap = wasmEngine()!.heap;
  const oracles = [block(8), block(6)];
  oracles.forEach((m, i) => seedWeights(m, 10 + i));
  const models = await Promise.all(oracles.map(async (m) => loadLayersModel(await artifactsOf(m))));
  const xs = [randomInput([1, 10, 10, 8], 1), randomInput([1, 10, 10, 6], 2)];
  const first = models.map((m, i) => m.predict(xs[i], { threads: 1 }).data);
  first.forEach((y) => assert.notEqual(y.buffer, heap.memory.buffer, 'the output is not in wasm memory'));
  first[0].fill(1e6);
  const second = models.map((m, i) => m.predict(xs[i], { threads: 1 }).data);
  assert.deepEqual(second[1], first[1], 'the second model is unaffected by the first');
  assert.deepEqual(
    second[0],
    models[0].predict(xs[0], { threads: 1 }).data,
    'writing an output changed nothing',
  );
  assert.ok(relativeError(second[0], tfjsPredict(oracles[0], xs[0])[0]) < 1e-5, 'model 0 still right');
  // A model disposed frees its region; a model loaded after it reuses it and both stay right.
  models[0].dispose();
  const third = await loadLayersModel(await artifactsOf(oracles[0]));
  assert.ok(relativeError(third.predict(xs[0]).data, tfjsPredict(oracles[0], xs[0])[0]) < 1e-5, 'reloaded');
  assert.deepEqual(models[1].predict(xs[1], { threads: 1 }).data, first[1], 'model 1 unchanged');
  third.dispose();
  models[1].dispose();
  oracles.forEach((m) => m.dispose());
});

test('WasmHeap.pin: regions never overlap each other or resident weights; freed ones are reused', () => {
  const heap = new WasmHeap(1 << 16);
  const weights = Float32Array.from({ length: 100 }, (_, i) => i);
  const w0 = heap.placeWeights(weights);
  const a = heap.pin(1000);
  const b = heap.pin(5000);
  assert.ok(a >= 64 && b >= a + 1000, `regions in order: ${a}, ${b}`);
  // Pinning dropped the resident weights: placed again, above every pinned region, values intact.
  const w1 = heap.placeWeights(weights);
  assert.ok(w1 >= b + 5000, `weights ${w1} (were at ${w0}) above the pinned regions`);
  assert.deepEqual(heap.f32.subarray(w1 >> 2, (w1 >> 2) + 100), weights, 'weights copied in again');
  assert.ok(heap.scratchBase >= w1 + 400, 'scratch above the weights');
  heap.unpin(a);
  assert.equal(heap.pin(900), a, 'a freed region that fits is reused');
  heap.unpin(a);
  heap.unpin(b);
  assert.equal(heap.pin(5500), a, 'neighbouring freed regions merge');
  assert.equal(heap.placeWeights(weights), w1, 'reusing a region keeps the weights where they were');
  const view = heap.f32.subarray(10, 20);
  assert.equal(heap.addressOf(view), 40, 'a view of the memory has its byte address');
  assert.equal(heap.addressOf(new Float32Array(4)), -1, 'another array has none');
});

test('ZeroPadding2D before a valid DepthwiseConv2D folds into it (not when the padding has two readers)', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const input = tfl.input({ shape: [9, 9, 8] });
  const padded = L.zeroPadding2d({
    padding: [
      [1, 2],
      [0, 1],
    ],
    name: 'pad',
  }).apply(input) as Sym;
  const dw = L.depthwiseConv2d({ kernelSize: 3, strides: 2, name: 'dw' }).apply(padded) as Sym;
  const folded = tfl.model({ inputs: input, outputs: dw });
  const other = L.conv2d({ filters: 8, kernelSize: 1, name: 'other' }).apply(padded) as Sym;
  const twice = tfl.model({ inputs: input, outputs: [dw, other] });
  const x = randomInput([2, 9, 9, 8], 5);
  for (const [oracle, pads] of [
    [folded, 0],
    [twice, 1],
  ] as const) {
    seedWeights(oracle, 4);
    const model = await loadLayersModel(await artifactsOf(oracle));
    const names = model.steps(2).map((s) => s.name);
    if (pads === 0)
      assert.match(model.summary(), /pad .*fused into dw/, 'the summary says where the pad went');
    assert.equal(names.filter((n) => n === 'pad').length, pads, `pad steps: ${names.join(', ')}`);
    if (pads === 0) assert.ok(names.includes('dw+pad'), `the depthwise step names the padding: ${names}`);
    const got = model.predictAll(x, { threads: 1 });
    const want = tfjsPredict(oracle, x);
    want.forEach((w, i) =>
      assert.ok(relativeError(got[i].data, w) < 1e-5, `output ${i} (${pads} pad steps)`),
    );
    model.dispose();
  }
  twice.dispose();
});

test('ZeroPadding2D before a valid Conv2D folds into it as explicit padding (ResNet-50 conv1_pad)', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const cases: [number[], tfl.layers.Layer, tfl.layers.Layer][] = [
    [
      [23, 23, 3],
      L.zeroPadding2d({ padding: 3, name: 'conv1_pad' }),
      L.conv2d({ filters: 8, kernelSize: 7, strides: 2, name: 'conv1', activation: 'relu' }),
    ],
    [
      [11, 10, 6],
      L.zeroPadding2d({
        padding: [
          [2, 0],
          [1, 3],
        ],
        name: 'pad',
      }),
      L.conv2d({ filters: 5, kernelSize: 3, dilationRate: 2, name: 'conv' }),
    ],
  ];
  for (const [shape, pad, conv] of cases) {
    const input = tfl.input({ shape });
    const oracle = tfl.model({ inputs: input, outputs: conv.apply(pad.apply(input)) as Sym });
    seedWeights(oracle, 8);
    const artifacts = await artifactsOf(oracle);
    const model = await loadLayersModel(artifacts);
    const names = model.steps(2).map((s) => s.name);
    assert.deepEqual(names, [`${conv.name}+${pad.name}`], `the pad folds into the conv: ${names}`);
    assert.match(model.summary(), new RegExp(`${pad.name} .*fused into ${conv.name}`), 'the summary says so');
    const unfolded = await loadLayersModel(artifacts, { fuse: false });
    const x = randomInput([2, ...shape], 9);
    const got = model.predict(x, { threads: 1 }).data;
    assert.ok(relativeError(got, tfjsPredict(oracle, x)[0]) < 1e-5, `${conv.name}: agrees with tfjs-layers`);
    assert.ok(
      relativeError(got, unfolded.predict(x).data) < 1e-6,
      `${conv.name}: agrees with the unfolded plan`,
    );
    assert.deepEqual(
      model.predict(x, { threads: 2 }).data,
      got,
      `${conv.name}: the same bits on two threads`,
    );
    model.dispose();
    unfolded.dispose();
  }
});

test('a plan with threaded igemm keeps its arena in the worker pool memory: same bits as one thread, in place', async () => {
  await tf.setBackend('cpu');
  const oracle = block(8);
  seedWeights(oracle, 21);
  const model = await loadLayersModel(await artifactsOf(oracle));
  const x = randomInput([2, 10, 10, 8], 22);
  const one = model.predict(x, { threads: 1 }).data;
  for (const threads of [2, 3]) {
    const got = model.predict(x, { threads }).data;
    for (let i = 0; i < one.length; i++) {
      assert.ok(Object.is(got[i], one[i]), `threads ${threads}, element ${i}: ${got[i]} vs ${one[i]}`);
    }
  }
  assert.ok(relativeError(one, tfjsPredict(oracle, x)[0]) < 2e-5, 'agrees with tfjs-layers');
  // White box: the two-thread plan is bound to the pool's shared heap (the threaded kernels work in place).
  const plan = (model as unknown as { plan(batch: number, threads?: number): CompiledPlan }).plan(2, 2);
  assert.ok(plan.threaded, 'the plan runs igemm on several threads');
  const pool = existingParallelEngine();
  assert.ok(pool !== null, 'the worker pool exists after a threaded predict');
  assert.ok(plan.memory?.buffer === pool.heap.memory.buffer, 'its arena lives in the pool heap');
  // Pooling, padding and the epilogue pass also run on activations in the pool's memory.
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, v: Sym | Sym[]) => layer.apply(v) as Sym;
  const input = tfl.input({ shape: [13, 13, 8] });
  let y = ap(L.conv2d({ filters: 16, kernelSize: 1, activation: 'relu' }), input);
  y = ap(L.zeroPadding2d({ padding: 1 }), y);
  y = ap(L.maxPooling2d({ poolSize: 3, strides: 2 }), y);
  const skip = y;
  y = ap(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'sigmoid' }), y);
  y = ap(L.add(), [skip, y]);
  y = ap(L.averagePooling2d({ poolSize: 2, padding: 'same' }), y);
  y = ap(L.dense({ units: 3 }), ap(L.globalAveragePooling2d({}), y));
  const pooled = tfl.model({ inputs: input, outputs: y });
  seedWeights(pooled, 23);
  const ours = await loadLayersModel(await artifactsOf(pooled));
  const px = randomInput([3, 13, 13, 8], 24);
  const p1 = ours.predict(px, { threads: 1 }).data;
  const p2 = ours.predict(px, { threads: 2 }).data;
  for (let i = 0; i < p1.length; i++) assert.ok(Object.is(p1[i], p2[i]), `pooled model, element ${i}`);
  assert.ok(relativeError(p2, tfjsPredict(pooled, px)[0]) < 2e-5, 'pooled model agrees with tfjs-layers');
  ours.dispose();
  const single = (model as unknown as { plan(batch: number, threads?: number): CompiledPlan }).plan(2, 1);
  assert.ok(
    !single.threaded && single.memory?.buffer === wasmEngine()!.heap.memory.buffer,
    'one thread: the engine heap',
  );
  model.dispose();
});

test('a worker that exits during a threaded predict: right values, and the next predict pins its arena in the new pool', async () => {
  await tf.setBackend('cpu');
  // Layers of a few milliseconds, so that both workers wake up and claim calls.
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, v: Sym | Sym[]) => layer.apply(v) as Sym;
  const input = tfl.input({ shape: [48, 48, 32] });
  let y = ap(L.conv2d({ filters: 96, kernelSize: 1, activation: 'relu' }), input);
  y = ap(L.conv2d({ filters: 32, kernelSize: 1 }), y);
  y = ap(L.globalAveragePooling2d({}), ap(L.add(), [input, y]));
  const oracle = tfl.model({ inputs: input, outputs: y });
  seedWeights(oracle, 31);
  const model = await loadLayersModel(await artifactsOf(oracle));
  const x = randomInput([3, 48, 48, 32], 32);
  const want = model.predict(x, { threads: 1 }).data;
  const same = (got: Float32Array, what: string) => {
    for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `${what}: element ${i}`);
  };
  same(model.predict(x, { threads: 2 }).data, 'warm-up');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const engine = parallelEngine();
  assert.ok(engine, 'the pool exists');
  engine.pool.injectFault(0, 'exit'); // two threads: the caller and worker 0
  for (let i = 0; i < 50 && engine.pool.faultPending(); i++)
    same(model.predict(x, { threads: 2 }).data, `try ${i}`);
  assert.equal(engine.pool.faultPending(), false, 'a worker claimed a call and exited');
  // Noticed through the control block at once, not after the 10 s stall watchdog.
  assert.match(engine.pool.broken ?? '', /a worker exited during a job/);
  same(model.predict(x, { threads: 2 }).data, 'the predict after');
  const replacement = existingParallelEngine();
  assert.ok(replacement && replacement !== engine, 'a new pool replaced the broken one');
  const plan = (model as unknown as { plan(batch: number, threads?: number): CompiledPlan }).plan(3, 2);
  assert.ok(plan.memory?.buffer === replacement.heap.memory.buffer, 'the arena moved to the new pool heap');
  assert.ok(relativeError(want, tfjsPredict(oracle, x)[0]) < 2e-5, 'agrees with tfjs-layers');
  model.dispose();
});

test('depthwise layers read and write the arena in place: padding kinds, strides, odd channels, batch 3', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const heap = wasmEngine()!.heap;
  const ap = (layer: tfl.layers.Layer, x: Sym) => layer.apply(x) as Sym;
  for (const channels of [5, 12]) {
    const input = tfl.input({ shape: [11, 9, channels] });
    // A first layer that is not depthwise: predict reads the model's input where it is (outside wasm
    // memory), and every depthwise layer then reads its input from the arena.
    let y = ap(L.activation({ activation: 'tanh' }), input);
    y = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'same_linear' }).apply(y) as Sym;
    y = L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }).apply(
      y,
    ) as Sym;
    // (Not a dilated layer: tfjs-layers' DepthwiseConv2D disagrees with tf.depthwiseConv2d on dilations;
    // depthwise_inplace.test.ts checks dilations against the direct reference.)
    y = L.depthwiseConv2d({ kernelSize: 5, padding: 'same', useBias: false }).apply(y) as Sym;
    y = ap(L.reLU({}), ap(L.batchNormalization({}), y));
    y = L.zeroPadding2d({
      padding: [
        [1, 1],
        [0, 1],
      ],
      name: 'pad',
    }).apply(y) as Sym;
    y = L.depthwiseConv2d({ kernelSize: [2, 3], strides: 2, activation: 'relu', name: 'dw' }).apply(y) as Sym;
    const oracle = tfl.model({ inputs: input, outputs: y });
    seedWeights(oracle, channels);
    const artifacts = await artifactsOf(oracle);
    const fused = await loadLayersModel(artifacts);
    const unfused = await loadLayersModel(artifacts, { fuse: false });
    const names = fused.steps(3).map((s) => s.name);
    assert.ok(names.includes('dw+pad'), `the padding folds into the depthwise step: ${names}`);
    for (const batch of [1, 3]) {
      const x = randomInput([batch, 11, 9, channels], batch + channels);
      const want = tfjsPredict(oracle, x)[0];
      heap.takeScratchPeak();
      const got = fused.predict(x, { threads: 1 }).data;
      // In place, no step copies an input band into scratch: scratch holds the kernel's tables and bias.
      const peak = heap.takeScratchPeak();
      assert.ok(peak <= 1024, `${channels} channels, batch ${batch}: scratch ${peak} bytes`);
      assert.ok(relativeError(got, want) < 1e-5, `${channels} channels, batch ${batch}: fused vs tfjs`);
      const reference = unfused.predict(x, { threads: 1 }).data;
      assert.ok(
        relativeError(got, reference) < 1e-5,
        `${channels} channels, batch ${batch}: fused vs unfused`,
      );
      assert.deepEqual(fused.predict(x, { threads: 2 }).data, got, 'the same bits on two threads');
    }
    fused.dispose();
    unfused.dispose();
    oracle.dispose();
  }
});

test('Winograd steps read the arena in place and clamp in their output transform: tfjs-layers values, 1 = 2 threads bit for bit', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, v: Sym | Sym[]) => layer.apply(v) as Sym;
  // ResNet-like: 3x3 + BatchNormalization + ReLU6 (the fused stage), 3x3 + ReLU before a residual Add
  // (the stage left to the pass), on 16 channels (read in place) and then 12.
  const input = tfl.input({ shape: [18, 18, 16] });
  let y = ap(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false }), input);
  y = ap(L.reLU({ maxValue: 6 }), ap(L.batchNormalization({}), y));
  y = ap(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same' }), y);
  y = ap(L.reLU({}), ap(L.add(), [input, y]));
  y = ap(L.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu' }), y);
  y = ap(L.dense({ units: 4 }), ap(L.globalAveragePooling2d({}), y));
  const oracle = tfl.model({ inputs: input, outputs: y });
  seedWeights(oracle, 31);
  const model = await loadLayersModel(await artifactsOf(oracle));
  const winograd = model.steps().filter((s) => s.algorithm.startsWith('winograd'));
  assert.ok(
    winograd.length >= 2,
    `Winograd steps: ${model
      .steps()
      .map((s) => s.algorithm)
      .join(', ')}`,
  );
  const x = randomInput([2, 18, 18, 16], 32);
  const want = tfjsPredict(oracle, x)[0];
  const one = model.predict(x, { threads: 1 }).data;
  const two = model.predict(x, { threads: 2 }).data;
  for (let i = 0; i < one.length; i++)
    assert.ok(Object.is(one[i], two[i]), `element ${i}: ${two[i]} vs ${one[i]}`);
  assert.ok(relativeError(one, want) < 2e-5, `agrees with tfjs-layers (${relativeError(one, want)})`);
  const unfused = await loadLayersModel(await artifactsOf(oracle), { fuse: false });
  assert.ok(relativeError(one, unfused.predict(x).data) < 2e-5, 'agrees with the unfused plan');
  model.dispose();
  unfused.dispose();
});
