/**
 * Issue 12: after warm-up, 100 predict calls grow process.memoryUsage().arrayBuffers by no more than
 * their 100 outputs (and a little slack for anything else the process allocates meanwhile). Activations
 * live in the plan's arena and every step writes into its slot, so a layer that allocated its own output
 * or scratch per call (tens of KiB here) would add megabytes. The outputs are kept alive, so the growth
 * also has to reach their size: that shows the counter sees this kind of buffer at all. Measured with
 * bench/memory.ts (a full GC just before, none during). runtime_allocations.test.ts counts the
 * Float32Arrays themselves; this one counts bytes, whatever allocates them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { arrayBufferGrowth } from '../bench/memory.js';
import { loadLayersModel } from '../src/runtime/index.js';
import type { Tensor } from '../src/tensor.js';
import { artifactsOf, randomInput, relativeError, seedWeights, tfjsPredict } from './helpers/tfjs_models.js';

const CALLS = 100;
/** Other allocations the process may make during the loop (timers, the test runner): well under one leaked activation per call. */
const SLACK_BYTES = 64 * 1024;

test('predict allocates no ArrayBuffer memory beyond its outputs after warm-up (100 calls, one thread and two)', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
    layer.apply(x) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [16, 16, 8] });
  let x = ap(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false }), input);
  x = ap(L.reLU({ maxValue: 6 }), ap(L.batchNormalization(), x));
  const y = ap(L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }), x);
  x = ap(L.add(), [x, ap(L.conv2d({ filters: 16, kernelSize: 1, activation: 'relu' }), y)]);
  x = ap(L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }), x);
  x = ap(L.globalAveragePooling2d({}), ap(L.conv2d({ filters: 32, kernelSize: 1 }), x));
  x = ap(L.dense({ units: 256 }), x);
  const model = tfl.model({ inputs: input, outputs: x });
  seedWeights(model, 12);
  const ours = await loadLayersModel(await artifactsOf(model));
  const xs = randomInput([2, 16, 16, 8], 5);
  const expected = tfjsPredict(model, xs)[0];
  model.dispose();
  // 2 x 256 floats: 2 KiB, well above the 64 bytes under which V8 keeps a typed array on its own heap.
  const outputBytes = expected.length * 4;

  for (const threads of [1, 2]) {
    for (let i = 0; i < 3; i++) ours.predict(xs, { threads });
    const kept: Tensor[] = [];
    const growth = await arrayBufferGrowth(() => {
      for (let i = 0; i < CALLS; i++) kept.push(ours.predict(xs, { threads }));
    });
    const outputs = CALLS * outputBytes;
    assert.ok(
      growth <= outputs + SLACK_BYTES,
      `threads ${threads}: arrayBuffers grew ${growth} B over ${CALLS} calls, more than their outputs (${outputs} B) + ${SLACK_BYTES} B`,
    );
    assert.ok(
      growth >= outputs - SLACK_BYTES,
      `threads ${threads}: arrayBuffers grew only ${growth} B although ${CALLS} outputs (${outputs} B) are alive: the counter missed them`,
    );
    assert.ok(
      relativeError(kept[CALLS - 1].data, expected) < 1e-4,
      `threads ${threads}: the last output matches tfjs`,
    );
  }
  ours.dispose();
});
