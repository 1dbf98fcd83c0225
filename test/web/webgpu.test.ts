/**
 * convkit's WebGPU backend in a browser: a small page (test/web/webgpu_page/, built with Vite from the
 * sources) served on 127.0.0.1 (a secure context, which navigator.gpu needs) and driven in Debian's
 * Chromium with --enable-unsafe-webgpu (SwiftShader without a GPU). Checks that the backend finds
 * navigator.gpu, that every GPU op agrees with the CPU op and TensorFlow's literal case, and that the bundle holds nothing of the
 * Node-only `webgpu` package.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestPage, type TestPage } from './test_page.js';
import type { WebGPUChecks } from './webgpu_page/main.js';

const PAGE = fileURLToPath(new URL('./webgpu_page/', import.meta.url));

let opened: TestPage;
let checks: WebGPUChecks;

before(async () => {
  opened = await openTestPage(PAGE, { name: 'webgpu', webgpu: true });
  await opened.page.waitForFunction(() => 'runWebGPUChecks' in window);
  checks = await opened.page.evaluate(() =>
    (window as unknown as { runWebGPUChecks: () => Promise<WebGPUChecks> }).runWebGPUChecks(),
  );
});

after(() => opened?.close());

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
  assert.deepEqual(opened.problems, [], 'no page errors');
});

test("the browser bundle holds nothing of the Node-only 'webgpu' package", () => {
  const files = readdirSync(opened.outDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.js'),
  );
  assert.ok(files.length > 0, 'the build wrote JavaScript');
  for (const file of files) {
    const text = readFileSync(join(opened.outDir, file), 'utf8');
    assert.ok(!/dawn\.node|node-webgpu/i.test(text), `${file} must not bundle Dawn`);
  }
});
