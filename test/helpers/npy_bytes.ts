/** .npy files for tests, written byte by byte as numpy.save lays them out (independently of src/cli/npy.ts). */
export function npyBytes(
  header: string,
  values: number[],
  { version = 1, itemSize = 4 }: { version?: 1 | 2; itemSize?: 4 | 8 } = {},
): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const padded = header + ' '.repeat((64 - ((prefix + header.length + 1) % 64)) % 64) + '\n';
  const bytes = new Uint8Array(prefix + padded.length + values.length * itemSize);
  const view = new DataView(bytes.buffer);
  [0x93, ...'NUMPY'.split('').map((c) => c.charCodeAt(0)), version, 0].forEach((b, i) => (bytes[i] = b));
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  for (let i = 0; i < padded.length; i++) bytes[prefix + i] = padded.charCodeAt(i);
  values.forEach((v, i) => {
    const offset = prefix + padded.length + i * itemSize;
    if (itemSize === 4) view.setFloat32(offset, v, true);
    else view.setFloat64(offset, v, true);
  });
  return bytes;
}
