/**
 * Random geometries that winograd computes (fast-check arbitraries): any padding, size, batch, layout
 * and channel count;
 *   - winogradCases: 3x3 filters, stride 1, no dilation, groups (F(m x m, 3 x 3));
 *   - winogradR4Cases, winogradR5Cases: 4x4 and 5x5 filters, stride 1, groups (F(4x4, 4x4), F(4x4, 5x5));
 *   - winogradStride2Cases: 3x3 to 10x10 filters (both sides rounding to the same half), stride 2, one
 *     group (space-to-depth, then F(5x5, 2x2), F(m x m, 3 x 3), F(4x4, 4x4) or F(4x4, 5x5)).
 */
import fc from 'fast-check';
import { convCaseArb, hasOutputShape, type ConvCase } from './random_geometry.js';

const limits = {
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 14,
  maxFilter: 3,
  maxStride: 1,
  maxDilation: 1,
  maxPad: 3,
  maxGroups: 3,
  maxInChannels: 20,
  maxOutPerGroup: 19,
  layouts: ['NHWC', 'NCHW'] as ('NHWC' | 'NCHW')[],
};

export const winogradCases: fc.Arbitrary<ConvCase> = convCaseArb(limits)
  .map((c): ConvCase => ({ ...c, filterHeight: 3, filterWidth: 3, strides: [1, 1], dilations: [1, 1] }))
  .filter(hasOutputShape);

function squareFilterCases(k: number): fc.Arbitrary<ConvCase> {
  return convCaseArb(limits)
    .map((c): ConvCase => ({ ...c, filterHeight: k, filterWidth: k, strides: [1, 1], dilations: [1, 1] }))
    .filter(hasOutputShape);
}

export const winogradR4Cases = squareFilterCases(4);
export const winogradR5Cases = squareFilterCases(5);

/** [height, width] pairs whose halves round up alike: (3|4) x (3|4) up to (9|10) x (9|10). */
const stride2Filters: [number, number][] = [3, 4, 5, 6, 7, 8, 9, 10].flatMap((h) =>
  [3, 4, 5, 6, 7, 8, 9, 10]
    .filter((w) => Math.ceil(w / 2) === Math.ceil(h / 2))
    .map((w): [number, number] => [h, w]),
);

export const winogradStride2Cases: fc.Arbitrary<ConvCase> = fc
  .tuple(
    convCaseArb({ ...limits, maxSpatial: 23, maxPad: 4, maxGroups: 1, maxInChannels: 13 }),
    fc.constantFrom(...stride2Filters),
  )
  .map(([c, [filterHeight, filterWidth]]): ConvCase => ({
    ...c,
    filterHeight,
    filterWidth,
    strides: [2, 2],
    dilations: [1, 1],
  }))
  .filter(hasOutputShape);
