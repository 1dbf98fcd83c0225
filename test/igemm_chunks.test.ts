/**
 * igemm's single-thread path computes a large band a chunk of output rows at a time (computeBandInChunks
 * in src/algorithms/igemm.ts). Checked here: which geometries take that path, and that it gives the
 * same bits as one kernel call over the whole band (and hence as the threaded path) and agrees with
 * the direct reference, including a last chunk that ends inside a 4-pixel tile and a partial panel.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { conv2d, convGeometry, tensor, type Conv2dOptions } from '../src/index.js';
import {
  bandKernelCalls,
  bandRows,
  loadInputBand,
  outputChunkTiles,
  placeIgemm,
  storeOutputBand,
} from '../src/algorithms/igemm.js';
import { setWasmVariant, wasmEngine } from '../src/kernels/wasm/engine.js';
import { assertCloseToScale } from './helpers/assert_close.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import { assertSameBits } from './helpers/threads.js';

after(() => setWasmVariant('auto'));

/** igemm with one kernel call per band (no chunks), from the module's exported steps. */
function igemmUnchunked(
  input: number[],
  filter: number[],
  options: Conv2dOptions,
  x: Float32Array,
  w: Float32Array,
): Float32Array {
  const engine = wasmEngine();
  assert.ok(engine, 'WebAssembly SIMD engine');
  const g = convGeometry('conv2d', input, filter, options);
  const run = placeIgemm(engine.heap, g, w);
  const output = new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  for (let b = 0; b < g.batch; b++) {
    for (let band = 0; band < run.layout.bands; band++) {
      const { rows } = bandRows(run, band);
      if (rows === 0) break;
      loadInputBand(engine.heap, run, x, b, band);
      for (const calls of bandKernelCalls(run, rows, 1)) {
        for (const c of calls) {
          engine.kernels.f32_igemm_4x8(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
        }
      }
      storeOutputBand(engine.heap, run, output, b, band);
    }
  }
  return output;
}

function chunkTilesOf(input: number[], filter: number[], options: Conv2dOptions): number {
  const engine = wasmEngine();
  assert.ok(engine, 'WebAssembly SIMD engine');
  const g = convGeometry('conv2d', input, filter, options);
  const w = new Float32Array(sizeOfShape(filter));
  return outputChunkTiles(placeIgemm(engine.heap, g, w));
}

interface ChunkCase {
  label: string;
  input: number[];
  filter: number[];
  options: Conv2dOptions;
}

const CHUNKED: ChunkCase[] = [
  // Stem-like: 3 channels, 7x7, stride 2; 12 chunks, the last one partial.
  {
    label: '7x7 stride 2, 3 channels',
    input: [1, 150, 150, 3],
    filter: [7, 7, 3, 24],
    options: { strides: 2, padding: 'SAME' },
  },
  // 97 x 95 = 9215 pixels: the band ends inside a tile; 13 columns: a partial second panel.
  {
    label: 'odd pixel count, 13 columns',
    input: [1, 97, 95, 2],
    filter: [3, 3, 2, 13],
    options: { padding: 'SAME' },
  },
  // A batch, 1x1 (the plain GEMM case), VALID.
  { label: '1x1, batch 2', input: [2, 40, 40, 16], filter: [1, 1, 16, 48], options: { padding: 'VALID' } },
];

test('large NHWC outputs with small filters are computed in chunks; the others in one call', () => {
  setWasmVariant('auto');
  for (const c of CHUNKED) assert.ok(chunkTilesOf(c.input, c.filter, c.options) > 0, c.label);
  // Small output: one call.
  assert.equal(chunkTilesOf([1, 28, 28, 1], [5, 5, 1, 32], { padding: 'SAME' }), 0, 'MNIST image');
  // NCHW output: rows of a chunk are not contiguous in the output.
  assert.equal(chunkTilesOf([1, 3, 150, 150], [7, 7, 3, 24], { padding: 'SAME', dataFormat: 'NCHW' }), 0);
  // Grouped: each group writes its own columns.
  assert.equal(chunkTilesOf([1, 100, 100, 8], [3, 3, 4, 32], { padding: 'SAME' }), 0, 'groups');
  // Packed filter larger than the kernel's weight chunk: chunks would stream the weights again and again.
  assert.equal(chunkTilesOf([1, 40, 40, 128], [3, 3, 128, 128], { padding: 'SAME' }), 0, 'large filter');
});

for (const c of CHUNKED) {
  test(`chunked igemm (${c.label}): same bits as one call a band, close to direct`, () => {
    setWasmVariant('auto');
    const x = seededUniform(sizeOfShape(c.input), 11);
    const w = seededUniform(sizeOfShape(c.filter), 12);
    const xt = tensor(x, c.input);
    const wt = tensor(w, c.filter);
    const chunked = conv2d(xt, wt, { ...c.options, algorithm: 'igemm', threads: 1 });
    assertSameBits(chunked.data, igemmUnchunked(c.input, c.filter, c.options, x, w), c.label);
    const direct = conv2d(xt, wt, { ...c.options, algorithm: 'direct' });
    assertCloseToScale(chunked.data, direct.data, 1e-5, c.label);
  });
}
