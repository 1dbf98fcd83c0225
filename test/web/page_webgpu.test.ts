/**
 * The explainer page on WebGPU (issue 13, item 4): in Chromium with --enable-unsafe-webgpu (SwiftShader)
 * the page computes the output it shows on WebGPU, says so naming the adapter, and shows values equal to
 * the CPU's; in the default Chromium (no WebGPU) it computes on the CPU and says why. Failures (a lost
 * device, a refused device, values that disagree) fall back to the CPU's values with the reason. The CPU
 * oracle is the same page in a browser without WebGPU, and the seed's hand-worked 14, 6, 6, 12.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { serveDirectory } from '../../web/static_server.mjs';
import { launchChromium } from './chromium.js';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
const SHOTS = join(WEB, 'test-results');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
/** SwiftShader compiles the first shaders in seconds, on a machine shared with other work. */
const GPU_WAIT_MS = 120_000;
/** Random values (normal, seeded), strides and SAME padding: outputs with fractions in every digit. */
const RANDOM = '?input=1,7,6,3&filter=3,3,3,4&strides=2,1&padding=SAME&seed=7&dist=normal';

let outDir = '';
let server: Server | undefined;
let baseUrl = '';
let gpuBrowser: Browser | undefined;
let cpuBrowser: Browser | undefined;
/** The page without WebGPU: the CPU's values for any address. */
let cpuPage: Page;
/** Console errors and uncaught exceptions of the pages that must run cleanly. */
const problems: string[] = [];

before(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'convkit-web-gpu-'));
  await build({
    root: WEB,
    configFile: join(WEB, 'vite.config.ts'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'error',
  });
  ({ server, url: baseUrl } = await serveDirectory(outDir));
  gpuBrowser = await launchChromium({ webgpu: true });
  cpuBrowser = await launchChromium();
  cpuPage = await newPage(cpuBrowser, DESKTOP);
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await gpuBrowser?.close();
  await cpuBrowser?.close();
  server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function newPage(browser: Browser | undefined, viewport = DESKTOP, watched = true): Promise<Page> {
  if (!browser) throw new Error('browser not started');
  const p = await browser.newPage({ viewport });
  p.setDefaultTimeout(10_000);
  if (watched) {
    p.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  }
  return p;
}

async function open(p: Page, query = ''): Promise<void> {
  await p.goto(baseUrl + query);
  await p.waitForSelector('[data-testid=output-shape]');
}

/** Waits until the indicator has left "computing" and returns its words. */
async function settled(p: Page): Promise<{ headline: string; detail: string; error?: string }> {
  await p.waitForFunction(
    () => document.querySelector('.computed-on')?.getAttribute('data-on') !== 'pending',
    undefined,
    { timeout: GPU_WAIT_MS },
  );
  // No helper functions inside: tsx would name them with a __name the page does not have.
  const [headline, detail, error] = await p.evaluate(() => [
    document.querySelector('[data-testid=computed-on]')?.textContent ?? '',
    document.querySelector('[data-testid=computed-on-detail]')?.textContent ?? '',
    document.querySelector('.computed-on')?.getAttribute('data-error') ?? undefined,
  ]);
  const words = (text: string): string => text.replace(/\s+/g, ' ').trim();
  return { headline: words(headline ?? ''), detail: words(detail ?? ''), error };
}

async function outputTexts(p: Page): Promise<string[]> {
  return (await p.locator('[data-testid=output-cell]').allInnerTexts()).map((t) => t.trim());
}

/** The output cells the page without WebGPU shows for the same address. */
async function cpuOutputTexts(query: string): Promise<string[]> {
  await open(cpuPage, query);
  const on = await settled(cpuPage);
  assert.match(on.headline, /^Computed on the CPU/, `the CPU page: ${on.headline}`);
  return outputTexts(cpuPage);
}

/**
 * Asserts that the outputs shown from WebGPU's values are the CPU's: each within the backend's 1e-5 of
 * the output's scale, plus the 0.001 by which two values that close can round apart in a cell's three
 * decimals (e.g. -11.9465 +- 1e-6).
 */
function assertShownAsCpu(shown: string[], cpu: string[]): void {
  assert.equal(shown.length, cpu.length, `${shown.length} outputs shown, the CPU's page ${cpu.length}`);
  const scale = Math.max(...cpu.map((t) => Math.abs(Number(t))));
  const bound = 1e-5 * scale + 1e-3;
  for (let i = 0; i < cpu.length; i++) {
    const [a, b] = [Number(shown[i]), Number(cpu[i])];
    assert.ok(Math.abs(a - b) <= bound, `output ${i}: ${shown[i]}, the CPU's ${cpu[i]} (bound ${bound})`);
  }
}

/** The adapter's own description, as the page's JavaScript sees it. */
async function adapterDescription(p: Page): Promise<string> {
  return p.evaluate(async () => {
    // `info` is newer than the GPUAdapter typings installed here.
    const adapter = (await navigator.gpu.requestAdapter()) as { info?: Partial<GPUAdapterInfo> } | null;
    return adapter?.info?.description || adapter?.info?.vendor || '';
  });
}

test('with WebGPU the worked example is computed on WebGPU, naming the adapter: outputs 14, 6, 6, 12', async () => {
  const page = await newPage(gpuBrowser);
  await open(page);
  const on = await settled(page);
  const adapter = await adapterDescription(page);
  assert.ok(adapter.length > 0, 'Chromium --enable-unsafe-webgpu gives an adapter');
  assert.match(on.headline, /^Computed on WebGPU \(.+\)$/, `indicator: ${on.headline}`);
  assert.ok(on.headline.includes(adapter), `indicator names the adapter "${adapter}": ${on.headline}`);
  assert.match(
    on.detail,
    /^conv2d_\w+; agrees with the CPU to 0 of the output’s scale \(1e-5 allowed\)$/,
    `detail: ${on.detail}`,
  );
  assert.deepEqual(await outputTexts(page), ['14', '6', '6', '12']);
  assert.equal(on.error, '0', 'whole numbers: WebGPU gives exactly the CPU’s sums');
  // The explanation stays the CPU's exact account.
  await page.locator('[data-testid=output-cell][data-index="0,1,1,0"]').click();
  assert.match(
    await page.locator('[data-testid=breakdown]').innerText(),
    /1×1 \+ 0×0 \+ 1×1 \+ 2×2 \+ 4×1 \+ 1×0 \+ 1×0 \+ 0×0 \+ 2×1 = 12/,
  );
  assert.match((await settled(page)).headline, /^Computed on WebGPU/, 'a pin keeps WebGPU’s values');
  await page.close();
  assert.deepEqual(problems, []);
});

test('with WebGPU, random values are shown equal to the CPU’s, within the documented tolerance', async () => {
  const page = await newPage(gpuBrowser);
  await open(page, RANDOM);
  const on = await settled(page);
  assert.match(on.headline, /^Computed on WebGPU \(.+\)$/, `indicator: ${on.headline}`);
  const error = Number(on.error);
  assert.ok(error >= 0 && error <= 1e-5, `WebGPU vs CPU: ${on.error} of the output's scale`);
  const shown = await outputTexts(page);
  assert.equal(shown.length, 4 * 6 * 4, 'every output of 1 x 4 x 6 x 4 is drawn');
  assertShownAsCpu(shown, await cpuOutputTexts(RANDOM));
  await page.close();
  assert.deepEqual(problems, []);
});

test('pinning an output of a large problem keeps WebGPU’s values, without computing again', async () => {
  // 14 x 14 x 8 outputs of 72 products each: too many to break down at once, so a pin asks the CPU
  // for that output's breakdown (a new model of the same computation).
  const query = '?input=1,16,16,8&filter=3,3,8,8&strides=1,1&padding=VALID&seed=2&dist=normal';
  const page = await newPage(gpuBrowser);
  await open(page, query);
  const on = await settled(page);
  assert.match(on.headline, /^Computed on WebGPU/, `indicator: ${on.headline}`);
  const before = await outputTexts(page);
  await page.locator('[data-testid=output-cell][data-index="0,5,7,0"]').click();
  await page.waitForSelector('[data-testid=breakdown] .term');
  assert.equal(await page.locator('.computed-on').getAttribute('data-on'), 'webgpu', 'no "computing" step');
  assert.equal((await settled(page)).error, on.error, 'the same WebGPU result');
  assert.deepEqual(await outputTexts(page), before);
  assertShownAsCpu(before, await cpuOutputTexts(query));
  await page.close();
  assert.deepEqual(problems, []);
});

test('rapid changes: only the newest settings’ WebGPU result is shown', async () => {
  const page = await newPage(gpuBrowser);
  await open(page, RANDOM);
  // In one task, so no answer can come between them: record every headline the indicator shows, then
  // make three changes. The page's first computation (if it still runs) and the first two changes' are
  // superseded while WebGPU works.
  await page.evaluate(() => {
    const headline = document.querySelector('[data-testid=computed-on]') as HTMLElement;
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => seen.push(headline.textContent ?? '')).observe(headline, {
      childList: true,
      characterData: true,
      subtree: true,
    });
    for (const [id, value, event] of [
      ['stride-h', '1', 'input'],
      ['stride-w', '2', 'input'],
      ['padding', 'VALID', 'change'],
    ]) {
      const field = document.querySelector(`[data-testid=${id}]`) as HTMLInputElement;
      field.value = value;
      field.dispatchEvent(new Event(event, { bubbles: true }));
    }
  });
  const on = await settled(page);
  assert.match(on.headline, /^Computed on WebGPU/, `indicator: ${on.headline}`);
  // No result of a superseded computation was ever shown: one WebGPU answer, the last one.
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  const answers = seen.filter((t) => !t.startsWith('Computing on WebGPU'));
  assert.equal(answers.length, 1, `headlines shown: ${seen.join(' | ')}`);
  const query = new URL(page.url()).search;
  assert.match(query, /strides=1,2&padding=VALID/, `the address has the last settings: ${query}`);
  // VALID, strides 1 x 2 on 7 x 6 with a 3 x 3 filter: 5 x 2 outputs of 4 channels.
  const shown = await outputTexts(page);
  assert.equal(shown.length, 5 * 2 * 4, 'the newest output shape is drawn');
  assertShownAsCpu(shown, await cpuOutputTexts(query));
  await page.close();
  assert.deepEqual(problems, []);
});

test('without WebGPU the page computes on the CPU and says why', async () => {
  const page = await newPage(cpuBrowser);
  await open(page);
  const on = await settled(page);
  const hasGpu = await page.evaluate(() => 'gpu' in navigator && Boolean(navigator.gpu));
  // Debian's Chromium with --disable-gpu: navigator.gpu gives no adapter (or is absent altogether).
  const why = hasGpu ? 'this browser’s WebGPU found no GPU to use' : 'this browser has no WebGPU';
  assert.equal(on.headline, `Computed on the CPU: ${why}`);
  assert.deepEqual(await outputTexts(page), ['14', '6', '6', '12']);
  // The answer is remembered: a new setting is on the CPU at once, without asking WebGPU again.
  await page.locator('[data-testid=padding]').selectOption('SAME');
  assert.equal(await page.locator('.computed-on').getAttribute('data-on'), 'cpu', 'no "computing" step');
  assert.equal((await settled(page)).headline, `Computed on the CPU: ${why}`);
  await page.close();
  assert.deepEqual(problems, []);
});

/** A page on the WebGPU browser with a script that breaks WebGPU before the page's own code runs. */
async function brokenGpuPage(breakIt: () => void): Promise<Page> {
  // Not watched: Chromium itself reports the broken device's errors on the console.
  const page = await newPage(gpuBrowser, DESKTOP, true);
  await page.addInitScript(breakIt);
  return page;
}

test('a device lost while computing falls back to the CPU, says so, and WebGPU is asked again next time', async () => {
  const page = await brokenGpuPage(() => {
    // The first device is destroyed as soon as it is made (as a driver reset would lose it).
    const request = GPUAdapter.prototype.requestDevice;
    let first = true;
    GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, ...args) {
      const device = await request.apply(this, args);
      if (first) device.destroy();
      first = false;
      return device;
    };
  });
  await open(page);
  const on = await settled(page);
  assert.equal(on.headline, 'Computed on the CPU: the GPU device was lost');
  assert.equal(on.detail, 'the next change asks WebGPU for a new device');
  assert.deepEqual(await outputTexts(page), ['14', '6', '6', '12']);
  await page.locator('[data-testid=padding]').selectOption('SAME');
  const again = await settled(page);
  assert.match(again.headline, /^Computed on WebGPU/, `a new device: ${again.headline}`);
  // SAME on 4 x 4 with a 3 x 3 filter: 4 x 4 outputs, the CPU's.
  assert.deepEqual(await outputTexts(page), await cpuOutputTexts(new URL(page.url()).search));
  await page.close();
  assert.deepEqual(problems, []);
});

test('a device lost between computations is replaced: the next one runs on WebGPU at once', async () => {
  const page = await brokenGpuPage(() => {
    const request = GPUAdapter.prototype.requestDevice;
    const devices: GPUDevice[] = [];
    (window as unknown as { devices: GPUDevice[] }).devices = devices;
    GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, ...args) {
      const device = await request.apply(this, args);
      devices.push(device);
      return device;
    };
  });
  await open(page);
  assert.match((await settled(page)).headline, /^Computed on WebGPU/);
  // The page's device goes (as a GPU process crash would take it) while nothing is computing.
  await page.evaluate(async () => {
    const [device] = (window as unknown as { devices: GPUDevice[] }).devices;
    device.destroy();
    await device.lost;
  });
  await page.locator('[data-testid=padding]').selectOption('SAME');
  const on = await settled(page);
  assert.match(on.headline, /^Computed on WebGPU/, `indicator: ${on.headline} ${on.detail}`);
  const devices = await page.evaluate(() => (window as unknown as { devices: GPUDevice[] }).devices.length);
  assert.equal(devices, 2, 'a second device was asked for');
  assert.deepEqual(await outputTexts(page), await cpuOutputTexts(new URL(page.url()).search));
  await page.close();
  assert.deepEqual(problems, []);
});

test('an adapter that refuses a device leaves the CPU’s values, with the reason', async () => {
  const page = await brokenGpuPage(() => {
    GPUAdapter.prototype.requestDevice = () => Promise.reject(new Error('refused by the test'));
  });
  await open(page);
  const on = await settled(page);
  assert.equal(on.headline, 'Computed on the CPU: the GPU adapter refused a device');
  assert.match(on.detail, /refused by the test/);
  assert.deepEqual(await outputTexts(page), ['14', '6', '6', '12']);
  await page.close();
  assert.deepEqual(problems, []);
});

test('WebGPU values that disagree with the CPU’s are not shown: the CPU’s are, and the page says so', async () => {
  const page = await brokenGpuPage(() => {
    // Corrupts the input's upload (16 floats, the worked example's 4 x 4 image): x[0] + 100.
    const write = GPUQueue.prototype.writeBuffer;
    GPUQueue.prototype.writeBuffer = function (this: GPUQueue, buffer, offset, data, ...rest) {
      if (data instanceof Float32Array && data.length === 16) {
        const changed = Float32Array.from(data);
        changed[0] += 100;
        return write.call(this, buffer, offset, changed, ...rest);
      }
      return write.call(this, buffer, offset, data, ...rest);
    };
  });
  await open(page);
  const on = await settled(page);
  assert.match(on.headline, /^Computed on the CPU: WebGPU \(.+\) disagreed$/, `indicator: ${on.headline}`);
  assert.match(on.detail, /more than the 1e-5 allowed; the CPU’s values are shown/, `detail: ${on.detail}`);
  // The corrupted x[0] feeds output 0 only (times the filter's weight 1): WebGPU said 114.
  assert.deepEqual(await outputTexts(page), ['14', '6', '6', '12']);
  await page.close();
  assert.deepEqual(problems, []);
});

test('screenshots of the indicator at 1280 and 375 px', async () => {
  for (const [name, viewport] of [
    ['1280', DESKTOP],
    ['375', PHONE],
  ] as const) {
    const page = await newPage(gpuBrowser, viewport);
    await open(page, RANDOM);
    assert.match((await settled(page)).headline, /^Computed on WebGPU/);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `page is ${width}px wide at ${viewport.width}px`);
    await page.locator('#views').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `computed-on-webgpu-${name}.png`) });
    await page.close();
    const cpu = await newPage(cpuBrowser, viewport);
    await open(cpu, RANDOM);
    await settled(cpu);
    await cpu.locator('#views').scrollIntoViewIfNeeded();
    await cpu.screenshot({ path: join(SHOTS, `computed-on-cpu-${name}.png`) });
    await cpu.close();
  }
  assert.deepEqual(problems, []);
});
