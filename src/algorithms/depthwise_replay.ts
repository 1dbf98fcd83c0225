/**
 * Replaying a model step's in-place depthwise call (f32_dwconv_inplace), as igemm_replay.ts does for
 * igemm: the step runs the same layer on the same arena addresses on every predict, so after a call on
 * one thread it keeps the kernel's argument lists, with the bias made resident beside the packed
 * filter (the call put it in the scratch area, which the next step overwrites). The next call checks
 * that nothing the lists name has moved (the memory did not grow; input and output at the same
 * addresses; the same bias array and bounds; the packed filter, the bias and the zero row still where
 * they were) and runs them; otherwise it plans as before and records again. The kernel's row and tap
 * tables are its own scratch, written on every call: they go at the scratch area's current start.
 * Planning took 8-12 us of JavaScript a step (caches cold after the previous layer), as much as the
 * kernel itself on MobileNetV2's 7x7 and 14x14 layers.
 */
import type { WasmHeap } from '../kernels/wasm/heap.js';

/** What the replay needs of a call (see depthwiseInPlace). */
export interface DwconvRecord {
  heap: WasmHeap;
  /** The geometry the calls were made for (the step's own object). */
  geometry: object;
  kernel: (...args: number[]) => void;
  buffer: ArrayBufferLike;
  inputAt: number;
  outputAt: number;
  /** The clamp's bias array (null: none) and bounds, as the call had them. */
  clampBias: Float32Array | null;
  lo: number;
  hi: number;
  packed: Float32Array;
  weights: number;
  /** The bias the kernel reads (the clamp's, or zeros), resident at biasAt. */
  bias: Float32Array;
  biasAt: number;
  zero: number;
  /** Scratch bytes the kernel's tables take, from the scratch area's start. */
  scratchBytes: number;
  /** f32_dwconv_inplace's argument lists; their tables argument is bytes into the scratch area. */
  calls: number[][];
}

/** Argument positions in f32_dwconv_inplace's list (see depthwiseInPlace). */
export const DWCONV_ARG = { tables: 17, bias: 18 } as const;

/** Makes `bias` resident and returns the record, or undefined when the packed filter did not stay resident. */
export function recordDwconv(
  base: Omit<DwconvRecord, 'biasAt' | 'buffer'>,
  scratchTables: number,
): DwconvRecord | undefined {
  const { heap } = base;
  const biasAt = heap.placeWeights(base.bias);
  // Placing the bias may have emptied the arena, the packed filter with it.
  if (heap.residentAddress(base.packed) !== base.weights || heap.residentAddress(base.bias) !== biasAt)
    return;
  const calls = base.calls.map((a) => {
    const c = a.slice();
    c[DWCONV_ARG.tables] = a[DWCONV_ARG.tables] - scratchTables;
    c[DWCONV_ARG.bias] = biasAt;
    return c;
  });
  return { ...base, calls, biasAt, buffer: heap.memory.buffer };
}

/** Whether the recorded calls still name what they did (see the module comment). */
export function replayable(
  r: DwconvRecord,
  geometry: object,
  input: Float32Array,
  out: Float32Array,
  clampBias: Float32Array | null,
  lo: number,
  hi: number,
  packed: Float32Array | undefined,
  zero: number,
): boolean {
  const { heap } = r;
  return (
    geometry === r.geometry &&
    heap.memory.buffer === r.buffer &&
    heap.addressOf(input) === r.inputAt &&
    heap.addressOf(out) === r.outputAt &&
    clampBias === r.clampBias &&
    lo === r.lo &&
    hi === r.hi &&
    packed === r.packed &&
    heap.residentAddress(r.packed) === r.weights &&
    heap.residentAddress(r.bias) === r.biasAt &&
    zero === r.zero &&
    heap.scratchBase + r.scratchBytes <= heap.memory.buffer.byteLength
  );
}
