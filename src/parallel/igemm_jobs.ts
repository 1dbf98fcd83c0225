/**
 * igemm (src/algorithms/igemm.ts) cut into pool jobs. A job is: copy some input rows into the shared
 * heap, run a list of f32_igemm_4x8 calls (each a run of whole 4-pixel tiles, so any thread may run
 * any call and every output value is computed exactly as on one thread), copy the output rows out.
 *
 * When a whole image fits one band, a job takes as many images as fit IMAGES_SCRATCH_BYTES, each in
 * its own slot of input and output rows: a batch of small images then costs one wake-up of the
 * workers, not one per image. Otherwise a job is one band of one image.
 */
import type { ConvGeometry } from '../geometry.js';
import { wasmEngine, type KernelExports } from '../kernels/wasm/engine.js';
import { align64, type WasmHeap } from '../kernels/wasm/heap.js';
import { NR } from '../kernels/wasm/pack.js';
import {
  bandKernelCalls,
  bandRows,
  fusedEpilogueArgs,
  IGEMM_EPILOGUE_KERNEL,
  inPlace,
  loadInputBand,
  placeIgemm,
  readsInputInPlace,
  storeOutputBand,
  type IgemmRun,
  type OutputClamp,
} from '../algorithms/igemm.js';
import { bandInputFinite } from '../algorithms/igemm_groups.js';
import { parallelEngine } from './parallel_engine.js';

export const IGEMM_KERNEL = 'f32_igemm_4x8';

/** Scratch for the image slots of one multi-image job. */
const IMAGES_SCRATCH_BYTES = 8 << 20;
/**
 * Work per call of a job that copies rows in and out: small enough that the thread which claims the
 * last call (perhaps a worker that woke late, or one slowed by other work on the machine, or the
 * calling thread after its copies) holds the others up briefly (about 30 us), large enough that a
 * call's fixed cost (about 1 us) is lost in it. In-place jobs (a model's arena) take no copies and
 * split only MIN_CALLS_PER_THREAD calls a thread (see igemmInPlaceJobs).
 */
const CALL_FLOPS = 1_000_000;
/** Calls per thread, at least: shares small enough to even out. */
const MIN_CALLS_PER_THREAD = 2;

export interface IgemmJob {
  /** Copies the job's input rows into the heap (and then fills `calls`). */
  load(): void;
  /**
   * f32_igemm_4x8 argument lists, complete once load() has run: with groups sharing panels, which
   * calls compute a band depends on whether its input is finite (see groupsPerPanel in igemm_groups.ts).
   */
  calls: number[][];
  /** Copies the job's output rows into `output` (conv2d's whole output). */
  store(output: Float32Array): void;
}

/**
 * Splits `rows` output rows of `run` into calls of whole tiles, `threads` threads sharing them. The
 * band must be loaded: with groups sharing panels, its input decides which panels the calls use.
 */
function tileCalls(
  kernels: KernelExports | null,
  heap: WasmHeap,
  run: IgemmRun,
  rows: number,
  threads: number,
  into: number[][],
  callFlops = CALL_FLOPS,
): void {
  const tiles = Math.ceil((rows * run.g.outWidth) / 4);
  const flops = (run.g.flops / (run.g.batch * run.g.outHeight)) * rows;
  // Few rows (a Dense layer at batch 1) split their columns too (bandKernelCalls), in whole panels.
  const panels = run.g.groups === 1 ? Math.ceil(run.g.outChannels / NR) : 1;
  const parts = Math.min(
    tiles * panels,
    Math.max(threads * MIN_CALLS_PER_THREAD, Math.ceil(flops / callFlops)),
  );
  const blocked = run.groupsPerPanel > 1 && kernels !== null && bandInputFinite(kernels, heap, run, rows);
  for (const list of bandKernelCalls(run, rows, parts, blocked)) into.push(...list);
}

/**
 * The calling thread's kernel instance over `heap` (the finiteness check runs there, between a job's
 * load and its calls), or null when none is known (the calls then take one group at a time).
 */
function hostKernels(heap: WasmHeap): KernelExports | null {
  const single = wasmEngine();
  if (single?.heap === heap) return single.kernels;
  const parallel = parallelEngine();
  if (parallel?.heap === heap) return parallel.pool.exports as unknown as KernelExports;
  return null;
}

/**
 * The jobs that compute conv2d `g` on `threads` threads, using `heap` (shared with the pool). Places
 * the packed filter and indirection table first; jobs are made one at a time.
 */
export function* igemmJobs(
  heap: WasmHeap,
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  threads: number,
): Generator<IgemmJob> {
  const run = placeIgemm(heap, g, filter);
  const { layout } = run;
  const kernels = run.groupsPerPanel > 1 ? hostKernels(heap) : null;
  if (layout.bands > 1) {
    for (let b = 0; b < g.batch; b++) {
      for (let band = 0; band < layout.bands; band++) {
        const { rows } = bandRows(run, band);
        if (rows === 0) break;
        const calls: number[][] = [];
        yield {
          load: () => {
            loadInputBand(heap, run, input, b, band);
            calls.length = 0;
            tileCalls(kernels, heap, run, rows, threads, calls);
          },
          calls,
          store: (output) => storeOutputBand(heap, run, output, b, band),
        };
      }
    }
    return;
  }
  // One band per image: images go into slots (input rows, output rows), several per job.
  const slotBytes = align64(layout.inputBytes) + align64(layout.outputBytes);
  const slotCount = Math.max(1, Math.min(g.batch, Math.floor(IMAGES_SCRATCH_BYTES / slotBytes)));
  heap.ensure(run.inputBand + slotCount * slotBytes);
  const slots: IgemmRun[] = [];
  for (let s = 0; s < slotCount; s++) {
    const inputBand = run.inputBand + s * slotBytes;
    slots.push({ ...run, inputBand, outputBand: inputBand + align64(layout.inputBytes) });
  }
  const rows = g.outHeight;
  for (let first = 0; first < g.batch; first += slotCount) {
    const images = Math.min(slotCount, g.batch - first);
    const calls: number[][] = [];
    const threadsPerImage = Math.ceil(threads / images);
    yield {
      load: () => {
        calls.length = 0;
        for (let s = 0; s < images; s++) {
          loadInputBand(heap, slots[s], input, first + s, 0);
          tileCalls(kernels, heap, slots[s], rows, threadsPerImage, calls);
        }
      },
      calls,
      store: (output) => {
        for (let s = 0; s < images; s++) storeOutputBand(heap, slots[s], output, first + s, 0);
      },
    };
  }
}

/** In-place jobs and the kernel their calls are for (see igemmInPlaceJobs). */
export interface InPlaceIgemm {
  kernel: string;
  /** Whether the calls also apply the clamp (bias, residual, bounds). */
  clamped: boolean;
  jobs: Generator<IgemmJob>;
}

/**
 * Jobs for an output that already lives in `heap` (the model runtime's arena, pinned there when its
 * plan runs on several threads): the calls write each band where it belongs, so nothing is copied out;
 * an unpadded input there is read where it is too (readsInputInPlace). With `clamp`,
 * where the kernel can apply it (see fusedEpilogueArgs), the calls are f32_igemm_4x8_epilogue's and
 * every thread applies bias, residual and clamp to the tiles it computed. Null where the output is not
 * in `heap`, is NCHW, or has groups: then igemmJobs, and the caller's epilogue.
 */
export function igemmInPlaceJobs(
  heap: WasmHeap,
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
  threads: number,
  out: Float32Array,
  clamp?: OutputClamp,
): InPlaceIgemm | null {
  if (g.dataFormat !== 'NHWC' || g.groups !== 1) return null;
  // Addresses first: placing the run may grow the memory (which moves no data).
  const outputAt = heap.addressOf(out);
  if (outputAt < 0) return null;
  const inputAt = heap.addressOf(input);
  const residualAt = clamp?.residual ? heap.addressOf(clamp.residual) : -1;
  const run = placeIgemm(heap, g, filter, readsInputInPlace(g, inputAt));
  const fused = fusedEpilogueArgs(heap, run, residualAt, clamp);
  const at = inPlace(run, inputAt, outputAt);
  const inRowBytes = g.inWidth * g.inChannels * 4;
  const outRowBytes = g.outWidth * g.outChannels * 4;
  /** Appends the calls of band `band` of image b (its input band loaded, or read in place). */
  const bandCalls = (b: number, band: number, into: number[][]) => {
    const { first, rows } = bandRows(run, band);
    if (rows === 0) return;
    const here: IgemmRun = {
      ...run,
      inputBand:
        at.input >= 0 ? at.input + (b * g.inHeight + first * g.strideHeight) * inRowBytes : run.inputBand,
      outputBand: at.output + (b * g.outHeight + first) * outRowBytes,
    };
    const bandPixel = (b * g.outHeight + first) * g.outWidth;
    const start = into.length;
    // Few large calls: on ResNet-50 at batch 1 (two threads, Node 24, 2-core Xeon) 2 calls a thread
    // per band took 80-81 ms a predict against 83-87 ms with CALL_FLOPS' calls (100 on a 1x1 layer of
    // 0.1 GFLOP; each call's rows re-read its panels), at batch 8 595 against 627 ms.
    tileCalls(null, heap, here, rows, threads, into, Infinity);
    if (fused) for (let i = start; i < into.length; i++) into[i] = fused(into[i], here.outputBand, bandPixel);
  };
  function* jobs(): Generator<IgemmJob> {
    if (at.input >= 0) {
      // Nothing to load between bands: every band of every image in one job, so the threads meet
      // once a layer instead of once a band.
      const calls: number[][] = [];
      yield {
        load: () => {
          calls.length = 0;
          for (let b = 0; b < g.batch; b++)
            for (let band = 0; band < run.layout.bands; band++) bandCalls(b, band, calls);
        },
        calls,
        store: () => {},
      };
      return;
    }
    for (let b = 0; b < g.batch; b++) {
      for (let band = 0; band < run.layout.bands; band++) {
        if (bandRows(run, band).rows === 0) break;
        const calls: number[][] = [];
        yield {
          load: () => {
            loadInputBand(heap, run, input, b, band);
            calls.length = 0;
            bandCalls(b, band, calls);
          },
          calls,
          store: () => {},
        };
      }
    }
  }
  return { kernel: fused ? IGEMM_EPILOGUE_KERNEL : IGEMM_KERNEL, clamped: fused !== null, jobs: jobs() };
}
