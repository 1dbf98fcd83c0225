/**
 * Probe: GFLOP/s of the f32-igemm-4x8 kernel alone (one band, inputs already in wasm memory) on each
 * shape of bench/shapes.json: the ceiling the whole conv2d can reach.
 *   node [--experimental-wasm-relaxed-simd] --import tsx wasm/probe/kernel_only.ts [filter]
 */
import { performance } from 'node:perf_hooks';
import { convGeometry, randomNormal } from '../../src/index.js';
import { prepareIgemm } from '../../src/algorithms/igemm.js';
import { wasmEngine } from '../../src/kernels/wasm/engine.js';
import { align64 } from '../../src/kernels/wasm/heap.js';
import { packFilterPanels } from '../../src/kernels/wasm/pack.js';
import { loadShapes, SHAPES_FILE } from '../../bench/shapes.js';

const only = process.argv[2];
const shapes = loadShapes(SHAPES_FILE);
const engine = wasmEngine();
if (!engine) throw new Error('no WebAssembly SIMD here');
const { heap, kernels } = engine;
for (const s of shapes) {
  if (only && !s.name.includes(only)) continue;
  const g = convGeometry('conv2d', s.input, s.filter, { strides: s.strides, padding: s.padding });
  const { layout, table: indirection } = prepareIgemm(g);
  const k = g.filterHeight * g.filterWidth * g.filterInChannels;
  const weights = heap.placeWeights(
    packFilterPanels(randomNormal(s.filter).data, k, g.outChannels, g.groups),
  );
  const table = heap.scratchBase;
  const inputBand = align64(table + layout.indirectionBytes);
  const outputBand = align64(inputBand + layout.inputBytes);
  heap.ensure(outputBand + layout.outputBytes);
  heap.i32.set(indirection, table >> 2);
  heap.f32.set(randomNormal([layout.inputBytes >> 2]).data, inputBand >> 2);
  const m = layout.bandRows * g.outWidth;
  const run = () =>
    kernels.f32_igemm_4x8(
      m,
      g.outChannels,
      layout.ks,
      layout.kc,
      table,
      inputBand,
      weights,
      outputBand,
      g.outChannels,
    );
  const flops = 2 * m * g.outChannels * k;
  run();
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    const reps = Math.max(1, Math.round(3e7 / flops));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  console.log(
    `${s.name.padEnd(15)} ${engine.igemmKernel}  m ${m} n ${g.outChannels} ks ${layout.ks} kc ${layout.kc}: ` +
      `${(flops / best / 1e6).toFixed(1)} GFLOP/s`,
  );
}
