/**
 * convkit's WebGPU backend in a browser: a small page (test/web/webgpu_page/, built with Vite from the
 * sources) served on 127.0.0.1 (a secure context, which navigator.gpu needs) and driven in Debian's
 * Chromium with --enable-unsafe-webgpu (SwiftShader without a GPU). Checks that the backend finds
 * navigator.gpu, that every GPU op agrees with the CPU op and TensorFlow's literal case, and that the bundle holds nothing of the
 * Node-only `webgpu` package.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { Browser } from 'playwright-core';
import { serveDirectory } from '../../web/static_server.mjs';
import { launchChromium } from './chromium.js';
import type { WebGPUChecks } from './webgpu_page/main.js';

const PAGE = fileURLToPath(new URL('./webgpu_page/', import.meta.url));

let outDir = '';
let server: Server | undefined;
let browser: Browser | undefined;
let checks: WebGPUChecks;
const problems: string[] = [];

before(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'convkit-webgpu-'));
  await build({
    root: PAGE,
    configFile: false,
    base: './',
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
    logLevel: 'error',
  });
  const served = await serveDirectory(outDir);
  server = served.server;
  browser = await launchChromium({ webgpu: true });
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(served.url);
  await page.waitForFunction(() => 'runWebGPUChecks' in window);
  checks = await page.evaluate(() =>
    (window as unknown as { runWebGPUChecks: () => Promise<WebGPUChecks> }).runWebGPUChecks(),
  );
});

after(async () => {
  await browser?.close();
  server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

test("the WebGPU backend runs on navigator.gpu in Chromium: every op agrees with the CPU op, and TF's literal case", () => {
  assert.equal(checks.hasNavigatorGpu, true, 'navigator.gpu');
  assert.match(checks.adapterName, /swiftshader|google|\w/i, `adapter: ${checks.adapterName}`);
  const names = Object.keys(checks.errors);
  assert.equal(names.length, 6, `ops checked: ${names.join(', ')}`);
  for (const [name, error] of Object.entries(checks.errors)) {
    assert.ok(error <= 1e-5, `${name}: relative error ${error}`);
  }
  for (const [kernel, values] of Object.entries(checks.tfLiteral)) {
    assert.deepEqual(values, [2271, 2367, 2463, 2901, 3033, 3165], `TF's testConv2D2x2Filter on ${kernel}`);
  }
  assert.deepEqual(Object.keys(checks.tfLiteral), ['direct', 'igemm'], 'both kernels ran the literal case');
  assert.deepEqual(problems, [], 'no page errors');
});

test("the browser bundle holds nothing of the Node-only 'webgpu' package", () => {
  const files = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  assert.ok(files.length > 0, 'the build wrote JavaScript');
  for (const file of files) {
    const text = readFileSync(join(outDir, file), 'utf8');
    assert.ok(!/dawn\.node|node-webgpu/i.test(text), `${file} must not bundle Dawn`);
  }
});
