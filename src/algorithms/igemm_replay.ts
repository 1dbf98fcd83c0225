/**
 * Replaying a model step's igemm calls. A model runs the same convolution on every predict, reading and
 * writing its arena in place (the same addresses each time) with the epilogue in the kernel; only the
 * values change. Planning the calls again each time (the packed weights' and the table's places, the
 * bias copied into scratch, the kernel argument lists) took 6-21 us of JavaScript a step, with the
 * caches cold after the previous layer: 0.6 ms of MobileNetV2's predict, 0.8 ms of ResNet-50's.
 *
 * So after such a run the step keeps its argument lists, with the indirection table and the bias made
 * resident beside the packed weights (WasmHeap.placeWeights) instead of in the scratch area, which the
 * next step overwrites. The next call replays the lists when nothing they name has moved: the same wasm
 * memory (it did not grow), the input, output and residual at the same addresses, the filter's packed
 * form the current one, and the weights, table and bias still resident where they were (the weight
 * arena is emptied when it fills, and pinning a new arena region drops it too). Otherwise the call
 * plans again, as before, and records anew. The replayed calls are the recorded ones, so the bits are.
 */
import type { WasmEngine } from '../kernels/wasm/engine.js';
import type { WasmHeap } from '../kernels/wasm/heap.js';
import { currentPackedWeights } from '../plan/weights_cache.js';
import type { IgemmRun, OutputClamp } from './igemm.js';

/** Kept by the caller between calls of one convolution (a model step); empty at first. */
export interface IgemmReplay {
  recorded?: IgemmRecord;
}

interface IgemmRecord {
  buffer: ArrayBufferLike;
  inputAt: number;
  outputAt: number;
  /** -1: no residual. */
  residualAt: number;
  packKey: string;
  packed: Float32Array;
  weights: number;
  table: Float32Array;
  tableAt: number;
  bias: Float32Array | null;
  biasAt: number;
  lo: number;
  hi: number;
  /** f32_igemm_4x8_epilogue's argument lists, in order. */
  calls: number[][];
}

/** Argument positions in f32_igemm_4x8_epilogue's list (see fusedEpilogueArgs). */
const EPILOGUE_ARG = { table: 4, bias: 9 } as const;

/** The indirection tables as float arrays for placeWeights, one view per table (so one identity). */
const tableViews = new WeakMap<Int32Array, Float32Array>();

function tableView(table: Int32Array): Float32Array {
  let view = tableViews.get(table);
  if (!view) {
    view = new Float32Array(table.buffer, table.byteOffset, table.length);
    tableViews.set(table, view);
  }
  return view;
}

/**
 * The record of a run that just made `calls` (f32_igemm_4x8_epilogue's lists, reading the table at
 * run.table and the bias at `scratchBias` in the scratch area), or undefined when its table and bias
 * cannot be made resident beside its weights.
 */
export function recordIgemm(
  heap: WasmHeap,
  run: IgemmRun,
  calls: number[][],
  at: { inputAt: number; outputAt: number; residualAt: number },
  clamp: OutputClamp,
  scratchBias: number,
): IgemmRecord | undefined {
  const table = tableView(run.tableData);
  const tableAt = heap.placeWeights(table);
  const bias = clamp.bias;
  const biasAt = bias ? heap.placeWeights(bias) : 0;
  // A placement may have emptied the arena (the weights with it): then there is nothing to keep.
  if (heap.residentAddress(run.packed) !== run.weights || heap.residentAddress(table) !== tableAt) return;
  if (bias && heap.residentAddress(bias) !== biasAt) return;
  const kept = calls.map((a) => {
    const c = a.slice();
    const { table: t, bias: b } = EPILOGUE_ARG;
    c[t] = tableAt + (a[t] - run.table);
    if (a[b] !== 0) c[b] = biasAt + (a[b] - scratchBias);
    return c;
  });
  return {
    buffer: heap.memory.buffer,
    ...at,
    packKey: run.packKey,
    packed: run.packed,
    weights: run.weights,
    table,
    tableAt,
    bias,
    biasAt,
    lo: clamp.lo,
    hi: clamp.hi,
    calls: kept,
  };
}

/** Runs the recorded calls when nothing they name has moved (and sets clamp.applied); else false. */
export function replayIgemm(
  engine: WasmEngine,
  replay: IgemmReplay,
  input: Float32Array,
  filter: Float32Array,
  output: Float32Array,
  clamp: OutputClamp,
): boolean {
  const r = replay.recorded;
  const kernel = engine.kernels.f32_igemm_4x8_epilogue;
  if (!r || !kernel) return false;
  const { heap } = engine;
  if (heap.memory.buffer !== r.buffer) return false;
  if (heap.addressOf(input) !== r.inputAt || heap.addressOf(output) !== r.outputAt) return false;
  if ((clamp.residual ? heap.addressOf(clamp.residual) : -1) !== r.residualAt) return false;
  if (clamp.bias !== r.bias || clamp.lo !== r.lo || clamp.hi !== r.hi) return false;
  if (currentPackedWeights(filter, r.packKey) !== r.packed) return false;
  if (heap.residentAddress(r.packed) !== r.weights || heap.residentAddress(r.table) !== r.tableAt)
    return false;
  if (r.bias && heap.residentAddress(r.bias) !== r.biasAt) return false;
  for (const a of r.calls)
    kernel(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]);
  clamp.applied = true;
  return true;
}
