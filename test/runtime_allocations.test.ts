/**
 * After warm-up, predict allocates no float memory but its output: every activation lives in the
 * plan's arena and every convolution writes into its slot (the "no JavaScript allocation per
 * layer"). Counted in a child process (helpers/count_allocations.ts) that swaps in a counting
 * Float32Array before anything loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('predict allocates only its output after warm-up (one thread and two; Conv2DTranspose, FFT and banded steps too)', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/count_allocations.ts'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  const counts = JSON.parse(line) as Record<
    | 'outputs'
    | 'steps'
    | 'threads1'
    | 'threads2'
    | 'edgeAlgorithms'
    | 'edgeBatch1'
    | 'edgeBatch2'
    | 'bandSteps'
    | 'bandBatch2',
    number
  >;
  assert.ok(counts.steps > 10, `the model has many steps: ${line}`);
  assert.equal(counts.threads1, counts.outputs, `one thread: new Float32Arrays per predict (${line})`);
  assert.equal(counts.threads2, counts.outputs, `two threads: new Float32Arrays per predict (${line})`);
  assert.equal(counts.edgeAlgorithms, 3, `two Conv2DTranspose steps and an FFT step (${line})`);
  assert.equal(counts.edgeBatch1, 1, `Conv2DTranspose and FFT, batch 1: only the output (${line})`);
  assert.equal(counts.edgeBatch2, 1, `Conv2DTranspose and FFT, batch 2: only the output (${line})`);
  assert.equal(counts.bandSteps, 1, `a 1x1 convolution and its depthwise reader in bands (${line})`);
  assert.equal(counts.bandBatch2, 1, `banded, batch 2: only the output (${line})`);
});
