/**
 * convkit's engine in a browser: a small page (test/web/engine_page/, built with Vite from the sources)
 * served cross-origin isolated on 127.0.0.1 and driven in Debian's Chromium with playwright-core.
 * Checks that WebAssembly SIMD is used there, that igemm, Winograd (3x3, 5x5, and 7x7 stride 2 through
 * space-to-depth), the FFT and depthwise agree with the direct loop, and that conv2dAsync runs on Web
 * Workers and gives the same bits as one thread.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { openTestPage, type TestPage } from './test_page.js';
import type { EngineChecks } from './engine_page/main.js';

const PAGE = fileURLToPath(new URL('./engine_page/', import.meta.url));

let opened: TestPage;
let checks: EngineChecks;

before(async () => {
  opened = await openTestPage(PAGE, { name: 'engine', isolated: true });
  await opened.page.waitForFunction(() => 'runEngineChecks' in window);
  checks = await opened.page.evaluate(() =>
    (window as unknown as { runEngineChecks: () => Promise<EngineChecks> }).runEngineChecks(),
  );
});

after(() => opened?.close());

test('the page is cross-origin isolated and runs the WebAssembly SIMD kernels', () => {
  assert.equal(checks.crossOriginIsolated, true);
  assert.match(checks.wasmVariant, /simd/);
});

test('igemm, Winograd (3x3, 5x5, 7x7 stride 2) and the FFT agree with the direct loop in the browser', () => {
  assert.equal(checks.algorithms.length, 5);
  for (const c of checks.algorithms) {
    assert.equal(c.planned, c.name.split(' ')[0], `${c.name}: planned ${c.planned}`);
    assert.ok(c.relativeError <= 1e-4, `${c.name}: relative error ${c.relativeError}`);
  }
  const stem = checks.algorithms.find((c) => c.name.includes('space-to-depth'));
  assert.match(stem?.kernel ?? '', /^f32-winograd-4x4-4x4-wasm/);
  assert.ok(checks.depthwiseError <= 1e-5, `depthwise: relative error ${checks.depthwiseError}`);
});

test('conv2dAsync computes on Web Workers, with the same bits as one thread', () => {
  assert.ok(checks.async.workerCalls > 0, `worker calls: ${checks.async.workerCalls}`);
  assert.equal(checks.async.sameBits, true);
  assert.ok(checks.async.relativeError <= 1e-5, `relative error ${checks.async.relativeError}`);
  assert.deepEqual(opened.problems, []);
});
