/**
 * Plain words for convkit's error messages: what the message means for the page's settings, and what
 * to change. The message itself is always shown as convkit wrote it.
 */

export interface Advice {
  /** What went wrong, for someone new to conv2d. */
  words: string;
  /** Settings that would fix it, as labels with a patch the page can apply. */
  fixes: { label: string; fix: Fix }[];
}

/** A patch the error view knows how to apply. */
export type Fix = 'same' | 'stride1' | 'dilation1' | 'channels' | 'smaller' | 'add-dimension' | 'draw-values';

const RULES: { test: RegExp; advice: Advice }[] = [
  {
    test: /negative output (height|width)/,
    advice: {
      words:
        'The filter does not fit. Without padding (VALID), the filter must lie completely inside the input at least once, so the (dilated) filter cannot be taller or wider than the input. TensorFlow refuses rather than returning an empty result.',
      fixes: [
        { label: 'Use SAME padding', fix: 'same' },
        { label: 'Use dilation 1', fix: 'dilation1' },
      ],
    },
  },
  {
    test: /channels but filter .* expects/,
    advice: {
      words:
        'Each filter is a block as deep as the input: its third number (in_channels) must equal the number of channels of the input. For an RGB image that is 3.',
      fixes: [{ label: 'Make the filter match the input’s channels', fix: 'channels' }],
    },
  },
  {
    test: /out_channels, which the .* groups/,
    advice: {
      words:
        'The input has a multiple of the filter’s in_channels, which makes this a grouped convolution; then the number of filters must split evenly into the groups.',
      fixes: [{ label: 'Make the filter match the input’s channels', fix: 'channels' }],
    },
  },
  {
    test: /strides.*(integers >= 1|list of)/,
    advice: {
      words:
        'The stride is how many cells the filter moves each step. It must be a whole number of at least 1.',
      fixes: [{ label: 'Use stride 1', fix: 'stride1' }],
    },
  },
  {
    test: /dilations.*(integers >= 1|list of)/,
    advice: {
      words:
        'The dilation is the spacing between the filter’s taps (1 means next to each other). It must be a whole number of at least 1.',
      fixes: [{ label: 'Use dilation 1', fix: 'dilation1' }],
    },
  },
  {
    test: /padding.*(amounts|>= 0|pairs)/,
    advice: {
      words:
        'Explicit padding adds that many rows or columns of zeros on each side, so each amount must be a whole number of 0 or more.',
      fixes: [{ label: 'Use SAME padding', fix: 'same' }],
    },
  },
  {
    test: /zero dimension/,
    advice: {
      words: 'A filter needs at least one row, one column, one input channel and one output channel.',
      fixes: [],
    },
  },
  {
    test: /must be rank|rank 3 or 4|rank 4/,
    advice: {
      words:
        'The input shape needs four numbers (batch, height, width, channels in NHWC) — or three for one image — and the filter needs four (height, width, in_channels, out_channels).',
      fixes: [],
    },
  },
  {
    test: /needs \d+ values but \d+ were given/,
    advice: {
      words:
        'The numbers given do not fill the shape: there must be exactly one number per element (multiply the shape’s numbers together).',
      fixes: [],
    },
  },
  {
    test: /non-negative integers|must contain/,
    advice: {
      words:
        'Shapes are lists of whole numbers, like 1,4,4,1. One of the numbers could not be read as a whole number of 0 or more.',
      fixes: [],
    },
  },
  {
    test: /elements, more than|ResourceExhausted|too large/i,
    advice: {
      words: 'This convolution is too large to compute here. Try smaller shapes.',
      fixes: [{ label: 'Use a small example', fix: 'smaller' }],
    },
  },
];

export function adviceFor(message: string): Advice {
  return (
    RULES.find((r) => r.test.test(message))?.advice ?? {
      words:
        'convkit refused these settings. The message names the argument, the value it got and what it expected.',
      fixes: [],
    }
  );
}

/**
 * The shape someone who typed 3 numbers most likely meant: a batch, height and width with the channel
 * axis forgotten (the page's own 1,4,4 for the 4x4 example). The channels are the filter's in_channels,
 * so the two fit. Only for a 3-number shape.
 */
export function intendedInputShape(
  inputShape: readonly number[],
  filterShape: readonly number[],
  format: 'NHWC' | 'NCHW',
): number[] | null {
  if (inputShape.length !== 3) return null;
  const inChannels = filterShape[2];
  const c = Number.isSafeInteger(inChannels) && inChannels > 0 ? inChannels : 1;
  const [a, b, d] = inputShape;
  return format === 'NHWC' ? [a, b, d, c] : [a, c, b, d];
}

/**
 * Advice for an input of 3 numbers that convkit refused: TensorFlow reads it as one image without a
 * batch axis, so a forgotten dimension turns into a puzzling message (about groups or channels). Says how
 * the shape was read and offers the likely intended 4-number shape; null for other shapes.
 */
export function threeNumberShapeAdvice(
  message: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  format: 'NHWC' | 'NCHW',
): Advice | null {
  const intended = intendedInputShape(inputShape, filterShape, format);
  // Only messages that the reading of the shape explains (channels, groups, a filter that does not fit).
  if (!intended || !/channel|group|negative output/i.test(message)) return null;
  const [a, b, c] = inputShape;
  const reading =
    format === 'NHWC'
      ? `[height, width, channels]: one image without a batch, here ${a} × ${b} pixels with ${c} channels`
      : `[channels, height, width]: one image without a batch, here ${a} channels of ${b} × ${c} pixels`;
  const show = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
  const layout = format === 'NHWC' ? 'batch, height, width, channels' : 'batch, channels, height, width';
  const others = adviceFor(message).fixes.filter((f) => f.fix !== 'channels');
  return {
    words:
      `A 3-number shape is read as ${reading}. If a dimension was left out, the 4-number shape ` +
      `(${layout}) is probably ${show(intended)}.`,
    fixes: [{ label: `Use input shape ${show(intended)}`, fix: 'add-dimension' }, ...others],
  };
}
