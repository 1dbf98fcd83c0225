/**
 * Where an element of a rank-4 tensor lives in its flat buffer, for either layout. This is memory
 * layout only; all convolution geometry comes from the explanation.
 */
import type { DataFormat } from 'convkit';

/** Sizes of the batch, height, width and channel axes. */
export interface Dims {
  n: number;
  h: number;
  w: number;
  c: number;
}

/** A position by meaning: batch, row, column, channel. */
export type Position = [b: number, y: number, x: number, c: number];

export function dimsOf(shape: readonly number[], format: DataFormat): Dims {
  const full = shape.length === 3 ? [1, ...shape] : shape;
  return format === 'NHWC'
    ? { n: full[0], h: full[1], w: full[2], c: full[3] }
    : { n: full[0], c: full[1], h: full[2], w: full[3] };
}

export function flatIndex(format: DataFormat, d: Dims, [b, y, x, c]: Position): number {
  return format === 'NHWC' ? ((b * d.h + y) * d.w + x) * d.c + c : ((b * d.c + c) * d.h + y) * d.w + x;
}

/** A rank-4 index in the layout's own axis order. */
export function layoutIndex(format: DataFormat, [b, y, x, c]: Position): number[] {
  return format === 'NHWC' ? [b, y, x, c] : [b, c, y, x];
}

/** The position meant by an index in the layout's axis order. */
export function positionOf(format: DataFormat, index: readonly number[]): Position {
  const [a, b, c, d] = index.length === 3 ? [0, ...index] : index;
  return format === 'NHWC' ? [a, b, c, d] : [a, c, d, b];
}

/** Reorders a shape between layouts (rank 3 or 4). */
export function convertShape(shape: readonly number[], from: DataFormat, to: DataFormat): number[] {
  if (from === to || (shape.length !== 3 && shape.length !== 4)) return [...shape];
  const rank3 = shape.length === 3;
  const full = rank3 ? [1, ...shape] : [...shape];
  const converted =
    to === 'NCHW' ? [full[0], full[3], full[1], full[2]] : [full[0], full[2], full[3], full[1]];
  return rank3 ? converted.slice(1) : converted;
}

/** Reorders values between layouts for a shape given in the `from` layout. */
export function convertValues(
  values: readonly number[],
  shape: readonly number[],
  from: DataFormat,
  to: DataFormat,
): number[] {
  if (from === to) return [...values];
  const d = dimsOf(shape, from);
  const out = new Array<number>(values.length);
  for (let b = 0; b < d.n; b++)
    for (let y = 0; y < d.h; y++)
      for (let x = 0; x < d.w; x++)
        for (let c = 0; c < d.c; c++) {
          const p: Position = [b, y, x, c];
          out[flatIndex(to, d, p)] = values[flatIndex(from, d, p)];
        }
  return out;
}
