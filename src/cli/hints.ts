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
  if (depth === 0) return [];
  const channelError = inChannels % depth !== 0 || count % (inChannels / depth) !== 0;
  if (inputShape.length === 3 && channelError) {
    // The usual slip: batch,height,width with the channels left out (1,4,4 for 1,4,4,1).
    const [a, b, c] = inputShape;
    const fourth = dataFormat === 'NHWC' ? [a, b, c, depth] : [a, depth, b, c];
    return [
      `3 numbers are read as ${dataFormat === 'NHWC' ? 'height,width,channels' : 'channels,height,width'} ` +
        `(one image, no batch axis); if --input ${inputShape.join(',')} meant batch,height,width, ` +
        `try --input ${fourth.join(',')}`,
    ];
  }
  if (inChannels % depth === 0) {
    if (!channelError) return [];
    // A filter depth that divides the channels reads as TF's grouped convolution, whose filter count
    // must then be a multiple of the groups; most often the input's channels were misread instead.
    const groups = inChannels / depth;
    const layout =
      dataFormat === 'NCHW'
        ? `with --data-format NCHW, --input ${inputShape.join(',')} is read as ` +
          `${inputShape.length === 4 ? '[batch, channels, height, width]' : '[channels, height, width]'}: ` +
          `${inChannels} channels; if it is NHWC, leave out --data-format NCHW.`
        : `or check the input's layout (--data-format NCHW?).`;
    return [
      `the filter's in_channels ${depth} splits the input's ${inChannels} channels into ${groups} groups ` +
        `(grouped convolution), so its ${count} filter${count === 1 ? '' : 's'} would have to be a ` +
        `multiple of ${groups}.`,
      `for an ordinary conv2d over all ${inChannels} channels, try --filter ${height},${width},${inChannels},${count}; ` +
        layout,
    ];
  }
  return [
    `each filter is a ${height}x${width}x${depth} cube; its depth ${depth} must match the input's ` +
      `${inChannels} channels (the filter's last number, ${count}, is how many filters there are).`,
    `try --filter ${height},${width},${inChannels},${count}, or check the input's layout ` +
      `(--data-format ${dataFormat === 'NHWC' ? 'NCHW' : 'NHWC'}?).`,
  ];
}
