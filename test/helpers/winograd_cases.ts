/**
 * Random geometries that Winograd F(m x m, 3 x 3) computes: 3x3 filters, stride 1, no dilation; any
 * padding, size, batch, layout, channel count and group count (fast-check arbitrary).
 */
import fc from 'fast-check';
import { convCaseArb, outHeightOf, outWidthOf, type ConvCase } from './random_geometry.js';

export const winogradCases: fc.Arbitrary<ConvCase> = convCaseArb({
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
  layouts: ['NHWC', 'NCHW'],
})
  .map((c): ConvCase => ({ ...c, filterHeight: 3, filterWidth: 3, strides: [1, 1], dilations: [1, 1] }))
  .filter((c) => outHeightOf(c) >= 0 && outWidthOf(c) >= 0);
