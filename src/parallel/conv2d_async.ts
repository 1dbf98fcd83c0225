/**
 * conv2dAsync: conv2d computed by a pool of worker threads over shared WebAssembly memory; resolves to
 * the same values as conv2d. Each band of output rows is split into blocks of 4-row tiles, one per
 * worker; the main thread only copies inputs in and outputs out, so it stays free while workers compute.
 * With threads: 1, or where the fast engine or shared memory is missing, or for a problem that the
 * planner does not give to igemm, it computes with conv2d on the calling thread.
 */
import { Tensor, toTensor } from '../tensor.js';
import { convGeometry } from '../geometry.js';
import { invalid, show } from '../errors.js';
import { planConv2d } from '../plan/planner.js';
import { conv2d, type Conv2dOptions } from '../ops/conv2d.js';
import { checkOptionKeys } from '../ops/options.js';
import {
  bandKernelCalls,
  bandRows,
  loadInputBand,
  placeIgemm,
  storeOutputBand,
} from '../algorithms/igemm.js';
import { exclusive, parallelEngine } from './parallel_engine.js';

export interface Conv2dAsyncOptions extends Conv2dOptions {
  /** Worker threads (integer >= 1). Default: 2, or the number of hardware threads when fewer. */
  threads?: number;
}

const OPTIONS = ['strides', 'padding', 'dataFormat', 'dilations', 'algorithm', 'threads'] as const;

function defaultThreads(): number {
  const hardware = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Math.min(2, hardware ?? 2));
}

export async function conv2dAsync(
  input: Tensor,
  filter: Tensor,
  options?: Conv2dAsyncOptions,
): Promise<Tensor> {
  const op = 'conv2dAsync';
  const { threads = defaultThreads(), ...convOptions } = checkOptionKeys(op, options, OPTIONS);
  if (typeof threads !== 'number' || !Number.isSafeInteger(threads) || threads < 1 || threads > 64) {
    invalid(op, 'threads', `must be an integer from 1 to 64, got ${show(threads)}`);
  }
  const x = toTensor(op, 'input', input);
  const w = toTensor(op, 'filter', filter);
  const g = convGeometry(op, x.shape, w.shape, convOptions);
  const plan = planConv2d(g, convOptions.algorithm ?? 'auto');
  const engine = threads > 1 && plan.algorithm === 'igemm' ? await parallelEngine(threads) : null;
  if (!engine) return conv2d(x, w, convOptions);
  const output = new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  if (output.length > 0) {
    await exclusive(async () => {
      const { heap, pool } = engine;
      const run = placeIgemm(heap, g, w.data);
      for (let b = 0; b < g.batch; b++) {
        for (let band = 0; band < run.layout.bands; band++) {
          const { rows } = bandRows(run, band);
          if (rows === 0) break;
          loadInputBand(heap, run, x.data, b, band);
          await pool.run(bandKernelCalls(run, rows, pool.size));
          storeOutputBand(heap, run, output, b, band);
        }
      }
    });
  }
  return new Tensor(output, g.outputShape);
}
