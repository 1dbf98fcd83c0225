/**
 * The gradients of conv2d on the GEMM, the reverse of im2col.ts. With P the patch matrix
 * ([batch * out_height * out_width, filter_height * filter_width * in_channels], one row per output pixel)
 * and W the flattened filter ([filter_height * filter_width * in_channels, out_channels]), the forward
 * pass is Y = P x W, so for each group:
 *   input gradient:  dP = dY x W^T, then col2im: every cell of dP is added back to the input pixel its
 *                    patch cell was copied from (cells that were padding are dropped);
 *   filter gradient: dW = P^T x dY, summed over tiles of patch rows.
 * Both walk the output pixels a tile of rows at a time so scratch memory stays bounded. The work happens
 * in NHWC; NCHW tensors are reordered on the way in and out. The ops run the WebAssembly versions
 * (backprop_wasm.ts) where the engine is available; these are the plain-TypeScript fallback.
 */
import type { ConvGeometry, WindowGeometry } from '../geometry.js';
import { fillPatchRows } from './patches.js';
import { gemmPacked, packGemmB } from '../kernels/gemm.js';
import { nchwToNhwc, nhwcToNchw } from '../kernels/permute.js';

/** Scratch budget for one tile of patch rows, in floats (1 MiB). */
const TILE_FLOATS = 1 << 18;

/** How many patch rows of length `rowLength` fit the scratch budget (at least one, at most `rows`). */
function tileRowsFor(rows: number, rowLength: number, tileFloats: number): number {
  return Math.max(1, Math.min(rows, Math.floor(tileFloats / Math.max(rowLength, 1))));
}

/**
 * col2im: the adjoint of fillPatchRows. Adds `rowCount` patch rows (from `firstRow`, `rowLength` floats
 * apart in `columns`) into `dx` (NHWC) at channels [firstChannel, firstChannel + channelCount).
 */
function addPatchRows(
  g: WindowGeometry,
  columns: Float32Array,
  firstRow: number,
  rowCount: number,
  rowLength: number,
  dx: Float32Array,
  firstChannel: number,
  channelCount: number,
): void {
  const rowStride = g.inWidth * g.inChannels;
  const imageStride = g.inHeight * rowStride;
  const pixelsPerImage = g.outHeight * g.outWidth;
  for (let r = 0; r < rowCount; r++) {
    const pixel = firstRow + r;
    const b = Math.floor(pixel / pixelsPerImage);
    const inImage = pixel - b * pixelsPerImage;
    const oy = Math.floor(inImage / g.outWidth);
    const ox = inImage - oy * g.outWidth;
    let d = r * rowLength;
    for (let ky = 0; ky < g.filterHeight; ky++) {
      const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
      const rowInside = iy >= 0 && iy < g.inHeight;
      for (let kx = 0; kx < g.filterWidth; kx++) {
        const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
        if (rowInside && ix >= 0 && ix < g.inWidth) {
          const s = b * imageStride + iy * rowStride + ix * g.inChannels + firstChannel;
          for (let c = 0; c < channelCount; c++) dx[s + c] += columns[d + c];
        }
        d += channelCount;
      }
    }
  }
}

/**
 * dL/dx for L = sum(conv2d(x, filter) * dy), in g.dataFormat. `tileFloats` bounds the scratch
 * (tests shrink it to exercise the tiling).
 */
export function conv2dBackpropInputGemm(
  g: ConvGeometry,
  filter: Float32Array,
  dy: Float32Array,
  tileFloats = TILE_FLOATS,
): Float32Array {
  const nhwcDy =
    g.dataFormat === 'NCHW' ? nchwToNhwc(dy, g.batch, g.outChannels, g.outHeight, g.outWidth) : dy;
  const m = g.batch * g.outHeight * g.outWidth;
  const k = g.filterHeight * g.filterWidth * g.filterInChannels;
  const outPerGroup = g.outChannels / g.groups;
  const dx = new Float32Array(g.batch * g.inHeight * g.inWidth * g.inChannels);
  const tileRows = tileRowsFor(m, k, tileFloats);
  const columns = new Float32Array(tileRows * k);
  const filterT = new Float32Array(outPerGroup * k);

  for (let group = 0; group < g.groups; group++) {
    const firstOut = group * outPerGroup;
    // W^T for this group's output channels: outPerGroup rows of k, packed as the GEMM's B.
    for (let kk = 0; kk < k; kk++) {
      const src = kk * g.outChannels + firstOut;
      for (let j = 0; j < outPerGroup; j++) filterT[j * k + kk] = filter[src + j];
    }
    const packed = packGemmB(filterT, 0, k, outPerGroup, k);
    for (let row = 0; row < m; row += tileRows) {
      const rows = Math.min(tileRows, m - row);
      // dP (this tile) = dY rows x W^T, then scatter it back onto the input (col2im).
      gemmPacked(
        rows,
        k,
        outPerGroup,
        nhwcDy,
        row * g.outChannels + firstOut,
        g.outChannels,
        packed,
        columns,
        0,
        k,
      );
      addPatchRows(g, columns, row, rows, k, dx, group * g.filterInChannels, g.filterInChannels);
    }
  }
  return g.dataFormat === 'NCHW' ? nhwcToNchw(dx, g.batch, g.inHeight, g.inWidth, g.inChannels) : dx;
}

/**
 * dL/dw for L = sum(conv2d(input, w) * dy): [filter_height, filter_width, in_channels, out_channels].
 * Each tile's P^T x dY is added into a float64 accumulator, so long sums over many pixels stay accurate.
 */
export function conv2dBackpropFilterGemm(
  g: ConvGeometry,
  input: Float32Array,
  dy: Float32Array,
  tileFloats = TILE_FLOATS,
): Float32Array {
  const nhwcInput =
    g.dataFormat === 'NCHW' ? nchwToNhwc(input, g.batch, g.inChannels, g.inHeight, g.inWidth) : input;
  const nhwcDy =
    g.dataFormat === 'NCHW' ? nchwToNhwc(dy, g.batch, g.outChannels, g.outHeight, g.outWidth) : dy;
  const m = g.batch * g.outHeight * g.outWidth;
  const k = g.filterHeight * g.filterWidth * g.filterInChannels;
  const outPerGroup = g.outChannels / g.groups;
  const dw = new Float64Array(k * g.outChannels);
  const tileRows = tileRowsFor(m, k, tileFloats);
  const patches = new Float32Array(tileRows * k);
  const patchesT = new Float32Array(k * tileRows);
  const partial = new Float32Array(k * outPerGroup);

  for (let group = 0; group < g.groups; group++) {
    const firstOut = group * outPerGroup;
    for (let row = 0; row < m; row += tileRows) {
      const rows = Math.min(tileRows, m - row);
      fillPatchRows(g, nhwcInput, row, rows, patches, k, group * g.filterInChannels, g.filterInChannels);
      // P^T (k x rows) is the GEMM's A; this tile's dY rows (rows x outPerGroup) its B.
      for (let r = 0; r < rows; r++) {
        for (let kk = 0; kk < k; kk++) patchesT[kk * rows + r] = patches[r * k + kk];
      }
      const packed = packGemmB(nhwcDy, row * g.outChannels + firstOut, g.outChannels, rows, outPerGroup);
      gemmPacked(k, outPerGroup, rows, patchesT, 0, rows, packed, partial, 0, outPerGroup);
      for (let kk = 0; kk < k; kk++) {
        const to = kk * g.outChannels + firstOut;
        const from = kk * outPerGroup;
        for (let j = 0; j < outPerGroup; j++) dw[to + j] += partial[from + j];
      }
    }
  }
  return Float32Array.from(dw);
}
