/**
 * The FFT convolution kernels in plain TypeScript: the same five functions, arguments and memory layout
 * as wasm/assembly/fft.ts (read its header for the data layout and the Stockham passes), over a
 * Float32Array instead of WebAssembly memory. They are the reference the WebAssembly kernels are
 * tested against, and the path taken where WebAssembly SIMD is missing. Addresses and strides are in
 * bytes, as in the wasm kernels; a complex vector is 8 floats (4 real parts, then 4 imaginary parts).
 */

/** The kernels, as the wasm module exports them (addresses and strides in bytes). */
export interface FftKernels {
  fft_run(
    src: number,
    srcStride: number,
    dst: number,
    dstStride: number,
    tA: number,
    tB: number,
    n: number,
    blk: number,
    plan: number,
  ): void;
  fft_rows_r2c(
    src: number,
    srcRowBytes: number,
    rows: number,
    n: number,
    pairs: number,
    plan: number,
    tA: number,
    tB: number,
    tC: number,
    dst: number,
    dstRowBytes: number,
  ): void;
  fft_columns(
    base: number,
    rowBytes: number,
    rows: number,
    cols: number,
    blk: number,
    group: number,
    tA: number,
    tB: number,
    plan: number,
  ): void;
  fft_cgemm(
    x: number,
    xSlot: number,
    w: number,
    y: number,
    ySlot: number,
    m: number,
    bins: number,
    c: number,
    cb: number,
    kb: number,
  ): void;
  /** 1 when a stored value is NaN or infinite, else 0. */
  fft_rows_c2r(
    src: number,
    srcRowBytes: number,
    rows: number,
    n: number,
    pairs: number,
    plan: number,
    tA: number,
    tB: number,
    tC: number,
    tD: number,
    dst: number,
    dstRowBytes: number,
    cols: number,
  ): number;
}

/** The memory the kernels run over: the wasm heap (src/kernels/wasm/heap.ts), or an ArrayHeap. */
export interface FftHeap {
  readonly f32: Float32Array;
  /** First byte free for a call's scratch. */
  readonly scratchBase: number;
  ensure(end: number): void;
  /** Byte address of an array kept resident (the filter spectra), copied in when not already there. */
  placeWeights(array: Float32Array): number;
}

/** Kernels and the memory they run over. */
export interface FftBackend {
  heap: FftHeap;
  kernels: FftKernels;
  /** ISA part of kernel names: wasmsimd, wasmrelaxedsimd or typescript. */
  isa: string;
}

/** cos and sin of 2 pi t / r, t < r, for the radix-r butterflies. */
function rootsOf(r: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(r);
  const sin = new Float64Array(r);
  for (let t = 0; t < r; t++) {
    cos[t] = Math.cos((2 * Math.PI * t) / r);
    sin[t] = Math.sin((2 * Math.PI * t) / r);
  }
  return { cos, sin };
}
const ROOTS = [2, 3, 4, 5].map(rootsOf);

/** The TypeScript kernels over the Float32Array that `memory()` returns (it may change as memory grows). */
export function typescriptFftKernels(memory: () => Float32Array): FftKernels {
  /** One Stockham pass of radix r (see wasm/assembly/fft.ts): a_j = x[q + s(p + jm)] -> y[q + s(rp + k)]. */
  function pass(
    h: Float32Array,
    src: number,
    srcStride: number,
    dst: number,
    dstStride: number,
    n: number,
    s: number,
    blk: number,
    r: number,
    tw: number,
  ): void {
    const m = n / r;
    const { cos, sin } = ROOTS[r - 2];
    const ar = new Float64Array(r);
    const ai = new Float64Array(r);
    for (let p = 0; p < m; p++) {
      for (let q = 0; q < s; q++) {
        const inBase = (src + (q + s * p) * srcStride) >> 2;
        const outBase = (dst + (q + s * r * p) * dstStride) >> 2;
        for (let f = 0; f < blk * 8; f += 8) {
          for (let lane = 0; lane < 4; lane++) {
            for (let j = 0; j < r; j++) {
              const at = inBase + ((j * s * m * srcStride) >> 2) + f + lane;
              ar[j] = h[at];
              ai[j] = h[at + 4];
            }
            for (let k = 0; k < r; k++) {
              // b_k = sum_j a_j e^(-2 pi i j k / r)
              let br = 0;
              let bi = 0;
              for (let j = 0; j < r; j++) {
                const t = (j * k) % r;
                br += ar[j] * cos[t] + ai[j] * sin[t];
                bi += ai[j] * cos[t] - ar[j] * sin[t];
              }
              if (p > 0 && k > 0) {
                const w = (tw >> 2) + (p * (r - 1) + k - 1) * 2;
                const wr = h[w];
                const wi = h[w + 1];
                const re = br * wr - bi * wi;
                bi = br * wi + bi * wr;
                br = re;
              }
              const out = outBase + ((k * s * dstStride) >> 2) + f + lane;
              h[out] = br;
              h[out + 4] = bi;
            }
          }
        }
      }
    }
  }

  function fftRun(
    src: number,
    srcStride: number,
    dst: number,
    dstStride: number,
    tA: number,
    tB: number,
    n: number,
    blk: number,
    plan: number,
  ): void {
    const h = memory();
    const i32 = new Int32Array(h.buffer, h.byteOffset, h.length);
    const passes = i32[plan >> 2];
    let from = src;
    let fromStride = srcStride;
    let s = 1;
    for (let i = 0; i < passes; i++) {
      const r = i32[(plan >> 2) + 1 + 2 * i];
      const tw = plan + i32[(plan >> 2) + 2 + 2 * i];
      const last = i === passes - 1;
      const to = last ? dst : from === tA ? tB : tA;
      const toStride = last ? dstStride : blk * 32;
      pass(h, from, fromStride, to, toStride, n, s, blk, r, tw);
      from = to;
      fromStride = toStride;
      n /= r;
      s *= r;
    }
  }

  return {
    fft_run: fftRun,

    fft_rows_r2c(src, srcRowBytes, rows, n, pairs, plan, tA, tB, tC, dst, dstRowBytes) {
      const elementBytes = pairs * 32;
      const bins = (n >> 1) + 1;
      for (let r = 0; r < rows; r++) {
        fftRun(src + r * srcRowBytes, elementBytes, tC, elementBytes, tA, tB, n, pairs, plan);
        const h = memory();
        for (let f = 0; f < bins; f++) {
          for (let p = 0; p < pairs; p++) {
            const zf = (tC + f * elementBytes + p * 32) >> 2;
            const zm = (tC + ((n - f) % n) * elementBytes + p * 32) >> 2;
            const out = (dst + r * dstRowBytes + (f * pairs + p) * 64) >> 2;
            for (let lane = 0; lane < 4; lane++) {
              const fr = h[zf + lane];
              const fi = h[zf + 4 + lane];
              const mr = h[zm + lane];
              const mi = h[zm + 4 + lane];
              h[out + lane] = fr + mr; // A = Z_f + conj(Z_-f)
              h[out + 4 + lane] = fi - mi;
              h[out + 8 + lane] = fi + mi; // B = -i (Z_f - conj(Z_-f))
              h[out + 12 + lane] = mr - fr;
            }
          }
        }
      }
    },

    fft_columns(base, rowBytes, rows, cols, blk, group, tA, tB, plan) {
      for (let c = 0; c < cols; c += group) {
        const at = base + c * blk * 32;
        fftRun(at, rowBytes, at, rowBytes, tA, tB, rows, Math.min(group, cols - c) * blk, plan);
      }
    },

    fft_cgemm(x, xSlot, w, y, ySlot, m, bins, c, cb, kb) {
      const h = memory();
      for (let bin = 0; bin < bins; bin++) {
        for (let i = 0; i < m; i++) {
          const xb = (x + i * xSlot + bin * cb * 32) >> 2;
          const yb = (y + i * ySlot + bin * kb * 32) >> 2;
          for (let j = 0; j < kb; j++) {
            for (let lane = 0; lane < 4; lane++) {
              let re = 0;
              let im = 0;
              for (let ch = 0; ch < c; ch++) {
                const xa = xb + (ch >> 2) * 8 + (ch & 3);
                const wa = ((w + ((bin * c + ch) * kb + j) * 32) >> 2) + lane;
                // X * conj(W)
                re += h[xa] * h[wa] + h[xa + 4] * h[wa + 4];
                im += h[xa + 4] * h[wa] - h[xa] * h[wa + 4];
              }
              // Stored swapped: the imaginary part first.
              h[yb + j * 8 + lane] = im;
              h[yb + j * 8 + 4 + lane] = re;
            }
          }
        }
      }
    },

    fft_rows_c2r(src, srcRowBytes, rows, n, pairs, plan, tA, tB, tC, tD, dst, dstRowBytes, cols) {
      const bins = (n >> 1) + 1;
      let nonFinite = 0;
      for (let r = 0; r < rows; r++) {
        let h = memory();
        for (let f = 0; f < n; f++) {
          const upper = f >= bins;
          for (let q = 0; q < pairs; q++) {
            const a = (src + r * srcRowBytes + ((upper ? n - f : f) * pairs + q) * 64) >> 2;
            const z = (tC + (f * pairs + q) * 32) >> 2;
            for (let lane = 0; lane < 4; lane++) {
              // Swapped in memory: imaginary parts at +0, real parts at +4 (floats).
              const ai = h[a + lane];
              const ar = h[a + 4 + lane];
              const bi = h[a + 8 + lane];
              const br = h[a + 12 + lane];
              h[z + lane] = upper ? br - ai : ai + br;
              h[z + 4 + lane] = upper ? ar + bi : ar - bi;
            }
          }
        }
        fftRun(tC, pairs * 32, tD, pairs * 32, tA, tB, n, pairs, plan);
        h = memory();
        for (let v = 0; v < cols * pairs; v++) {
          const from = (tD >> 2) + v * 8;
          const to = ((dst + r * dstRowBytes) >> 2) + v * 8;
          for (let lane = 0; lane < 4; lane++) {
            const lo = h[from + 4 + lane];
            const hi = h[from + lane];
            if (!Number.isFinite(lo) || !Number.isFinite(hi)) nonFinite = 1;
            h[to + lane] = lo;
            h[to + 4 + lane] = hi;
          }
        }
      }
      return nonFinite;
    },
  };
}

/**
 * A growable Float32Array laid out as the wasm heap is (src/kernels/wasm/heap.ts): one resident array
 * (the filter spectra) at the bottom, scratch above it. Where WebAssembly is missing, the TypeScript
 * kernels run over it.
 */
export class ArrayHeap {
  private buffer = new ArrayBuffer(1 << 20);
  private view = new Float32Array(this.buffer);
  private resident: Float32Array | null = null;
  private residentEnd = 0;

  get f32(): Float32Array {
    return this.view;
  }

  /** Grows the heap so that bytes [0, end) exist, keeping its contents. */
  ensure(end: number): void {
    if (end <= this.buffer.byteLength) return;
    const bigger = new ArrayBuffer(Math.max(end, this.buffer.byteLength * 2));
    const view = new Float32Array(bigger);
    view.set(this.view);
    this.buffer = bigger;
    this.view = view;
  }

  /** Byte address of `array` in the heap, copying it in unless it is the array placed last. */
  placeWeights(array: Float32Array): number {
    if (this.resident !== array) {
      this.ensure(array.byteLength);
      this.view.set(array, 0);
      this.resident = array;
      this.residentEnd = Math.ceil(array.byteLength / 64) * 64;
    }
    return 0;
  }

  get scratchBase(): number {
    return this.residentEnd;
  }
}
