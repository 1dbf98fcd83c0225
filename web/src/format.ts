/** How the page writes numbers and shapes: short, honest and easy to read. */

/** A value for a grid cell or a product: whole numbers exactly, others to at most 3 decimals. */
export function fmt(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (Object.is(value, -0) || value === 0) return '0';
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e7 || abs < 1e-3) return value.toExponential(2);
  return value.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
}

/** A factor inside a product: negatives in parentheses, "2×(-0.5)". */
export function fmtFactor(value: number): string {
  const text = fmt(value);
  return text.startsWith('-') ? `(${text})` : text;
}

/** "1 × 2 × 2 × 1" */
export function fmtShape(shape: readonly number[]): string {
  return shape.join(' × ');
}

/** "[1, 4, 4, 1]" */
export function fmtList(list: readonly number[]): string {
  return `[${list.join(', ')}]`;
}

/** The shortest text that reads back as the same float32 (for URLs and code). */
export function exact(value: number): string {
  for (let precision = 1; precision <= 9; precision++) {
    const text = String(Number(value.toPrecision(precision)));
    if (Math.fround(Number(text)) === Math.fround(value)) return text;
  }
  return String(value);
}

/** "1 image" / "10 images" */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
