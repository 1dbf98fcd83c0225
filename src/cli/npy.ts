/**
 * NumPy .npy files: a small reader and writer, enough for float arrays.
 * Format (numpy.lib.format): the magic "\x93NUMPY", a major/minor version byte pair, the header length
 * (uint16 LE in version 1, uint32 LE in versions 2 and 3), then a Python dict literal such as
 * "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" padded with spaces to a multiple of 64
 * bytes and ending in '\n', then the raw values.
 * Read: little-endian float32 ('<f4') and float64 ('<f8', converted to float32), C order. Write: '<f4', v1.
 */

const MAGIC = '\x93NUMPY';
const ALIGNMENT = 64;

/** Raised for a file that is not an .npy this reader understands; the message says why. */
export class NpyFormatError extends Error {
  override name = 'NpyFormatError';
}

export interface NpyArray {
  shape: number[];
  /** The values, rounded to float32 when the file holds float64. */
  data: Float32Array;
  /** The file's own element type. */
  dtype: 'float32' | 'float64';
  /** Finite float64 values beyond float32's range, which became +-Infinity (0 for float32 files). */
  overflowed: number;
}

function headerField(header: string, key: string): string {
  const match = new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header);
  if (!match) throw new NpyFormatError(`the header has no '${key}' entry: ${header.trim()}`);
  return match[1];
}

function parseShapeTuple(text: string): number[] {
  const inner = text.slice(1, -1).trim();
  if (inner === '') return [];
  return inner
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new NpyFormatError(`bad shape ${text}`);
      return n;
    });
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (bytes.length < 10 || magic !== MAGIC) {
    throw new NpyFormatError('not a NumPy .npy file (it does not start with "\\x93NUMPY")');
  }
  const major = bytes[6];
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyFormatError('the file ends inside its header');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyFormatError(`format version ${major}.${bytes[7]} is not supported (1.0, 2.0 and 3.0 are)`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new NpyFormatError('the file ends inside its header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, dataStart),
  );
  const descr = headerField(header, 'descr').slice(1, -1);
  const fortran = headerField(header, 'fortran_order');
  const shape = parseShapeTuple(headerField(header, 'shape'));
  if (fortran === 'True') {
    throw new NpyFormatError(
      'the array is stored in Fortran (column-major) order; save it in C order, e.g. ' +
        'np.save(path, np.ascontiguousarray(a))',
    );
  }
  let itemSize: number;
  if (descr === '<f4') itemSize = 4;
  else if (descr === '<f8') itemSize = 8;
  else {
    throw new NpyFormatError(
      `dtype '${descr}' is not supported: use little-endian float32 ('<f4') or float64 ('<f8'), ` +
        `e.g. np.save(path, a.astype(np.float32))`,
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - dataStart < count * itemSize) {
    throw new NpyFormatError(
      `the header promises shape (${shape.join(', ')}) = ${count} values of ${itemSize} bytes ` +
        `(${count * itemSize} bytes), but only ${bytes.length - dataStart} data bytes follow: the file is cut short`,
    );
  }
  const data = new Float32Array(count);
  let overflowed = 0;
  for (let i = 0; i < count; i++) {
    const offset = dataStart + i * itemSize;
    if (itemSize === 4) {
      data[i] = view.getFloat32(offset, true);
    } else {
      const value = view.getFloat64(offset, true);
      data[i] = value;
      if (Number.isFinite(value) && !Number.isFinite(data[i])) overflowed++;
    }
  }
  return { shape, data, dtype: itemSize === 4 ? 'float32' : 'float64', overflowed };
}

/** An .npy file (format 1.0, '<f4', C order) holding `data` with `shape`. */
export function serializeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT) + '\n';
  const dataStart = MAGIC.length + 4 + header.length;
  const bytes = new Uint8Array(dataStart + data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  bytes[6] = 1;
  bytes[7] = 0;
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(dataStart + i * 4, data[i], true);
  return bytes;
}
