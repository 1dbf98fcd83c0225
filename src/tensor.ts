/**
 * Tensor: float32 values in row-major order with an immutable shape. The only container the ops
 * take and return. Values are copied in on creation; ops never write to an input's data.
 */
import { InvalidArgumentError, ResourceExhaustedError, invalid, show } from './errors.js';
import { formatArray } from './format.js';

/** A number, or arbitrarily nested arrays of numbers (rectangular). */
export type NestedArray = number | NestedArray[];

/**
 * The largest tensor convkit will allocate, in elements (4 GiB of float32). Requests above it are
 * refused before any memory is taken.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Checks that `shape` is a list of non-negative integers whose product can be allocated. */
export function checkShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape))
    invalid(op, arg, `must be an array of non-negative integers, got ${show(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      invalid(op, arg, `must contain non-negative integers, got ${show(shape)}`);
    }
  }
  checkAllocatable(op, arg, shape as number[]);
  return [...(shape as number[])];
}

/** Refuses (before allocating) a tensor larger than MAX_TENSOR_ELEMENTS. */
export function checkAllocatable(op: string, what: string, shape: readonly number[]): void {
  const size = sizeOf(shape);
  if (size > MAX_TENSOR_ELEMENTS) {
    throw new ResourceExhaustedError(
      `${op}: ${what} of shape ${show(shape)} would hold ${size} elements, more than the ` +
        `${MAX_TENSOR_ELEMENTS} (4 GiB of float32) convkit allocates`,
    );
  }
}

/** A Float32Array, also one made in another realm (a worker's message, an iframe). */
function isFloat32Array(data: unknown): data is Float32Array {
  return (
    data instanceof Float32Array ||
    (ArrayBuffer.isView(data) && Object.prototype.toString.call(data) === '[object Float32Array]')
  );
}

export class Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;

  /** Wraps `data` without copying. Use `tensor()` to build one from user values. */
  constructor(data: Float32Array, shape: readonly number[]) {
    if (!isFloat32Array(data)) {
      // Another array would be read by some paths as float32 bytes (a GPU upload, the wasm heap).
      invalid('Tensor', 'data', `must be a Float32Array, got ${show(data)}; tensor(values, shape) converts`);
    }
    if (data.length !== sizeOf(shape)) {
      throw new InvalidArgumentError(
        `Tensor: data has ${data.length} values but shape ${show(shape)} needs ${sizeOf(shape)}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** Same values, new shape; one dimension may be -1 (inferred). Shares no memory with the original. */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data.slice(), resolveReshape(this.shape, shape));
  }

  /** The values as nested arrays (a plain number for a scalar). */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this.data[0];
    const build = (dim: number, offset: number, stride: number): NestedArray[] => {
      const n = this.shape[dim];
      const inner = n === 0 ? 0 : stride / n;
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) {
        out.push(
          dim === this.shape.length - 1 ? this.data[offset + i] : build(dim + 1, offset + i * inner, inner),
        );
      }
      return out;
    };
    return build(0, 0, this.size);
  }

  /** NumPy-style nested brackets, as TensorFlow prints a tensor's values. */
  toString(): string {
    return formatArray(this.data, this.shape);
  }
}

/** Resolves a reshape target (with at most one -1) against the source shape, or throws. */
export function resolveReshape(from: readonly number[], to: readonly number[]): number[] {
  const op = 'reshape';
  if (!Array.isArray(to)) invalid(op, 'shape', `must be an array of integers, got ${show(to)}`);
  const size = sizeOf(from);
  let inferAt = -1;
  let known = 1;
  to.forEach((d, i) => {
    if (d === -1 && inferAt === -1) inferAt = i;
    else if (!Number.isSafeInteger(d) || d < 0) {
      invalid(op, 'shape', `must hold non-negative integers and at most one -1, got ${show(to)}`);
    } else known *= d;
  });
  const resolved = [...to];
  if (inferAt >= 0) {
    if (known === 0 || size % known !== 0) {
      invalid(op, 'shape', `${show(to)} cannot hold the ${size} values of shape ${show(from)}`);
    }
    resolved[inferAt] = size / known;
  } else if (known !== size) {
    invalid(
      op,
      'shape',
      `${show(to)} holds ${known} values but the tensor of shape ${show(from)} has ${size}`,
    );
  }
  return resolved;
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flatten(values: NestedArray, shape: number[], out: Float32Array): void {
  let index = 0;
  const walk = (node: NestedArray, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (typeof node !== 'number') {
        invalid('tensor', 'values', `must be numbers, found ${show(node)} at index ${show(path)}`);
      }
      out[index++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      invalid(
        'tensor',
        'values',
        `must be a rectangular nested array: expected ${shape[dim]} entries at index ${show(path)} ` +
          `(inferred shape ${show(shape)}), got ${Array.isArray(node) ? node.length : show(node)}`,
      );
    }
    node.forEach((child, i) => walk(child, dim + 1, [...path, i]));
  };
  walk(values, 0, []);
}

/**
 * Makes a float32 tensor from a number, nested arrays or a flat array/typed array. With `shape`, flat
 * values are laid out in that shape (nested values must hold the same count) and a single number fills it.
 */
export function tensor(values: number | NestedArray | ArrayLike<number>, shape?: readonly number[]): Tensor {
  const op = 'tensor';
  const wanted = shape === undefined ? undefined : checkShape(op, 'shape', shape);
  if (typeof values === 'number') {
    const target = wanted ?? [];
    return new Tensor(new Float32Array(sizeOf(target)).fill(values), target);
  }
  if (values === null || typeof values !== 'object') {
    invalid(op, 'values', `must be a number, a nested array or a typed array, got ${show(values)}`);
  }
  let data: Float32Array;
  let inferred: number[];
  if (Array.isArray(values) && values.some((v) => Array.isArray(v))) {
    inferred = inferShape(values as NestedArray);
    checkAllocatable(op, 'values', inferred);
    data = new Float32Array(sizeOf(inferred));
    flatten(values as NestedArray, inferred, data);
  } else {
    const flat = values as ArrayLike<number>;
    if (typeof flat.length !== 'number') {
      invalid(op, 'values', `must be a number, a nested array or a typed array, got ${show(values)}`);
    }
    inferred = [flat.length];
    checkAllocatable(op, 'values', inferred);
    data = new Float32Array(flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== 'number') invalid(op, 'values', `must be numbers, found ${show(v)} at index ${i}`);
      data[i] = v;
    }
  }
  if (wanted === undefined) return new Tensor(data, inferred);
  if (sizeOf(wanted) !== data.length) {
    invalid(op, 'shape', `${show(wanted)} needs ${sizeOf(wanted)} values but ${data.length} were given`);
  }
  return new Tensor(data, wanted);
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[]): Tensor {
  const checked = checkShape('zeros', 'shape', shape);
  return new Tensor(new Float32Array(sizeOf(checked)), checked);
}

/** A deterministic 32-bit generator (mulberry32): same seed, same values, on every platform. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normally distributed values (Box-Muller). With `seed`, the values are repeatable. */
export function randomNormal(
  shape: readonly number[],
  options: { mean?: number; stddev?: number; seed?: number } = {},
): Tensor {
  const op = 'randomNormal';
  const checked = checkShape(op, 'shape', shape);
  const { mean = 0, stddev = 1, seed } = options;
  if (!Number.isFinite(mean)) invalid(op, 'mean', `must be a finite number, got ${show(mean)}`);
  if (!Number.isFinite(stddev) || stddev < 0) {
    invalid(op, 'stddev', `must be a finite number >= 0, got ${show(stddev)}`);
  }
  if (seed !== undefined && !Number.isFinite(seed))
    invalid(op, 'seed', `must be a finite number, got ${show(seed)}`);
  const next = mulberry32(seed ?? Math.floor(Math.random() * 2 ** 32));
  const data = new Float32Array(sizeOf(checked));
  for (let i = 0; i < data.length; i += 2) {
    const u1 = 1 - next();
    const u2 = next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    data[i] = mean + stddev * radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < data.length) data[i + 1] = mean + stddev * radius * Math.sin(2 * Math.PI * u2);
  }
  return new Tensor(data, checked);
}

/** Accepts a Tensor, or anything `tensor()` accepts, for op arguments. */
export function toTensor(op: string, arg: string, value: unknown): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value === 'number' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    return tensor(value as NestedArray);
  }
  return invalid(op, arg, `must be a Tensor or an array of numbers, got ${show(value)}`);
}
