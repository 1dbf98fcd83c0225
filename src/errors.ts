/**
 * Error types. Every bad input throws one of these, with a message that names the op, the argument,
 * the value given and what was expected. The class names follow TensorFlow's error codes.
 */
export class ConvkitError extends Error {
  override name = 'ConvkitError';
}

/** The caller passed something the op cannot take (TensorFlow's InvalidArgumentError). */
export class InvalidArgumentError extends ConvkitError {
  override name = 'InvalidArgumentError';
}

/** The result (or a scratch buffer) would be too large to allocate (TensorFlow's ResourceExhaustedError). */
export class ResourceExhaustedError extends ConvkitError {
  override name = 'ResourceExhaustedError';
}

/**
 * WebGPU cannot be used here: no navigator.gpu (browser), no `webgpu` package (Node), or no adapter.
 * The message says which, and what to do about it.
 */
export class WebGPUUnavailableError extends ConvkitError {
  override name = 'WebGPUUnavailableError';
}

/**
 * The GPU device was lost (driver reset, device destroyed, backend disposed): pending reads reject
 * with this, and nothing computed on that device can be read any more.
 */
export class WebGPUDeviceLostError extends ConvkitError {
  override name = 'WebGPUDeviceLostError';
}

/**
 * A model file describes something convkit cannot run: a layer class, an option (such as
 * data_format 'channels_first') or a dtype it does not support. The message names the layer, its
 * class and the option; loaders raise it before reading any weight.
 */
export class UnsupportedModelError extends ConvkitError {
  override name = 'UnsupportedModelError';
}

/** Shows a value in an error message the way a person would type it: arrays in brackets, strings quoted. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Float32Array).length})`;
  if (typeof value === 'object') {
    const shape = (value as { shape?: unknown }).shape;
    if (Array.isArray(shape)) return `tensor of shape ${show(shape)}`;
    return Object.prototype.toString.call(value);
  }
  return String(value);
}

/** Throws InvalidArgumentError for `op`'s argument `arg`: "op: arg <problem>". */
export function invalid(op: string, arg: string, problem: string): never {
  throw new InvalidArgumentError(`${op}: ${arg} ${problem}`);
}
