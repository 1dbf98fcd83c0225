/**
 * The filter gradient of conv2d on the fast engine's f32-igemm-4x8 kernel, as dW = P^T x dY with the
 * patch matrix P never built:
 *
 *   dw[ky, kx, ic', oc] = sum over images b and output pixels (oy, ox) of
 *                         x[b, oy * sh - padTop + ky * dh, ox * sw - padLeft + kx * dw, ic] * dy[b, oy, ox, oc].
 *
 * The GEMM's rows are the filter taps (ky, kx, ic'), its columns the group's output channels, and its
 * long inner dimension the output pixels. Row (ky, kx, ic') over the pixels of one output row (b, oy)
 * is a run of input values spaced strideWidth apart; so the input is copied into wasm memory as
 * zero-padded planes, one per (image, channel, column phase), each keeping every strideWidth-th
 * column: in such a plane the run is contiguous (outWidth floats). One kernel segment is one such
 * run, found through an indirection table that depends only on the shapes (cached); dY, packed into
 * the kernel's 8-column panels, is the packed weight matrix.
 *
 * The pixels are taken a chunk of images at a time, so scratch stays bounded and each chunk's sum is
 * short; the chunks' partial sums are added in float64.
 */
import type { ConvGeometry } from '../geometry.js';
import type { WasmEngine } from '../kernels/wasm/engine.js';
import { align64 } from '../kernels/wasm/heap.js';
import { NR } from '../kernels/wasm/pack.js';
import { ScratchArena, panelFloats } from './wasm_scratch.js';

/** Output pixels per chunk: one 8-column panel of dY for them is 128 KiB, cache-resident. */
export const CHUNK_PIXELS = 4096;
/** Scratch budget of one chunk (planes, table, panels, partial sums); one image may exceed it. */
const CHUNK_SCRATCH_BYTES = 8 << 20;

interface FilterGradientPlan {
  /** Padded input rows the windows touch, and columns of one phase plane. */
  planeRows: number;
  planeCols: number;
  /** Floats of one image's planes: inChannels x strideWidth planes. */
  imageFloats: number;
  /** GEMM rows: filterHeight x filterWidth x filterInChannels. */
  m: number;
  chunkImages: number;
  /** Indirection tables by image count (a full chunk, and the last one when shorter). */
  tables: Map<number, Int32Array>;
}

/**
 * dL/dw for L = sum(conv2d(input, w) * dy) on the wasm kernel (HWIO). Needs g.flops > 0.
 * `chunkPixels` sets the output pixels per chunk (tests shrink it to exercise the chunks).
 */
export function conv2dBackpropFilterWasm(
  engine: WasmEngine,
  g: ConvGeometry,
  input: Float32Array,
  dy: Float32Array,
  chunkPixels = CHUNK_PIXELS,
): Float32Array {
  const { heap, kernels } = engine;
  const plan = filterGradientPlan(g, chunkPixels);
  const opg = g.outChannels / g.groups;
  const ipg = g.filterInChannels;
  const pixelsPerImage = g.outHeight * g.outWidth;
  const dw = new Float64Array(plan.m * g.outChannels);
  const full = plan.chunkImages;
  const scratch = new ScratchArena(heap);
  const planesAt = scratch.take(full * plan.imageFloats * 4);
  const tableAt = scratch.take(chunkTableBytes(plan, g, full));
  const panelsAt = scratch.take(panelFloats(full * pixelsPerImage, opg) * 4);
  const partialAt = scratch.take(plan.m * opg * 4);
  scratch.commit();
  const groupPlaneBytes = ipg * g.strideWidth * plan.planeRows * plan.planeCols * 4;

  let loadedTable = -1;
  for (let b0 = 0; b0 < g.batch; b0 += full) {
    const images = Math.min(full, g.batch - b0);
    if (images !== loadedTable) {
      heap.i32.set(chunkTable(plan, g, images), tableAt >> 2);
      loadedTable = images;
    }
    const f32 = heap.f32;
    loadPlanes(f32, planesAt >> 2, g, plan, input, b0, images);
    for (let group = 0; group < g.groups; group++) {
      packDyPanels(f32, panelsAt >> 2, g, dy, b0, images, group);
      kernels.f32_igemm_4x8(
        plan.m,
        opg,
        images * g.outHeight,
        g.outWidth,
        tableAt,
        planesAt + group * groupPlaneBytes,
        panelsAt,
        partialAt,
        opg,
      );
      const src = partialAt >> 2;
      for (let r = 0; r < plan.m; r++) {
        const to = r * g.outChannels + group * opg;
        const from = src + r * opg;
        for (let j = 0; j < opg; j++) dw[to + j] += f32[from + j];
      }
    }
  }
  return Float32Array.from(dw);
}

const plans = new Map<string, FilterGradientPlan>();
const PLAN_ENTRIES = 8;

function filterGradientPlan(g: ConvGeometry, chunkPixels: number): FilterGradientPlan {
  const key =
    `${chunkPixels}:${g.batch},${g.inHeight},${g.inWidth},${g.inChannels},${g.filterHeight},${g.filterWidth},` +
    `${g.filterInChannels},${g.outChannels},${g.strideHeight},${g.strideWidth},${g.dilationHeight},` +
    `${g.dilationWidth},${g.padTop},${g.padLeft},${g.outHeight},${g.outWidth}`;
  let plan = plans.get(key);
  if (plan) {
    plans.delete(key);
  } else {
    plan = buildPlan(g, chunkPixels);
    if (plans.size >= PLAN_ENTRIES) plans.delete(plans.keys().next().value as string);
  }
  plans.set(key, plan);
  return plan;
}

function buildPlan(g: ConvGeometry, chunkPixels: number): FilterGradientPlan {
  const planeRows = (g.outHeight - 1) * g.strideHeight + (g.filterHeight - 1) * g.dilationHeight + 1;
  const planeCols = g.outWidth + Math.floor(((g.filterWidth - 1) * g.dilationWidth) / g.strideWidth);
  const imageFloats = g.inChannels * g.strideWidth * planeRows * planeCols;
  const m = g.filterHeight * g.filterWidth * g.filterInChannels;
  const pixels = g.outHeight * g.outWidth;
  const opg = g.outChannels / g.groups;
  const plan: FilterGradientPlan = {
    planeRows,
    planeCols,
    imageFloats,
    m,
    chunkImages: 1,
    tables: new Map(),
  };
  const bytes = (images: number) =>
    align64(images * imageFloats * 4) +
    align64(chunkTableBytes(plan, g, images)) +
    align64(panelFloats(images * pixels, opg) * 4);
  let images = Math.max(1, Math.min(g.batch, Math.floor(chunkPixels / pixels)));
  while (images > 1 && bytes(images) > CHUNK_SCRATCH_BYTES) images--;
  // Even out the chunks over the batch.
  plan.chunkImages = Math.ceil(g.batch / Math.ceil(g.batch / images));
  return plan;
}

function chunkTableBytes(plan: FilterGradientPlan, g: ConvGeometry, images: number): number {
  return Math.ceil(plan.m / 4) * images * g.outHeight * 16;
}

/**
 * The tile-major table (see wasm/assembly/igemm.ts) for a chunk of `images` images: for GEMM row
 * r = (ky * filterWidth + kx) * filterInChannels + ic' and segment s = image * outHeight + oy, the byte
 * offset (from the group's first plane) of plane row oy * sh + ky * dh, column floor(kx * dw / sw) of
 * the plane of (image, ic', phase (kx * dw) mod sw). Rows past m repeat the last.
 */
function chunkTable(plan: FilterGradientPlan, g: ConvGeometry, images: number): Int32Array {
  let table = plan.tables.get(images);
  if (table) return table;
  const { m, planeRows, planeCols } = plan;
  const ks = images * g.outHeight;
  const planeFloats = planeRows * planeCols;
  const rowStart = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    const tap = Math.floor(r / g.filterInChannels);
    const ic = r - tap * g.filterInChannels;
    const ky = Math.floor(tap / g.filterWidth);
    const kx = tap - ky * g.filterWidth;
    const phase = (kx * g.dilationWidth) % g.strideWidth;
    const col = Math.floor((kx * g.dilationWidth) / g.strideWidth);
    rowStart[r] = ((ic * g.strideWidth + phase) * planeFloats + ky * g.dilationHeight * planeCols + col) * 4;
  }
  const segment = new Int32Array(ks);
  for (let s = 0; s < ks; s++) {
    const image = Math.floor(s / g.outHeight);
    const oy = s - image * g.outHeight;
    segment[s] = (image * plan.imageFloats + oy * g.strideHeight * planeCols) * 4;
  }
  const tiles = Math.ceil(m / 4);
  table = new Int32Array(tiles * ks * 4);
  let at = 0;
  for (let t = 0; t < tiles; t++) {
    const r0 = rowStart[t * 4];
    const r1 = rowStart[Math.min(t * 4 + 1, m - 1)];
    const r2 = rowStart[Math.min(t * 4 + 2, m - 1)];
    const r3 = rowStart[Math.min(t * 4 + 3, m - 1)];
    for (let s = 0; s < ks; s++) {
      const o = segment[s];
      table[at] = r0 + o;
      table[at + 1] = r1 + o;
      table[at + 2] = r2 + o;
      table[at + 3] = r3 + o;
      at += 4;
    }
  }
  plan.tables.set(images, table);
  return table;
}

/**
 * Copies images [b0, b0 + images) into their planes: plane (image, channel, phase) row y, column c
 * holds input row y - padTop, column c * strideWidth + phase - padLeft, or 0 outside the input.
 */
function loadPlanes(
  f32: Float32Array,
  dst: number,
  g: ConvGeometry,
  plan: FilterGradientPlan,
  input: Float32Array,
  b0: number,
  images: number,
): void {
  const { planeRows, planeCols } = plan;
  const sw = g.strideWidth;
  const channels = g.inChannels;
  const nhwc = g.dataFormat === 'NHWC';
  // Element strides of the input along x and along channels, in its layout.
  const xStep = nhwc ? channels : 1;
  const cStep = nhwc ? 1 : g.inHeight * g.inWidth;
  const yStep = nhwc ? g.inWidth * channels : g.inWidth;
  for (let i = 0; i < images; i++) {
    const image = (b0 + i) * g.inHeight * g.inWidth * channels;
    for (let c = 0; c < channels; c++) {
      for (let phase = 0; phase < sw; phase++) {
        // Plane columns [c0, c1) fall inside the input.
        const c0 = Math.min(planeCols, Math.max(0, Math.ceil((g.padLeft - phase) / sw)));
        const c1 = Math.max(c0, Math.min(planeCols, Math.ceil((g.inWidth + g.padLeft - phase) / sw)));
        const ix0 = c0 * sw + phase - g.padLeft;
        const step = sw * xStep;
        let d = dst + ((i * channels + c) * sw + phase) * planeRows * planeCols;
        for (let y = 0; y < planeRows; y++, d += planeCols) {
          const iy = y - g.padTop;
          if (iy < 0 || iy >= g.inHeight) {
            f32.fill(0, d, d + planeCols);
            continue;
          }
          if (c0 > 0) f32.fill(0, d, d + c0);
          if (c1 < planeCols) f32.fill(0, d + c1, d + planeCols);
          let src = image + iy * yStep + ix0 * xStep + c * cStep;
          for (let col = c0; col < c1; col++, src += step) f32[d + col] = input[src];
        }
      }
    }
  }
}

/**
 * Packs dY of images [b0, b0 + images), the group's output channels, into 8-column panels: panel q,
 * row p (the chunk's output pixel p) holds channels group * opg + q * 8 + j, zero past the group's last.
 */
function packDyPanels(
  f32: Float32Array,
  dst: number,
  g: ConvGeometry,
  dy: Float32Array,
  b0: number,
  images: number,
  group: number,
): void {
  const o = g.outChannels;
  const opg = o / g.groups;
  const plane = g.outHeight * g.outWidth;
  const pixels = images * plane;
  if (g.dataFormat === 'NHWC' && g.groups === 1 && o === NR) {
    f32.set(dy.subarray(b0 * plane * o, (b0 * plane + pixels) * o), dst);
    return;
  }
  const panels = Math.ceil(opg / NR);
  for (let q = 0; q < panels; q++) {
    const cols = Math.min(NR, opg - q * NR);
    const first = group * opg + q * NR;
    const base = dst + q * pixels * NR;
    if (cols < NR) {
      for (let p = 0; p < pixels; p++) f32.fill(0, base + p * NR + cols, base + (p + 1) * NR);
    }
    if (g.dataFormat === 'NHWC') {
      let src = b0 * plane * o + first;
      for (let p = 0, d = base; p < pixels; p++, d += NR, src += o) {
        for (let j = 0; j < cols; j++) f32[d + j] = dy[src + j];
      }
    } else {
      for (let i = 0; i < images; i++) {
        for (let j = 0; j < cols; j++) {
          const src = ((b0 + i) * o + first + j) * plane;
          let d = base + i * plane * NR + j;
          for (let p = 0; p < plane; p++, d += NR) f32[d] = dy[src + p];
        }
      }
    }
  }
}
