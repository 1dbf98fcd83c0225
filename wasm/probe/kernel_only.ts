/**
 * Probe: GFLOP/s of the f32-igemm-4x8 kernel alone (one band, inputs already in wasm memory) on each
 * shape of bench/shapes.json: the ceiling the whole conv2d can reach. With --networks, the 1x1
 * convolutions of MobileNetV2 and ResNet-50 at batch 1 instead (K from 16 to 2048, 49 to 12544 rows),
 * where the 4- / 5-row tile choice shows.
 *   node [--experimental-wasm-relaxed-simd] --import tsx wasm/probe/kernel_only.ts [--networks] [filter]
 */
import { performance } from 'node:perf_hooks';
import { convGeometry, randomNormal } from '../../src/index.js';
import { prepareIgemm } from '../../src/algorithms/igemm.js';
import { wasmEngine } from '../../src/kernels/wasm/engine.js';
import { align64 } from '../../src/kernels/wasm/heap.js';
import { packFilterPanels } from '../../src/kernels/wasm/pack.js';
import { loadShapes, SHAPES_FILE, type ShapeSpec } from '../../bench/shapes.js';

const args = process.argv.slice(2);
const only = args.find((a) => !a.startsWith('--'));
/** [name, size, channels in, channels out]: 1x1, stride 1, batch 1. */
const NETWORK_1X1: [string, number, number, number][] = [
  ['mnv2-block_1_expand', 112, 16, 96],
  ['mnv2-expanded_conv_project', 112, 32, 16],
  ['mnv2-block_2_expand', 56, 24, 144],
  ['mnv2-block_11_expand', 14, 96, 576],
  ['mnv2-block_16_project', 7, 960, 320],
  ['resnet-conv2_3', 56, 64, 256],
  ['resnet-conv2_1', 56, 256, 64],
  ['resnet-conv3_3', 28, 128, 512],
  ['resnet-conv3_1', 28, 512, 128],
  ['resnet-conv4_3', 14, 256, 1024],
  ['resnet-conv4_1', 14, 1024, 256],
  ['resnet-conv5_3', 7, 512, 2048],
  ['resnet-conv5_1', 7, 2048, 512],
];
const shapes: ShapeSpec[] = args.includes('--networks')
  ? NETWORK_1X1.map(([name, s, cin, cout]) => ({
      name,
      input: [1, s, s, cin],
      filter: [1, 1, cin, cout],
      strides: 1,
      padding: 'VALID' as const,
    }))
  : loadShapes(SHAPES_FILE);
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
    `${s.name.padEnd(27)} ${engine.igemmKernel}  m ${m} n ${g.outChannels} ks ${layout.ks} kc ${layout.kc}: ` +
      `${(flops / best / 1e6).toFixed(1)} GFLOP/s`,
  );
}
