/**
 * The fast engine's plumbing: kernel-module detection and choice, the wasm heap (growth, resident
 * weights and their eviction), weight packing for the 4x8 kernel and the packed-weights cache.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { conv2d, randomNormal, tensor } from '../src/index.js';
import { setWasmVariant, wasmEngine } from '../src/kernels/wasm/engine.js';
import { WASM_VARIANTS, variantBytes, wasmVariantSupported } from '../src/kernels/wasm/features.js';
import { WEIGHT_ARENA_BYTES, WasmHeap } from '../src/kernels/wasm/heap.js';
import { NR, packFilterPanels } from '../src/kernels/wasm/pack.js';
import { hasPackedWeights, packedWeights } from '../src/plan/weights_cache.js';
import { assertCloseToScale } from './helpers/assert_close.js';

after(() => setWasmVariant('auto'));

test('each kernel module is detected by validating its own bytes', () => {
  for (const variant of WASM_VARIANTS) {
    const bytes = variantBytes(variant);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], `${variant}: wasm magic`);
    assert.equal(wasmVariantSupported(variant), WebAssembly.validate(bytes), variant);
  }
});

test('setWasmVariant picks the module, names its kernel XNNPACK-style, and "none" turns it off', () => {
  assert.equal(setWasmVariant('simd'), 'simd');
  assert.equal(wasmEngine()?.igemmKernel, 'f32-igemm-4x8-wasmsimd');
  assert.equal(setWasmVariant('none'), null);
  assert.equal(wasmEngine(), null);
  const best = setWasmVariant('auto');
  assert.equal(best, WASM_VARIANTS.find((v) => wasmVariantSupported(v)) ?? null);
});

test('without WebAssembly SIMD, conv2d (auto and igemm) still gives the direct result', () => {
  const x = randomNormal([2, 9, 8, 6], { seed: 3 });
  const w = randomNormal([3, 3, 6, 10], { seed: 4 });
  const reference = conv2d(x, w, { padding: 'SAME', algorithm: 'direct' });
  setWasmVariant('none');
  for (const algorithm of ['auto', 'igemm'] as const) {
    assertCloseToScale(conv2d(x, w, { padding: 'SAME', algorithm }).data, reference.data, 1e-5, algorithm);
  }
  setWasmVariant('auto');
});

test('WasmHeap grows on demand and its views follow the grown memory', () => {
  const heap = new WasmHeap(65536);
  assert.equal(heap.byteLength, 65536);
  heap.f32[10] = 1.5;
  heap.ensure(3 * 65536 + 1);
  assert.equal(heap.byteLength, 4 * 65536);
  assert.equal(heap.f32.length, 65536);
  assert.equal(heap.f32[10], 1.5);
  heap.ensure(100); // never shrinks
  assert.equal(heap.byteLength, 4 * 65536);
});

test('WasmHeap keeps packed weights resident: the same array is placed once', () => {
  const heap = new WasmHeap(65536);
  const a = Float32Array.from({ length: 100 }, (_, i) => i + 0.25);
  const b = Float32Array.from({ length: 30 }, (_, i) => -i);
  const at = heap.placeWeights(a);
  const bt = heap.placeWeights(b);
  assert.notEqual(at, bt);
  assert.equal(heap.placeWeights(a), at);
  assert.deepEqual([...heap.f32.subarray(at / 4, at / 4 + 100)], [...a]);
  assert.deepEqual([...heap.f32.subarray(bt / 4, bt / 4 + 30)], [...b]);
  assert.ok(heap.scratchBase >= bt + b.byteLength, 'scratch starts after the resident weights');
  assert.equal(heap.scratchBase % 64, 0);
});

test('WasmHeap empties its weight arena when full, so resident weights stay bounded', () => {
  const arenaBytes = 1 << 20;
  const heap = new WasmHeap(65536, false, arenaBytes);
  const quarter = new Float32Array(arenaBytes / 4 / 4 - 64);
  const arrays = Array.from({ length: 6 }, (_, i) => quarter.map(() => i));
  const addresses = arrays.map((arr) => heap.placeWeights(arr));
  for (let i = 0; i < arrays.length; i++) {
    assert.ok(addresses[i] + arrays[i].byteLength <= 1024 + arenaBytes, `array ${i} inside the arena`);
  }
  assert.ok(new Set(addresses).size < arrays.length, 'addresses were reused after the arena was emptied');
  // The first array was evicted: placing it again copies it back, with its own values.
  const again = heap.placeWeights(arrays[0]);
  assert.equal(heap.f32[again / 4 + 5], 0);
  assert.equal(heap.f32[heap.placeWeights(arrays[5]) / 4 + 5], 5);
});

test("the default weight arena keeps a deep network's filters resident across passes", () => {
  // Winograd-transformed 3x3 filters of 512 and 256 channels (36 x C x C floats) and packed 1x1 filters
  // of 1024 x 2048, in the order a forward pass meets them: the second pass must copy nothing.
  const sizes = [36 * 512 * 512, 36 * 512 * 512, 36 * 256 * 256, 36 * 256 * 256, 1024 * 2048, 1024 * 2048];
  const bytes = sizes.reduce((a, b) => a + b * 4, 0);
  assert.ok(bytes < WEIGHT_ARENA_BYTES, 'the example fits the default budget');
  const heap = new WasmHeap(65536);
  const filters = sizes.map((n, i) => new Float32Array(n).fill(i + 1));
  const first = filters.map((f) => heap.placeWeights(f));
  const top = heap.scratchBase;
  const second = filters.map((f) => heap.placeWeights(f));
  assert.deepEqual(second, first);
  assert.equal(heap.scratchBase, top);
  filters.forEach((f, i) => assert.equal(heap.f32[first[i] / 4 + f.length - 1], i + 1));
});

test('packFilterPanels lays each group out in zero-filled 8-column panels, K x 8 each', () => {
  // Filter [1, 2, 2, 12] as K=4 rows x 12 columns; 2 groups of 6 output channels.
  const k = 4;
  const n = 12;
  const filter = Float32Array.from({ length: k * n }, (_, i) => i + 1);
  const packed = packFilterPanels(filter, k, n, 2);
  assert.equal(packed.length, 2 * 1 * k * NR);
  for (let g = 0; g < 2; g++) {
    for (let kk = 0; kk < k; kk++) {
      for (let j = 0; j < NR; j++) {
        const expected = j < 6 ? filter[kk * n + g * 6 + j] : 0;
        assert.equal(packed[(g * k + kk) * NR + j], expected, `group ${g} k ${kk} col ${j}`);
      }
    }
  }
});

test('the packed-weights cache packs once per filter and key', () => {
  const filter = new Float32Array([1, 2, 3]);
  let packs = 0;
  const pack = () => {
    packs++;
    return filter.map((v) => v * 2);
  };
  assert.equal(hasPackedWeights(filter, 'k'), false);
  const first = packedWeights(filter, 'k', pack);
  assert.equal(packedWeights(filter, 'k', pack), first);
  assert.equal(packs, 1);
  assert.equal(hasPackedWeights(filter, 'k'), true);
  assert.notEqual(packedWeights(filter, 'other', pack), first);
  assert.equal(packs, 2);
  // Equal values in another array are another filter.
  packedWeights(new Float32Array([1, 2, 3]), 'k', pack);
  assert.equal(packs, 3);
});

test('conv2d with igemm caches the packed filter and reuses it on the next call', () => {
  const x = randomNormal([1, 6, 6, 4], { seed: 5 });
  const w = tensor(randomNormal([3, 3, 4, 9], { seed: 6 }).data, [3, 3, 4, 9]);
  const first = conv2d(x, w, { padding: 'SAME', algorithm: 'igemm' });
  assert.equal(hasPackedWeights(w.data, 'f32-igemm-4x8'), true);
  const second = conv2d(x, w, { padding: 'SAME', algorithm: 'igemm' });
  assert.deepEqual([...second.data], [...first.data]);
});

test('WasmHeap reports the peak scratch a call asked for, not the weights placed before it', () => {
  const heap = new WasmHeap(65536);
  heap.placeWeights(new Float32Array(5000));
  heap.takeScratchPeak();
  const base = heap.scratchBase;
  heap.ensure(base + 1000);
  heap.ensure(base + 300_000);
  heap.ensure(base + 20);
  heap.placeWeights(new Float32Array(100_000)); // weights are not scratch
  assert.equal(heap.takeScratchPeak(), 300_000);
  assert.equal(heap.takeScratchPeak(), 0, 'taking the peak resets it');
});
