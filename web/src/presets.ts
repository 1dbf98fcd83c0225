/**
 * Every example of the seed question ("What does tf.nn.conv2d do in tensorflow?"), in the order the
 * thread gives them, with the hand-worked 4x4 example first: it is the page's default.
 */
import { paddingToText, type PageState } from './state.js';

export interface Preset {
  id: string;
  title: string;
  /** Where it comes from in the thread and what to look at. */
  note: string;
  state: PageState;
}

function preset(
  id: string,
  title: string,
  note: string,
  s: Partial<PageState> & Pick<PageState, 'inputShape' | 'filterShape'>,
): Preset {
  return {
    id,
    title,
    note,
    state: {
      strides: [1, 1],
      dilations: [1, 1],
      padding: { mode: 'VALID' },
      dataFormat: 'NHWC',
      x: null,
      w: null,
      seed: 1,
      dist: 'int',
      pin: null,
      ...s,
    },
  };
}

export const PRESETS: Preset[] = [
  preset(
    'worked',
    'Worked example: 4×4 input, 3×3 kernel, VALID',
    'The answer that works it out by hand: the kernel slides over the 4×4 input with no padding and ' +
      'stride 1, giving 2×2 outputs 14, 6, 6 and 12. Click an output to see its nine products.',
    {
      inputShape: [1, 4, 4, 1],
      filterShape: [3, 3, 1, 1],
      x: [4, 3, 1, 0, 2, 1, 0, 1, 1, 2, 4, 1, 3, 1, 0, 2],
      w: [1, 0, 1, 2, 1, 0, 0, 0, 1],
    },
  ),
  preset(
    'question',
    'The question: [1,10,10,10] × [2,10,10,10], stride 2, SAME',
    'The asker’s first try. The filter is 2×10 with 10 input channels and 10 filters, so the output has ' +
      '10 channels; SAME with stride 2 gives ceil(10 / 2) = 5 rows and columns.',
    { inputShape: [1, 10, 10, 10], filterShape: [2, 10, 10, 10], strides: [2, 2], padding: { mode: 'SAME' } },
  ),
  preset(
    'question-1x1',
    'The question’s edit: 2×2 image, 1×1 filter, SAME',
    'With a 1×1 filter and one channel, every output is just the pixel times the single weight. These are ' +
      'the numbers the asker printed.',
    {
      inputShape: [1, 2, 2, 1],
      filterShape: [1, 1, 1, 1],
      padding: { mode: 'SAME' },
      x: [1.60314465, -0.55022103, 0.00595062, -0.69889867],
      w: [-0.59594476],
    },
  ),
  preset(
    'channels-1x1',
    'More channels: [1,3,3,5] × [1,1,5,1], VALID',
    'A 1×1 filter with 5 channels: each output pixel is the dot product of the 5 channel values at that ' +
      'pixel with the 5 weights.',
    { inputShape: [1, 3, 3, 5], filterShape: [1, 1, 5, 1] },
  ),
  preset(
    'channels-3x3',
    'A 3×3 filter: [1,3,3,5] × [3,3,5,1], VALID',
    'The filter covers the whole image, so there is one output: 9 five-element dot products added up, or ' +
      'one 45-element dot product.',
    { inputShape: [1, 3, 3, 5], filterShape: [3, 3, 5, 1] },
  ),
  preset(
    'bigger-valid',
    'A bigger image: [1,5,5,5] × [3,3,5,1], VALID',
    'The filter fits in 3×3 places without sticking out, so the output is 3×3. The filter-centre map shows ' +
      'where its centre sits for each output.',
    { inputShape: [1, 5, 5, 5], filterShape: [3, 3, 5, 1] },
  ),
  preset(
    'bigger-same',
    'SAME padding: [1,5,5,5] × [3,3,5,1], SAME',
    'The filter is centred on every pixel; where it sticks out it reads zeros, so corner outputs only add ' +
      '4 of their 9 positions.',
    { inputShape: [1, 5, 5, 5], filterShape: [3, 3, 5, 1], padding: { mode: 'SAME' } },
  ),
  preset(
    'filters',
    'Several filters: [1,5,5,5] × [3,3,5,7], SAME',
    'Seven filters give seven output channels, one 5×5 map per filter.',
    { inputShape: [1, 5, 5, 5], filterShape: [3, 3, 5, 7], padding: { mode: 'SAME' } },
  ),
  preset(
    'stride',
    'Stride 2: [1,5,5,5] × [3,3,5,7], strides 2, SAME',
    'The filter is centred on every other pixel, so the output is 3×3 with 7 channels.',
    { inputShape: [1, 5, 5, 5], filterShape: [3, 3, 5, 7], strides: [2, 2], padding: { mode: 'SAME' } },
  ),
  preset(
    'batch',
    'A batch of 10: [10,5,5,5] × [3,3,5,7], strides 2, SAME',
    'The same convolution on each of 10 images independently: the output is 10×3×3×7.',
    { inputShape: [10, 5, 5, 5], filterShape: [3, 3, 5, 7], strides: [2, 2], padding: { mode: 'SAME' } },
  ),
  preset(
    'whole-image-filter',
    'Filter as large as the image: [1,100,100,3] × [100,100,3,7]',
    'The Fourier answer’s shapes. With VALID padding each of the 7 filters is multiplied element by ' +
      'element with the whole image cube and summed: one number per filter. The Fourier view shows the ' +
      'pointwise product of spectra.',
    { inputShape: [1, 100, 100, 3], filterShape: [100, 100, 3, 7], dist: 'normal' },
  ),
  preset(
    'patches',
    'Do it yourself with patches: [1,6,6,2] × [3,3,2,3], SAME',
    'The answer that rebuilds conv2d from extract_image_patches, a reshape and one multiply-and-sum per ' +
      'filter. The im2col view below is exactly that: patches × filter matrix.',
    { inputShape: [1, 6, 6, 2], filterShape: [3, 3, 2, 3], padding: { mode: 'SAME' } },
  ),
];

export const DEFAULT_STATE: PageState = PRESETS[0].state;

/** The preset a state is exactly equal to, if any (so the picker can show it). */
export function presetOf(state: PageState): Preset | undefined {
  const values = (v: number[] | null): number[] | null => v && v.map(Math.fround);
  const key = (s: PageState): string =>
    JSON.stringify([
      s.inputShape,
      s.filterShape,
      s.strides,
      s.dilations,
      paddingToText(s.padding),
      s.dataFormat,
      values(s.x),
      values(s.w),
      s.x && s.w ? null : [s.seed, s.dist],
      s.rejected ?? null,
    ]);
  return PRESETS.find((p) => key(p.state) === key(state));
}
