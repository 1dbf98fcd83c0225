import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NpyFormatError, parseNpy, serializeNpy } from '../src/cli/npy.js';
import { convkit } from './helpers/convkit_cli.js';
import { npyBytes } from './helpers/npy_bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'convkit-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('reads version 1 float32 and version 2 float64 files', () => {
  const f4 = parseNpy(
    npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", [1, 2, 3, 4, 5, 6.5]),
  );
  assert.deepEqual(f4.shape, [2, 3]);
  assert.deepEqual(Array.from(f4.data), [1, 2, 3, 4, 5, 6.5]);
  const f8 = parseNpy(
    npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", [0.1, -2, 1e10], {
      version: 2,
      itemSize: 8,
    }),
  );
  assert.deepEqual(f8.shape, [3]);
  assert.deepEqual(Array.from(f8.data), [Math.fround(0.1), -2, Math.fround(1e10)]);
  const scalar = parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", [2.5]));
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual(Array.from(scalar.data), [2.5]);
});

test('writes version 1 float32 files with a 64-byte aligned header', () => {
  const bytes = serializeNpy([1, 2, 2, 1], Float32Array.from([14, 6, 6, 12]));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 78, 85, 77, 80, 89, 1, 0]);
  const headerLength = view.getUint16(8, true);
  assert.equal((10 + headerLength) % 64, 0);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(1, 2, 2, 1\), \} *\n$/);
  const values = [0, 1, 2, 3].map((i) => view.getFloat32(10 + headerLength + i * 4, true));
  assert.deepEqual(values, [14, 6, 6, 12]);
  assert.match(new TextDecoder().decode(serializeNpy([5], new Float32Array(5))), /'shape': \(5,\)/);
});

test('refuses Fortran order, other dtypes, truncated data and non-npy bytes with clear errors', () => {
  const fortran = npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", [1, 2, 3, 4]);
  assert.throws(() => parseNpy(fortran), { name: 'NpyFormatError', message: /Fortran/ });
  const ints = npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", [1, 2]);
  assert.throws(() => parseNpy(ints), /dtype '<i4' is not supported/);
  const bigEndian = npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", [1, 2]);
  assert.throws(() => parseNpy(bigEndian), /'>f4'/);
  const short = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", [1, 2]);
  // 4 float32 values need 16 bytes: said in bytes, not only as a count (16 values of 4 bytes vs 16 bytes).
  assert.throws(() => parseNpy(short), /= 4 values of 4 bytes \(16 bytes\), but only 8 data bytes follow/);
  assert.throws(() => parseNpy(new TextEncoder().encode('{"shape": [1]}')), NpyFormatError);
});

const WORKED_EXAMPLE = [
  'explain',
  '--input',
  '1,4,4,1',
  '--input-values',
  '4,3,1,0,2,1,0,1,1,2,4,1,3,1,0,2',
  '--filter',
  '3,3,1,1',
  '--filter-values',
  '1,0,1,2,1,0,0,0,1',
  '--padding',
  'VALID',
];

test('explain shows the four sums of the worked example', () => {
  const { status, stdout, stderr } = convkit(...WORKED_EXAMPLE);
  assert.equal(status, 0, stderr);
  for (const sum of [
    '14 = 4*1 + 3*0 + 1*1 + 2*2 + 1*1 + 0*0 + 1*0 + 2*0 + 4*1',
    '6 = 3*1 + 1*0 + 0*1 + 1*2 + 0*1 + 1*0 + 2*0 + 4*0 + 1*1',
    '6 = 2*1 + 1*0 + 0*1 + 1*2 + 2*1 + 4*0 + 3*0 + 1*0 + 0*1',
    '12 = 1*1 + 0*0 + 1*1 + 2*2 + 4*1 + 1*0 + 1*0 + 0*0 + 2*1',
  ]) {
    assert.ok(stdout.includes(sum), `missing "${sum}" in:\n${stdout}`);
  }
  assert.ok(
    stdout.includes('out = ceil((in - effective_k + 1) / stride)'),
    "stdout.includes('out = ceil((in - effective_k + 1) / stride)')",
  );
  assert.ok(stdout.includes('.xx.'), "stdout.includes('.xx.')");
  assert.ok(stdout.includes('[4, 9]'), 'im2col patch matrix shape');
  assert.ok(!stdout.includes('\u001b['), 'no colour when not a terminal');
});

test('explain --json prints the Conv2dExplanation', () => {
  const { status, stdout } = convkit(...WORKED_EXAMPLE, '--json');
  assert.equal(status, 0);
  const e = JSON.parse(stdout);
  assert.deepEqual(e.outputShape, [1, 2, 2, 1]);
  assert.deepEqual(e.values.output, [14, 6, 6, 12]);
  assert.equal(e.values.breakdowns.length, 4);
});

test("explain of the seed's first question, shapes only, with SAME and strides", () => {
  const { status, stdout } = convkit(
    'explain',
    '--input',
    '1,10,10,10',
    '--filter',
    '2,10,10,10',
    '--strides',
    '1,2,2,1',
    '--padding',
    'same',
  );
  assert.equal(status, 0);
  assert.ok(stdout.includes('-> output [1, 5, 5, 10]'), "stdout.includes('-> output [1, 5, 5, 10]')");
  assert.ok(stdout.includes('ceil(10 / 2) = 5'), "stdout.includes('ceil(10 / 2) = 5')");
  assert.ok(
    stdout.includes('max((5 - 1) * 2 + 2 - 10, 0) = 0'),
    "stdout.includes('max((5 - 1) * 2 + 2 - 10, 0) = 0')",
  );
  assert.ok(stdout.includes('shapes only'), "stdout.includes('shapes only')");
});

test('a channel mismatch is explained in plain words, exit 2, no stack trace', () => {
  const { status, stderr } = convkit('explain', '--input', '1,5,5,4', '--filter', '3,3,5,7');
  assert.equal(status, 2);
  assert.match(stderr, /input has 4 channels but filter \[3,3,5,7\] expects 5/);
  assert.match(stderr, /each filter is a 3x3x5 cube; its depth 5 must match the input's 4 channels/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

test('bad flags exit 2 with a one-line message naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--strides', '1,2,3'], /--strides/],
    [['--bogus'], /--bogus/],
    [['--padding', 'full'], /--padding/],
    [['--padding', 'explicit'], /--pads/],
    [['--input-values', '1,2,3'], /--input-values has 3 numbers but --input 1,4,4,1 needs 16/],
    [['--dilations', '0'], /--dilations/],
  ];
  for (const [extra, message] of cases) {
    const { status, stderr, stdout } = convkit(
      'explain',
      '--input',
      '1,4,4,1',
      '--filter',
      '3,3,1,1',
      ...extra,
    );
    assert.equal(status, 2, `${extra.join(' ')}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.equal(stdout, '');
  }
  const missing = convkit('explain', '--filter', '3,3,1,1');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--input/);
});

test('run: .npy in, .npy out', () => {
  const x = join(dir, 'x.npy');
  const w = join(dir, 'w.npy');
  const y = join(dir, 'y.npy');
  writeFileSync(
    x,
    npyBytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 4, 1), }",
      [4, 3, 1, 0, 2, 1, 0, 1, 1, 2, 4, 1, 3, 1, 0, 2],
    ),
  );
  writeFileSync(
    w,
    npyBytes(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3, 1, 1), }",
      [1, 0, 1, 2, 1, 0, 0, 0, 1],
      {
        version: 2,
        itemSize: 8,
      },
    ),
  );
  const { status, stdout, stderr } = convkit('run', '--input', x, '--filter', w, '--output', y);
  assert.equal(status, 0, stderr);
  assert.match(stdout, /output \[1, 2, 2, 1\]/);
  const bytes = readFileSync(y);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  assert.match(header, /'descr': '<f4'/);
  assert.match(header, /'shape': \(1, 2, 2, 1\)/);
  const values = [0, 1, 2, 3].map((i) => bytes.readFloatLE(10 + headerLength + 4 * i));
  assert.deepEqual(values, [14, 6, 6, 12]);
});

test('run: .json in (nested arrays and shape/data), .json out, with conv options', () => {
  const x = join(dir, 'x.json');
  const w = join(dir, 'w.json');
  const y = join(dir, 'y.json');
  // 3x3 image of ones; 3x3 filter of ones; SAME: each output counts the window cells on the image.
  writeFileSync(
    x,
    JSON.stringify([
      [
        [[1], [1], [1]],
        [[1], [1], [1]],
        [[1], [1], [1]],
      ],
    ]),
  );
  writeFileSync(w, JSON.stringify({ shape: [3, 3, 1, 1], data: [1, 1, 1, 1, 1, 1, 1, 1, 1] }));
  const { status, stderr } = convkit('run', '--input', x, '--filter', w, '--padding', 'SAME', '--output', y);
  assert.equal(status, 0, stderr);
  const out = JSON.parse(readFileSync(y, 'utf8'));
  assert.deepEqual(out.shape, [1, 3, 3, 1]);
  assert.deepEqual(out.data, [4, 6, 4, 6, 9, 6, 4, 6, 4]);
  const strided = convkit('run', '--input', x, '--filter', w, '--pads', '1,1,1,1', '--strides', '2');
  assert.equal(strided.status, 0, strided.stderr);
  assert.match(strided.stdout, /output \[1, 2, 2, 1\]/);
  assert.match(strided.stdout, /\[\[\[\[4\.\]/);
});

test('run: a Fortran-order .npy is refused with a clear message', () => {
  const x = join(dir, 'fortran.npy');
  writeFileSync(
    x,
    npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2, 2, 1), }", [1, 2, 3, 4]),
  );
  const { status, stderr } = convkit('run', '--input', x, '--filter', x);
  assert.equal(status, 2);
  assert.match(stderr, /--input .*fortran\.npy: .*Fortran/);
});

test('walkthrough runs every seed example and prints the seed numbers', () => {
  const { status, stdout, stderr } = convkit('walkthrough');
  assert.equal(status, 0, stderr);
  assert.ok(stdout.includes('result shape: [1, 5, 5, 10]'), "stdout.includes('result shape: [1, 5, 5, 10]')");
  assert.ok(
    stdout.includes('14 = 4*1 + 3*0 + 1*1 + 2*2 + 1*1 + 0*0 + 1*0 + 2*0 + 4*1'),
    "stdout.includes('14 = 4*1 + 3*0 + 1*1 + 2*2 + 1*1 + 0*0 + 1*0 + 2*0 + 4*1')",
  );
  assert.ok(
    stdout.includes('12 = 1*1 + 0*0 + 1*1 + 2*2 + 4*1 + 1*0 + 1*0 + 0*0 + 2*1'),
    "stdout.includes('12 = 1*1 + 0*0 + 1*1 + 2*2 + 4*1 + 1*0 + 1*0 + 0*0 + 2*1')",
  );
  assert.ok(stdout.includes('x.x.x'), "stdout.includes('x.x.x')");
  assert.ok(stdout.includes('.xxx.'), "stdout.includes('.xxx.')");
  assert.ok(stdout.includes('result shape: [10, 3, 3, 7]'), "stdout.includes('result shape: [10, 3, 3, 7]')");
  assert.ok(
    stdout.includes("tf.nn.conv2d(input, filter, strides=[1, 2, 2, 1], padding='SAME')"),
    'stdout.includes("tf.nn.conv2d(input, filter, strides=[1, 2, 2, 1], padding=\'SAME\')")',
  );
  assert.doesNotMatch(stdout, /MISMATCH/);
  assert.equal((stdout.match(/^\s+ok: /gm) ?? []).length, 11);
});
