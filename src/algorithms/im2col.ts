/**
 * im2col + GEMM, TensorFlow's own three steps:
 *   1. flatten the filter to a [filter_height * filter_width * in_channels, out_channels] matrix;
 *   2. extract image patches into a [batch * out_height * out_width, filter_height * filter_width * in_channels]
 *      matrix (one row per output pixel);
 *   3. multiply: patches x filter matrix = output, already in NHWC order.
 * The patch matrix is built a tile of rows at a time so scratch memory stays bounded whatever the batch.
 * A 1x1, stride-1, unpadded convolution needs no patches at all: the input already is that matrix.
 */
import type { ConvGeometry } from '../geometry.js';
import { fillPatchRows } from './patches.js';
import { gemmPacked, packGemmB } from '../kernels/gemm.js';
import { nchwToNhwc, nhwcToNchw } from '../kernels/permute.js';

/** Scratch budget for one tile of patch rows, in floats (1 MiB). */
const TILE_FLOATS = 1 << 18;

export function conv2dIm2col(g: ConvGeometry, input: Float32Array, filter: Float32Array): Float32Array {
  const nhwcInput =
    g.dataFormat === 'NCHW' ? nchwToNhwc(input, g.batch, g.inChannels, g.inHeight, g.inWidth) : input;
  const m = g.batch * g.outHeight * g.outWidth;
  const k = g.filterHeight * g.filterWidth * g.filterInChannels;
  const outPerGroup = g.outChannels / g.groups;
  const output = new Float32Array(m * g.outChannels);
  const isPointwise =
    g.filterHeight === 1 &&
    g.filterWidth === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.padTop + g.padBottom + g.padLeft + g.padRight === 0 &&
    g.groups === 1;
  const tileRows = Math.max(1, Math.min(m, Math.floor(TILE_FLOATS / Math.max(k, 1))));
  const patches = isPointwise ? nhwcInput : new Float32Array(tileRows * k);

  for (let group = 0; group < g.groups; group++) {
    const firstOut = group * outPerGroup;
    // Step 1: the filter as a K x outPerGroup matrix (columns of this group), packed for the GEMM.
    const packed = packGemmB(filter, firstOut, g.outChannels, k, outPerGroup);
    if (isPointwise) {
      gemmPacked(m, outPerGroup, k, nhwcInput, 0, k, packed, output, firstOut, g.outChannels);
      continue;
    }
    for (let row = 0; row < m; row += tileRows) {
      const rows = Math.min(tileRows, m - row);
      // Step 2: this tile's patches; step 3: multiply them into the output rows.
      fillPatchRows(g, nhwcInput, row, rows, patches, k, group * g.filterInChannels, g.filterInChannels);
      gemmPacked(
        rows,
        outPerGroup,
        k,
        patches,
        0,
        k,
        packed,
        output,
        row * g.outChannels + firstOut,
        g.outChannels,
      );
    }
  }
  return g.dataFormat === 'NCHW'
    ? nhwcToNchw(output, g.batch, g.outHeight, g.outWidth, g.outChannels)
    : output;
}
