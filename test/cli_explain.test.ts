/** `convkit explain` on problems a learner tries: it never floods, and puts what to do first (issue 14, 2 and 9). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertUsageError, convkit } from './helpers/convkit_cli.js';

function longestLine(text: string): number {
  return Math.max(...text.split('\n').map((l) => l.length));
}

test("the walkthrough's stride-2 suggestion prints a few KB of lines that fit a terminal", () => {
  const { status, stdout, stderr } = convkit(
    'explain',
    '--input',
    '1,5,5,5',
    '--filter',
    '3,3,5,7',
    '--strides',
    '1,2,2,1',
    '--padding',
    'SAME',
    '--random',
    '7',
  );
  assert.equal(status, 0, stderr);
  assert.ok(stdout.length < 8000, `${stdout.length} bytes`);
  assert.ok(longestLine(stdout) <= 120, `longest line ${longestLine(stdout)}`);
  // 63 outputs of 45 products: one sum shown as an example, as 9 dot products over 5 channels.
  assert.match(stdout, /63 outputs of 45 products each are too many to list one by one/);
  assert.match(stdout, /\[0, 0, 0, 0\] {2}-?[\d.]+ = the sum of 9 dot products over 5 channels/);
  assert.match(stdout, /tap \(1, 1\): /);
});

test('a large problem: the guidance comes before any number, and the output is summarised in one line', () => {
  const { status, stdout, stderr } = convkit(
    'explain',
    '--input',
    '8,32,32,3',
    '--filter',
    '3,3,3,16',
    '--random',
    '1',
  );
  assert.equal(status, 0, stderr);
  assert.ok(stdout.length < 8000, `${stdout.length} bytes`);
  const values = stdout.slice(stdout.indexOf('\nValues\n'));
  const guidance = values.indexOf('pick another with --at b,y,x,c');
  assert.ok(guidance > 0, values);
  assert.ok(guidance < values.search(/-?\d+\.\d{2}/), `guidance first:\n${values}`);
  assert.match(values, /output \[8, 30, 30, 16\]: 115200 values from -?[\d.]+ to [\d.]+, mean/);
  // The summary line is wrapped like the prose around it (it ran to 126 characters).
  assert.ok(longestLine(values) <= 110, `longest line ${longestLine(values)}:\n${values}`);
});

test('a one-channel output is drawn as rows and columns', () => {
  const { status, stdout } = convkit(
    'explain',
    '--input',
    '1,4,4,1',
    '--input-values',
    '4,3,1,0,2,1,0,1,1,2,4,1,3,1,0,2',
    '--filter',
    '3,3,1,1',
    '--filter-values',
    '1,0,1,2,1,0,0,0,1',
  );
  assert.equal(status, 0);
  assert.match(
    stdout,
    /output \[1, 2, 2, 1\], as rows and columns \(one channel\):\n {4}14 {3}6\n {5}6 {2}12\n/,
  );
});

test('a filter larger than the input under VALID: a warning says why the output is empty', () => {
  const { status, stdout } = convkit('explain', '--input', '1,2,2,1', '--filter', '3,3,1,1', '--random', '1');
  assert.equal(status, 0);
  const [summary, warning] = stdout.split('\n');
  assert.match(summary, /-> output \[1, 0, 0, 1\]/);
  assert.match(warning, /^warning: the output is empty: the filter spans 3x3 but the input is only 2x2/);
});

test('a problem too large to explain with values is refused at once, with what to do instead', () => {
  const result = convkit('explain', '--input', '1,1000,1000,1', '--filter', '1,1,1,150', '--random', '1');
  assertUsageError(
    result,
    /the output \[1,1000,1000,150\] has 150000000 values, more than the 16777216/,
    assert,
  );
  assert.match(result.stderr, /leave out --random and the values to explain the shapes alone/);
  const shapes = convkit('explain', '--input', '1,1000,1000,1', '--filter', '1,1,1,150');
  assert.equal(shapes.status, 0, shapes.stderr);
});

test('grouped convolution: the im2col step multiplies per-group matrices', () => {
  const { status, stdout } = convkit('explain', '--input', '1,4,4,6', '--filter', '3,3,2,6');
  assert.equal(status, 0);
  assert.match(stdout.replace(/\n\s+/g, ' '), /\[4, 18\] x its 2 filter columns \[18, 2\] = \[4, 2\]/);
});

test('--max-breakdowns that would print every product of a large problem is refused at once', () => {
  // Listing all 246016 sums of 576 products ran for minutes, past 4 GB, before printing anything.
  const result = convkit(
    'explain',
    '--input',
    '1,64,64,64',
    '--filter',
    '3,3,64,64',
    '--random',
    '1',
    '--max-breakdowns',
    '100000000',
  );
  assertUsageError(
    result,
    /--max-breakdowns 100000000 breaks down all 246016 outputs, 576 products each: .*use a --max-breakdowns below 246016 and pick outputs with --at/,
    assert,
  );
  assert.match(result.stderr, /leave out --max-breakdowns/);
  assert.equal(result.stdout, '');
});
