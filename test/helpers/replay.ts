/**
 * The steps both replay tests (igemm's, depthwise's) take to move what a recorded call names without
 * changing its addresses: the memory grows, then the weight arena is emptied and overwritten.
 */
import assert from 'node:assert/strict';
import type { WasmHeap } from '../../src/kernels/wasm/heap.js';

/** `call` runs the step's call once on fresh values and returns whether it replayed. */
export function growThenEmptyArena(heap: WasmHeap, call: () => boolean): void {
  // The memory grows (views of the old buffer are detached; the data keep their byte offsets), by
  // more than the region pinned below, which then needs no growth.
  const region = 4 << 20;
  heap.ensure(heap.memory.buffer.byteLength + 2 * region);
  assert.equal(call(), false, 'after the memory grew: plans');
  assert.equal(call(), true, 'then replays');
  // A region that fits no hole is pinned where the weight arena began, which is emptied: writing the
  // region overwrites the packed weights (and the table and bias) a replay would read.
  const buffer = heap.memory.buffer;
  const big = heap.pin(region);
  assert.equal(heap.memory.buffer, buffer, 'the pin did not grow the memory');
  new Float32Array(heap.memory.buffer, big, region / 4).fill(7);
  heap.unpin(big);
  assert.equal(call(), false, 'after the weight arena was emptied: plans');
  assert.equal(call(), true, 'then replays');
}
