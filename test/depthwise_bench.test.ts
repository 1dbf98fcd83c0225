// bench/depthwise.ts (the depthwise section of `npm run bench` on its own) end to end on its first shape
// with a tiny budget: every engine runs, agrees with the direct algorithm, the 1.5x target is checked,
// and the results file (bench/results.ts format, the section's shapes at the top level) is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResults } from '../bench/results.js';

test('the depthwise bench runs every engine on one MobileNet layer and writes its results', () => {
  const out = mkdtempSync(join(tmpdir(), 'convkit-depthwise-bench-'));
  const json = join(out, 'depthwise.json');
  try {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/depthwise.ts', '--quick', '--all', '--budget', '5', '--json', json],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /depthwise target: convkit:auto >= 1\.5x tfjs-wasm/);
    assert.match(run.stdout, /mnv1-dw-112x32-s1 +[\d.]+ +[\d.]+ .* (met|NOT met)\n/);
    const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults;
    assert.deepEqual(
      results.shapes.map((s) => s.name),
      ['mnv1-dw-112x32-s1'],
    );
    const shape = results.shapes[0];
    assert.deepEqual(shape.outputShape, [1, 112, 112, 32]);
    assert.equal(shape.flops, 2 * 112 * 112 * 32 * 9);
    for (const name of [
      'convkit:auto',
      'convkit:direct',
      'convkit:fast',
      'tfjs-wasm',
      'tfjs-cpu',
      'onnxruntime:t1',
      'onnxruntime:t2',
    ]) {
      const r = shape.results.find((e) => e.engine === name);
      assert.ok(r, `${name} missing`);
      assert.equal(r.status, 'ok', `${name}: ${r.note}`);
      assert.ok((r.maxAbsDiff ?? Infinity) < 1e-5, `${name} max|diff| ${r.maxAbsDiff}`);
      assert.ok((r.ms?.count ?? 0) >= 3, '(r.ms?.count ?? 0) >= 3');
      assert.ok((r.gflops ?? 0) > 0, '(r.gflops ?? 0) > 0');
    }
    const target = results.depthwise?.target.shapes[0];
    assert.equal(target?.shape, 'mnv1-dw-112x32-s1');
    assert.equal(target?.met, (target?.ratio ?? 0) >= 1.5);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
