/**
 * The compiled plan: the arena planner never lets two live tensors overlap (random DAGs), and the
 * fused plan (BatchNorm folded, bias + residual + activation in the convolution's epilogue) agrees
 * with the unfused reference and with tfjs-layers on random small networks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { planArena, type Lifetime } from '../src/runtime/arena.js';
import { loadLayersModel } from '../src/runtime/index.js';
import { artifactsOf, randomInput, relativeError, seedWeights, tfjsPredict } from './helpers/tfjs_models.js';

/** A random DAG: node i reads 1-3 earlier nodes; its tensor lives from i to its last reader (or the end). */
const dagLifetimes = fc
  .array(
    fc.record({
      size: fc.integer({ min: 1, max: 5000 }),
      reads: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      output: fc.boolean(),
    }),
    {
      minLength: 1,
      maxLength: 40,
    },
  )
  .map((nodes) => {
    const lifetimes: Lifetime[] = nodes.map((n, i) => ({ size: n.size, start: i, end: i }));
    nodes.forEach((n, i) => {
      if (i === 0) return;
      for (const r of n.reads) lifetimes[r % i].end = Math.max(lifetimes[r % i].end, i);
    });
    nodes.forEach((n, i) => {
      if (n.output || i === nodes.length - 1) lifetimes[i].end = nodes.length;
    });
    return lifetimes;
  });

test('arena: tensors alive at the same step never share bytes; the arena is at least the peak', () => {
  fc.assert(
    fc.property(dagLifetimes, (lifetimes) => {
      const plan = planArena(lifetimes, 16);
      for (let a = 0; a < lifetimes.length; a++) {
        assert.ok(plan.offsets[a] % 16 === 0, `offset ${plan.offsets[a]} aligned`);
        assert.ok(plan.offsets[a] + lifetimes[a].size <= plan.size, `tensor ${a} inside the arena`);
        for (let b = a + 1; b < lifetimes.length; b++) {
          const live = lifetimes[a].start <= lifetimes[b].end && lifetimes[b].start <= lifetimes[a].end;
          const apart =
            plan.offsets[a] + lifetimes[a].size <= plan.offsets[b] ||
            plan.offsets[b] + lifetimes[b].size <= plan.offsets[a];
          assert.ok(
            !live || apart,
            `live tensors ${a} and ${b} overlap: ${JSON.stringify({ lifetimes, plan })}`,
          );
        }
      }
      const total = lifetimes.reduce((s, t) => s + Math.ceil(t.size / 16) * 16, 0);
      assert.ok(
        plan.size >= plan.peak && plan.size <= total,
        `peak ${plan.peak} <= size ${plan.size} <= ${total}`,
      );
    }),
    { numRuns: 300, seed: 11 },
  );
});

type Sym = tfl.SymbolicTensor;
const C = 4;
const STEPS = ['conv3', 'conv1', 'bn', 'relu', 'relu6', 'add', 'dw', 'concat', 'sep', 'dense'] as const;

/** A random functional network over [5, 5, C] images from a list of step kinds and earlier-tensor picks. */
function randomNetwork(
  steps: { kind: (typeof STEPS)[number]; pick: number; bias: boolean }[],
): tfl.LayersModel {
  const input = tfl.input({ shape: [5, 5, C] });
  const tensors: Sym[] = [input];
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  for (const { kind, pick, bias } of steps) {
    const last = tensors[tensors.length - 1];
    // Never the same tensor twice in one Add / Concatenate: tfjs' cpu backend fails on that.
    const other = tensors.length > 1 ? tensors[pick % (tensors.length - 1)] : last;
    if (other === last && (kind === 'add' || kind === 'concat')) {
      tensors.push(ap(L.conv2d({ filters: C, kernelSize: 1 }), last));
      continue;
    }
    let y: Sym;
    switch (kind) {
      case 'conv3':
        y = ap(L.conv2d({ filters: C, kernelSize: 3, padding: 'same', useBias: bias }), last);
        break;
      case 'conv1':
        y = ap(
          L.conv2d({ filters: C, kernelSize: 1, useBias: bias, activation: bias ? 'linear' : 'relu' }),
          last,
        );
        break;
      case 'bn':
        y = ap(L.batchNormalization(), last);
        break;
      case 'relu':
        y = ap(L.reLU(), last);
        break;
      case 'relu6':
        y = ap(L.reLU({ maxValue: 6 }), last);
        break;
      case 'add':
        y = ap(L.add(), [last, other]);
        break;
      case 'dw':
        y = ap(L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: bias }), last);
        break;
      case 'concat':
        y = ap(L.conv2d({ filters: C, kernelSize: 1 }), ap(L.concatenate(), [last, other]));
        break;
      case 'sep':
        y = ap(L.separableConv2d({ filters: C, kernelSize: 3, padding: 'same', useBias: bias }), last);
        break;
      case 'dense':
        y = ap(L.dense({ units: C, useBias: bias }), last);
        break;
    }
    tensors.push(y);
  }
  return tfl.model({ inputs: input, outputs: tensors[tensors.length - 1] });
}

test('fused plan = unfused reference = tfjs-layers on random networks (batch 1 and 3)', async () => {
  await tf.setBackend('cpu');
  const step = fc.record({ kind: fc.constantFrom(...STEPS), pick: fc.nat(), bias: fc.boolean() });
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 9 }), fc.nat(1000), async (steps, seed) => {
      const model = randomNetwork(steps);
      seedWeights(model, seed, 0.4);
      const artifacts = await artifactsOf(model);
      const fused = await loadLayersModel(artifacts);
      const unfused = await loadLayersModel(artifacts, { fuse: false });
      for (const batch of [1, 3]) {
        const x = randomInput([batch, 5, 5, C], seed + batch);
        const want = tfjsPredict(model, x)[0];
        const a = fused.predict(x).data;
        const b = unfused.predict(x).data;
        const label = `${steps.map((s) => s.kind).join(',')} batch ${batch}`;
        assert.ok(relativeError(a, b) < 1e-5, `fused vs unfused: ${label}`);
        assert.ok(relativeError(a, want) < 1e-5, `fused vs tfjs: ${label}`);
      }
      model.dispose();
    }),
    { numRuns: 25, seed: 3 },
  );
});

test('the fused plan folds BatchNormalization and fuses residual Add and ReLU into the convolution', async () => {
  await tf.setBackend('cpu');
  const input = tfl.input({ shape: [6, 6, C] });
  const L = tfl.layers;
  const conv = L.conv2d({ filters: C, kernelSize: 3, padding: 'same', useBias: false, name: 'c' }).apply(
    input,
  ) as Sym;
  const bn = L.batchNormalization({ name: 'bn' }).apply(conv) as Sym;
  const add = L.add({ name: 'add' }).apply([input, bn]) as Sym;
  const relu = L.reLU({ name: 'relu' }).apply(add) as Sym;
  const model = tfl.model({ inputs: input, outputs: relu });
  seedWeights(model, 2);
  const artifacts = await artifactsOf(model);
  const fused = await loadLayersModel(artifacts);
  const unfused = await loadLayersModel(artifacts, { fuse: false });
  assert.deepEqual(
    fused.steps(1).map((s) => s.name),
    ['c+bn+add+relu'],
    'one fused step',
  );
  assert.deepEqual(
    unfused.steps(1).map((s) => s.name),
    ['c', 'bn', 'add', 'relu'],
    'four reference steps',
  );
  const x = randomInput([2, 6, 6, C], 1);
  assert.ok(relativeError(fused.predict(x).data, tfjsPredict(model, x)[0]) < 1e-5, 'fused values');
});

test('convolutions write into a given slot of a larger array (the arena) and nowhere else', async () => {
  const { convGeometry, depthwiseGeometry } = await import('../src/geometry.js');
  const { planConv2d, runConv2d, CONV2D_ALGORITHMS } = await import('../src/plan/planner.js');
  const { runConv2dThreaded } = await import('../src/parallel/conv2d_threaded.js');
  const { runDepthwiseConv2d } = await import('../src/ops/depthwise_conv2d.js');
  const x = randomInput([2, 9, 8, 16], 1);
  const w = randomInput([3, 3, 16, 16], 2);
  const g = convGeometry('test', x.shape, w.shape, { padding: 'SAME' });
  const want = runConv2d(planConv2d(g, 'direct'), g, x.data, w.data);
  for (const algorithm of CONV2D_ALGORITHMS) {
    for (const threads of [1, 2]) {
      const big = new Float32Array(want.length + 10).fill(7);
      const slot = big.subarray(5, 5 + want.length);
      const got = runConv2dThreaded(planConv2d(g, algorithm), g, x.data, w.data, threads, slot);
      assert.ok(got === slot, `${algorithm} t${threads} returns the slot`);
      assert.ok(relativeError(slot, want) < 1e-5, `${algorithm} t${threads} values`);
      assert.ok(
        [0, 1, 2, 3, 4].every((i) => big[i] === 7 && big[big.length - 1 - i] === 7),
        `${algorithm} stays in its slot`,
      );
    }
  }
  const dw = randomInput([3, 3, 16, 2], 3);
  const dg = depthwiseGeometry('test', x.shape, dw.shape, { padding: 'SAME', strides: 2 });
  const dwWant = runDepthwiseConv2d('direct', dg, x.data, dw.data);
  for (const size of [dwWant.length]) {
    const big = new Float32Array(size + 8).fill(7);
    const slot = big.subarray(4, 4 + size);
    runDepthwiseConv2d('wasm', dg, x.data, dw.data, slot);
    assert.ok(relativeError(slot, dwWant) < 1e-5, 'depthwise wasm into a slot');
    assert.ok(big[3] === 7 && big[4 + size] === 7, 'depthwise stays in its slot');
  }
});

test('the arena is reused call after call, batch after batch, without stale values', async () => {
  await tf.setBackend('cpu');
  const model = randomNetwork([
    { kind: 'conv3', pick: 0, bias: true },
    { kind: 'bn', pick: 0, bias: false },
    { kind: 'relu6', pick: 0, bias: false },
    { kind: 'concat', pick: 0, bias: false },
    { kind: 'add', pick: 1, bias: false },
    { kind: 'dw', pick: 0, bias: true },
  ]);
  seedWeights(model, 8);
  const ours = await loadLayersModel(await artifactsOf(model));
  for (const [i, batch] of [1, 3, 1, 2, 3].entries()) {
    const x = randomInput([batch, 5, 5, C], 40 + i);
    const first = ours.predict(x);
    const again = ours.predict(x);
    assert.ok(relativeError(first.data, tfjsPredict(model, x)[0]) < 1e-5, `batch ${batch} call ${i}`);
    assert.deepEqual(again.data, first.data, `the same values on the next call (batch ${batch})`);
    assert.ok(first.data.buffer !== again.data.buffer, 'each output is its own copy');
  }
});

test('a residual Add fuses into the branch convolution even when the shortcut is computed later in layer order', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const input = tfl.input({ shape: [6, 6, C] });
  // Layer order as in Keras' ResNet block1 once serialised: the branch before the shortcut.
  const branch = L.batchNormalization({ name: 'b_bn' }).apply(
    L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'b_conv' }).apply(input),
  ) as Sym;
  const shortcut = L.batchNormalization({ name: 's_bn' }).apply(
    L.conv2d({ filters: 8, kernelSize: 1, name: 's_conv' }).apply(input),
  ) as Sym;
  const out = L.reLU({ name: 'out' }).apply(L.add({ name: 'add' }).apply([shortcut, branch])) as Sym;
  const model = tfl.model({ inputs: input, outputs: out });
  seedWeights(model, 4);
  const ours = await loadLayersModel(await artifactsOf(model));
  const names = ours.steps(1).map((s) => s.name);
  assert.equal(names.length, 2, `two steps: ${names.join(' | ')}`);
  assert.ok(
    names.some((n) => n.endsWith('+add+out')),
    `the Add and ReLU are fused: ${names.join(' | ')}`,
  );
  const x = randomInput([3, 6, 6, C], 2);
  assert.ok(relativeError(ours.predict(x).data, tfjsPredict(model, x)[0]) < 1e-5, 'values');
});
