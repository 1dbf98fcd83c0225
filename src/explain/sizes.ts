/**
 * How each output size and each padding amount comes about, written out with the numbers of one
 * geometry. Every value shown is read from ConvGeometry; the formulas are only spelled out here.
 */
import type { ConvGeometry } from '../geometry.js';
import type { OutputSizeDerivation, PaddingExplanation } from './types.js';
import { plural } from './numbers.js';

/** One spatial axis of a geometry, with the words used to talk about it. */
interface AxisView {
  axis: 'height' | 'width';
  line: 'row' | 'column';
  before: 'top' | 'left';
  after: 'bottom' | 'right';
  inSize: number;
  kernel: number;
  stride: number;
  dilation: number;
  effectiveKernel: number;
  padBefore: number;
  padAfter: number;
  outSize: number;
}

function axisViews(g: ConvGeometry): [AxisView, AxisView] {
  return [
    {
      axis: 'height',
      line: 'row',
      before: 'top',
      after: 'bottom',
      inSize: g.inHeight,
      kernel: g.filterHeight,
      stride: g.strideHeight,
      dilation: g.dilationHeight,
      effectiveKernel: g.effectiveFilterHeight,
      padBefore: g.padTop,
      padAfter: g.padBottom,
      outSize: g.outHeight,
    },
    {
      axis: 'width',
      line: 'column',
      before: 'left',
      after: 'right',
      inSize: g.inWidth,
      kernel: g.filterWidth,
      stride: g.strideWidth,
      dilation: g.dilationWidth,
      effectiveKernel: g.effectiveFilterWidth,
      padBefore: g.padLeft,
      padAfter: g.padRight,
      outSize: g.outWidth,
    },
  ];
}

/**
 * The formula for one axis. VALID and explicit padding use the familiar ceil/floor forms; when the
 * window is larger than the (padded) input TensorFlow's integer division truncates towards zero, so
 * that case is written in TensorFlow's own form.
 */
function sizeFormula(g: ConvGeometry, a: AxisView): { formula: string; substituted: string } {
  const out = a.outSize === 0 ? 0 : a.outSize; // -0 from truncation prints as 0
  if (g.paddingMode === 'SAME') {
    return { formula: 'out = ceil(in / stride)', substituted: `ceil(${a.inSize} / ${a.stride}) = ${out}` };
  }
  const k = a.effectiveKernel;
  if (g.paddingMode === 'VALID') {
    if (a.inSize >= k) {
      return {
        formula: 'out = ceil((in - effective_k + 1) / stride)',
        substituted: `ceil((${a.inSize} - ${k} + 1) / ${a.stride}) = ${out}`,
      };
    }
    return {
      formula: 'out = trunc((in - effective_k + stride) / stride)',
      substituted: `trunc((${a.inSize} - ${k} + ${a.stride}) / ${a.stride}) = ${out}`,
    };
  }
  const padded = `${a.inSize} + ${a.padBefore} + ${a.padAfter}`;
  if (a.inSize + a.padBefore + a.padAfter >= k) {
    return {
      formula: 'out = floor((in + pad_before + pad_after - effective_k) / stride) + 1',
      substituted: `floor((${padded} - ${k}) / ${a.stride}) + 1 = ${out}`,
    };
  }
  return {
    formula: 'out = trunc((in + pad_before + pad_after - effective_k + stride) / stride)',
    substituted: `trunc((${padded} - ${k} + ${a.stride}) / ${a.stride}) = ${out}`,
  };
}

export function outputSizes(g: ConvGeometry): [OutputSizeDerivation, OutputSizeDerivation] {
  const derive = (a: AxisView): OutputSizeDerivation => ({
    axis: a.axis,
    ...sizeFormula(g, a),
    value: a.outSize === 0 ? 0 : a.outSize,
    inSize: a.inSize,
    kernel: a.kernel,
    stride: a.stride,
    dilation: a.dilation,
    effectiveKernel: a.effectiveKernel,
  });
  const [rows, cols] = axisViews(g);
  return [derive(rows), derive(cols)];
}

/** SAME: how the total was found and how it was split, for one axis. */
function samePaddingNotes(a: AxisView): string[] {
  const total = a.padBefore + a.padAfter;
  const notes = [
    `${a.axis}: total = max((out - 1) * stride + effective_k - in, 0) = ` +
      `max((${a.outSize} - 1) * ${a.stride} + ${a.effectiveKernel} - ${a.inSize}, 0) = ${total} ` +
      `(${plural(total, `padding ${a.line}`)})`,
  ];
  if (total === 0) return notes;
  notes.push(
    `${a.axis}: ${a.before} = floor(total / 2) = floor(${total} / 2) = ${a.padBefore}, ` +
      `${a.after} = total - ${a.before} = ${a.padAfter}`,
  );
  if (total % 2 === 1) {
    notes.push(
      `${a.axis}: ${total} is odd, so the extra ${a.line} goes to the ${a.after}: TensorFlow puts ` +
        `floor(total / 2) before and the rest after`,
    );
  }
  return notes;
}

/** Rows/columns at the far edge that no window reaches (the next stride would run past the edge). */
function unreadNote(a: AxisView): string[] {
  if (a.outSize <= 0) return [];
  const covered = (a.outSize - 1) * a.stride + a.effectiveKernel;
  const unread = a.inSize + a.padBefore + a.padAfter - covered;
  if (unread <= 0) return [];
  return [
    `${a.axis}: the last ${plural(unread, a.line)} of the ${a.padBefore + a.padAfter > 0 ? 'padded ' : ''}` +
      `input ${unread === 1 ? 'is' : 'are'} never read: one more stride would take the filter past the edge`,
  ];
}

export function paddingExplanation(g: ConvGeometry): PaddingExplanation {
  const views = axisViews(g);
  const notes: string[] = [];
  if (g.paddingMode === 'SAME') {
    notes.push(
      'SAME: pad with zeros so that out = ceil(in / stride), i.e. the filter can be centred on every ' +
        'stride-th pixel',
    );
    for (const a of views) notes.push(...samePaddingNotes(a));
  } else if (g.paddingMode === 'VALID') {
    notes.push('VALID: no padding; the filter only visits positions where it lies entirely inside the input');
  } else {
    notes.push(
      `explicit padding, as given: ${g.padTop} top, ${g.padBottom} bottom, ${g.padLeft} left, ` +
        `${g.padRight} right (zeros)`,
    );
  }
  for (const a of views) notes.push(...unreadNote(a));
  return {
    mode: g.paddingMode,
    top: g.padTop,
    bottom: g.padBottom,
    left: g.padLeft,
    right: g.padRight,
    notes,
  };
}

/**
 * Why an output is empty, when it is: a batch of 0, an input with no rows or columns, or a filter that
 * fits nowhere (larger than the input under VALID, by less than one stride, which TensorFlow answers
 * with an empty tensor rather than an error). One sentence per cause; none for a non-empty output.
 */
export function emptyOutputWarnings(g: ConvGeometry): string[] {
  const warnings: string[] = [];
  if (g.batch === 0) warnings.push('the output is empty: the batch holds 0 images');
  const views = axisViews(g);
  for (const a of views) {
    if (a.outSize === 0 && a.inSize === 0) {
      warnings.push(`the output is empty: the input has 0 ${a.line}s (its ${a.axis} is 0)`);
    }
  }
  const tooSmall = views.filter((a) => a.outSize === 0 && a.inSize > 0);
  if (tooSmall.length === 0) return warnings;
  const padded = g.paddingMode !== 'VALID';
  const size = (a: AxisView): number => a.inSize + (padded ? a.padBefore + a.padAfter : 0);
  const dims = (f: (a: AxisView) => number): string => tooSmall.map(f).join('x');
  const which = tooSmall.map((a) => a.axis).join(' and ');
  const dilated = tooSmall.some((a) => a.dilation > 1) ? ', dilation included' : '';
  const where = padded
    ? `the padded input is only ${dims(size)} (${which})`
    : `the input is only ${dims(size)} (${which}), and VALID padding places the filter only where it ` +
      `fits entirely inside the input`;
  warnings.push(
    `the output is empty: the filter spans ${dims((a) => a.effectiveKernel)}${dilated} but ${where}, so ` +
      `it fits nowhere. TensorFlow gives an empty tensor here, not an error, because the filter ` +
      `overhangs by less than one stride. Use SAME padding, or a filter no larger than the input`,
  );
  return warnings;
}
