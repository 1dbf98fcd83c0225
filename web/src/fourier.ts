/**
 * A small 2-D discrete Fourier transform (row-column, O(n·m·(n+m))), enough for the page's grids, and
 * conv2d redone through it: cross-correlation is the inverse transform of X · conj(K).
 */

export interface Spectrum {
  rows: number;
  cols: number;
  re: Float64Array;
  im: Float64Array;
}

/** cos and sin of 2*pi*j/n for j < n: every twiddle factor a length-n DFT needs. */
function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    cos[j] = Math.cos((2 * Math.PI * j) / n);
    sin[j] = Math.sin((2 * Math.PI * j) / n);
  }
  return { cos, sin };
}

function dft1(
  reIn: Float64Array,
  imIn: Float64Array,
  n: number,
  sign: number,
  table: { cos: Float64Array; sin: Float64Array },
  reOut: Float64Array,
  imOut: Float64Array,
): void {
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0, j = 0; t < n; t++, j = (j + k) % n) {
      // e^(sign * 2*pi*i * k*t / n), with j = k*t mod n
      const c = table.cos[j];
      const s = sign * table.sin[j];
      sr += reIn[t] * c - imIn[t] * s;
      si += reIn[t] * s + imIn[t] * c;
    }
    reOut[k] = sr;
    imOut[k] = si;
  }
}

/** The 2-D DFT (or, with inverse, the inverse DFT including its 1/(n·m)). */
export function dft2(input: Spectrum, inverse = false): Spectrum {
  const { rows, cols } = input;
  const sign = inverse ? 1 : -1;
  const re = new Float64Array(rows * cols);
  const im = new Float64Array(rows * cols);
  const lineRe = new Float64Array(Math.max(rows, cols));
  const lineIm = new Float64Array(Math.max(rows, cols));
  const outRe = new Float64Array(Math.max(rows, cols));
  const outIm = new Float64Array(Math.max(rows, cols));
  const rowTable = twiddles(cols);
  const colTable = twiddles(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      lineRe[c] = input.re[r * cols + c];
      lineIm[c] = input.im[r * cols + c];
    }
    dft1(lineRe, lineIm, cols, sign, rowTable, outRe, outIm);
    for (let c = 0; c < cols; c++) {
      re[r * cols + c] = outRe[c];
      im[r * cols + c] = outIm[c];
    }
  }
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      lineRe[r] = re[r * cols + c];
      lineIm[r] = im[r * cols + c];
    }
    dft1(lineRe, lineIm, rows, sign, colTable, outRe, outIm);
    const scale = inverse ? 1 / (rows * cols) : 1;
    for (let r = 0; r < rows; r++) {
      re[r * cols + c] = outRe[r] * scale;
      im[r * cols + c] = outIm[r] * scale;
    }
  }
  return { rows, cols, re, im };
}

/** A real grid as a spectrum-shaped value (imaginary part zero). */
export function realGrid(rows: number, cols: number, value: (r: number, c: number) => number): Spectrum {
  const re = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) re[r * cols + c] = value(r, c);
  return { rows, cols, re, im: new Float64Array(rows * cols) };
}

/** Adds a · conj(b) into `sum`, element by element (the cross-correlation theorem's product). */
export function accumulateProduct(sum: Spectrum, a: Spectrum, b: Spectrum): void {
  for (let i = 0; i < sum.re.length; i++) {
    sum.re[i] += a.re[i] * b.re[i] + a.im[i] * b.im[i];
    sum.im[i] += a.im[i] * b.re[i] - a.re[i] * b.im[i];
  }
}

export function zeroSpectrum(rows: number, cols: number): Spectrum {
  return { rows, cols, re: new Float64Array(rows * cols), im: new Float64Array(rows * cols) };
}

/** |z| at (r, c) with the zero frequency moved to the middle (as spectra are usually drawn). */
export function shiftedMagnitude(s: Spectrum, r: number, c: number): number {
  const rr = (r + Math.floor(s.rows / 2)) % s.rows;
  const cc = (c + Math.floor(s.cols / 2)) % s.cols;
  const i = rr * s.cols + cc;
  return Math.hypot(s.re[i], s.im[i]);
}

/**
 * Circular cross-correlation of `channels` images (rows x cols each) with kernels whose taps sit at
 * (dy, dx) offsets: out[i, j] = sum over channels and taps of image[(i + dy) mod rows, (j + dx) mod cols]
 * * weight. Done in the Fourier domain; returns every spectrum involved for display.
 */
export function circularCorrelation(
  rows: number,
  cols: number,
  images: ((r: number, c: number) => number)[],
  kernels: { dy: number; dx: number; weight: number }[][],
): { inputSpectra: Spectrum[]; kernelSpectra: Spectrum[]; product: Spectrum; result: Spectrum } {
  const product = zeroSpectrum(rows, cols);
  const inputSpectra: Spectrum[] = [];
  const kernelSpectra: Spectrum[] = [];
  images.forEach((image, channel) => {
    const x = dft2(realGrid(rows, cols, image));
    const kernelGrid = new Float64Array(rows * cols);
    // Taps farther apart than the grid fold onto each other: that is the wrap-around.
    for (const t of kernels[channel]) kernelGrid[(t.dy % rows) * cols + (t.dx % cols)] += t.weight;
    const k = dft2({ rows, cols, re: kernelGrid, im: new Float64Array(rows * cols) });
    accumulateProduct(product, x, k);
    inputSpectra.push(x);
    kernelSpectra.push(k);
  });
  return { inputSpectra, kernelSpectra, product, result: dft2(product, true) };
}
