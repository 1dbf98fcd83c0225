/** Argument checks shared by the layer constructors and by Keras config parsing. */
import { invalid, show } from '../errors.js';
import type { Tensor } from '../tensor.js';

export function positiveInt(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    invalid(op, arg, `must be an integer >= 1, got ${show(value)}`);
  }
  return value;
}

/** A size per spatial axis: one integer for both, or [height, width]. */
export function spatialInts(
  op: string,
  arg: string,
  value: unknown,
  fallback?: [number, number],
): [number, number] {
  if (value === undefined && fallback) return fallback;
  if (typeof value === 'number') {
    positiveInt(op, arg, value);
    return [value, value];
  }
  if (!Array.isArray(value) || value.length !== 2) {
    invalid(op, arg, `must be an integer >= 1 or a pair [height, width] of them, got ${show(value)}`);
  }
  return [positiveInt(op, arg, value[0]), positiveInt(op, arg, value[1])];
}

export type LayerPadding = 'valid' | 'same';

export function layerPadding(op: string, value: unknown): LayerPadding {
  if (value === undefined) return 'valid';
  if (value === 'valid' || value === 'same') return value;
  return invalid(op, 'padding', `must be 'valid' or 'same', got ${show(value)}`);
}

export function optionalBoolean(op: string, arg: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(op, arg, `must be true or false, got ${show(value)}`);
  return value;
}

export function optionalSeed(op: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    invalid(op, 'seed', `must be an integer, got ${show(value)}`);
  }
  return value;
}

export function optionalName(op: string, value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value === '')
    invalid(op, 'name', `must be a non-empty string, got ${show(value)}`);
  return value;
}

/** Checks that a batch has the per-example shape the layer was built for. */
export function checkBatchShape(
  layer: { name: string; className: string },
  x: Tensor,
  expected: readonly number[] | null,
): void {
  const op = `${layer.className} '${layer.name}'`;
  if (expected === null)
    invalid(op, 'input', 'arrived before the layer was built; add it to a Sequential model first');
  const ok = x.shape.length === expected.length + 1 && expected.every((d, i) => x.shape[i + 1] === d);
  if (!ok) {
    invalid(
      op,
      'input',
      `has shape ${show(x.shape)} but the layer was built for ${show([null, ...expected])}`,
    );
  }
}

/** Keras' keys every layer config carries. */
export function baseConfig(name: string): Record<string, unknown> {
  return { name, trainable: true, dtype: 'float32' };
}
