/**
 * Browser tests of the explainer page: build it with Vite, serve it on 127.0.0.1, drive Debian's
 * Chromium with playwright-core. Expected numbers are the seed's hand-worked ones (14, 6, 6, 12 and
 * their products) or worked out by hand in the comments. Screenshots go to web/test-results/.
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

let outDir = '';
let server: Server | undefined;
let baseUrl = '';
let browser: Browser | undefined;
let page: Page;
/** Console errors and uncaught exceptions of every page, checked at the end. */
const problems: string[] = [];

before(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'convkit-web-'));
  await build({
    root: WEB,
    configFile: join(WEB, 'vite.config.ts'),
    build: { outDir, emptyOutDir: true },
    // 'error': the worker pool's dynamic import of node:worker_threads is reported as a (harmless) warning.
    logLevel: 'error',
  });
  ({ server, url: baseUrl } = await serveDirectory(outDir));
  browser = await launchChromium();
  page = await newPage(DESKTOP);
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function newPage(viewport: { width: number; height: number }): Promise<Page> {
  if (!browser) throw new Error('browser not started');
  const p = await browser.newPage({ viewport });
  p.setDefaultTimeout(8000);
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return p;
}

async function open(query = ''): Promise<void> {
  await page.goto(baseUrl + query);
  await page.waitForSelector('[data-testid=output-shape], [data-testid=error]');
}

async function outputTexts(): Promise<string[]> {
  return (await page.locator('[data-testid=output-cell]').allInnerTexts()).map((t) => t.trim());
}

const text = async (testId: string): Promise<string> =>
  (await page.locator(`[data-testid=${testId}]`).innerText()).replace(/\s+/g, ' ').trim();

test('the page loads the worked example by default: outputs 14, 6, 6, 12', async () => {
  await open();
  assert.deepEqual(await outputTexts(), ['14', '6', '6', '12']);
  assert.equal(await text('output-shape'), '1 × 2 × 2 × 1');
  assert.equal(await page.locator('[data-testid=preset]').inputValue(), 'worked');
  // Stepping moves the window to the next output.
  await page.getByTestId('step-next').click();
  assert.match(await text('stage-status'), /^output\[0, 0, 1, 0\] = 6 /);
  assert.deepEqual(problems, []);
});

test('clicking an output shows its nine products (the seed’s hand-worked sums)', async () => {
  await open();
  await page.locator('[data-testid=output-cell][data-index="0,0,0,0"]').click();
  assert.match(await text('breakdown'), /4×1 \+ 3×0 \+ 1×1 \+ 2×2 \+ 1×1 \+ 0×0 \+ 1×0 \+ 2×0 \+ 4×1 = 14/);
  assert.equal(await page.locator('[data-testid=breakdown] .term').count(), 9);
  // Hovering a product lights up its input cell (4, top-left) and its weight.
  await page.locator('[data-testid=breakdown] .term').first().hover();
  const hot = await page.locator('#stage .cell.hot').allInnerTexts();
  assert.deepEqual(
    hot.map((t) => t.trim()),
    ['4', '1'],
  );
  await page.locator('[data-testid=output-cell][data-index="0,1,1,0"]').click();
  assert.match(await text('breakdown'), /1×1 \+ 0×0 \+ 1×1 \+ 2×2 \+ 4×1 \+ 1×0 \+ 1×0 \+ 0×0 \+ 2×1 = 12/);
  assert.match(page.url(), /[?&]pin=0,1,1,0(&|$)/);
  // Keyboard: the output cells are buttons, so Enter pins one too.
  await page.locator('[data-testid=output-cell][data-index="0,0,1,0"]').focus();
  await page.keyboard.press('Enter');
  assert.match(await text('breakdown'), /3×1 \+ 1×0 \+ 0×1 \+ 1×2 \+ 0×1 \+ 1×0 \+ 2×0 \+ 4×0 \+ 1×1 = 6/);
});

test('changing the stride changes the output shape, the formula and the URL', async () => {
  await open();
  await page.locator('[data-testid=stride-h]').fill('2');
  await page.locator('[data-testid=stride-w]').fill('2');
  // VALID: ceil((4 - 3 + 1) / 2) = 1 on both axes.
  assert.equal(await text('output-shape'), '1 × 1 × 1 × 1');
  assert.match(await text('output-formula'), /ceil\(\(4 - 3 \+ 1\) \/ 2\) = 1/);
  assert.match(page.url(), /[?&]strides=2,2(&|$)/);
  await page.locator('[data-testid=padding]').selectOption('SAME');
  // SAME: ceil(4 / 2) = 2.
  assert.equal(await text('output-shape'), '1 × 2 × 2 × 1');
  assert.match(await text('output-formula'), /ceil\(4 \/ 2\) = 2/);
  assert.match(page.url(), /[?&]padding=SAME(&|$)/);
});

test('an impossible setting shows convkit’s error in plain words, and a fix', async () => {
  await open();
  // A 7x7 filter on a 4x4 input: VALID gives trunc((4 - 7 + 1) / 1) = -2 rows, which TensorFlow refuses.
  await page.locator('[data-testid=filter-shape]').fill('7, 7, 1, 1');
  await page.locator('[data-testid=filter-shape]').press('Enter');
  await page.waitForSelector('[data-testid=error]');
  assert.match(await text('error-message'), /negative output height/);
  assert.match(await text('error-words'), /does not fit/);
  await page.locator('[data-testid=error]').screenshot({ path: join(SHOTS, 'error-1280.png') });
  // The settings stay usable: the fix button switches to SAME and the page comes back.
  await page.getByRole('button', { name: 'Use SAME padding' }).click();
  assert.equal(await text('output-shape'), '1 × 4 × 4 × 1');
  assert.equal(await page.locator('[data-testid=error]').count(), 0);

  await page.locator('[data-testid=stride-h]').fill('0');
  await page.waitForSelector('[data-testid=error]');
  assert.match(await text('error-message'), /strides/);
  assert.deepEqual(problems, []);
});

test('the URL state loads exactly', async () => {
  // 5x5 input holding 1..25, filter [3,3,1,2]: ones for filter 0, zeros for filter 1.
  const x = Array.from({ length: 25 }, (_, i) => i + 1).join(',');
  const w = Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? 1 : 0)).join(',');
  const query = `?input=1,5,5,1&filter=3,3,1,2&strides=2,1&padding=1,0,2,1&dilations=1,2&x=${x}&w=${w}`;
  await open(query);
  assert.equal(new URL(page.url()).search, query);
  assert.equal(await page.locator('[data-testid=input-shape]').inputValue(), '1, 5, 5, 1');
  assert.equal(await page.locator('[data-testid=filter-shape]').inputValue(), '3, 3, 1, 2');
  assert.equal(await page.locator('[data-testid=stride-h]').inputValue(), '2');
  assert.equal(await page.locator('[data-testid=stride-w]').inputValue(), '1');
  assert.equal(await page.locator('[data-testid=padding]').inputValue(), 'EXPLICIT');
  assert.equal(await page.locator('[data-testid=pad-left]').inputValue(), '2');
  assert.equal(await page.locator('[data-testid=dilation-w]').inputValue(), '2');
  // Height: floor((5 + 1 + 0 - 3) / 2) + 1 = 2. Width: effective filter (3 - 1) * 2 + 1 = 5,
  // floor((5 + 2 + 1 - 5) / 1) + 1 = 4.
  assert.equal(await text('output-shape'), '1 × 2 × 4 × 2');
  // output[0,0,0,0]: rows -1..1 and columns -2, 0, 2 of the input; inside are rows 0-1, columns 0 and 2:
  // 1 + 3 + 6 + 8 = 18. Filter 1 is all zeros.
  assert.equal(await page.locator('[data-testid=output-cell][data-index="0,0,0,0"]').innerText(), '18');
  assert.equal(await page.locator('[data-testid=output-cell][data-index="0,0,0,1"]').innerText(), '0');

  await open(
    '?input=1,1,3,3&filter=2,2,1,1&strides=1,1&padding=VALID&format=NCHW&x=1,2,3,4,5,6,7,8,9&w=1,1,1,1',
  );
  assert.equal(await page.locator('[data-testid=format]').inputValue(), 'NCHW');
  // 3x3 input 1..9, 2x2 ones: 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28.
  assert.deepEqual(await outputTexts(), ['12', '16', '24', '28']);
  assert.equal(await text('output-shape'), '1 × 1 × 2 × 2');
});

test('switching NHWC to NCHW keeps the image; pasted numbers are used as given', async () => {
  // Two channels: pixel values 1..4 in channel 0 and 10..40 in channel 1; a 1x1 filter adding them.
  await open('?input=1,2,2,2&filter=1,1,2,1&strides=1,1&padding=VALID&x=1,10,2,20,3,30,4,40&w=1,1');
  assert.deepEqual(await outputTexts(), ['11', '22', '33', '44']);
  await page.getByTestId('format').selectOption('NCHW');
  assert.equal(await page.getByTestId('input-shape').inputValue(), '1, 2, 2, 2');
  assert.deepEqual(await outputTexts(), ['11', '22', '33', '44']);
  assert.match(page.url(), /[?&]x=1,2,3,4,10,20,30,40(&|$)/);
  assert.match(page.url(), /[?&]format=NCHW(&|$)/);

  await open();
  await page.locator('details.paste summary').click();
  // Input 1..16 and a filter that picks the centre: the VALID outputs are the inner pixels 6, 7, 10, 11.
  await page.getByTestId('x-values').fill('1 2 3 4\n5 6 7 8\n9 10 11 12\n13 14 15 16');
  await page.getByTestId('w-values').fill('[[0, 0, 0], [0, 1, 0], [0, 0, 0]]');
  await page.getByTestId('use-values').click();
  assert.deepEqual(await outputTexts(), ['6', '7', '10', '11']);
  // One number short: convkit's tensor() refuses, and the page says so.
  await page.getByTestId('x-values').fill('1 2 3 4 5 6 7 8 9 10 11 12 13 14 15');
  await page.getByTestId('use-values').click();
  assert.match(await text('error-message'), /needs 16 values but 15 were given/);
  assert.deepEqual(problems, []);
});

test('the Fourier view reproduces conv2d, and every preset from the seed runs', async () => {
  await open();
  assert.match(await text('fourier-check'), /^✓/);
  const presets = await page
    .locator('[data-testid=preset] option')
    .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
  assert.ok(presets.length >= 12, `expected every seed example as a preset, got ${presets.length}`);
  for (const id of presets) {
    await page.locator('[data-testid=preset]').selectOption(id);
    assert.equal(await page.locator('[data-testid=error]').count(), 0, `preset ${id} shows an error`);
  }
  // The last preset of the seed thread: [1,6,6,2] x [3,3,2,3] with SAME.
  assert.equal(await text('output-shape'), '1 × 6 × 6 × 3');
  await page.locator('[data-testid=preset]').selectOption('question');
  assert.equal(await text('output-shape'), '1 × 5 × 5 × 10');
  await page.locator('[data-testid=preset]').selectOption('batch');
  assert.equal(await text('output-shape'), '10 × 3 × 3 × 7');
  assert.deepEqual(problems, []);
});

test('screenshots of every view at 1280x800 and of the page at phone width', async () => {
  await open('?input=1,5,5,2&filter=3,3,2,2&strides=2,2&padding=SAME&seed=3&pin=0,1,0,1');
  for (const id of ['stage', 'shape', 'centres', 'im2col', 'fourier', 'layouts', 'code']) {
    const view = page.locator(`#${id}`);
    await view.scrollIntoViewIfNeeded();
    await view.screenshot({ path: join(SHOTS, `${id}-1280.png`) });
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, 'page-1280.png') });
  await page.getByTestId('sample-image').click();
  assert.equal(await text('output-shape'), '1 × 32 × 32 × 1');
  await page.locator('#stage').screenshot({ path: join(SHOTS, 'image-1280.png') });

  const phone = await newPage(PHONE);
  await phone.goto(baseUrl);
  await phone.waitForSelector('[data-testid=output-shape]');
  // Nothing may stick out sideways at phone width.
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `page is ${width}px wide at ${PHONE.width}px`);
  await phone.screenshot({ path: join(SHOTS, 'page-375.png') });
  await phone.locator('#stage').screenshot({ path: join(SHOTS, 'stage-375.png') });
  await phone.screenshot({ path: join(SHOTS, 'page-375-full.png'), fullPage: true });
  await phone.close();
  assert.deepEqual(problems, []);
});

test('pasted numbers that are not numbers are refused inline, naming the entry', async () => {
  await open();
  await page.locator('details.paste summary').click();
  // The worked example's input with its 7th number mistyped.
  const typed = '4 3 1 0 2 1 abc 1 1 2 4 1 3 1 0 2';
  await page.getByTestId('x-values').fill(typed);
  await page.getByTestId('use-values').click();
  assert.equal(await text('x-values-error'), 'Input values: "abc" (entry 7 of 16) is not a number.');
  assert.equal(await page.getByTestId('x-values').getAttribute('aria-invalid'), 'true');
  // Nothing was used: the outputs stay, the box keeps what was typed, the link holds no NaN.
  assert.deepEqual(await outputTexts(), ['14', '6', '6', '12']);
  assert.equal(await page.getByTestId('x-values').inputValue(), typed);
  assert.doesNotMatch(page.url(), /NaN/);

  // A number float32 cannot hold is named as such; the input box, now right, loses its message.
  await page.getByTestId('x-values').fill(typed.replace('abc', '0'));
  await page.getByTestId('w-values').fill('1 1 1 1 1e400 1 1 1 1');
  await page.getByTestId('use-values').click();
  assert.match(
    await text('w-values-error'),
    /^Filter values: "1e400" \(entry 5 of 9\) is too large for float32/,
  );
  assert.equal(await page.getByTestId('x-values-error').isVisible(), false, 'the input box is fine now');
  assert.deepEqual(await outputTexts(), ['14', '6', '6', '12']);

  // Fixed: a 3x3 filter of ones sums each window: 4+3+1+2+1+0+1+2+4 = 18, 13, 14, 12.
  await page.getByTestId('w-values').fill('1 1 1 1 1 1 1 1 1');
  await page.getByTestId('use-values').click();
  assert.deepEqual(await outputTexts(), ['18', '13', '14', '12']);
  assert.equal(await page.getByTestId('w-values-error').isVisible(), false, 'no message once used');
  assert.deepEqual(problems, []);
});

test('a shape entry that is not a size is named under its field, and nothing changes', async () => {
  await open();
  await page.getByTestId('input-shape').fill('1, abc, 4, 1');
  await page.getByTestId('input-shape').press('Enter');
  assert.equal(
    await text('input-shape-error'),
    'Input shape: "abc" (entry 2 of 4) is not a size (a whole number >= 0).',
  );
  assert.equal(await page.getByTestId('input-shape').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await outputTexts(), ['14', '6', '6', '12']);
  assert.doesNotMatch(page.url(), /NaN|abc/);
  // Choosing an example writes a good shape back, and the message goes with the bad one.
  await page.locator('[data-testid=preset]').selectOption('channels-1x1');
  assert.equal(await page.getByTestId('input-shape').inputValue(), '1, 3, 3, 5');
  assert.equal(await page.getByTestId('input-shape-error').isVisible(), false, 'message cleared');
  assert.deepEqual(problems, []);
});

test('a shape with an empty entry ("1,,4,1") is named under its field, not read as 3 numbers', async () => {
  await open();
  await page.getByTestId('input-shape').fill('1,,4,1');
  await page.getByTestId('input-shape').press('Enter');
  assert.equal(
    await text('input-shape-error'),
    'Input shape: entry 2 of 4 is empty: every comma needs a number on each side.',
  );
  assert.deepEqual(await outputTexts(), ['14', '6', '6', '12']);
  assert.match(page.url(), /[?&]input=1,4,4,1(&|$)/, 'the link keeps the last good shape');
  assert.equal(await page.locator('[data-testid=error]').count(), 0, 'no error about a 3-number shape');
  assert.deepEqual(problems, []);
});

test('values in the link that are not numbers are named, kept in the link, and not computed', async () => {
  const query = '?input=1,2,2,1&filter=1,1,1,1&strides=1,1&padding=VALID&x=1,2,oops,4&w=2';
  await open(query);
  assert.equal(await text('error-message'), 'Input values: "oops" (entry 3 of 4) is not a number.');
  assert.match(await page.locator('#error h2').innerText(), /These numbers cannot be used/);
  assert.equal(await page.locator('[data-testid=output-cell]').count(), 0, 'nothing computed from NaN');
  assert.doesNotMatch(await page.locator('body').innerText(), /NaN/);
  assert.equal(new URL(page.url()).search, query, 'the link is not rewritten');
  // The paste box shows the values as linked, with the same message under it.
  assert.equal(await page.getByTestId('x-values').inputValue(), '1,2,oops,4');
  assert.equal(await text('x-values-error'), 'Input values: "oops" (entry 3 of 4) is not a number.');
  await page.getByRole('button', { name: 'Draw random numbers instead' }).click();
  assert.equal(await text('output-shape'), '1 × 2 × 2 × 1');
  assert.doesNotMatch(page.url(), /[?&]x=/);
  assert.equal(await page.getByTestId('x-values-error').isVisible(), false, 'message gone with the values');
  // Both lists wrong: both are named, both stay in the link, one click draws both.
  const both = '?input=1,2,2,1&filter=1,1,1,1&strides=1,1&padding=VALID&x=1,2,3,x4&w=zz';
  await open(both);
  assert.equal(
    await page.getByTestId('error-message').innerText(),
    'Input values: "x4" (entry 4 of 4) is not a number.\nFilter values: "zz" (entry 1 of 1) is not a number.',
  );
  assert.equal(new URL(page.url()).search, both);
  await page.getByRole('button', { name: 'Draw random numbers instead' }).click();
  assert.equal(await text('output-shape'), '1 × 2 × 2 × 1');
  assert.doesNotMatch(page.url(), /[?&][xw]=/);
  assert.deepEqual(problems, []);
});

test('every input channel the sum uses is drawn, so each product points at a visible cell', async () => {
  // The seed's 5-channel example: output = the dot product of 5 channel values with 5 weights.
  await open('?input=1,3,3,5&filter=1,1,5,1&strides=1,1&padding=VALID&seed=1');
  const inputTiles = page.locator('[data-testid=input-tiles] > .tile');
  const filterTiles = page.locator('[data-testid=filter-tiles] > .tile');
  assert.equal(await inputTiles.count(), 5);
  assert.equal(await filterTiles.count(), 5);
  assert.equal((await inputTiles.nth(4).locator('figcaption').innerText()).trim(), 'channel 4');
  // The fifth product is channel 4's: hovering it lights its input cell and its weight.
  const terms = page.locator('[data-testid=breakdown] > .sum .term');
  assert.equal(await terms.count(), 5);
  await terms.nth(4).hover();
  assert.equal(await inputTiles.nth(4).locator('.cell.hot').count(), 1, 'channel 4 input cell lit');
  assert.equal(await filterTiles.nth(4).locator('.cell.hot').count(), 1, 'channel 4 weight lit');

  await page.locator('[data-testid=preset]').selectOption('batch');
  assert.equal(await inputTiles.count(), 5);
  assert.equal(await filterTiles.count(), 5);
  // The question's 10 channels: all 10 drawn.
  await page.locator('[data-testid=preset]').selectOption('question');
  assert.equal(await inputTiles.count(), 10);
  assert.equal(await filterTiles.count(), 10);

  // Grouped (4 input channels, filters reading 2): filter 1 reads channels 2 and 3, and those are drawn.
  await open('?input=1,3,3,4&filter=1,1,2,2&strides=1,1&padding=VALID&seed=1&pin=0,0,0,1');
  const captions = (await inputTiles.locator('figcaption').allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(captions, ['channel 2', 'channel 3']);
  assert.match(
    await page.locator('#stage').innerText(),
    /Filter 1 reads input channels 2–3 \(group 1 of 2\)/,
  );
  assert.deepEqual(problems, []);
});

test('a 3-number input shape is explained as [height, width, channels] and fixed by adding a dimension', async () => {
  await open();
  await page.getByTestId('input-shape').fill('1, 4, 4');
  await page.getByTestId('input-shape').press('Enter');
  await page.waitForSelector('[data-testid=error]');
  const words = await text('error-words');
  assert.match(words, /A 3-number shape is read as \[height, width, channels\]/);
  assert.match(words, /\[1, 4, 4, 1\]/);
  assert.equal(
    await page.getByRole('button', { name: 'Make the filter match the input’s channels' }).count(),
    0,
    'no fix that changes the filter',
  );
  await page.getByRole('button', { name: 'Use input shape [1, 4, 4, 1]' }).click();
  assert.equal(await page.getByTestId('input-shape').inputValue(), '1, 4, 4, 1');
  assert.equal(await page.getByTestId('filter-shape').inputValue(), '3, 3, 1, 1', 'the filter is untouched');
  assert.equal(await text('output-shape'), '1 × 2 × 2 × 1');
  // NCHW reads 3 numbers as [channels, height, width]; the channel axis goes second.
  await open('?input=1,4,4&filter=3,3,2,1&strides=1,1&padding=VALID&format=NCHW&seed=1');
  assert.match(await text('error-words'), /read as \[channels, height, width\].*\[1, 2, 4, 4\]/);
  assert.deepEqual(problems, []);
});

for (const viewport of [DESKTOP, PHONE]) {
  test(`cosmetics at ${viewport.width} px: badges, symbols, shapes, captions, colour keys, headings`, async () => {
    const p = await newPage(viewport);
    const at = async (query: string): Promise<void> => {
      await p.goto(baseUrl + query);
      await p.waitForSelector('[data-testid=output-shape], [data-testid=error]');
      const width = await p.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= viewport.width, `${query}: page is ${width}px wide at ${viewport.width}px`);
    };
    const w = viewport.width;

    // SAME on a 5x5 input: the weights the window's cells wear are legible.
    await at('?input=1,5,5,1&filter=3,3,1,1&strides=1,1&padding=SAME&seed=1');
    const badgeSizes = await p
      .locator('#stage .cell[data-badge]')
      .evaluateAll((cells) => cells.map((c) => parseFloat(getComputedStyle(c, '::before').fontSize)));
    assert.equal(badgeSizes.length, 9, 'nine cells under the 3x3 filter wear their weights');
    assert.ok(Math.min(...badgeSizes) >= 11, `weight labels are ${Math.min(...badgeSizes)}px`);
    // The ⊛ and = between input, filter and output stay on screen when the panels wrap.
    const ops = await p.locator('#stage .panel-op').evaluateAll((els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { text: e.textContent, visible: e.checkVisibility(), left: r.left, right: r.right };
      }),
    );
    assert.deepEqual(
      ops.map((o) => o.text),
      ['⊛', '='],
    );
    for (const o of ops) {
      assert.ok(o.visible && o.right > o.left, `${o.text} is not visible at ${w}px`);
      assert.ok(o.left >= 0 && o.right <= w, `${o.text} is off screen at ${w}px`);
    }
    // The padded grid says it is padded.
    assert.equal(
      (await p.locator('[data-testid=input-tiles] figcaption').innerText()).trim(),
      '5 × 5, padded to 7 × 7',
    );
    await p.locator('#stage').screenshot({ path: join(SHOTS, `stage-same-${w}.png`) });

    // Shape badges never break inside a shape, here or in any other view.
    await at('?input=10,5,5,5&filter=3,3,5,7&strides=2,2&padding=SAME&seed=1');
    const badges = await p
      .locator('[data-testid=stage-shapes] code')
      .evaluateAll((els) => els.map((e) => e.textContent));
    assert.deepEqual(badges, ['[10, 5, 5, 5]', '[3, 3, 5, 7]', '[10, 3, 3, 7]']);
    const shapes = await p
      .locator('.shape')
      .evaluateAll((els) => els.map((e) => [e.textContent, e.getClientRects().length] as const));
    assert.ok(shapes.length >= 10, `shapes in the stage, im2col and layouts views: ${shapes.length}`);
    for (const [shape, count] of shapes) assert.equal(count, 1, `${shape} breaks over ${count} lines`);
    await p.locator('#stage').screenshot({ path: join(SHOTS, `stage-batch-${w}.png`) });

    // 3-digit shapes (the seed's Fourier filter [100, 100, 3, 7]) fit too: the HWIO/OIHW table scrolls.
    await at('?input=1,100,100,3&filter=100,100,3,7&strides=1,1&padding=SAME&seed=1');

    // A 1x1 filter covers one row and one column, not "rows 0–0".
    await at('?input=1,3,3,5&filter=1,1,5,1&strides=1,1&padding=VALID&seed=1');
    const status = await p.getByTestId('stage-status').innerText();
    assert.match(status, /the window covers row 0 and column 0\./);
    assert.doesNotMatch(status, /padded|0–0/);

    // Colour keys: every spectrum, and the picture and Sobel output heatmaps.
    await at('');
    const spectra = p.locator('#fourier [data-testid=colour-scale]');
    assert.equal(await spectra.count(), 3);
    assert.match(
      (await spectra.first().getAttribute('aria-label')) ?? '',
      /^colour scale from 0 to .*log scale/,
    );
    await p.locator('#fourier').screenshot({ path: join(SHOTS, `fourier-${w}.png`) });
    if (!(await p.getByTestId('sample-image').isVisible())) {
      await p.getByText('Shapes, strides, padding and values').click();
    }
    await p.getByTestId('sample-image').click();
    await p.getByTestId('classic-filter').selectOption('sobel-x');
    const keys = await p
      .locator('#stage [data-testid=colour-scale]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.equal(keys.length, 2, 'the picture and the output each have a colour key');
    assert.match(keys[0] ?? '', /^colour scale from 0 to \d+/);
    // Sobel x answers edges with both signs: blue for negative, red for positive, 0 in the middle.
    assert.match(keys[1] ?? '', /^colour scale from -(\d+) to \1$/);
    await p.locator('#stage').screenshot({ path: join(SHOTS, `sobel-${w}.png`) });

    // The page's own limit is called what it is.
    await at('?input=1,2000,2000,1&filter=3,3,1,1&strides=1,1&padding=VALID&seed=1');
    assert.equal((await p.locator('#error h2').innerText()).trim(), 'Too large for this page');
    // So is a size convkit itself refuses (an output past 2^30 values): not "impossible settings".
    await at('?input=1,5000,5000,64&filter=3,3,64,64&strides=1,1&padding=SAME&seed=1');
    assert.equal((await p.locator('#error h2').innerText()).trim(), 'Too large to compute here');
    assert.match(
      await p.getByTestId('error-message').innerText(),
      /ResourceExhausted|would hold 1600000000 elements/,
    );
    await p.locator('#error').screenshot({ path: join(SHOTS, `too-large-${w}.png`) });
    await p.close();
    assert.deepEqual(problems, []);
  });
}
