/**
 * Prints a tensor's values the way TensorFlow (through NumPy) prints a float32 array: nested brackets,
 * one column width for all entries, the shortest digits that identify each float32 value (at most 8
 * after the point), a trailing '.' on whole numbers, scientific notation when magnitudes are far apart,
 * and '...' summaries for large arrays.
 */

const MAX_FRACTION_DIGITS = 8;
const LINE_WIDTH = 75;
const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;

/** The shortest decimal string that reads back as the same float32 value. */
function shortestFloat32Digits(value: number, style: 'fixed' | 'exponential'): string {
  for (let precision = 1; precision <= 9; precision++) {
    const text = style === 'fixed' ? value.toPrecision(precision) : value.toExponential(precision - 1);
    if (Math.fround(Number(text)) === value) return text;
  }
  return style === 'fixed' ? value.toPrecision(9) : value.toExponential(8);
}

interface SplitNumber {
  sign: string;
  integer: string;
  fraction: string;
  exponent: string;
}

function splitFixed(value: number): SplitNumber {
  const text = shortestFloat32Digits(Math.abs(value), 'fixed');
  let [integer, fraction = ''] = text.split('.');
  // toPrecision may answer in exponent form (10 -> "1e+1"), and may need more than 8 decimals: then
  // write the value out with 8 decimals and drop the trailing zeros.
  if (text.includes('e') || fraction.length > MAX_FRACTION_DIGITS) {
    [integer, fraction = ''] = Math.abs(value).toFixed(MAX_FRACTION_DIGITS).split('.');
    fraction = fraction.replace(/0+$/, '');
  }
  return { sign: value < 0 || Object.is(value, -0) ? '-' : '', integer, fraction, exponent: '' };
}

function splitExponential(value: number): SplitNumber {
  const text = shortestFloat32Digits(Math.abs(value), 'exponential');
  const [mantissa, exp] = text.split('e');
  const [integer, fraction = ''] = mantissa.split('.');
  const expNumber = Number(exp);
  const exponent = `e${expNumber < 0 ? '-' : '+'}${String(Math.abs(expNumber)).padStart(2, '0')}`;
  return { sign: value < 0 ? '-' : '', integer, fraction, exponent };
}

/** Builds the formatter shared by every entry of one array, so that all columns line up. */
function makeFormatter(values: ArrayLike<number>): (value: number) => string {
  let maxAbs = 0;
  let minAbs = Infinity;
  let allWhole = true;
  let anyFinite = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    anyFinite = true;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a !== 0 && a < minAbs) minAbs = a;
    if (!Number.isInteger(v)) allWhole = false;
  }
  const exponential =
    anyFinite && minAbs !== Infinity && (maxAbs >= 1e8 || minAbs < 1e-4 || maxAbs / minAbs > 1e3);
  const parts: SplitNumber[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) parts.push(exponential ? splitExponential(v) : splitFixed(v));
  }
  const padRight = allWhole && !exponential ? 0 : Math.max(0, ...parts.map((p) => p.fraction.length));
  // nan, inf and -inf must fit too (NumPy widens the integer part for them).
  let nonFiniteWidth = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) nonFiniteWidth = Math.max(nonFiniteWidth, 3);
    else if (!Number.isFinite(v)) nonFiniteWidth = Math.max(nonFiniteWidth, v < 0 ? 4 : 3);
  }
  const padLeft = Math.max(
    0,
    nonFiniteWidth - padRight - 1,
    ...parts.map((p) => p.sign.length + p.integer.length),
  );
  const width = padLeft + 1 + padRight + (exponential ? 4 : 0);
  return (value: number) => {
    if (!Number.isFinite(value)) {
      const text = Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
      return text.padStart(width);
    }
    const p = exponential ? splitExponential(value) : splitFixed(value);
    const left = (p.sign + p.integer).padStart(padLeft);
    const right = exponential ? p.fraction.padEnd(padRight, '0') : p.fraction.padEnd(padRight);
    return `${left}.${right}${p.exponent}`;
  };
}

/** Formats `data` (row-major, `shape`) as NumPy prints it. */
export function formatArray(data: ArrayLike<number>, shape: readonly number[]): string {
  const size = shape.reduce((a, b) => a * b, 1);
  const summarise = size > SUMMARY_THRESHOLD;
  const shown = summarise ? collectShown(data, shape) : data;
  const format = makeFormatter(shown);
  if (shape.length === 0) return format(data[0]);
  if (size === 0) return '[]';
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }

  const indexesOf = (dim: number): (number | null)[] => {
    const n = shape[dim];
    if (!summarise || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
    const head = Array.from({ length: EDGE_ITEMS }, (_, i) => i);
    const tail = Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i);
    return [...head, null, ...tail];
  };

  const render = (dim: number, offset: number, indent: string): string => {
    if (dim === shape.length - 1) {
      const items = indexesOf(dim).map((i) => (i === null ? '...' : format(data[offset + i])));
      return `[${wrapLine(items, indent + ' ')}]`;
    }
    const separator = '\n'.repeat(shape.length - dim - 1) + indent + ' ';
    const rows = indexesOf(dim).map((i) =>
      i === null ? '...' : render(dim + 1, offset + i * strides[dim], indent + ' '),
    );
    return `[${rows.join(separator)}]`;
  };
  return render(0, 0, '');
}

/** Joins one innermost row, wrapping at NumPy's line width with continuation lines indented. */
function wrapLine(items: string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const candidate = line === '' ? item : `${line} ${item}`;
    if (line !== '' && candidate.length + indent.length + 1 > LINE_WIDTH) {
      lines.push(line);
      line = item;
    } else {
      line = candidate;
    }
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

/** The entries a summarised print shows (the first and last few along every axis). */
function collectShown(data: ArrayLike<number>, shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (dim: number, offset: number, stride: number): void => {
    const n = shape[dim];
    const inner = stride / n;
    const idx =
      n <= 2 * EDGE_ITEMS
        ? Array.from({ length: n }, (_, i) => i)
        : [0, 1, 2, n - 3, n - 2, n - 1].slice(0, 2 * EDGE_ITEMS);
    for (const i of idx) {
      if (dim === shape.length - 1) out.push(data[offset + i]);
      else walk(dim + 1, offset + i * inner, inner);
    }
  };
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > 0) walk(0, 0, size);
  return out;
}
