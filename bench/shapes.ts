/**
 * The shape suites (bench/shapes.json for conv2d, shapes_depthwise.json, shapes_grouped.json) and the
 * seeded random data each benchmark case runs on.
 */
import { readFileSync } from 'node:fs';
import { convGeometry, type ConvGeometry, type PaddingSpec } from '../src/index.js';
import { depthwiseGeometry } from '../src/geometry.js';

/**
 * One entry of a suite: NHWC input, the op's filter (conv2d: HWIO, whose in_channels may divide the
 * input's for grouped conv2d; depthwise: [kh, kw, channels, multiplier]), and the op's options.
 */
export interface ShapeSpec {
  name: string;
  input: number[];
  filter: number[];
  strides?: number | number[];
  padding: PaddingSpec;
  dilations?: number | number[];
}

/** A shape ready to run: its geometry and the same input/filter values for every engine. */
export interface BenchCase {
  spec: ShapeSpec;
  geometry: ConvGeometry;
  /** NHWC */
  input: Float32Array;
  /** HWIO */
  filter: Float32Array;
}

export const SHAPES_FILE = new URL('./shapes.json', import.meta.url);
export const DEPTHWISE_SHAPES_FILE = new URL('./shapes_depthwise.json', import.meta.url);
export const GROUPED_SHAPES_FILE = new URL('./shapes_grouped.json', import.meta.url);

/** Which op a suite runs; the case's geometry follows that op's shape rules. */
export type ShapeOp = 'conv2d' | 'depthwiseConv2d';

export function loadShapes(file: URL | string = SHAPES_FILE): ShapeSpec[] {
  return JSON.parse(readFileSync(file, 'utf8')) as ShapeSpec[];
}

/** Keeps the named shapes, in the order given; an unknown name is an error that lists the known ones. */
export function selectShapes(all: readonly ShapeSpec[], names: readonly string[]): ShapeSpec[] {
  return names.map((name) => {
    const found = all.find((s) => s.name === name);
    if (!found) {
      throw new Error(`bench: unknown shape "${name}"; known shapes: ${all.map((s) => s.name).join(', ')}`);
    }
    return found;
  });
}

/** mulberry32: a small seeded generator, so every run and every engine sees the same numbers. */
function uniformGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values uniform in [-1, 1). */
export function randomValues(size: number, seed: number): Float32Array {
  const next = uniformGenerator(seed);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = next() * 2 - 1;
  return values;
}

/** Depthwise geometry is a ConvGeometry with groups = channels, so every engine reads it alike. */
export function makeCase(spec: ShapeSpec, seed = 1, op: ShapeOp = 'conv2d'): BenchCase {
  const geometryOf = op === 'conv2d' ? convGeometry : depthwiseGeometry;
  const geometry = geometryOf('bench', spec.input, spec.filter, {
    strides: spec.strides,
    padding: spec.padding,
    dilations: spec.dilations,
  });
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  return {
    spec,
    geometry,
    input: randomValues(size(spec.input), seed),
    filter: randomValues(size(spec.filter), seed + 1),
  };
}
