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
  driveWinogradAsync,
  inPlaceAddresses,
  placeWinograd,
  type AsyncWinogradPhases,
  type WinogradPhases,
  type WinogradProblem,
} from '../algorithms/winograd.js';
import {
  WINOGRAD_BLOCK_BYTES,
  WINOGRAD_MAX_SCRATCH_BYTES,
  winogradLayout,
  winogradTile,
} from '../algorithms/winograd_plan.js';
import type { OutputClamp } from '../algorithms/igemm.js';
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
 * the pool breaks; the caller then computes on its own thread. `clamp`: as conv2dWinograd's.
 */
export function winogradThreaded(
  engine: ParallelEngine,
  problem: WinogradProblem,
  threads: number,
  tile: WinogradTile = winogradTile(problem.g),
  out?: Float32Array,
  clamp?: OutputClamp,
): WinogradThreadedResult {
  const { g, loadRows } = problem;
  const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
  if (size === 0) return new Float32Array(0);
  const parts = threads * CALLS_PER_THREAD;
  const run = placeThreaded(engine, problem, tile, threads, out, clamp);
  const phases: WinogradPhases = {
    parts,
    run: (kernel, calls, meanwhile) => engine.pool.runSync(kernel, calls, threads, meanwhile),
  };
  let output: Float32Array | undefined;
  const allocate = () => (output ??= out ?? new Float32Array(size));
  const finite = driveWinograd(engine.heap, run, loadRows, allocate, phases);
  if (finite && clamp && run.stage) clamp.applied = true;
  return finite ? allocate() : 'non-finite';
}

/**
 * winogradThreaded with only the pool's workers computing (`threads` of them) while the calling
 * thread awaits them (predictAsync, conv2dAsync: a browser's main thread may not block); it still copies
 * rows in and out between the phases. The caller holds the engine (exclusive).
 */
export async function winogradAsync(
  engine: ParallelEngine,
  problem: WinogradProblem,
  threads: number,
  out?: Float32Array,
): Promise<WinogradThreadedResult> {
  const { g, loadRows } = problem;
  const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
  if (size === 0) return new Float32Array(0);
  const run = placeThreaded(engine, problem, winogradTile(g), threads, out);
  const phases: AsyncWinogradPhases = {
    parts: threads * CALLS_PER_THREAD,
    run: async (kernel, calls, meanwhile) => {
      const done = engine.pool.runAsync(kernel, calls, threads);
      try {
        meanwhile?.();
      } catch (error) {
        await done.catch(() => 0);
        throw error;
      }
      return done;
    },
  };
  let output: Float32Array | undefined;
  const allocate = () => (output ??= out ?? new Float32Array(size));
  const finite = await driveWinogradAsync(engine.heap, run, loadRows, allocate, phases);
  return finite ? allocate() : 'non-finite';
}

/** Places a threaded run: blocks sized for `threads` (see MAX_BLOCK_SCALE), within the scratch cap. */
function placeThreaded(
  engine: ParallelEngine,
  problem: WinogradProblem,
  tile: WinogradTile,
  threads: number,
  out: Float32Array | undefined,
  clamp?: OutputClamp,
): ReturnType<typeof placeWinograd> {
  const { g, filter } = problem;
  const parts = threads * CALLS_PER_THREAD;
  // Input and output in the pool's memory (a threaded plan's arena) are used in place: addresses first.
  const where = inPlaceAddresses(engine.heap, problem, out, clamp);
  let layout = winogradLayout(g, tile, WINOGRAD_BLOCK_BYTES * Math.min(threads, MAX_BLOCK_SCALE), parts);
  if (layout.scratchBytes > WINOGRAD_MAX_SCRATCH_BYTES) layout = winogradLayout(g, tile, undefined, parts);
  return placeWinograd(engine.heap, g, filter, tile, layout, where);
}
