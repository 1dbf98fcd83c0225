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
 * The pixels are taken a chunk at a time: several whole images when they are small, else a band of
 * output rows of one image, else (a row longer than a chunk) a block of columns of one row. Only the
 * planes' window under the chunk is loaded, so scratch stays bounded whatever the image size, and each
 * float32 sum in the kernel runs over at most CHUNK_PIXELS pixels; the chunks' partial sums are added
 * in float64, so the error does not grow with the image (one float32 running sum over a 5000x5000
 * image of ones stopped at 2^24).
 */
import type { ConvGeometry } from '../geometry.js';
import type { WasmEngine } from '../kernels/wasm/engine.js';
import { align64 } from '../kernels/wasm/heap.js';
import { NR } from '../kernels/wasm/pack.js';
import { ScratchArena, panelFloats } from './wasm_scratch.js';

/** Output pixels per chunk: one 8-column panel of dY for them is 128 KiB, cache-resident. */
export const CHUNK_PIXELS = 4096;
/** Scratch budget of one chunk (planes, table, panels, partial sums); a one-row chunk may exceed it. */
const CHUNK_SCRATCH_BYTES = 8 << 20;
/**
 * Largest scratch a chunk may take: beyond it (a filter spread over thousands of rows by its dilation,
 * or a filter gradient of hundreds of MB) the TypeScript GEMM, whose scratch lives in JavaScript
 * memory, computes the gradient instead.
 */
export const FILTER_GRADIENT_MAX_SCRATCH_BYTES = 256 << 20;

interface FilterGradientPlan {
  /** Chunk shape: images per chunk, output rows per chunk, output columns per chunk. */
  chunkImages: number;
  chunkRows: number;
  chunkCols: number;
  /** Plane rows and columns of one chunk's window, and floats of one image's planes in it. */
  planeRows: number;
  planeCols: number;
  imageFloats: number;
  /** GEMM rows: filterHeight x filterWidth x filterInChannels. */
  m: number;
  /** Scratch bytes of one chunk. */
  scratchBytes: number;
  /** Indirection tables by (images, rows) of a chunk (a full chunk, and shorter last ones). */
  tables: Map<number, Int32Array>;
}

/** One chunk: images [b0, b0 + images), output rows [oy0, oy0 + rows), columns [ox0, ox0 + cols). */
interface Chunk {
  b0: number;
  images: number;
  oy0: number;
  rows: number;
  ox0: number;
  cols: number;
}

/** Whether the wasm kernel can take g's filter gradient within FILTER_GRADIENT_MAX_SCRATCH_BYTES. */
export function filterGradientFitsWasm(g: ConvGeometry, chunkPixels = CHUNK_PIXELS): boolean {
  return filterGradientPlan(g, chunkPixels).scratchBytes <= FILTER_GRADIENT_MAX_SCRATCH_BYTES;
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
  const dw = new Float64Array(plan.m * g.outChannels);
  const scratch = new ScratchArena(heap);
  const planesAt = scratch.take(plan.chunkImages * plan.imageFloats * 4);
  const tableAt = scratch.take(tableBytes(plan, plan.chunkImages * plan.chunkRows));
  const panelsAt = scratch.take(panelFloats(plan.chunkImages * plan.chunkRows * plan.chunkCols, opg) * 4);
  const partialAt = scratch.take(plan.m * opg * 4);
  scratch.commit();
  const groupPlaneBytes = ipg * g.strideWidth * plan.planeRows * plan.planeCols * 4;

  let loadedTable = -1;
  for (const chunk of chunksOf(g, plan)) {
    const segments = chunk.images * chunk.rows;
    if (segments !== loadedTable) {
      heap.i32.set(chunkTable(plan, g, chunk.images, chunk.rows), tableAt >> 2);
      loadedTable = segments;
    }
    const f32 = heap.f32;
    loadPlanes(f32, planesAt >> 2, g, plan, input, chunk);
    for (let group = 0; group < g.groups; group++) {
      packDyPanels(f32, panelsAt >> 2, g, dy, chunk, group);
      kernels.f32_igemm_4x8(
        plan.m,
        opg,
        segments,
        chunk.cols,
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

/** The chunks of g under `plan`, in order: images, then row bands, then column blocks. */
function* chunksOf(g: ConvGeometry, plan: FilterGradientPlan): Generator<Chunk> {
  for (let b0 = 0; b0 < g.batch; b0 += plan.chunkImages) {
    const images = Math.min(plan.chunkImages, g.batch - b0);
    for (let oy0 = 0; oy0 < g.outHeight; oy0 += plan.chunkRows) {
      const rows = Math.min(plan.chunkRows, g.outHeight - oy0);
      for (let ox0 = 0; ox0 < g.outWidth; ox0 += plan.chunkCols) {
        yield { b0, images, oy0, rows, ox0, cols: Math.min(plan.chunkCols, g.outWidth - ox0) };
      }
    }
  }
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

/** `total` split into as few parts of at most `most` as possible, evened out: the part size. */
function evenParts(total: number, most: number): number {
  return Math.ceil(total / Math.ceil(total / Math.max(1, most)));
}

function buildPlan(g: ConvGeometry, chunkPixels: number): FilterGradientPlan {
  const m = g.filterHeight * g.filterWidth * g.filterInChannels;
  const opg = g.outChannels / g.groups;
  const spreadRows = (g.filterHeight - 1) * g.dilationHeight + 1;
  const spreadCols = Math.floor(((g.filterWidth - 1) * g.dilationWidth) / g.strideWidth);
  const shape = (images: number, rows: number, cols: number) => {
    const planeRows = (rows - 1) * g.strideHeight + spreadRows;
    const planeCols = cols + spreadCols;
    const imageFloats = g.inChannels * g.strideWidth * planeRows * planeCols;
    const scratchBytes =
      align64(images * imageFloats * 4) +
      align64(Math.ceil(m / 4) * images * rows * 16) +
      align64(panelFloats(images * rows * cols, opg) * 4) +
      align64(m * opg * 4);
    return { planeRows, planeCols, imageFloats, scratchBytes };
  };
  const pixels = g.outHeight * g.outWidth;
  let images = 1;
  let rows = g.outHeight;
  let cols = g.outWidth;
  const over = () => shape(images, rows, cols).scratchBytes > CHUNK_SCRATCH_BYTES;
  if (pixels <= chunkPixels && !over()) {
    // Whole images, as many as the chunk takes and the budget allows.
    images = Math.max(1, Math.min(g.batch, Math.floor(chunkPixels / pixels)));
    while (images > 1 && over()) images--;
    images = evenParts(g.batch, images);
  } else {
    // Bands of output rows of one image; a row longer than a chunk (or past the budget) in blocks.
    rows = Math.max(1, Math.min(g.outHeight, Math.floor(chunkPixels / g.outWidth)));
    while (rows > 1 && over()) rows = Math.ceil(rows / 2);
    rows = evenParts(g.outHeight, rows);
    if (rows === 1) {
      cols = Math.min(g.outWidth, chunkPixels);
      while (cols > 1 && over()) cols = Math.ceil(cols / 2);
      cols = evenParts(g.outWidth, cols);
    }
  }
  return {
    chunkImages: images,
    chunkRows: rows,
    chunkCols: cols,
    m,
    ...shape(images, rows, cols),
    tables: new Map(),
  };
}

function tableBytes(plan: FilterGradientPlan, segments: number): number {
  return Math.ceil(plan.m / 4) * segments * 16;
}

/**
 * The tile-major table (see wasm/assembly/igemm.ts) for a chunk of `images` images of `rows` output
 * rows each: for GEMM row r = (ky * filterWidth + kx) * filterInChannels + ic' and segment
 * s = image * rows + oy (oy counted from the chunk's first row), the byte offset (from the group's
 * first plane) of window row oy * sh + ky * dh, column floor(kx * dw / sw) of the plane of
 * (image, ic', phase (kx * dw) mod sw). Rows past m repeat the last. A chunk's first column moves
 * every segment alike, so it is not in the table.
 */
function chunkTable(plan: FilterGradientPlan, g: ConvGeometry, images: number, rows: number): Int32Array {
  const key = images * (plan.chunkRows + 1) + rows;
  let table = plan.tables.get(key);
  if (table) return table;
  const { m, planeRows, planeCols } = plan;
  const ks = images * rows;
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
    const image = Math.floor(s / rows);
    const oy = s - image * rows;
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
  plan.tables.set(key, table);
  return table;
}

/**
 * Copies the chunk's window of its images' planes: window (image, channel, phase) row y, column c
 * holds plane row oy0 * sh + y, plane column ox0 + c, i.e. input row oy0 * sh + y - padTop and input
 * column (ox0 + c) * strideWidth + phase - padLeft, or 0 outside the input.
 */
function loadPlanes(
  f32: Float32Array,
  dst: number,
  g: ConvGeometry,
  plan: FilterGradientPlan,
  input: Float32Array,
  chunk: Chunk,
): void {
  const { planeRows, planeCols } = plan;
  const sw = g.strideWidth;
  const channels = g.inChannels;
  const nhwc = g.dataFormat === 'NHWC';
  // Element strides of the input along x and along channels, in its layout.
  const xStep = nhwc ? channels : 1;
  const cStep = nhwc ? 1 : g.inHeight * g.inWidth;
  const yStep = nhwc ? g.inWidth * channels : g.inWidth;
  const row0 = chunk.oy0 * g.strideHeight - g.padTop;
  for (let i = 0; i < chunk.images; i++) {
    const image = (chunk.b0 + i) * g.inHeight * g.inWidth * channels;
    for (let c = 0; c < channels; c++) {
      for (let phase = 0; phase < sw; phase++) {
        // Window columns [c0, c1) fall inside the input.
        const first = Math.ceil((g.padLeft - phase) / sw) - chunk.ox0;
        const end = Math.ceil((g.inWidth + g.padLeft - phase) / sw) - chunk.ox0;
        const c0 = Math.min(planeCols, Math.max(0, first));
        const c1 = Math.max(c0, Math.min(planeCols, end));
        const ix0 = (chunk.ox0 + c0) * sw + phase - g.padLeft;
        const step = sw * xStep;
        let d = dst + ((i * channels + c) * sw + phase) * planeRows * planeCols;
        for (let y = 0; y < planeRows; y++, d += planeCols) {
          const iy = row0 + y;
          if (iy < 0 || iy >= g.inHeight || c0 === c1) {
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
 * Packs the chunk's dY, the group's output channels, into 8-column panels: panel q, row p (the chunk's
 * p-th pixel, in (image, row, column) order) holds channels group * opg + q * 8 + j, zero past the
 * group's last.
 */
function packDyPanels(
  f32: Float32Array,
  dst: number,
  g: ConvGeometry,
  dy: Float32Array,
  chunk: Chunk,
  group: number,
): void {
  const o = g.outChannels;
  const opg = o / g.groups;
  const plane = g.outHeight * g.outWidth;
  const { images, rows, cols } = chunk;
  const pixels = images * rows * cols;
  const wholeRows = cols === g.outWidth;
  const firstPixel = (i: number, oy: number) =>
    (chunk.b0 + i) * plane + (chunk.oy0 + oy) * g.outWidth + chunk.ox0;
  if (g.dataFormat === 'NHWC' && g.groups === 1 && o === NR && wholeRows && rows === g.outHeight) {
    const from = firstPixel(0, 0) * o;
    f32.set(dy.subarray(from, from + pixels * o), dst);
    return;
  }
  const panels = Math.ceil(opg / NR);
  for (let q = 0; q < panels; q++) {
    const width = Math.min(NR, opg - q * NR);
    const first = group * opg + q * NR;
    const base = dst + q * pixels * NR;
    if (width < NR) {
      for (let p = 0; p < pixels; p++) f32.fill(0, base + p * NR + width, base + (p + 1) * NR);
    }
    let d = base;
    for (let i = 0; i < images; i++) {
      for (let oy = 0; oy < rows; oy++, d += cols * NR) {
        const pixel = firstPixel(i, oy);
        if (g.dataFormat === 'NHWC') {
          let src = pixel * o + first;
          for (let p = 0, e = d; p < cols; p++, e += NR, src += o) {
            for (let j = 0; j < width; j++) f32[e + j] = dy[src + j];
          }
        } else {
          const image = chunk.b0 + i;
          const inImage = pixel - image * plane;
          for (let j = 0; j < width; j++) {
            const src = (image * o + first + j) * plane + inImage;
            for (let p = 0, e = d + j; p < cols; p++, e += NR) f32[e] = dy[src + p];
          }
        }
      }
    }
  }
}
