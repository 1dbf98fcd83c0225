/**
 * The model runtime in a browser: a page built with Vite from the sources, served on 127.0.0.1 with a
 * saved model beside it, driven in Debian's Chromium. loadLayersModel fetches model.json and its shard
 * by URL, and predict / predictAsync give Node's values on WebAssembly SIMD; predictAsync on two threads
 * runs igemm on Web Workers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestPage, type TestPage } from './test_page.js';
import type { RuntimeChecks } from './runtime_page/main.js';
import { saveTfjsLayersModel } from '../../src/io/tfjs_layers_files.js';
import { loadLayersModel } from '../../src/runtime/index.js';
import { createLenet } from '../../src/train/lenet.js';
import { randomNormal } from '../../src/tensor.js';

const PAGE = fileURLToPath(new URL('./runtime_page/', import.meta.url));

let opened: TestPage;
let checks: RuntimeChecks;
let expected: Float32Array;

before(async () => {
  opened = await openTestPage(PAGE, {
    name: 'runtime',
    isolated: true,
    consoleErrors: false,
    prepare: async (outDir) => {
      // The model the page loads, and Node's prediction for the page's input.
      saveTfjsLayersModel(createLenet({ seed: 9, hiddenUnits: 16 }), join(outDir, 'model'));
      const nodeModel = await loadLayersModel(join(outDir, 'model'));
      expected = nodeModel.predict(randomNormal([2, 28, 28, 1], { seed: 7 })).data;
    },
  });
  await opened.page.waitForFunction(() => 'runRuntimeChecks' in window);
  checks = await opened.page.evaluate(
    (url) =>
      (window as unknown as { runRuntimeChecks: (u: string) => Promise<RuntimeChecks> }).runRuntimeChecks(
        url,
      ),
    `${opened.url.replace(/\/?$/, '/')}model/model.json`,
  );
});

after(() => opened?.close());

test('loadLayersModel fetches a model by URL in the browser and predicts what Node predicts', () => {
  assert.deepEqual(opened.problems, [], 'no page errors');
  assert.notEqual(checks.wasmVariant, 'none', 'WebAssembly SIMD is used');
  assert.deepEqual(checks.inputShape, [null, 28, 28, 1], 'input shape');
  assert.equal(checks.output.length, expected.length, 'output size');
  const worst = Math.max(...checks.output.map((v, i) => Math.abs(v - expected[i])));
  assert.ok(worst < 1e-6, `browser vs Node: ${worst}`);
  assert.deepEqual(checks.asyncOutput, checks.output, "predictAsync gives predict's values");
  assert.deepEqual(checks.workersOutput, checks.output, 'predictAsync on two threads gives the same values');
  assert.ok(checks.workerCalls > 0, `Web Workers ran kernel calls: ${checks.workerCalls}`);
  assert.ok(checks.summaryHasTable, 'summary renders');
  assert.match(checks.missingError, /answered HTTP 404/, 'a missing model.json is a clear error');
});
