/**
 * Random depthwiseConv2d geometries for property tests (fast-check), with TensorFlow's output sizes
 * from the rule in random_geometry.ts (not from src/geometry.ts, which is under test).
 */
import fc from 'fast-check';
import { tfOutputSize } from './random_geometry.js';

export type Padding = 'SAME' | 'VALID' | [[number, number], [number, number]];

export interface DepthwiseCase {
  dataFormat: 'NHWC' | 'NCHW';
  batched: boolean;
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  multiplier: number;
  filterHeight: number;
  filterWidth: number;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  seed: number;
}

/** Ranges ([min, max]) of the parts that differ between suites. */
export interface DepthwiseLimits {
  batch: [number, number];
  size: [number, number];
  channels: [number, number];
}

const pairOf = (values: fc.Arbitrary<number>): fc.Arbitrary<[number, number]> => fc.tuple(values, values);
const padPair = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }));
const range = ([min, max]: [number, number]) => fc.integer({ min, max });

function axisPadding(p: Padding, axis: 0 | 1): 'SAME' | 'VALID' | [number, number] {
  return typeof p === 'string' ? p : p[axis];
}

/** TensorFlow's output height and width (negative: TF rejects the geometry). */
export function outSizes(c: DepthwiseCase): [number, number] {
  return [
    tfOutputSize(c.inHeight, c.filterHeight, c.strides[0], c.dilations[0], axisPadding(c.padding, 0)),
    tfOutputSize(c.inWidth, c.filterWidth, c.strides[1], c.dilations[1], axisPadding(c.padding, 1)),
  ];
}

/** Geometries TensorFlow accepts (no negative output size; empty outputs stay in). */
export function depthwiseCases(limits: DepthwiseLimits): fc.Arbitrary<DepthwiseCase> {
  return fc
    .record({
      dataFormat: fc.constantFrom('NHWC' as const, 'NCHW' as const),
      batched: fc.boolean(),
      batch: range(limits.batch),
      inHeight: range(limits.size),
      inWidth: range(limits.size),
      channels: range(limits.channels),
      multiplier: fc.integer({ min: 1, max: 3 }),
      // 3x3 (the kernels' specialised paths) about half the time.
      filterHeight: fc.oneof(fc.constant(3), fc.integer({ min: 1, max: 5 })),
      filterWidth: fc.oneof(fc.constant(3), fc.integer({ min: 1, max: 5 })),
      strides: fc.oneof(
        fc.constant<[number, number]>([1, 1]),
        fc.constant<[number, number]>([2, 2]),
        pairOf(fc.integer({ min: 1, max: 3 })),
      ),
      dilations: fc.oneof(fc.constant<[number, number]>([1, 1]), pairOf(fc.integer({ min: 1, max: 3 }))),
      padding: fc.oneof(
        fc.constant<Padding>('SAME'),
        fc.constant<Padding>('VALID'),
        fc.tuple(padPair, padPair) as fc.Arbitrary<Padding>,
      ),
      seed: fc.integer({ min: 1, max: 0x7fffffff }),
    })
    .map((c) => (c.batched ? c : { ...c, batch: 1 }))
    .filter((c) => outSizes(c).every((s) => s >= 0));
}

export function layoutShape(c: DepthwiseCase, h: number, w: number, channels: number): number[] {
  const full = c.dataFormat === 'NHWC' ? [c.batch, h, w, channels] : [c.batch, channels, h, w];
  return c.batched ? full : full.slice(1);
}

export const inputShapeOf = (c: DepthwiseCase): number[] => layoutShape(c, c.inHeight, c.inWidth, c.channels);

export const filterShapeOf = (c: DepthwiseCase): number[] => [
  c.filterHeight,
  c.filterWidth,
  c.channels,
  c.multiplier,
];

/** TensorFlow's output shape, from the rule above. */
export function tfOutputShapeOf(c: DepthwiseCase): number[] {
  const [h, w] = outSizes(c);
  return layoutShape(c, h, w, c.channels * c.multiplier);
}

export function optionsOf(c: DepthwiseCase) {
  return { strides: c.strides, dilations: c.dilations, padding: c.padding, dataFormat: c.dataFormat };
}

export function describeDepthwise(c: DepthwiseCase): string {
  return (
    `${c.dataFormat} input ${JSON.stringify(inputShapeOf(c))} filter ${JSON.stringify(filterShapeOf(c))} ` +
    `strides ${c.strides} dilations ${c.dilations} padding ${JSON.stringify(c.padding)} seed ${c.seed}`
  );
}
