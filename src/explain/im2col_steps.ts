/** TensorFlow's documented three steps of conv2d (im2col + matrix multiply), with this problem's shapes. */
import type { ConvGeometry } from '../geometry.js';
import type { Im2colSteps } from './types.js';
import { formatShape } from './numbers.js';

export function im2colSteps(g: ConvGeometry): Im2colSteps {
  const tapsPerFilter = g.filterHeight * g.filterWidth * g.filterInChannels;
  const tapsPerPatch = g.filterHeight * g.filterWidth * g.inChannels;
  const rows = g.batch * g.outHeight * g.outWidth;
  const filterMatrixShape: [number, number] = [tapsPerFilter, g.outChannels];
  const patchesShape: [number, number, number, number] = [g.batch, g.outHeight, g.outWidth, tapsPerPatch];
  const patchMatrixShape: [number, number] = [rows, tapsPerPatch];
  const productShape: [number, number] = [rows, g.outChannels];
  const window = `${g.filterHeight}x${g.filterWidth}x${g.inChannels}`;

  const step1 =
    `flatten the filter ${formatShape(g.filterShape)} into a ${formatShape(filterMatrixShape)} matrix: ` +
    `one column per filter (output channel), each holding its ${g.filterHeight}*${g.filterWidth}*` +
    `${g.filterInChannels} = ${tapsPerFilter} weights in (row, column, channel) order`;
  const step2 =
    `extract patches: every ${window} window of the ${g.paddingMode === 'VALID' ? '' : 'padded '}input ` +
    `that the filter visits is unrolled into ${tapsPerPatch} numbers, giving a virtual tensor ` +
    `${formatShape(patchesShape)}, i.e. a ${formatShape(patchMatrixShape)} matrix with one row per output ` +
    `pixel (${g.batch}*${g.outHeight}*${g.outWidth} = ${rows})`;
  let step3: string;
  let perGroup: Im2colSteps['perGroup'];
  if (g.groups === 1) {
    step3 =
      `right-multiply each patch row by the filter matrix: ${formatShape(patchMatrixShape)} x ` +
      `${formatShape(filterMatrixShape)} = ${formatShape(productShape)}, one dot product of ` +
      `${tapsPerFilter} terms per output value, then reshape to the output ${formatShape(g.outputShape)}`;
  } else {
    // Grouped: a patch row holds every channel, but each filter sees only its group's channels, so
    // the product is G smaller ones whose sizes match.
    const columns = g.outChannels / g.groups;
    perGroup = {
      groups: g.groups,
      patchMatrixShape: [rows, tapsPerFilter],
      filterMatrixShape: [tapsPerFilter, columns],
      productShape: [rows, columns],
    };
    step3 =
      `with ${g.groups} groups of ${g.filterInChannels} channels, multiply group by group: group i's slice ` +
      `of the patches (its ${g.filterInChannels} channels of each window) ${formatShape(perGroup.patchMatrixShape)} x ` +
      `its ${columns} filter columns ${formatShape(perGroup.filterMatrixShape)} = ` +
      `${formatShape(perGroup.productShape)}, one dot product of ${tapsPerFilter} terms per output value; ` +
      `the ${g.groups} products side by side make ${formatShape(productShape)}, reshaped to the output ` +
      `${formatShape(g.outputShape)}`;
  }
  if (g.dataFormat === 'NCHW') {
    step3 += ' (NCHW: the product rows are transposed so channels come before height and width)';
  }
  return {
    filterMatrixShape,
    patchesShape,
    patchMatrixShape,
    productShape,
    ...(perGroup ? { perGroup } : {}),
    steps: [step1, step2, step3],
  };
}
