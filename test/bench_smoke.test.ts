// `npm run bench` end to end on the smallest shape with a tiny budget: every engine runs, agrees with
// the reference, and the results files are written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResults } from '../bench/results.js';

function bench(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { encoding: 'utf8' });
}

test('the bench runs every engine on one shape and writes latest.json and latest.svg', () => {
  const out = mkdtempSync(join(tmpdir(), 'convkit-bench-'));
  try {
    const run = bench(['--quick', '--shapes', 'seed-5x5-s2', '--budget', '5', '--out', out]);
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
    assert.deepEqual(
      results.shapes.map((s) => s.name),
      ['seed-5x5-s2'],
    );
    const engines = results.shapes[0].results;
    for (const name of [
      'convkit:direct',
      'convkit:im2col',
      'tfjs-wasm',
      'tfjs-cpu',
      'onnxruntime:t1',
      'onnxruntime:t2',
    ]) {
      const r = engines.find((e) => e.engine === name);
      assert.ok(r, `${name} missing`);
      assert.equal(r.status, 'ok', `${name}: ${r.note}`);
      assert.ok((r.maxAbsDiff ?? Infinity) < 1e-4, `${name} max|diff| ${r.maxAbsDiff}`);
      assert.ok((r.ms?.count ?? 0) >= 3);
      assert.ok((r.gflops ?? 0) > 0);
    }
    assert.equal(results.shapes[0].flops, 2 * 3 * 3 * 7 * 3 * 3 * 5);
    assert.ok(results.machine.cores >= 1);
    assert.match(readFileSync(join(out, 'latest.svg'), 'utf8'), /^<\?xml[\s\S]*<\/svg>\n$/);
    assert.match(run.stdout, /seed-5x5-s2\s+convkit:direct/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('an unknown shape name fails with a message that lists the known shapes', () => {
  const run = bench(['--shapes', 'no-such-shape', '--out', join(tmpdir(), 'convkit-bench-unused')]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /unknown shape "no-such-shape"; known shapes: seed-5x5-s2, /);
});
