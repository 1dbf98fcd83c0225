/**
 * Random conv2d geometries for the differential and property tests (fast-check arbitraries), plus
 * TensorFlow's output-size rule written out independently of src/geometry.ts
 * (tensorflow/core/framework/kernel_shape_util.cc, GetWindowedOutputSizeVerbose).
 */
import fc from 'fast-check';
import type { OraclePadding } from './tfjs_oracle.js';

export type Layout = 'NHWC' | 'NCHW';

/** One conv2d problem. Channels: input = groups * filterInChannels, output = groups * outPerGroup. */
export interface ConvCase {
  dataFormat: Layout;
  /** false: a rank-3 input (one image, no batch axis). */
  batched: boolean;
  batch: number;
  inHeight: number;
  inWidth: number;
  groups: number;
  filterInChannels: number;
  outPerGroup: number;
  filterHeight: number;
  filterWidth: number;
  strides: [number, number];
  dilations: [number, number];
  padding: OraclePadding;
  /** How strides/dilations/padding are spelled for convkit: one number, [h, w] pairs, or 4 in layout order. */
  optionForm: 'short' | 'pair' | 'quad';
  /** Seed of the input and filter values. */
  seed: number;
}

export interface GeometryLimits {
  minBatch: number;
  maxBatch: number;
  minSpatial: number;
  maxSpatial: number;
  maxFilter: number;
  maxStride: number;
  maxDilation: number;
  maxPad: number;
  maxGroups: number;
  maxInChannels: number;
  maxOutPerGroup: number;
  layouts: Layout[];
}

export const ORACLE_LIMITS: GeometryLimits = {
  minBatch: 1,
  maxBatch: 3,
  minSpatial: 1,
  maxSpatial: 11,
  maxFilter: 5,
  maxStride: 3,
  maxDilation: 3,
  maxPad: 3,
  maxGroups: 3,
  maxInChannels: 6,
  maxOutPerGroup: 4,
  layouts: ['NHWC', 'NCHW'],
};

export function inChannelsOf(c: ConvCase): number {
  return c.groups * c.filterInChannels;
}

export function outChannelsOf(c: ConvCase): number {
  return c.groups * c.outPerGroup;
}

/** TensorFlow's output size for one axis: trunc((in + before + after - effective_k + stride) / stride). */
export function tfOutputSize(
  inSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'SAME' | 'VALID' | [number, number],
): number {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'SAME') return Math.ceil(inSize / stride);
  const [before, after] = padding === 'VALID' ? [0, 0] : padding;
  // C++ integer division truncates toward zero.
  return Math.trunc((inSize + before + after - effective + stride) / stride) + 0;
}

function axisPadding(c: ConvCase, axis: 0 | 1): 'SAME' | 'VALID' | [number, number] {
  return typeof c.padding === 'string' ? c.padding : c.padding[axis];
}

export function outHeightOf(c: ConvCase): number {
  return tfOutputSize(c.inHeight, c.filterHeight, c.strides[0], c.dilations[0], axisPadding(c, 0));
}

export function outWidthOf(c: ConvCase): number {
  return tfOutputSize(c.inWidth, c.filterWidth, c.strides[1], c.dilations[1], axisPadding(c, 1));
}

/** Whether TensorFlow accepts the case: no output size is negative (0 is an empty output). */
export function hasOutputShape(c: ConvCase): boolean {
  return outHeightOf(c) >= 0 && outWidthOf(c) >= 0;
}

function inLayout(c: ConvCase, n: number, h: number, w: number, ch: number): number[] {
  const full = c.dataFormat === 'NHWC' ? [n, h, w, ch] : [n, ch, h, w];
  return c.batched ? full : full.slice(1);
}

export function inputShapeOf(c: ConvCase): number[] {
  return inLayout(c, c.batch, c.inHeight, c.inWidth, inChannelsOf(c));
}

export function filterShapeOf(c: ConvCase): number[] {
  return [c.filterHeight, c.filterWidth, c.filterInChannels, outChannelsOf(c)];
}

/** The output shape TensorFlow gives, written from its rules (may hold a negative size: an error case). */
export function tfOutputShapeOf(c: ConvCase): number[] {
  return inLayout(c, c.batch, outHeightOf(c), outWidthOf(c), outChannelsOf(c));
}

function spatialOption(c: ConvCase, [h, w]: [number, number]): number | number[] {
  if (c.optionForm === 'short' && h === w) return h;
  if (c.optionForm === 'quad') return c.dataFormat === 'NHWC' ? [1, h, w, 1] : [1, 1, h, w];
  return [h, w];
}

/** convkit options for the case, spelled in the case's optionForm. */
export function convkitOptionsOf(c: ConvCase): {
  strides: number | number[];
  dilations: number | number[];
  padding: 'SAME' | 'VALID' | 'same' | 'valid' | number[][];
  dataFormat: Layout;
} {
  let padding: 'SAME' | 'VALID' | 'same' | 'valid' | number[][];
  if (typeof c.padding === 'string') {
    padding = c.optionForm === 'short' ? (c.padding.toLowerCase() as 'same' | 'valid') : c.padding;
  } else if (c.optionForm === 'quad') {
    const [hPair, wPair] = c.padding;
    padding = c.dataFormat === 'NHWC' ? [[0, 0], hPair, wPair, [0, 0]] : [[0, 0], [0, 0], hPair, wPair];
  } else {
    padding = [c.padding[0], c.padding[1]];
  }
  return {
    strides: spatialOption(c, c.strides),
    dilations: spatialOption(c, c.dilations),
    padding,
    dataFormat: c.dataFormat,
  };
}

/** A one-line description for failure messages. */
export function describeCase(c: ConvCase): string {
  const pad = typeof c.padding === 'string' ? c.padding : JSON.stringify(c.padding);
  return (
    `${c.dataFormat} input ${JSON.stringify(inputShapeOf(c))} filter ${JSON.stringify(filterShapeOf(c))} ` +
    `groups ${c.groups} strides ${c.strides} dilations ${c.dilations} padding ${pad} form ${c.optionForm} ` +
    `seed ${c.seed}`
  );
}

function pair(max: number): fc.Arbitrary<[number, number]> {
  return fc.tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }));
}

/** Random geometries within `limits`. Output sizes are not filtered: callers decide what they accept. */
export function convCaseArb(limits: GeometryLimits): fc.Arbitrary<ConvCase> {
  const padPair = fc.tuple(
    fc.integer({ min: 0, max: limits.maxPad }),
    fc.integer({ min: 0, max: limits.maxPad }),
  );
  const padding: fc.Arbitrary<OraclePadding> = fc.oneof(
    fc.constant('SAME' as const),
    fc.constant('VALID' as const),
    fc.tuple(padPair, padPair),
  );
  return fc
    .record({
      dataFormat: fc.constantFrom(...limits.layouts),
      batched: fc.boolean(),
      batch: fc.integer({ min: limits.minBatch, max: limits.maxBatch }),
      inHeight: fc.integer({ min: limits.minSpatial, max: limits.maxSpatial }),
      inWidth: fc.integer({ min: limits.minSpatial, max: limits.maxSpatial }),
      groups: fc.integer({ min: 1, max: limits.maxGroups }),
      filterInChannels: fc.integer({ min: 1, max: limits.maxInChannels }),
      outPerGroup: fc.integer({ min: 1, max: limits.maxOutPerGroup }),
      filterHeight: fc.integer({ min: 1, max: limits.maxFilter }),
      filterWidth: fc.integer({ min: 1, max: limits.maxFilter }),
      // Bias towards the common stride-1 / dilation-1 cases without excluding the rest.
      strides: fc.oneof(fc.constant<[number, number]>([1, 1]), pair(limits.maxStride)),
      dilations: fc.oneof(fc.constant<[number, number]>([1, 1]), pair(limits.maxDilation)),
      padding,
      optionForm: fc.constantFrom('short' as const, 'pair' as const, 'quad' as const),
      seed: fc.integer({ min: 1, max: 0x7fffffff }),
    })
    .filter((c) => c.groups * c.filterInChannels <= limits.maxInChannels)
    .map((c) => (c.batched ? c : { ...c, batch: 1 }));
}
