/**
 * Probe: MobileNetV2's depthwise layers (batch 1, 224x224 input) through depthwiseConv2dWasm's in-place
 * path, input and output pinned in wasm memory as the model runtime's arena holds them, with the
 * ReLU6 + bias epilogue; the fastest of several timed runs per layer, in ms. With `--copy` the output
 * is a plain array instead (the banded path that copies in and out), for a before/after on one machine.
 *   node --import tsx wasm/probe/depthwise_inplace.ts [--copy] [layer name filter]
 */
import { performance } from 'node:perf_hooks';
import { depthwiseGeometry } from '../../src/geometry.js';
import { depthwiseConv2dWasm } from '../../src/algorithms/depthwise_wasm.js';
import { wasmEngine } from '../../src/kernels/wasm/engine.js';

const copy = process.argv.includes('--copy');
const only = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '';
const engine = wasmEngine();
if (!engine) throw new Error('no WebAssembly SIMD here');
const { heap } = engine;

/** [name, input size, channels, stride] ; stride 2 layers carry MobileNetV2's ZeroPadding2D ((0,1),(0,1)). */
const LAYERS: [string, number, number, number][] = [
  ['expanded_conv', 112, 32, 1],
  ['block_1', 112, 96, 2],
  ['block_2', 56, 144, 1],
  ['block_3', 56, 144, 2],
  ['block_4', 28, 192, 1],
  ['block_6', 28, 192, 2],
  ['block_7', 14, 384, 1],
  ['block_11', 14, 576, 1],
  ['block_13', 14, 576, 2],
  ['block_14', 7, 960, 1],
];

// One input and one output region for every layer (the largest sizes), and scratch grown up front, so
// that no call grows the memory (which would detach the views).
const xAt = heap.pin(112 * 112 * 96 * 4);
const yAt = heap.pin(56 * 56 * 144 * 4);
heap.ensure(heap.scratchBase + (16 << 20));
const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
let total = 0;
for (const [name, size, c, stride] of LAYERS) {
  if (!name.includes(only)) continue;
  const padding =
    stride === 1
      ? ('SAME' as const)
      : [
          [0, 0],
          [0, 1],
          [0, 1],
          [0, 0],
        ];
  const g = depthwiseGeometry('depthwiseConv2d', [1, size, size, c], [3, 3, c, 1], {
    strides: stride,
    padding,
  });
  const inFloats = size * size * c;
  const outFloats = g.outHeight * g.outWidth * c;
  heap.f32.set(random(inFloats), xAt >> 2);
  const filter = random(9 * c);
  const clamp = { bias: random(c), lo: 0, hi: 6 };
  const plain = new Float32Array(outFloats);
  const times: number[] = [];
  const reps = Math.max(3, Math.round(3e6 / outFloats));
  for (let round = 0; round < 15; round++) {
    const x = heap.f32.subarray(xAt >> 2, (xAt >> 2) + inFloats);
    const y = copy ? plain : heap.f32.subarray(yAt >> 2, (yAt >> 2) + outFloats);
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) depthwiseConv2dWasm(g, x, filter, y, clamp);
    times.push((performance.now() - t0) / reps);
  }
  const best = Math.min(...times);
  total += best;
  console.log(`${name.padEnd(14)} ${size}x${size}x${c} s${stride}  ${best.toFixed(3)} ms`);
}
console.log(`total ${total.toFixed(3)} ms`);
