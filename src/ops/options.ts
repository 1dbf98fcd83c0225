/** Shared argument checks for the public ops. */
import { invalid, show } from '../errors.js';

/** Rejects an options argument that is not a plain object, or that has keys the op does not know. */
export function checkOptionKeys<T extends object>(
  op: string,
  options: T | undefined,
  known: readonly string[],
): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    invalid(op, 'options', `must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      invalid(op, 'options', `has unknown option ${show(key)}; known options: ${known.join(', ')}`);
    }
  }
  return options;
}

/** Normalises an axis (negative counts from the end) against a rank. */
export function normalizeAxis(op: string, arg: string, axis: unknown, rank: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    invalid(
      op,
      arg,
      `must be an integer in [${-rank}, ${Math.max(rank, 1) - 1}] for a rank-${rank} tensor, got ${show(axis)}`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}
