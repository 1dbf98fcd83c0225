/**
 * Reading and writing tensors for the command line, chosen by file extension:
 *   .npy  NumPy array (see npy.ts)
 *   .json nested arrays ([[1, 2], [3, 4]]) or {"shape": [2, 2], "data": [1, 2, 3, 4]}; written in the
 *         second form, numbers as the shortest decimals that read back as the same float32 values.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Tensor, tensor, type NestedArray } from '../tensor.js';
import { ConvkitError } from '../errors.js';
import { shortestDecimal } from '../explain/numbers.js';
import { NpyFormatError, parseNpy, serializeNpy } from './npy.js';
import { UsageError } from './usage_error.js';
import { looksLikeShape } from './parse.js';

export const TENSOR_FILE_EXTENSIONS = ['.npy', '.json'];

/** Whether `path` names an existing folder (a mistake for a file, reported as such). */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isTensorFile(path: string): boolean {
  return TENSOR_FILE_EXTENSIONS.includes(extname(path).toLowerCase());
}

/** Refuses (before any work) an output file name that is not .npy or .json. */
export function checkOutputExtension(flag: string, path: string): void {
  checkExtension(flag, path);
}

function checkExtension(flag: string, path: string): string {
  const ext = extname(path).toLowerCase();
  if (TENSOR_FILE_EXTENSIONS.includes(ext)) return ext;
  if (isFolder(path)) {
    throw new UsageError(`${flag} ${path}: is a folder; give a .npy or .json file (a file name inside it)`);
  }
  if (looksLikeShape(path) && flag !== '--output') {
    throw new UsageError(
      `${flag} ${path}: a shape, but this command reads tensors from files (.npy or .json)`,
      [
        `to see a conv2d of that shape, use convkit explain ${flag} ${path} with --random SEED ` +
          `(or ${flag}-values v1,v2,...)`,
      ],
    );
  }
  if (ext === '') {
    throw new UsageError(`${flag} ${path}: the file name has no extension; use a .npy or .json file`);
  }
  throw new UsageError(`${flag} ${path}: "${ext}" files are not read; use a .npy or .json file`);
}

function tensorFromJson(flag: string, path: string, value: unknown): Tensor {
  const bad = (why: string): never => {
    throw new UsageError(
      `${flag} ${path}: ${why}; expected nested arrays of numbers or {"shape": [...], "data": [...]}`,
    );
  };
  try {
    if (typeof value === 'number' || Array.isArray(value)) return tensor(value as NestedArray);
    if (value !== null && typeof value === 'object' && 'shape' in value && 'data' in value) {
      const { shape, data } = value as { shape: unknown; data: unknown };
      if (!Array.isArray(shape) || !Array.isArray(data)) return bad('"shape" and "data" must be arrays');
      return tensor(data as number[], shape as number[]);
    }
  } catch (error) {
    if (error instanceof ConvkitError) return bad(error.message);
    throw error;
  }
  return bad('unrecognised JSON');
}

/**
 * Reads a tensor from a .npy or .json file; `flag` names the flag in error messages. A float64 .npy is
 * rounded to float32 (convkit computes in float32, as tf.nn.conv2d on float32 tensors); `notes`, when
 * given, receives a sentence saying so.
 */
export function readTensorFile(flag: string, path: string, notes?: string[]): Tensor {
  const ext = checkExtension(flag, path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(
      `${flag} ${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  if (ext === '.npy') {
    try {
      const { shape, data, dtype, overflowed } = parseNpy(bytes);
      if (dtype === 'float64') {
        notes?.push(
          `${flag} ${path} is float64: convkit computes in float32 (as tf.nn.conv2d on float32 ` +
            `tensors), so its values were rounded to float32 and the output is float32`,
        );
      }
      if (overflowed > 0) notes?.push(overflowNote(flag, path, overflowed));
      return new Tensor(data, shape);
    } catch (error) {
      if (error instanceof NpyFormatError) throw new UsageError(`${flag} ${path}: ${error.message}`);
      throw error;
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new UsageError(`${flag} ${path}: not valid JSON (${(error as Error).message})`);
  }
  const t = tensorFromJson(flag, path, parsed);
  // JSON has no Infinity: every infinite value was a number beyond float32's range (1e39, 1e400).
  const overflowed = t.data.reduce((n, v) => (Number.isFinite(v) ? n : n + 1), 0);
  if (overflowed > 0) notes?.push(overflowNote(flag, path, overflowed));
  return t;
}

function overflowNote(flag: string, path: string, count: number): string {
  return (
    `${flag} ${path}: ${count} value${count === 1 ? '' : 's'} beyond float32's range (about ` +
    `3.40e+38) became ${count === 1 ? 'an infinity' : 'infinities'}, as in tf.nn.conv2d on float32 ` +
    `tensors; outputs that read ${count === 1 ? 'it' : 'them'} are infinite or NaN`
  );
}

/** The JSON text of a tensor: {"shape": [...], "data": [...]}. */
export function tensorToJson(t: Tensor): string {
  // JSON has no NaN or Infinity: they are written as null (and refused when read back).
  const data = Array.from(t.data, (v) => (Number.isFinite(v) ? shortestDecimal(v) : 'null'));
  return `{"shape": [${t.shape.join(', ')}], "data": [${data.join(', ')}]}\n`;
}

export function writeTensorFile(flag: string, path: string, t: Tensor): void {
  const ext = checkExtension(flag, path);
  const contents = ext === '.npy' ? serializeNpy(t.shape, t.data) : tensorToJson(t);
  try {
    writeFileSync(path, contents);
  } catch (error) {
    throw new UsageError(
      `${flag} ${path}: cannot write the file (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
}
