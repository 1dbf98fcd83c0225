// WebAssembly memory is bounded (2 GiB here; less where the engine cannot grow it): work that would
// pass it is tiled to fit, or refused with a ResourceExhaustedError naming the op, never the engine's
// raw `RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded` and never a partial result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ResourceExhaustedError,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  tensor,
  zeros,
} from '../src/index.js';
import { WasmHeap } from '../src/kernels/wasm/heap.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { seededUniform } from './helpers/layout.js';

test('a heap asked past its maximum throws ResourceExhaustedError with the sizes, not a RangeError', () => {
  const heap = new WasmHeap(1 << 16, false, 1 << 16, 1 << 20);
  heap.ensure(1 << 19);
  assert.throws(
    () => heap.ensure(3 << 20),
    (e: unknown) => {
      assert.ok(e instanceof ResourceExhaustedError, `expected ResourceExhaustedError, got ${String(e)}`);
      assert.match(e.message, /3145728 bytes.*1048576/, 'names what was asked and the limit');
      return true;
    },
  );
  assert.equal(heap.byteLength, 1 << 19, 'nothing was grown');
  assert.throws(() => heap.placeWeights(new Float32Array(1 << 19)), ResourceExhaustedError);
});

test('the filter gradient of one large image works in bounded wasm scratch', () => {
  const engine = wasmEngine();
  assert.ok(engine, 'engine');
  // One image of 1500x1500 pixels, one long row of 10^6, and NCHW: the whole image used to be one
  // chunk, its dY padded to 8-column panels (8 floats a pixel): 2 GiB at 7900x7900.
  const shapes: [number[], 'NHWC' | 'NCHW'][] = [
    [[1, 1500, 1500, 1], 'NHWC'],
    [[1, 1, 1_000_000, 1], 'NHWC'],
    [[1, 2, 700, 700], 'NCHW'],
  ];
  for (const [shape, dataFormat] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = tensor(seededUniform(size, 1), shape);
    const filterShape = [1, 1, dataFormat === 'NHWC' ? shape[3] : shape[1], 1];
    const dyShape = dataFormat === 'NHWC' ? [...shape.slice(0, 3), 1] : [shape[0], 1, shape[2], shape[3]];
    const dy = tensor(seededUniform(size / filterShape[2], 2), dyShape);
    engine.heap.takeScratchPeak();
    const dw = conv2dBackpropFilter(x, filterShape, dy, { dataFormat });
    const peak = engine.heap.takeScratchPeak();
    assert.ok(peak > 0, 'the wasm path ran');
    assert.ok(peak <= 12 << 20, `${JSON.stringify(shape)} ${dataFormat}: ${peak} bytes of scratch`);
    assert.equal(dw.data.length, filterShape[2], 'one value per input channel');
  }
});

test('an op whose work cannot fit wasm memory throws ResourceExhaustedError naming the op', () => {
  const engine = wasmEngine();
  assert.ok(engine, 'engine');
  const heap = engine.heap;
  const saved = heap.maxBytes;
  // The memory as it is now is all there is: any call that needs it to grow must be refused.
  heap.maxBytes = heap.byteLength;
  try {
    // One row wider than the whole memory: even igemm's smallest band (one output row) cannot fit.
    const width = Math.ceil(heap.byteLength / 32) + 1024;
    const x = zeros([1, 1, width, 8]);
    const expectRefused = (op: string, run: () => unknown) =>
      assert.throws(run, (e: unknown) => {
        assert.ok(
          e instanceof ResourceExhaustedError,
          `${op}: expected ResourceExhaustedError, got ${String(e)}`,
        );
        assert.match(e.message, new RegExp(`^${op}: .*WebAssembly memory`), `${op}: ${e.message}`);
        return true;
      });
    expectRefused('conv2d', () => conv2d(x, zeros([1, 1, 8, 8]), { algorithm: 'igemm', threads: 1 }));
    expectRefused('conv2dBackpropInput', () => conv2dBackpropInput([1, 1, width, 8], zeros([1, 1, 8, 8]), x));
  } finally {
    heap.maxBytes = saved;
  }
  // The heap still works after a refusal.
  const y = conv2d(tensor([1, 2, 3, 4], [1, 2, 2, 1]), tensor([2], [1, 1, 1, 1]), { algorithm: 'igemm' });
  assert.deepEqual(Array.from(y.data), [2, 4, 6, 8], 'igemm after a refusal');
});
