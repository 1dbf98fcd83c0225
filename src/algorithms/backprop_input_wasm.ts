/**
 * The input gradient of conv2d on the fast engine's f32-igemm-4x8 kernel, as an implicit GEMM over dy:
 *
 *   dx[b, iy, ix, ic] = sum over taps (ky, kx) and output channels oc of the group of
 *                       dy[b, oy, ox, oc] * w[ky, kx, ic', oc],
 *   where oy = (iy + padTop - ky * dilationHeight) / strideHeight (likewise ox) must be a whole number.
 *
 * With strides, which taps reach an input pixel depends on its phase (iy mod strideHeight,
 * ix mod strideWidth), so the input pixels are computed a phase at a time (a "sub-pixel"
 * decomposition: no zero-inserted dy, no wasted products). Within a phase every pixel uses the same
 * taps, and pixel (qy, qx) of the phase reads dy at (qy + rowShift[tap], qx + colShift[tap]): an
 * ordinary indirect GEMM with one segment per tap (the group's output channels of one dy pixel) and
 * the phase's taps of the filter, transposed, as the packed weights.
 *
 * dy is copied into wasm memory a band at a time with a zero border wide enough for every shift, so the
 * indirection table has no special cases and depends only on the shapes (it is cached). Each band
 * covers bandRows input rows (a multiple of strideHeight, so every band has the same phase pattern).
 */
import type { ConvGeometry } from '../geometry.js';
import type { WasmEngine } from '../kernels/wasm/engine.js';
import { align64 } from '../kernels/wasm/heap.js';
import { NR } from '../kernels/wasm/pack.js';
import { ScratchArena } from './wasm_scratch.js';

/** Scratch budget of one band: indirection table, dy band and output band. */
export const BAND_SCRATCH_BYTES = 4 << 20;

/** One phase (py, px) of the input pixels. */
interface Phase {
  py: number;
  px: number;
  /**
   * Taps reaching this phase, as ky * filterWidth + kx, in the order of the GEMM's K: segment by
   * segment, each segment's taps in the order their dy pixels lie in memory.
   */
  taps: number[];
  /** Kernel segments per pixel, and taps per segment (several when they read adjacent dy pixels). */
  segments: number;
  segmentTaps: number;
  /** Phase rows in a full band, and phase columns in a row. */
  rows: number;
  cols: number;
  /** Byte offset of this phase's part of the indirection table. */
  tableOffset: number;
  /** Float offset of this phase's rows in the output band (rows x inChannels floats). */
  outputOffset: number;
  /** Float offset of this phase's packed weights (all groups). */
  weightOffset: number;
}

interface InputGradientPlan {
  bandRows: number;
  bands: number;
  /** The dy band: first row and column relative to the band's origin, rows, columns. */
  dyRow0: number;
  dyCol0: number;
  dyRows: number;
  dyCols: number;
  /** Phases with at least one tap and one pixel. */
  phases: Phase[];
  table: Int32Array;
  outputFloats: number;
  weightFloats: number;
}

/**
 * Largest scratch (table, packed weights, dy band, output band) the wasm input gradient may take:
 * beyond it (a filter spread over thousands of rows and columns by its dilation, whose dy band spans
 * every shift) the TypeScript GEMM, whose scratch lives in JavaScript memory, computes it instead.
 */
export const INPUT_GRADIENT_MAX_SCRATCH_BYTES = 256 << 20;

/** Whether the wasm kernel can take g's input gradient within INPUT_GRADIENT_MAX_SCRATCH_BYTES. */
export function inputGradientFitsWasm(g: ConvGeometry, bandBytes = BAND_SCRATCH_BYTES): boolean {
  const plan = inputGradientPlan(g, bandBytes);
  const bytes =
    align64(plan.table.byteLength) +
    align64(plan.weightFloats * 4) +
    align64(plan.dyRows * plan.dyCols * g.outChannels * 4) +
    align64(plan.outputFloats * 4);
  return bytes <= INPUT_GRADIENT_MAX_SCRATCH_BYTES;
}

/**
 * dL/dx for L = sum(conv2d(x, filter) * dy) on the wasm kernel, in g.dataFormat. Needs g.flops > 0.
 * `bandBytes` bounds one band's scratch (tests shrink it to exercise the bands). With `out` (dx's size)
 * the result is written there instead of a new array.
 */
export function conv2dBackpropInputWasm(
  engine: WasmEngine,
  g: ConvGeometry,
  filter: Float32Array,
  dy: Float32Array,
  bandBytes = BAND_SCRATCH_BYTES,
  out?: Float32Array,
): Float32Array {
  const { heap, kernels } = engine;
  // Positions no phase reaches (a stride past the filter) stay zero.
  const dx = out ? out.fill(0) : new Float32Array(g.batch * g.inHeight * g.inWidth * g.inChannels);
  const plan = inputGradientPlan(g, bandBytes);
  if (plan.phases.length === 0) return dx;
  const outPerGroup = g.outChannels / g.groups;
  const inPerGroup = g.filterInChannels;
  const scratch = new ScratchArena(heap);
  const tableAt = scratch.take(plan.table.byteLength);
  const weightsAt = scratch.take(plan.weightFloats * 4);
  const dyAt = scratch.take(plan.dyRows * plan.dyCols * g.outChannels * 4);
  const outAt = scratch.take(plan.outputFloats * 4);
  scratch.commit();
  heap.i32.set(plan.table, tableAt >> 2);
  packPhaseWeights(heap.f32, weightsAt >> 2, g, plan, filter);
  const groupWeightFloats = (phase: Phase) =>
    Math.ceil(inPerGroup / NR) * NR * phase.taps.length * outPerGroup;

  for (let b = 0; b < g.batch; b++) {
    for (let band = 0; band < plan.bands; band++) {
      const first = band * plan.bandRows;
      loadDyBand(heap.f32, dyAt >> 2, g, plan, dy, b, first / g.strideHeight);
      for (const phase of plan.phases) {
        const rows = phaseRowsInBand(g, plan, phase, first);
        if (rows === 0) continue;
        const m = rows * phase.cols;
        const weights = weightsAt + phase.weightOffset * 4;
        for (let group = 0; group < g.groups; group++) {
          kernels.f32_igemm_4x8(
            m,
            inPerGroup,
            phase.segments,
            phase.segmentTaps * outPerGroup,
            tableAt + phase.tableOffset,
            dyAt + group * outPerGroup * 4,
            weights + group * groupWeightFloats(phase) * 4,
            outAt + (phase.outputOffset + group * inPerGroup) * 4,
            g.inChannels,
          );
        }
        storePhase(heap.f32, (outAt >> 2) + phase.outputOffset, g, phase, dx, b, first, rows);
      }
    }
  }
  return dx;
}

/** Rows of `phase` that exist in the band starting at input row `first`. */
function phaseRowsInBand(g: ConvGeometry, plan: InputGradientPlan, phase: Phase, first: number): number {
  const left = g.inHeight - first - phase.py;
  return left <= 0 ? 0 : Math.min(phase.rows, Math.ceil(left / g.strideHeight));
}

const plans = new Map<string, InputGradientPlan>();
const PLAN_ENTRIES = 8;

function inputGradientPlan(g: ConvGeometry, bandBytes: number): InputGradientPlan {
  const key =
    `${bandBytes}:${g.inHeight},${g.inWidth},${g.inChannels},${g.filterHeight},${g.filterWidth},${g.filterInChannels},` +
    `${g.outChannels},${g.strideHeight},${g.strideWidth},${g.dilationHeight},${g.dilationWidth},` +
    `${g.padTop},${g.padLeft},${g.outHeight},${g.outWidth}`;
  let plan = plans.get(key);
  if (plan) {
    plans.delete(key);
  } else {
    plan = buildPlan(g, bandBytes);
    if (plans.size >= PLAN_ENTRIES) plans.delete(plans.keys().next().value as string);
  }
  plans.set(key, plan);
  return plan;
}

/** dy row (relative to the band's first dy row) that tap ky sends to phase row 0 of phase py. */
function rowShift(g: ConvGeometry, py: number, ky: number): number {
  return (py + g.padTop - ky * g.dilationHeight) / g.strideHeight;
}

function colShift(g: ConvGeometry, px: number, kx: number): number {
  return (px + g.padLeft - kx * g.dilationWidth) / g.strideWidth;
}

type BarePhase = Omit<Phase, 'rows' | 'tableOffset' | 'outputOffset' | 'weightOffset'>;

function phasesOf(g: ConvGeometry): BarePhase[] {
  const found: BarePhase[] = [];
  for (let py = 0; py < g.strideHeight && py < g.inHeight; py++) {
    for (let px = 0; px < g.strideWidth && px < g.inWidth; px++) {
      const rows: number[] = [];
      for (let ky = 0; ky < g.filterHeight; ky++) {
        if (Number.isInteger(rowShift(g, py, ky))) rows.push(ky);
      }
      // Descending kx: the dy columns they read ascend.
      const columns: number[] = [];
      for (let kx = g.filterWidth - 1; kx >= 0; kx--) {
        if (Number.isInteger(colShift(g, px, kx))) columns.push(kx);
      }
      // A phase no tap reaches gets no gradient: its pixels stay zero.
      if (rows.length === 0 || columns.length === 0) continue;
      // With one group, a filter row's taps that read adjacent dy pixels (every channel) form one
      // contiguous segment, as the forward igemm's row segments do.
      const adjacent = columns.every(
        (kx, i) => i === 0 || colShift(g, px, kx) === colShift(g, px, columns[i - 1]) + 1,
      );
      const rowSegments = g.groups === 1 && adjacent;
      const taps = rows.flatMap((ky) => columns.map((kx) => ky * g.filterWidth + kx));
      found.push({
        py,
        px,
        taps,
        segments: rowSegments ? rows.length : taps.length,
        segmentTaps: rowSegments ? columns.length : 1,
        cols: Math.ceil((g.inWidth - px) / g.strideWidth),
      });
    }
  }
  return found;
}

function buildPlan(g: ConvGeometry, bandBytes: number): InputGradientPlan {
  const outPerGroup = g.outChannels / g.groups;
  const bare = phasesOf(g);
  // The shifts of every tap in every phase bound the dy rows and columns a band reads.
  let minRow = 0;
  let maxRow = 0;
  let minCol = 0;
  let maxCol = 0;
  for (const p of bare) {
    for (const t of p.taps) {
      const ky = Math.floor(t / g.filterWidth);
      const kx = t - ky * g.filterWidth;
      minRow = Math.min(minRow, rowShift(g, p.py, ky));
      maxRow = Math.max(maxRow, rowShift(g, p.py, ky));
      minCol = Math.min(minCol, colShift(g, p.px, kx));
      maxCol = Math.max(maxCol, colShift(g, p.px, kx));
    }
  }
  const maxCols = Math.ceil(g.inWidth / g.strideWidth);
  const dyCols = maxCols - 1 + maxCol - minCol + 1;
  const sizes = (bandRows: number) => {
    const phaseRows = bandRows / g.strideHeight;
    const dyRows = phaseRows - 1 + maxRow - minRow + 1;
    let tableBytes = 0;
    for (const p of bare) tableBytes += Math.ceil((phaseRows * p.cols) / 4) * 16 * p.segments;
    const bytes =
      align64(tableBytes) +
      align64(dyRows * dyCols * g.outChannels * 4) +
      align64(bandRows * maxCols * g.inChannels * 4);
    return { phaseRows, dyRows, bytes };
  };
  // The largest band (a multiple of strideHeight) within budget, then evened out over the image.
  const fullRows = Math.ceil(g.inHeight / g.strideHeight);
  let phaseRows = fullRows;
  while (phaseRows > 1 && sizes(phaseRows * g.strideHeight).bytes > bandBytes) {
    phaseRows = Math.max(1, Math.floor(phaseRows / 2));
  }
  const bands = Math.ceil(fullRows / phaseRows);
  phaseRows = Math.ceil(fullRows / bands);
  const bandRows = phaseRows * g.strideHeight;
  const { dyRows } = sizes(bandRows);

  const phases: Phase[] = [];
  let tableBytes = 0;
  let outputFloats = 0;
  let weightFloats = 0;
  for (const p of bare) {
    phases.push({
      ...p,
      rows: phaseRows,
      tableOffset: tableBytes,
      outputOffset: outputFloats,
      weightOffset: weightFloats,
    });
    tableBytes += Math.ceil((phaseRows * p.cols) / 4) * 16 * p.segments;
    outputFloats += phaseRows * p.cols * g.inChannels;
    weightFloats += g.groups * Math.ceil(g.filterInChannels / NR) * NR * p.taps.length * outPerGroup;
  }
  const table = new Int32Array(tableBytes >> 2);
  for (const p of phases) fillPhaseTable(table, g, p, minRow, minCol, dyCols);
  return {
    bandRows,
    bands,
    dyRow0: minRow,
    dyCol0: minCol,
    dyRows,
    dyCols,
    phases,
    table,
    outputFloats,
    weightFloats,
  };
}

/**
 * The phase's part of the tile-major table (see wasm/assembly/igemm.ts): for the phase's pixel
 * i = qy * cols + qx and tap s, the byte offset in the dy band of dy pixel
 * (qy + rowShift - dyRow0, qx + colShift - dyCol0). Pixels past the last repeat it.
 */
function fillPhaseTable(
  table: Int32Array,
  g: ConvGeometry,
  p: Phase,
  dyRow0: number,
  dyCol0: number,
  dyCols: number,
): void {
  const pixelBytes = g.outChannels * 4;
  const ks = p.segments;
  // A segment starts at its first tap's dy pixel.
  const shifts = p.taps
    .filter((_, i) => i % p.segmentTaps === 0)
    .map((t) => {
      const ky = Math.floor(t / g.filterWidth);
      const kx = t - ky * g.filterWidth;
      return ((rowShift(g, p.py, ky) - dyRow0) * dyCols + colShift(g, p.px, kx) - dyCol0) * pixelBytes;
    });
  const pixels = p.rows * p.cols;
  const tiles = Math.ceil(pixels / 4);
  let at = p.tableOffset >> 2;
  for (let t = 0; t < tiles; t++) {
    for (let s = 0; s < ks; s++) {
      for (let i = 0; i < 4; i++) {
        const pixel = Math.min(t * 4 + i, pixels - 1);
        const qy = Math.floor(pixel / p.cols);
        const qx = pixel - qy * p.cols;
        table[at++] = (qy * dyCols + qx) * pixelBytes + shifts[s];
      }
    }
  }
}

/**
 * Packs each phase's weights for each group: K = taps x outPerGroup rows (tap-major, matching the
 * table's segments), inPerGroup columns in 8-column panels: W[s * opg + oc, ic] = w[tap s, ic, oc].
 */
function packPhaseWeights(
  f32: Float32Array,
  dst: number,
  g: ConvGeometry,
  plan: InputGradientPlan,
  filter: Float32Array,
): void {
  const opg = g.outChannels / g.groups;
  const ipg = g.filterInChannels;
  const panels = Math.ceil(ipg / NR);
  for (const p of plan.phases) {
    let d = dst + p.weightOffset;
    for (let group = 0; group < g.groups; group++) {
      for (let q = 0; q < panels; q++) {
        const cols = Math.min(NR, ipg - q * NR);
        for (const tap of p.taps) {
          for (let oc = 0; oc < opg; oc++, d += NR) {
            const src = tap * ipg * g.outChannels + group * opg + oc;
            for (let j = 0; j < cols; j++) f32[d + j] = filter[src + (q * NR + j) * g.outChannels];
            for (let j = cols; j < NR; j++) f32[d + j] = 0;
          }
        }
      }
    }
  }
}

/**
 * Copies the dy rows a band reads into the dy band (NHWC, every channel), zero outside dy: band row r,
 * column c hold dy row firstDyRow + dyRow0 + r, column dyCol0 + c of image b.
 */
function loadDyBand(
  f32: Float32Array,
  dst: number,
  g: ConvGeometry,
  plan: InputGradientPlan,
  dy: Float32Array,
  b: number,
  firstDyRow: number,
): void {
  const o = g.outChannels;
  const rowFloats = plan.dyCols * o;
  const colFirst = Math.max(0, -plan.dyCol0);
  const colEnd = Math.min(plan.dyCols, g.outWidth - plan.dyCol0);
  const plane = g.outHeight * g.outWidth;
  for (let r = 0; r < plan.dyRows; r++) {
    const oy = firstDyRow + plan.dyRow0 + r;
    const d = dst + r * rowFloats;
    if (oy < 0 || oy >= g.outHeight || colEnd <= colFirst) {
      f32.fill(0, d, d + rowFloats);
      continue;
    }
    f32.fill(0, d, d + colFirst * o);
    f32.fill(0, d + colEnd * o, d + rowFloats);
    const ox0 = colFirst + plan.dyCol0;
    if (g.dataFormat === 'NHWC') {
      const src = ((b * g.outHeight + oy) * g.outWidth + ox0) * o;
      f32.set(dy.subarray(src, src + (colEnd - colFirst) * o), d + colFirst * o);
    } else {
      for (let ch = 0; ch < o; ch++) {
        const src = (b * o + ch) * plane + oy * g.outWidth + ox0;
        let at = d + colFirst * o + ch;
        for (let c = colFirst; c < colEnd; c++, at += o) f32[at] = dy[src + c - colFirst];
      }
    }
  }
}

/** Copies the phase's first `rows` rows of output (at float index src) into dx, image b, band at `first`. */
function storePhase(
  f32: Float32Array,
  src: number,
  g: ConvGeometry,
  p: Phase,
  dx: Float32Array,
  b: number,
  first: number,
  rows: number,
): void {
  const c = g.inChannels;
  if (g.dataFormat === 'NHWC' && g.strideWidth === 1 && g.strideHeight === 1) {
    const at = (b * g.inHeight + first) * g.inWidth * c;
    dx.set(f32.subarray(src, src + rows * p.cols * c), at);
    return;
  }
  const plane = g.inHeight * g.inWidth;
  for (let qy = 0; qy < rows; qy++) {
    const iy = first + p.py + qy * g.strideHeight;
    for (let qx = 0; qx < p.cols; qx++) {
      const ix = p.px + qx * g.strideWidth;
      const from = src + (qy * p.cols + qx) * c;
      if (g.dataFormat === 'NHWC') {
        dx.set(f32.subarray(from, from + c), ((b * g.inHeight + iy) * g.inWidth + ix) * c);
      } else {
        const to = b * c * plane + iy * g.inWidth + ix;
        for (let ch = 0; ch < c; ch++) dx[to + ch * plane] = f32[from + ch];
      }
    }
  }
}
