/**
 * The seed's picture of where the filter sits: one character per cell of the padded input, 'x' where
 * some output's filter centre lands, '.' for other input cells, 'o' for padding.
 */
import type { ConvGeometry } from '../geometry.js';
import type { CentreMap } from './types.js';

/** Inputs with more padded cells than this are not drawn (the picture would not help anyone). */
export const MAX_CENTRE_MAP_CELLS = 1 << 16;

/** The centre tap of a filter axis, in input steps from the window's first tap. */
function centreOffset(kernel: number, dilation: number): number {
  return Math.floor((kernel - 1) / 2) * dilation;
}

export function centreMap(g: ConvGeometry): CentreMap {
  const paddedHeight = g.padTop + g.inHeight + g.padBottom;
  const paddedWidth = g.padLeft + g.inWidth + g.padRight;
  const note =
    'centre = filter tap floor((k - 1) / 2) along each axis, times the dilation; for an even-sized filter ' +
    'that is the top-left of the two middle taps';
  // Rows and columns count at least one each: an input 2^31 rows tall and 0 wide is no picture either.
  if (Math.max(paddedHeight, 1) * Math.max(paddedWidth, 1) > MAX_CENTRE_MAP_CELLS) {
    return { paddedHeight, paddedWidth, grid: [], centres: [], note, inputGrid: [], omitted: true };
  }
  const cells: string[][] = [];
  for (let row = 0; row < paddedHeight; row++) {
    const onInputRow = row >= g.padTop && row < g.padTop + g.inHeight;
    const line: string[] = [];
    for (let col = 0; col < paddedWidth; col++) {
      const onInput = onInputRow && col >= g.padLeft && col < g.padLeft + g.inWidth;
      line.push(onInput ? '.' : 'o');
    }
    cells.push(line);
  }
  const rowOffset = centreOffset(g.filterHeight, g.dilationHeight);
  const colOffset = centreOffset(g.filterWidth, g.dilationWidth);
  const centres: CentreMap['centres'] = [];
  for (let oy = 0; oy < g.outHeight; oy++) {
    for (let ox = 0; ox < g.outWidth; ox++) {
      const row = oy * g.strideHeight + rowOffset;
      const col = ox * g.strideWidth + colOffset;
      centres.push({ oy, ox, row, col });
      cells[row][col] = 'x';
    }
  }
  const grid = cells.map((line) => line.join(''));
  const inputGrid = grid
    .slice(g.padTop, g.padTop + g.inHeight)
    .map((line) => line.slice(g.padLeft, g.padLeft + g.inWidth));
  return { paddedHeight, paddedWidth, grid, centres, note, inputGrid };
}
