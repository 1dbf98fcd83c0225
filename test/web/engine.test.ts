/**
 * convkit's engine in a browser: a small page (test/web/engine_page/, built with Vite from the sources)
 * served cross-origin isolated on 127.0.0.1 and driven in Debian's Chromium with playwright-core.
 * Checks that WebAssembly SIMD is used there, that igemm, Winograd (3x3, 5x5, and 7x7 stride 2 through
 * space-to-depth), the FFT and depthwise agree with the direct loop, and that conv2dAsync runs on Web
 * Workers and gives the same bits as one thread.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { Browser } from 'playwright-core';
import { serveDirectory } from '../../web/static_server.mjs';
import { launchChromium } from './chromium.js';
import type { EngineChecks } from './engine_page/main.js';

const PAGE = fileURLToPath(new URL('./engine_page/', import.meta.url));

let outDir = '';
let server: Server | undefined;
let browser: Browser | undefined;
let checks: EngineChecks;
const problems: string[] = [];

before(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'convkit-engine-'));
  await build({
    root: PAGE,
    configFile: false,
    base: './',
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
    // 'error': the worker pool's dynamic import of node:worker_threads is reported as a (harmless) warning.
    logLevel: 'error',
  });
  const served = await serveDirectory(outDir, { isolated: true });
  server = served.server;
  browser = await launchChromium();
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(served.url);
  await page.waitForFunction(() => 'runEngineChecks' in window);
  checks = await page.evaluate(() =>
    (window as unknown as { runEngineChecks: () => Promise<EngineChecks> }).runEngineChecks(),
  );
});

after(async () => {
  await browser?.close();
  server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

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
  assert.deepEqual(problems, []);
});
