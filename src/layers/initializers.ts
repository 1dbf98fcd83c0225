/**
 * Weight initialisers with Keras' names and defaults. Keras' Conv2D and Dense start their kernels with
 * glorot_uniform (uniform in [-limit, limit], limit = sqrt(6 / (fan_in + fan_out))) and biases at zero.
 */
import { invalid, show } from '../errors.js';
import type { Rng } from './random.js';

export const INITIALIZERS = ['glorotUniform', 'zeros'] as const;
export type InitializerName = (typeof INITIALIZERS)[number];

export function checkInitializer(op: string, arg: string, value: unknown): InitializerName {
  if (value === undefined) return arg === 'biasInitializer' ? 'zeros' : 'glorotUniform';
  if ((INITIALIZERS as readonly unknown[]).includes(value)) return value as InitializerName;
  return invalid(
    op,
    arg,
    `must be one of ${INITIALIZERS.map((n) => `'${n}'`).join(', ')}, got ${show(value)}`,
  );
}

/**
 * Keras' fan_in / fan_out: for a kernel [..., in, out] the leading (receptive field) dimensions multiply
 * both; a 1-D shape (a bias) has fan_in = fan_out = its length.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i];
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

/** Fills `values` (a weight of `shape`) as the named initialiser does. */
export function initialize(
  name: InitializerName,
  shape: readonly number[],
  values: Float32Array,
  rng: Rng,
): void {
  if (name === 'zeros') {
    values.fill(0);
    return;
  }
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
  for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * limit;
}

/** Keras' serialized form of an initialiser, as model.json stores it. */
export function kerasInitializerConfig(
  name: InitializerName,
  seed: number | undefined,
): Record<string, unknown> {
  return name === 'zeros'
    ? { class_name: 'Zeros', config: {} }
    : { class_name: 'GlorotUniform', config: { seed: seed ?? null } };
}
