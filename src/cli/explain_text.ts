/**
 * The text form of a Conv2dExplanation, for the terminal. Reads only the explanation: every number
 * and sentence shown was put there by explainConv2d.
 */
import type { AxisMeaning, CentreMap, Conv2dExplanation, OutputBreakdown } from '../explain/types.js';
import { formatShape } from '../explain/numbers.js';
import { formatArray } from '../format.js';
import { formatBytes } from '../plan/memory.js';
import { PLAIN_STYLE, type Style } from './style.js';

/** Maps wider or taller than this are described instead of drawn. */
const MAX_DRAWN_WIDTH = 64;
const MAX_DRAWN_HEIGHT = 40;

function axisTable(title: string, shape: readonly number[], axes: AxisMeaning[]): string[] {
  const nameWidth = Math.max(...axes.map((a) => a.name.length));
  const sizeWidth = Math.max(...axes.map((a) => String(a.size).length));
  return [
    `  ${title} ${formatShape(shape)}`,
    ...axes.map(
      (a) => `    ${a.name.padEnd(nameWidth)}  ${String(a.size).padStart(sizeWidth)}  ${a.meaning}`,
    ),
  ];
}

function stepsText(values: number | readonly number[]): string {
  return Array.isArray(values) ? values.join('x') : String(values);
}

export function renderSummaryLine(e: Conv2dExplanation): string {
  const g = e.geometry;
  return (
    `conv2d: input ${formatShape(e.inputShape)} (${e.dataFormat}) with filter ${formatShape(e.filterShape)}, ` +
    `strides ${stepsText([g.strideHeight, g.strideWidth])}, padding ${e.padding.mode}` +
    (g.dilationHeight * g.dilationWidth > 1
      ? `, dilations ${stepsText([g.dilationHeight, g.dilationWidth])}`
      : '') +
    ` -> output ${formatShape(e.outputShape)}`
  );
}

function sizeLines(e: Conv2dExplanation): string[] {
  const lines: string[] = [];
  for (const d of e.outputSize) {
    lines.push(`  ${d.axis.padEnd(6)}  ${d.formula}  ->  ${d.substituted}`);
    if (d.dilation > 1) {
      lines.push(
        `          effective_k = (k - 1) * dilation + 1 = (${d.kernel} - 1) * ${d.dilation} + 1 = ${d.effectiveKernel}`,
      );
    }
  }
  return lines;
}

function paddingLines(e: Conv2dExplanation): string[] {
  const p = e.padding;
  return [
    `  ${p.mode}: top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}`,
    ...p.notes.map((n) => `  - ${n}`),
  ];
}

/** Puts two blocks of lines next to each other. */
function sideBySide(left: string[], right: string[], gap = 4): string[] {
  const width = Math.max(...left.map((l) => l.length));
  const lines: string[] = [];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    lines.push(`${(left[i] ?? '').padEnd(width + gap)}${right[i] ?? ''}`.trimEnd());
  }
  return lines;
}

/** The seed's picture: the input alone, plus the padded input when there is padding. */
export function centreMapLines(c: CentreMap, indent = '  '): string[] {
  if (c.omitted || c.paddedWidth > MAX_DRAWN_WIDTH || c.paddedHeight > MAX_DRAWN_HEIGHT) {
    const first = c.centres[0];
    const last = c.centres[c.centres.length - 1];
    const where =
      first && last
        ? `; centres run from padded (row ${first.row}, col ${first.col}) to (row ${last.row}, col ${last.col})`
        : '';
    return [`${indent}(the ${c.paddedHeight}x${c.paddedWidth} padded input is too large to draw${where})`];
  }
  const inputGrid = c.inputGrid ?? c.grid;
  const inputHeight = inputGrid.length;
  const inputWidth = inputGrid[0]?.length ?? 0;
  if (c.paddedHeight === inputHeight && c.paddedWidth === inputWidth)
    return inputGrid.map((row) => indent + row);
  return sideBySide(
    [`input alone (${inputHeight}x${inputWidth}):`, ...inputGrid],
    [`padded input (${c.paddedHeight}x${c.paddedWidth}, o = padding):`, ...c.grid],
  ).map((line) => indent + line);
}

function centreLines(e: Conv2dExplanation): string[] {
  return [...centreMapLines(e.centres), `  (${e.centres.note})`];
}

function im2colLines(e: Conv2dExplanation): string[] {
  return e.im2col.steps.map((step, i) => `  ${i + 1}. ${step}`);
}

/** "[0, 1, 1, 0]  6 = 3*1 + ...", with a count of padding taps when there are any. */
export function breakdownLine(b: OutputBreakdown): string {
  const onPadding = b.terms.filter((t) => t.padding).length;
  const padNote = onPadding > 0 ? `   (${onPadding} of ${b.terms.length} terms on padding)` : '';
  return `${formatShape(b.outputIndex)}  ${b.text}${padNote}`;
}

function valueLines(e: Conv2dExplanation, style: Style): string[] {
  const v = e.values;
  if (!v) {
    return ['  (shapes only: give --input-values and --filter-values, or --random SEED, to see the numbers)'];
  }
  const lines = [`  output ${formatShape(e.outputShape)}:`];
  for (const line of formatArray(v.output, e.outputShape).split('\n')) lines.push(`    ${line}`.trimEnd());
  lines.push('');
  if (v.output.length === 0) {
    lines.push('  (the output is empty: there is no sum to show)');
  } else if (!v.summarised) {
    lines.push('  each output as its sum of products (input*weight, in filter order row, column, channel):');
  } else {
    lines.push(
      `  ${v.output.length} outputs are too many to list one by one` +
        (v.breakdowns.length > 0
          ? '; the one asked for with --at:'
          : '; pick one with --at b,y,x,c (output layout)'),
    );
  }
  lines.push(...v.breakdowns.map((b) => `    ${breakdownLine(b)}`));
  if (v.breakdowns.some((b) => b.terms.some((t) => t.padding))) {
    lines.push(style.dim('  (0(pad) = a filter tap that falls on zero padding)'));
  }
  return lines;
}

/** The whole explanation as text, one titled section after another. */
export function renderExplanation(e: Conv2dExplanation, style: Style = PLAIN_STYLE): string {
  const section = (title: string, lines: string[]): string[] => ['', style.heading(title), ...lines];
  const lines = [
    style.heading(renderSummaryLine(e)),
    ...section('What the axes mean', [
      ...axisTable('input ', e.inputShape, e.axes.input),
      ...axisTable('filter', e.filterShape, e.axes.filter),
      ...axisTable('output', e.outputShape, e.axes.output),
    ]),
    ...section('Output size', sizeLines(e)),
    ...section('Padding', paddingLines(e)),
    ...section(
      "Filter centres (x = where the filter's centre sits for an output, . = input, o = padding)",
      centreLines(e),
    ),
    ...section("TensorFlow's three steps (im2col)", im2colLines(e)),
    ...section('Algorithm', [
      `  ${e.plan.algorithm}: ${e.plan.reason}`,
      `  memory: ${formatBytes(e.plan.scratchBytes)} of scratch a call, ` +
        `${formatBytes(e.plan.preparedFilterBytes)} for the prepared filter (made once, kept between calls)`,
      `  accuracy (precision ${e.plan.precision}): max |error| / max |exact| <= ` +
        `${e.plan.accuracy.relativeErrorBound.toExponential(1)}; ${e.plan.accuracy.note}`,
    ]),
    ...section('Values', valueLines(e, style)),
  ];
  return lines.join('\n') + '\n';
}
