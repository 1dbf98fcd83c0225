/**
 * The accuracy contract: the `precision` option and each algorithm's float32 error bound.
 *
 * Bounds are on max |y - exact| / max |exact| over one output tensor (exact: the float64 sum of the
 * same float32 inputs), with u = 2^-24 (float32's unit roundoff) and K = filter taps x input channels
 * per group. direct and im2col sum each output in float64 and round once, so theirs is a proven bound
 * on every output. igemm sums in float32 as TensorFlow's CPU kernels do; Winograd and the FFT transform
 * the input and filter first, and their rounding errors spread over a whole tile. For those three the
 * bounds are measured, not proven: 3 to 10 times the worst error seen on unit-normal data (the suite's
 * shapes in test/accuracy.test.ts, K = 9 to 12800 in a sweep): igemm 0.3-1.0 u sqrt(K); Winograd
 * 8e-8 (F(2x2)) to 2.1e-5 (F(5x5,3x3) at K = 2304); the FFT 1.4e-7 to 6.3e-7. Data whose outputs
 * cancel to far below the sizes of their terms can exceed them, and a single huge value (1e20 beside
 * values near 1) breaks Winograd and the FFT for every output of its tile: see README, "Accuracy".
 */
import { invalid, show } from '../errors.js';
import type { ConvGeometry } from '../geometry.js';

export const PRECISIONS = ['auto', 'highest'] as const;
/** 'auto': any algorithm (Winograd and the FFT included); 'highest': only direct, im2col and igemm. */
export type Precision = (typeof PRECISIONS)[number];

/** float32's unit roundoff. */
export const UNIT_ROUNDOFF = 2 ** -24;

/** The algorithms 'highest' allows: sums of products, no transforms. */
export const GEMM_ACCURATE_ALGORITHMS = ['direct', 'im2col', 'igemm'] as const;

export interface Accuracy {
  /** Bound on max |y - exact| / max |exact| over the output (see the file comment). */
  relativeErrorBound: number;
  /** How the bound comes about, and where it does not hold. */
  note: string;
}

/** Checks the `precision` option: undefined (= 'auto'), 'auto' or 'highest'. */
export function checkPrecision(op: string, value: unknown): Precision {
  if (value === undefined) return 'auto';
  if (!(PRECISIONS as readonly unknown[]).includes(value)) {
    invalid(op, 'precision', `must be 'auto' or 'highest', got ${show(value)}`);
  }
  return value as Precision;
}

/** Filter taps times input channels per group: the length of each output's sum. */
export function sumLength(g: ConvGeometry): number {
  return g.filterHeight * g.filterWidth * g.filterInChannels;
}

const HUGE_VALUES =
  'one huge input value (say 1e20 among values near 1) makes every output of its transform tile wrong ' +
  "by a large relative amount, outputs that never read it included; precision: 'highest' avoids that";

/** The error bound of `algorithm` on g (see the file comment). */
export function accuracyOf(algorithm: string, g: ConvGeometry): Accuracy {
  const u = UNIT_ROUNDOFF;
  const root = Math.sqrt(sumLength(g));
  switch (algorithm) {
    case 'direct':
    case 'im2col':
      return {
        relativeErrorBound: 2 * u,
        note: 'each output is summed in float64 and rounded once to float32: within 2^-23 of the exact sum',
      };
    case 'igemm':
      return {
        relativeErrorBound: u * (2 + 4 * root),
        note:
          'float32 sums, as in TensorFlow: bound u (2 + 4 sqrt(K)), u = 2^-24, K = taps x channels per group ' +
          '(measured 0.3-1.0 u sqrt(K)); the worst case is K u times the sum of |x w|',
      };
    case 'winograd':
      return {
        relativeErrorBound: u * (256 + 24 * root),
        note: `Winograd transforms: bound u (256 + 24 sqrt(K)), measured 8e-8 to 2.1e-5; ${HUGE_VALUES}`,
      };
    case 'fft':
      return {
        relativeErrorBound: u * (16 + root),
        note: `FFT: bound u (16 + sqrt(K)), measured 1.4e-7 to 6.3e-7; ${HUGE_VALUES}`,
      };
    default:
      return invalid(
        'accuracyOf',
        'algorithm',
        `must be one of 'direct', 'im2col', 'igemm', 'winograd', 'fft'; got ${show(algorithm)}`,
      );
  }
}
