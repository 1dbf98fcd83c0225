/**
 * Probe: GFLOP/s of the f32-dwconv kernel alone (one band, input and filter already in wasm memory) on
 * each shape of bench/shapes_depthwise.json. With a baseline (a generated module file, e.g. a copy of
 * src/kernels/wasm/generated/simd.ts saved from an earlier build), that module's f32_dwconv runs over
 * the same memory, interleaved round by round, for an old-vs-new comparison on the same machine.
 *   node [--experimental-wasm-relaxed-simd] --import tsx wasm/probe/depthwise_kernel.ts [filter] [baseline.ts]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { depthwiseGeometry } from '../../src/geometry.js';
import { randomNormal } from '../../src/index.js';
import { dwconvLayout, packDwconvFilter } from '../../src/algorithms/depthwise_wasm.js';
import { wasmEngine } from '../../src/kernels/wasm/engine.js';
import { align64 } from '../../src/kernels/wasm/heap.js';
import { loadShapes, DEPTHWISE_SHAPES_FILE } from '../../bench/shapes.js';

type Dwconv = (...args: number[]) => void;

const only = process.argv[2] ?? '';
const baselineFile = process.argv[3];
const shapes = loadShapes(DEPTHWISE_SHAPES_FILE);
const engine = wasmEngine();
if (!engine) throw new Error('no WebAssembly SIMD here');
const { heap } = engine;
const kernels: Record<string, Dwconv> = {
  new: (engine.kernels as unknown as { f32_dwconv: Dwconv }).f32_dwconv,
};
if (baselineFile) {
  const base64 = /WASM_BASE64 = '([^']+)'/.exec(readFileSync(baselineFile, 'utf8'))?.[1];
  if (!base64) throw new Error(`no WASM_BASE64 in ${baselineFile}`);
  const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
  const instance = new WebAssembly.Instance(module, { env: { memory: heap.memory } });
  kernels.old = instance.exports.f32_dwconv as Dwconv;
}
for (const s of shapes) {
  if (!s.name.includes(only)) continue;
  const g = depthwiseGeometry('depthwiseConv2d', s.input, s.filter, {
    strides: s.strides,
    padding: s.padding,
  });
  const layout = dwconvLayout(g);
  if (!layout) continue;
  const taps = g.filterHeight * g.filterWidth;
  const weights = heap.placeWeights(packDwconvFilter(randomNormal(s.filter).data, taps, layout.channels));
  const inputBand = heap.scratchBase;
  const outputBand = align64(inputBand + layout.inputBytes);
  heap.ensure(outputBand + layout.outputBytes);
  heap.f32.set(randomNormal([layout.inputBytes >> 2]).data, inputBand >> 2);
  const rowBytes = layout.rowFloats * 4;
  const rows = layout.bandRows;
  const flops = 2 * rows * g.outWidth * layout.channels * taps;
  const best: Record<string, number> = {};
  const reps = Math.max(1, Math.round(2e7 / flops));
  for (let round = 0; round < 7; round++) {
    for (const [name, f] of Object.entries(kernels)) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        f(
          rows,
          g.outWidth,
          layout.channels,
          g.filterHeight,
          g.filterWidth,
          g.strideWidth,
          g.dilationWidth,
          inputBand,
          g.strideHeight * rowBytes,
          g.dilationHeight * rowBytes,
          weights,
          outputBand,
        );
      }
      best[name] = Math.min(best[name] ?? Infinity, (performance.now() - t0) / reps);
    }
  }
  const report = Object.entries(best)
    .map(([name, ms]) => `${name} ${(flops / ms / 1e6).toFixed(1)} GFLOP/s (${ms.toFixed(3)} ms)`)
    .join('  ');
  console.log(`${s.name.padEnd(19)} rows ${String(rows).padStart(3)}: ${report}`);
}
