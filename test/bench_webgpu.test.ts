// `npm run bench -- --sections webgpu` end to end on one small shape (SwiftShader here: the timings mean
// nothing, the run must work): all three engines (convkit, tfjs-backend-webgpu, onnxruntime-web's WebGPU
// execution provider) agree with the reference and the adapter is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResults } from '../bench/results.js';

test('the webgpu bench section runs convkit:webgpu, tfjs-webgpu and ort-webgpu and names the adapter', () => {
  const out = mkdtempSync(join(tmpdir(), 'convkit-bench-webgpu-'));
  try {
    const args = ['--sections', 'webgpu', '--shapes', 'seed-5x5-s2', '--budget', '5', '--out', out];
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /== conv2d on WebGPU/, 'the section heading');
    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
    assert.ok(results.webgpu, 'latest.json has the webgpu section');
    assert.ok(!/^no WebGPU adapter/.test(results.webgpu.adapter), `adapter: ${results.webgpu.adapter}`);
    assert.match(
      run.stdout,
      new RegExp(`WebGPU adapter: ${results.webgpu.adapter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      'printed',
    );
    const engines = results.webgpu.shapes[0].results;
    assert.deepEqual(
      engines.map((e) => e.engine),
      ['convkit:webgpu', 'tfjs-webgpu', 'ort-webgpu'],
      'engines',
    );
    for (const e of engines) {
      assert.equal(e.status, 'ok', `${e.engine}: ${e.note}`);
      assert.ok((e.maxAbsDiff ?? Infinity) < 1e-4, `${e.engine} max|diff| ${e.maxAbsDiff}`);
      assert.ok((e.ms?.count ?? 0) >= 3, `${e.engine} timed`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
