/**
 * The text form of a Conv2dExplanation, for the terminal. Reads only the explanation: every number
 * and sentence shown was put there by explainConv2d.
 */
import type {
  AxisMeaning,
  CentreMap,
  Conv2dExplanation,
  OutputBreakdown,
  ProductTerm,
} from '../explain/types.js';
import { formatNumber, formatShape, plural } from '../explain/numbers.js';
import { termText } from '../explain/breakdown.js';
import { formatArray } from '../format.js';
import { formatBytes } from '../plan/memory.js';
import { PLAIN_STYLE, type Style } from './style.js';

/** Maps wider or taller than this are described instead of drawn. */
const MAX_DRAWN_WIDTH = 64;
const MAX_DRAWN_HEIGHT = 40;

/** Lines of prose and sums are wrapped or cut to this many characters. */
export const LINE_WIDTH = 100;
/** Output values are printed when there are at most this many; larger outputs get a one-line summary. */
const MAX_PRINTED_VALUES = 256;
/** At most this many lines of partial sums for one output (one per filter tap or filter row). */
const MAX_PART_LINES = 25;

/**
 * Wraps a line of prose at spaces to LINE_WIDTH; continuation lines are indented past the line's own
 * indent (and past a list marker such as "1. " or "- ").
 */
export function wrapProse(line: string, width = LINE_WIDTH): string[] {
  if (line.length <= width) return [line];
  const lead = /^\s*(?:\d+\.\s|-\s)?/.exec(line)![0];
  const hang = ' '.repeat(lead.length + (lead.trim() === '' ? 2 : 0));
  const lines: string[] = [];
  let current = lead;
  let empty = true;
  for (const word of line.slice(lead.length).split(' ')) {
    if (!empty && current.length + 1 + word.length > width) {
      lines.push(current);
      current = hang + word;
    } else {
      current = empty ? current + word : `${current} ${word}`;
    }
    empty = false;
  }
  lines.push(current);
  return lines;
}

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
    return wrapProse(
      `${indent}(the ${c.paddedHeight}x${c.paddedWidth} padded input is too large to draw${where})`,
    );
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

function im2colLines(e: Conv2dExplanation): string[] {
  return e.im2col.steps.map((step, i) => `  ${i + 1}. ${step}`);
}

/** "[0, 1, 1, 0]  6 = 3*1 + ...", with a count of padding taps when there are any. */
export function breakdownLine(b: OutputBreakdown): string {
  return `${formatShape(b.outputIndex)}  ${b.text}${padNote(b)}`;
}

function padNote(b: OutputBreakdown): string {
  const onPadding = b.terms.filter((t) => t.padding).length;
  return onPadding > 0 ? `   (${onPadding} of ${b.terms.length} terms on padding)` : '';
}

/**
 * "a*b + c*d + ..." in lines of at most `room` characters, at most `maxLines` of them; the last is cut
 * with a count of the terms left out when they do not all fit.
 */
function termLines(terms: ProductTerm[], room: number, maxLines: number): string[] {
  const lines: string[] = [];
  let text = '';
  for (let i = 0; i < terms.length; i++) {
    const term = (text === '' ? '' : ' + ') + termText(terms[i]);
    const rest = terms.length - i;
    const lastLine = lines.length === maxLines - 1;
    const tail = lastLine && rest > 1 ? ` + ... (${rest - 1} more)` : '';
    if (text !== '' && text.length + term.length + tail.length > room) {
      if (lastLine) {
        lines.push(`${text} + ... (${rest} more)`);
        return lines;
      }
      lines.push(`${text} +`);
      text = termText(terms[i]);
    } else {
      text += term;
    }
  }
  lines.push(text);
  return lines;
}

/**
 * One output's sum of products: on one line when it fits in `width`, else as partial sums, one per
 * filter tap (the dot product over the channels) or, for one-channel filters, per filter row; a part
 * takes at most two lines, cut with a count of the terms left out.
 */
export function breakdownLines(b: OutputBreakdown, width = LINE_WIDTH): string[] {
  const one = breakdownLine(b);
  if (one.length <= width) return [one];
  const channels = new Set(b.terms.map((t) => t.filterIndex[2])).size;
  const byRow = channels === 1;
  const parts = new Map<string, ProductTerm[]>();
  for (const t of b.terms) {
    const [ky, kx] = t.filterIndex;
    const key = byRow ? `row ${ky}` : `tap (${ky}, ${kx})`;
    const list = parts.get(key) ?? [];
    list.push(t);
    parts.set(key, list);
  }
  const what = byRow
    ? `${plural(parts.size, 'filter row')}`
    : `${parts.size} dot products over ${channels} channels, one per filter tap (row, column)`;
  const lines = [`${formatShape(b.outputIndex)}  ${formatNumber(b.value)} = the sum of ${what}:`];
  const pad = padNote(b).trim();
  if (pad !== '') lines.push(`  ${pad}`);
  const labelWidth = Math.max(...[...parts.keys()].map((k) => k.length));
  let shown = 0;
  for (const [label, terms] of parts) {
    if (shown === MAX_PART_LINES) {
      lines.push(`  ... ${parts.size - shown} more (--json lists every term)`);
      break;
    }
    let partial = 0;
    for (const t of terms) partial += t.inputValue * t.weight;
    const head = `  ${label.padEnd(labelWidth)}: `;
    const sum = ` = ${formatNumber(Math.fround(partial))}`;
    const body = termLines(terms, width - head.length - sum.length, 2);
    body[body.length - 1] += sum;
    lines.push(head + body[0], ...body.slice(1).map((l) => ' '.repeat(head.length) + l));
    shown++;
  }
  return lines;
}

/** The output's channel count, wherever its layout keeps it. */
function outputChannels(e: Conv2dExplanation): number {
  const shape = e.outputShape;
  if (e.dataFormat === 'NHWC') return shape[shape.length - 1];
  return shape[shape.length - 3];
}

/** A one-channel output drawn as rows and columns (one grid per image); null when it does not fit. */
function outputGrid(e: Conv2dExplanation, values: readonly number[]): string[] | null {
  const g = e.geometry;
  if (outputChannels(e) !== 1 || g.batch > 4) return null;
  const texts = values.map(formatNumber);
  const cell = Math.max(...texts.map((t) => t.length));
  if (4 + g.outWidth * (cell + 2) > LINE_WIDTH) return null;
  const lines: string[] = [];
  for (let b = 0; b < g.batch; b++) {
    if (g.batch > 1) lines.push(`  image ${b}:`);
    for (let y = 0; y < g.outHeight; y++) {
      const row = texts.slice((b * g.outHeight + y) * g.outWidth, (b * g.outHeight + y + 1) * g.outWidth);
      lines.push(`    ${row.map((t) => t.padStart(cell)).join('  ')}`);
    }
  }
  return lines;
}

/** The output's values: a grid or nested brackets when small, one summary line when large. */
function outputValueLines(e: Conv2dExplanation): string[] {
  const v = e.values!;
  const count = e.geometry.batch * e.geometry.outHeight * e.geometry.outWidth * e.geometry.outChannels;
  const head = `  output ${formatShape(e.outputShape)}`;
  if (count === 0) return [];
  if (count <= MAX_PRINTED_VALUES && v.outputListed) {
    const grid = outputGrid(e, v.output);
    if (grid) return [`${head}, as rows and columns (one channel):`, ...grid];
    const lines = [`${head}:`];
    for (const line of formatArray(v.output, e.outputShape).split('\n')) lines.push(`    ${line}`.trimEnd());
    return lines;
  }
  const s = v.stats!;
  return wrapProse(
    `${head}: ${count} values from ${formatNumber(s.min)} to ${formatNumber(s.max)}, mean ` +
      `${formatNumber(s.mean)} (too many to print here; ` +
      `${v.outputListed ? '--json lists them all' : 'convkit run --output file.npy writes them all'})`,
  );
}

/** How the CLI chose the breakdowns it shows. */
export interface RenderOptions {
  /** The breakdown shown was picked as an example (the first output), not asked for with --at. */
  example?: boolean;
}

function valueLines(e: Conv2dExplanation, style: Style, options: RenderOptions): string[] {
  const v = e.values;
  if (!v) {
    return ['  (shapes only: give --input-values and --filter-values, or --random SEED, to see the numbers)'];
  }
  const count = e.geometry.batch * e.geometry.outHeight * e.geometry.outWidth * e.geometry.outChannels;
  const terms = e.geometry.filterHeight * e.geometry.filterWidth * e.geometry.filterInChannels;
  // What follows, first; then the numbers.
  const lines: string[] = [];
  if (count === 0) {
    lines.push('  the output is empty: there is no sum to show');
  } else if (!v.summarised) {
    lines.push(
      `  each output below is a sum of ${plural(terms, 'product')} (input*weight, in filter order row, ` +
        'column, channel)',
    );
  } else {
    const which =
      v.breakdowns.length === 0
        ? 'pick one with --at b,y,x,c (output layout) to see its sum'
        : options.example
          ? `the sum behind the first one is below; pick another with --at ${e.dataFormat === 'NHWC' ? 'b,y,x,c' : 'b,c,y,x'} (output layout)`
          : 'the sum behind the one asked for with --at is below';
    lines.push(
      ...wrapProse(
        `  ${count} outputs of ${plural(terms, 'product')} each are too many to list one by one ` +
          `(--max-breakdowns N raises the limit); ${which}`,
      ),
    );
  }
  lines.push(...outputValueLines(e));
  if (v.breakdowns.length > 0) lines.push('');
  for (const b of v.breakdowns) lines.push(...breakdownLines(b, LINE_WIDTH - 4).map((l) => `    ${l}`));
  if (v.breakdowns.some((b) => b.terms.some((t) => t.padding))) {
    lines.push(style.dim('  (0(pad) = a filter tap that falls on zero padding)'));
  }
  return lines;
}

/** The whole explanation as text, one titled section after another. */
export function renderExplanation(
  e: Conv2dExplanation,
  style: Style = PLAIN_STYLE,
  options: RenderOptions = {},
): string {
  const section = (title: string, lines: string[]): string[] => ['', style.heading(title), ...lines];
  const prose = (lines: string[]): string[] => lines.flatMap((l) => wrapProse(l));
  const lines = [
    style.heading(renderSummaryLine(e)),
    ...e.warnings.flatMap((w) => wrapProse(`warning: ${w}`).map(style.bad)),
    ...section('What the axes mean', [
      ...axisTable('input ', e.inputShape, e.axes.input),
      ...axisTable('filter', e.filterShape, e.axes.filter),
      ...axisTable('output', e.outputShape, e.axes.output),
    ]),
    ...section('Output size', sizeLines(e)),
    ...section('Padding', prose(paddingLines(e))),
    ...section("Filter centres (x = where the filter's centre sits for an output, . = input, o = padding)", [
      ...centreMapLines(e.centres),
      ...wrapProse(`  (${e.centres.note})`),
    ]),
    ...section("TensorFlow's three steps (im2col)", prose(im2colLines(e))),
    ...section(
      'Algorithm',
      prose([
        `  ${e.plan.algorithm}: ${e.plan.reason}`,
        `  memory: ${formatBytes(e.plan.scratchBytes)} of scratch a call, ` +
          `${formatBytes(e.plan.preparedFilterBytes)} for the prepared filter (made once, kept between calls)`,
        `  accuracy (precision ${e.plan.precision}): max |error| / max |exact| <= ` +
          `${e.plan.accuracy.relativeErrorBound.toExponential(1)}; ${e.plan.accuracy.note}`,
      ]),
    ),
    ...section('Values', valueLines(e, style, options)),
  ];
  return lines.join('\n') + '\n';
}
