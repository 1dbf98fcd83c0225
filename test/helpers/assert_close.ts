/**
 * Float comparisons for the correctness suites. Every failure names the first bad index, both values
 * and how many elements disagree, so a broken case can be read without a debugger.
 */
import assert from 'node:assert/strict';

export interface CloseTolerance {
  /** Allowed error relative to |expected| (per element). */
  rtol?: number;
  /** Allowed absolute error. */
  atol?: number;
  /** Printed first in a failure message. */
  label?: string;
}

/** The largest |value| (0 for an empty list). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| element by element (NumPy's allclose rule),
 * and equal lengths. NaN or Infinity in `actual` always fails.
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-5, label = 'values' }: CloseTolerance = {},
): void {
  assert.equal(
    actual.length,
    expected.length,
    `${label}: length ${actual.length}, expected ${expected.length}`,
  );
  let bad = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(a) || Math.abs(a - e) > atol + rtol * Math.abs(e)) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) {
    assert.fail(
      `${label}: ${bad} of ${expected.length} values differ (rtol ${rtol}, atol ${atol}); first at index ` +
        `${first}: got ${actual[first]}, expected ${expected[first]}`,
    );
  }
}

/**
 * Asserts |actual - expected| <= rel * max|expected| for every element: the error is measured against the
 * output's scale, which suits sums whose terms cancel. An all-zero expectation must be matched exactly.
 */
export function assertCloseToScale(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  label = 'values',
): void {
  assertAllClose(actual, expected, { rtol: 0, atol: rel * maxAbs(expected), label });
}

/** The largest |actual - expected| / max|expected| (0 when both are all zero). */
export function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  const scale = maxAbs(expected);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return scale === 0 ? worst : worst / scale;
}

/**
 * got matches want value by value: NaN where want is NaN, the same infinity where want is infinite,
 * and finite values within `tolerance` of the largest finite |want| (at least 1). For non-finite inputs,
 * where a relative error says nothing.
 */
export function assertSameSpecials(
  got: Float32Array,
  want: Float32Array,
  label: string,
  tolerance = 1e-4,
): void {
  assert.equal(got.length, want.length, `${label}: length`);
  let scale = 1;
  for (const v of want) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    const ok = Number.isNaN(b)
      ? Number.isNaN(a)
      : Number.isFinite(b)
        ? Math.abs(a - b) <= tolerance * scale
        : a === b;
    assert.ok(ok, `${label}: value ${i} is ${a}, the reference gives ${b}`);
  }
}
