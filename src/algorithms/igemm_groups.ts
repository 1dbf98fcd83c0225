/**
 * Grouped igemm with several small groups in one 8-column panel (block-diagonal packed weights, see
 * packGroupBlockPanels): when that pays (groupsPerPanel), and the check that makes it safe. Zero weights
 * of a blocked panel multiply the other groups' inputs, so a NaN or infinity in one group's input would
 * reach its neighbours' outputs; a band with any non-finite input is computed one group at a time, as
 * TensorFlow computes groups separately.
 */
import type { ConvGeometry } from '../geometry.js';
import type { KernelExports } from '../kernels/wasm/engine.js';
import { align64, type WasmHeap } from '../kernels/wasm/heap.js';
import { NR } from '../kernels/wasm/pack.js';
import type { IgemmLayout, IgemmRun } from './igemm.js';

/** Test and bench hook: 'auto' (the cost model), or always / never several groups a panel. */
export type GroupPanelMode = 'auto' | 'blocks' | 'per-group';
let groupPanelMode: GroupPanelMode = 'auto';
export function setGroupPanelMode(mode: GroupPanelMode): void {
  groupPanelMode = mode;
}

/**
 * How many groups share one 8-column panel (1: one group per panel). Several fit where a group has
 * at most 4 output channels. A blocked panel runs as many kernel steps as its groups one at a time
 * would (each step multiplies one input channel by the panel's 8 columns), but a full-width step costs
 * more than the half-width one a group of 4 or fewer uses; what it saves is per-segment work, the
 * segments being groupsPerPanel times longer. Measured (56x56 and 28x28 images, 3x3, one thread, in
 * chunks): that pays only for segments of 1 float (1 input channel a group: 1.2x to 1.5x) or of 2
 * floats with at most 2 output channels a group (about 1.05x); with 2 channels and 4 outputs, or 4
 * and more channels, one group at a time is faster (4 in, 4 out: 14.2 against 10.9 GFLOP/s).
 */
export function groupsPerPanel(g: ConvGeometry): number {
  if (g.groups === 1 || groupPanelMode === 'per-group') return 1;
  const outPerGroup = g.outChannels / g.groups;
  const fit = Math.min(g.groups, Math.floor(NR / outPerGroup));
  if (fit < 2) return 1;
  if (groupPanelMode === 'blocks') return fit;
  const inPerGroup = g.filterInChannels;
  return inPerGroup === 1 || (inPerGroup === 2 && outPerGroup <= 2) ? fit : 1;
}

/**
 * The finiteness check runs the kernel with the input band as its weights: one panel of 8 columns,
 * K = the band's floats / 8, times a row of zeros, so each result is 0 when every input is finite and
 * NaN otherwise (0 * inf and 0 * NaN are NaN). The zero row is CHECK_KC floats, found through a table
 * whose every segment points at it; the floats past the last whole segment are checked in JavaScript.
 */
const CHECK_KC = 256;
const CHECK_SEGMENT_FLOATS = CHECK_KC * NR;

function finiteCheckSegments(floats: number): number {
  return Math.floor(floats / CHECK_SEGMENT_FLOATS);
}

export function finiteCheckBytes(layout: IgemmLayout): number {
  const table = Math.max(1, finiteCheckSegments(layout.inputBytes / 4)) * 16;
  return align64(table) + CHECK_KC * 4 + NR * 4;
}

/** Writes the check's table (at `at`), its zero row and room for its result (see CHECK_KC). */
export function writeFiniteCheck(heap: WasmHeap, at: number, layout: IgemmLayout): void {
  const segments = Math.max(1, finiteCheckSegments(layout.inputBytes / 4));
  const zeros = at + align64(segments * 16);
  heap.i32.fill(zeros, at >> 2, (at >> 2) + segments * 4);
  heap.f32.fill(0, zeros >> 2, (zeros >> 2) + CHECK_KC);
}

/**
 * Whether every input float of the band of `rows` output rows now in run's input band is finite: the
 * multiplications of a blocked panel would turn a non-finite input into NaN in the other groups'
 * outputs. One pass over the band, in the kernel (measured about 5% of a blocked 3x3 band).
 */
export function bandInputFinite(
  kernels: KernelExports,
  heap: WasmHeap,
  run: IgemmRun,
  rows: number,
): boolean {
  const { g, layout } = run;
  const floats = ((rows - 1) * g.strideHeight + g.effectiveFilterHeight) * layout.rowFloats;
  const segments = finiteCheckSegments(floats);
  const f32 = heap.f32;
  let sum = 0;
  if (segments > 0) {
    const result = run.finiteCheck + align64(finiteCheckSegments(layout.inputBytes / 4) * 16) + CHECK_KC * 4;
    kernels.f32_igemm_4x8(1, NR, segments, CHECK_KC, run.finiteCheck, 0, run.inputBand, result, NR);
    for (let j = 0; j < NR; j++) sum += f32[(result >> 2) + j];
  }
  const start = run.inputBand >> 2;
  for (let i = start + segments * CHECK_SEGMENT_FLOATS; i < start + floats; i++) sum += f32[i] * 0;
  return sum === 0;
}
