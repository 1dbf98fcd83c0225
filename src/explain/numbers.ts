/**
 * How the explainer writes numbers in text: as short as they can be while staying honest. Whole and
 * short values print exactly (14, 0.5, -1.25); float32 noise such as 1.6031446 is cut to 4 decimals
 * (4 significant digits below 1), so a sum of products stays readable. Data fields keep exact values.
 */

const MAX_DECIMALS = 4;

/**
 * The shortest decimal that reads back as `value` (as a float32 when it is one, else as a double),
 * in JavaScript's own notation ("100", "0.1", "1e-7"), so it is also valid JSON for finite values.
 */
export function shortestDecimal(value: number): string {
  for (let precision = 1; precision <= 17; precision++) {
    const text = value.toPrecision(precision);
    const back = Number(text);
    if (back === value || Math.fround(back) === value) return String(back);
  }
  return String(value);
}

/** Drops trailing zeros after the point (and the point itself), keeping any exponent. */
function trimZeros(text: string): string {
  const [mantissa, exponent] = text.split('e');
  const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}

/** A number for explanation text: exact when short, else rounded to 4 decimals / significant digits. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return '0';
  const exact = trimZeros(shortestDecimal(value));
  const decimals = exact.includes('e') ? Infinity : (exact.split('.')[1]?.length ?? 0);
  if (decimals <= MAX_DECIMALS) return exact;
  const abs = Math.abs(value);
  if (abs >= 1 && abs < 1e15) return trimZeros(value.toFixed(MAX_DECIMALS));
  return trimZeros(value.toPrecision(MAX_DECIMALS));
}

/** A factor inside a product: negative numbers get parentheses, "2*(-0.5)". */
export function formatFactor(value: number): string {
  const text = formatNumber(value);
  return text.startsWith('-') ? `(${text})` : text;
}

/** A shape the way a person writes it: "[1, 5, 5, 10]". */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** "1 image" / "10 images". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
