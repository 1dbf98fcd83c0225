/**
 * FFT plans: which lengths the FFT kernels take, how a length splits into radix-2/3/4/5 passes, and
 * the plan table the kernels read (wasm/assembly/fft.ts describes the format): an i32 pass count, an
 * (i32 radix, i32 byte offset of the pass's twiddles) pair per pass, then the twiddles as f32
 * (re, im) pairs, computed in float64 and rounded once.
 */

/** Shortest transform the kernels take: every length from here on has at least two passes. */
export const MIN_FFT_LENGTH = 8;

/** Whether n is a length the kernels take: n >= 8 and n = 2^a 3^b 5^c. */
export function isFftLength(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < MIN_FFT_LENGTH) return false;
  while (n % 2 === 0) n /= 2;
  while (n % 3 === 0) n /= 3;
  while (n % 5 === 0) n /= 5;
  return n === 1;
}

/** The FFT lengths in [from, to], ascending. */
export function fftLengthsBetween(from: number, to: number): number[] {
  const lengths: number[] = [];
  for (let n = Math.max(from, MIN_FFT_LENGTH); n <= to; n++) if (isFftLength(n)) lengths.push(n);
  return lengths;
}

/** The smallest FFT length >= n. */
export function nextFftLength(n: number): number {
  let m = Math.max(n, MIN_FFT_LENGTH);
  while (!isFftLength(m)) m++;
  return m;
}

/** The radices of n's passes, in pass order: fours first, then a two, threes and fives. */
export function fftRadices(n: number): number[] {
  if (!isFftLength(n)) throw new RangeError(`fftRadices: ${n} is not a 2^a 3^b 5^c length >= 8`);
  const radices: number[] = [];
  while (n % 4 === 0) {
    radices.push(4);
    n /= 4;
  }
  if (n % 2 === 0) {
    radices.push(2);
    n /= 2;
  }
  for (const r of [3, 5]) {
    while (n % r === 0) {
      radices.push(r);
      n /= r;
    }
  }
  return radices;
}

/** Floats in the plan table of length n (a multiple of 16, so that tables packed together stay 64-byte aligned). */
export function fftPlanFloats(n: number): number {
  const radices = fftRadices(n);
  let twiddles = 0;
  let length = n;
  for (const r of radices) {
    twiddles += (length / r) * (r - 1) * 2;
    length /= r;
  }
  return Math.ceil((1 + 2 * radices.length + twiddles) / 16) * 16;
}

/** Writes the plan table of length n at float index `at` of `f32` (`i32` views the same buffer). */
export function writeFftPlan(f32: Float32Array, i32: Int32Array, at: number, n: number): void {
  const radices = fftRadices(n);
  i32[at] = radices.length;
  let twiddle = at + 1 + 2 * radices.length;
  let length = n;
  radices.forEach((r, i) => {
    i32[at + 1 + 2 * i] = r;
    i32[at + 2 + 2 * i] = (twiddle - at) * 4;
    const m = length / r;
    for (let p = 0; p < m; p++) {
      for (let k = 1; k < r; k++) {
        const angle = (-2 * Math.PI * p * k) / length;
        f32[twiddle++] = Math.cos(angle);
        f32[twiddle++] = Math.sin(angle);
      }
    }
    length = m;
  });
}
