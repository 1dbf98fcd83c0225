/** `convkit model summary | run` on a saved model: the table, the output file, and one-line errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveTfjsLayersModel } from '../src/io/tfjs_layers_files.js';
import { parseNpy, serializeNpy } from '../src/cli/npy.js';
import { createLenet } from '../src/train/lenet.js';
import { randomInput, relativeError } from './helpers/tfjs_models.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function convkit(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('convkit model summary and model run on a saved LeNet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-cli-model-'));
  try {
    const lenet = createLenet({ seed: 2, hiddenUnits: 8 });
    saveTfjsLayersModel(lenet, dir);
    const summary = convkit('model', 'summary', join(dir, 'model.json'));
    assert.equal(summary.status, 0, summary.stderr);
    for (const needle of [
      'Model: "lenet"',
      '(Conv2D)',
      '[null,24,24,8]',
      'Total params:',
      'FLOPs per example',
    ]) {
      assert.ok(summary.stdout.includes(needle), `summary has ${needle}:\n${summary.stdout}`);
    }
    const x = randomInput([2, 28, 28, 1], 3);
    writeFileSync(join(dir, 'x.npy'), serializeNpy(x.shape, x.data));
    const run = convkit(
      'model',
      'run',
      dir,
      '--input',
      join(dir, 'x.npy'),
      '--output',
      join(dir, 'y.npy'),
      '--threads',
      '1',
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /input \[2, 28, 28, 1\] -> output \[2, 10\]/, 'run summary line');
    const y = parseNpy(readFileSync(join(dir, 'y.npy')));
    assert.deepEqual(y.shape, [2, 10], 'output shape');
    assert.ok(relativeError(y.data, lenet.predict(x).data) < 1e-5, 'output values');
    // One example without its batch axis gets one; printing works without --output.
    const one = randomInput([28, 28, 1], 4);
    writeFileSync(join(dir, 'one.npy'), serializeNpy(one.shape, one.data));
    const printed = convkit('model', 'run', dir, '--input', join(dir, 'one.npy'), '--profile');
    assert.equal(printed.status, 0, printed.stderr);
    assert.match(printed.stdout, /-> output \[1, 10\]/, 'batch added');
    assert.match(printed.stderr, /ms {2}conv2d/, 'profile lines');
    // A wrong input is one line naming the expected shape, exit code 2.
    const bad = randomInput([1, 27, 28, 1], 5);
    writeFileSync(join(dir, 'bad.npy'), serializeNpy(bad.shape, bad.data));
    const wrong = convkit('model', 'run', dir, '--input', join(dir, 'bad.npy'));
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(wrong.stderr, /expects \[batch, 28, 28, 1\]/, 'names the expected shape');
    assert.ok(!wrong.stderr.includes('    at '), `no stack trace: ${wrong.stderr}`);
    const missing = convkit('model', 'summary', join(dir, 'nothing.json'));
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /does not exist/, 'missing model');
  } finally {
    rmSync(dir, { recursive: true });
  }
});
