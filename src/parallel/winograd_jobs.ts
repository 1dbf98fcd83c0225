/**
 * winograd (src/algorithms/winograd.ts) on the worker pool. Each block's three phases (input
 * transform, alpha^2 GEMMs, output transform) are one pool job each: the transforms split the block's
 * tiles, the GEMM its alpha^2 slices, into a few calls per thread that any thread may claim. A call
 * computes its tiles or slices exactly as the single-threaded run does (each output value comes from
 * its own tile's transforms and its own GEMM rows), so every thread count gives the same bits.
 *
 * The calling thread takes calls too, and meanwhile (driveWinograd) allocates the output and copies the
 * previous block's outputs out during the GEMM, and the next block's input rows in during the output
 * transform, while the workers compute.
 */
import {
  driveWinograd,
  placeWinograd,
  type WinogradPhases,
  type WinogradProblem,
} from '../algorithms/winograd.js';
import {
  WINOGRAD_BLOCK_BYTES,
  WINOGRAD_MAX_SCRATCH_BYTES,
  winogradLayout,
  winogradTile,
} from '../algorithms/winograd_plan.js';
import type { WinogradTile } from '../kernels/winograd_matrices.js';
import type { ParallelEngine } from './parallel_engine.js';

/** Calls per thread in each phase: shares small enough to even out when one thread is slowed. */
const CALLS_PER_THREAD = 3;
/**
 * Blocks on `threads` threads may hold this many times WINOGRAD_BLOCK_BYTES of V and M: each thread's
 * GEMM calls touch only their slices, and fewer blocks means fewer jobs (each wakes the workers).
 */
const MAX_BLOCK_SCALE = 4;

/** The outcome of a threaded run: the output, or 'non-finite' (igemm must recompute it). */
export type WinogradThreadedResult = Float32Array | 'non-finite';

/**
 * Computes a conv2d's winograd problem (see winogradProblem) with F(tile x tile), by default the
 * planner's tile, on `threads` threads of `engine` (pool and shared heap). Throws PoolBrokenError if
 * the pool breaks; the caller then computes on its own thread.
 */
export function winogradThreaded(
  engine: ParallelEngine,
  { g, loadRows, filter }: WinogradProblem,
  threads: number,
  tile: WinogradTile = winogradTile(g),
  out?: Float32Array,
): WinogradThreadedResult {
  const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
  if (size === 0) return new Float32Array(0);
  const parts = threads * CALLS_PER_THREAD;
  let layout = winogradLayout(g, tile, WINOGRAD_BLOCK_BYTES * Math.min(threads, MAX_BLOCK_SCALE), parts);
  if (layout.scratchBytes > WINOGRAD_MAX_SCRATCH_BYTES) layout = winogradLayout(g, tile, undefined, parts);
  const run = placeWinograd(engine.heap, g, filter, tile, layout);
  const phases: WinogradPhases = {
    parts,
    run: (kernel, calls, meanwhile) => engine.pool.runSync(kernel, calls, threads, meanwhile),
  };
  let output: Float32Array | undefined;
  const allocate = () => (output ??= out ?? new Float32Array(size));
  const finite = driveWinograd(engine.heap, run, loadRows, allocate, phases);
  return finite ? allocate() : 'non-finite';
}
