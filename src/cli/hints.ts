/**
 * Plain-words help for the library's shape errors, printed by the CLI under the error itself. The most
 * common one in the seed's question: a filter whose depth (in_channels) does not match the input's
 * channels.
 */
import { axesOf, type DataFormat } from '../geometry.js';

export function shapeHints(
  inputShape: readonly number[],
  filterShape: readonly number[],
  dataFormat: DataFormat = 'NHWC',
): string[] {
  if (filterShape.length !== 4 || (inputShape.length !== 4 && inputShape.length !== 3)) return [];
  const full = inputShape.length === 4 ? inputShape : [1, ...inputShape];
  const inChannels = full[axesOf(dataFormat).c];
  const [height, width, depth, count] = filterShape;
  if (depth === 0 || inChannels % depth === 0) return [];
  return [
    `each filter is a ${height}x${width}x${depth} cube; its depth ${depth} must match the input's ` +
      `${inChannels} channels (the filter's last number, ${count}, is how many filters there are).`,
    `try --filter ${height},${width},${inChannels},${count}, or check the input's layout ` +
      `(--data-format ${dataFormat === 'NHWC' ? 'NCHW' : 'NHWC'}?).`,
  ];
}
