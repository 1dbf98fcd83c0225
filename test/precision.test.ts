/**
 * The accuracy contract (issue 14 item 10, issue 15 item 7): the `precision` option ('auto' |
 * 'highest') on conv2d, conv2dAsync, explainConv2d, the depthwise and gradient ops and the CLI; that
 * 'highest' keeps to direct, im2col and igemm and refuses a forced Winograd or FFT; the bounds that
 * explainConv2d reports; and that one huge input value (1e20) spoils Winograd's and the FFT's outputs
 * in its tile, outputs that never read it included, but not those of 'highest'.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dTranspose,
  convGeometry,
  depthwiseConv2d,
  explainConv2d,
  InvalidArgumentError,
  randomNormal,
  type Conv2dOptions,
} from '../src/index.js';
import { conv2dAsync } from '../src/parallel/conv2d_async.js';
import { stopParallelEngine } from '../src/parallel/parallel_engine.js';
import { planConv2d } from '../src/plan/planner.js';
import { accuracyOf, checkPrecision, UNIT_ROUNDOFF } from '../src/plan/accuracy.js';
import { conv2dOracle, type OracleProblem } from './helpers/conv_oracle.js';
import { assertSameBits } from './helpers/threads.js';

after(() => stopParallelEngine());

const ROOT = new URL('..', import.meta.url).pathname;

/** NHWC, stride 1, SAME problems whose 'auto' plan is a transform. */
const WINOGRAD_CASE = { input: [1, 16, 16, 16], filter: [3, 3, 16, 16] };
const FFT_CASE = { input: [1, 40, 40, 8], filter: [11, 11, 8, 8] };

function problem(input: number[], filter: number[]): OracleProblem {
  return {
    dataFormat: 'NHWC',
    batched: true,
    batch: input[0],
    inHeight: input[1],
    inWidth: input[2],
    inChannels: input[3],
    filterHeight: filter[0],
    filterWidth: filter[1],
    filterInChannels: filter[2],
    filterOut: filter[3],
    strides: [1, 1],
    dilations: [1, 1],
    padding: 'SAME',
  };
}

test("the precision option is checked: 'auto', 'highest' or left out; anything else is named in the error", () => {
  const x = randomNormal([1, 6, 6, 4], { seed: 1 });
  const w = randomNormal([3, 3, 4, 4], { seed: 2 });
  const dw = randomNormal([3, 3, 4, 1], { seed: 3 });
  const dy = randomNormal([1, 6, 6, 4], { seed: 4 });
  const calls: Array<[string, (precision: unknown) => unknown]> = [
    ['conv2d', (precision) => conv2d(x, w, { padding: 'SAME', precision } as Conv2dOptions)],
    ['explainConv2d', (precision) => explainConv2d([1, 6, 6, 4], [3, 3, 4, 4], { precision } as never)],
    ['depthwiseConv2d', (precision) => depthwiseConv2d(x, dw, { precision } as never)],
    [
      'conv2dBackpropInput',
      (precision) => conv2dBackpropInput([1, 6, 6, 4], w, dy, { padding: 'SAME', precision } as never),
    ],
    [
      'conv2dBackpropFilter',
      (precision) => conv2dBackpropFilter(x, [3, 3, 4, 4], dy, { padding: 'SAME', precision } as never),
    ],
    ['conv2dTranspose', (precision) => conv2dTranspose(dy, w, [1, 6, 6, 4], { precision } as never)],
  ];
  for (const [op, call] of calls) {
    for (const good of [undefined, 'auto', 'highest']) call(good);
    for (const bad of ['high', 'HIGHEST', 1, null, true]) {
      assert.throws(
        () => call(bad),
        (error: unknown) =>
          error instanceof InvalidArgumentError &&
          error.message.startsWith(`${op}: precision must be 'auto' or 'highest', got `),
        `${op} with precision ${String(bad)}`,
      );
    }
  }
  assert.equal(checkPrecision('op', undefined), 'auto');
});

test("conv2dAsync checks precision too, and 'highest' gives conv2d's bits", async () => {
  const x = randomNormal(WINOGRAD_CASE.input, { seed: 5 });
  const w = randomNormal(WINOGRAD_CASE.filter, { seed: 6 });
  await assert.rejects(
    conv2dAsync(x, w, { padding: 'SAME', precision: 'exact' as never }),
    /conv2dAsync: precision must be 'auto' or 'highest', got "exact"/,
  );
  const options: Conv2dOptions = { padding: 'SAME', precision: 'highest', threads: 2 };
  assertSameBits((await conv2dAsync(x, w, options)).data, conv2d(x, w, options).data, 'conv2dAsync');
});

test("'highest' with a forced winograd or fft is an InvalidArgumentError; with direct, im2col or igemm it runs", () => {
  const x = randomNormal(WINOGRAD_CASE.input, { seed: 7 });
  const w = randomNormal(WINOGRAD_CASE.filter, { seed: 8 });
  for (const algorithm of ['winograd', 'fft'] as const) {
    assert.throws(
      () => conv2d(x, w, { padding: 'SAME', algorithm, precision: 'highest' }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.message.startsWith(
          `conv2d: algorithm '${algorithm}' cannot be combined with precision: 'highest'`,
        ),
      algorithm,
    );
  }
  for (const algorithm of ['direct', 'im2col', 'igemm', 'auto'] as const) {
    const y = conv2d(x, w, { padding: 'SAME', algorithm, precision: 'highest' });
    assert.deepEqual(y.shape, [1, 16, 16, 16], algorithm);
  }
});

test("'auto' takes Winograd and the FFT where faster; 'highest' takes igemm there, with igemm's bits", () => {
  for (const [c, transform] of [
    [WINOGRAD_CASE, 'winograd'],
    [FFT_CASE, 'fft'],
  ] as const) {
    const g = convGeometry('conv2d', c.input, c.filter, { padding: 'SAME' });
    assert.equal(planConv2d(g).algorithm, transform, `auto on ${JSON.stringify(c)}`);
    const highest = planConv2d(g, 'auto', { precision: 'highest' });
    assert.equal(highest.algorithm, 'igemm', JSON.stringify(c));
    assert.match(highest.reason, /^precision: 'highest' keeps to GEMM-accurate algorithms; /);
    const x = randomNormal(c.input, { seed: 9 });
    const w = randomNormal(c.filter, { seed: 10 });
    for (const threads of [1, 2]) {
      assertSameBits(
        conv2d(x, w, { padding: 'SAME', precision: 'highest', threads }).data,
        conv2d(x, w, { padding: 'SAME', algorithm: 'igemm', threads: 1 }).data,
        `${transform} case, threads ${threads}`,
      );
    }
  }
});

test('explainConv2d reports the precision, the algorithm and its error bound; the CLI text prints them', () => {
  const auto = explainConv2d(WINOGRAD_CASE.input, WINOGRAD_CASE.filter, { padding: 'SAME' });
  const g = auto.geometry;
  assert.equal(auto.plan.precision, 'auto');
  assert.equal(auto.plan.algorithm, 'winograd');
  assert.deepEqual(auto.plan.accuracy, accuracyOf('winograd', g));
  assert.match(auto.plan.accuracy.note, /huge input value .* precision: 'highest' avoids that/);
  const highest = explainConv2d(WINOGRAD_CASE.input, WINOGRAD_CASE.filter, {
    padding: 'SAME',
    precision: 'highest',
  });
  assert.equal(highest.plan.precision, 'highest');
  assert.equal(highest.plan.algorithm, 'igemm');
  assert.deepEqual(highest.plan.accuracy, accuracyOf('igemm', g));
  // K = 3 * 3 * 16 = 144: igemm u (2 + 4 * 12), Winograd u (256 + 24 * 12).
  assert.equal(highest.plan.accuracy.relativeErrorBound, UNIT_ROUNDOFF * 50);
  assert.equal(auto.plan.accuracy.relativeErrorBound, UNIT_ROUNDOFF * 544);
  const tiny = explainConv2d([1, 3, 3, 1], [2, 2, 1, 1], {});
  assert.equal(tiny.plan.algorithm, 'direct');
  assert.equal(tiny.plan.accuracy.relativeErrorBound, 2 * UNIT_ROUNDOFF);

  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'explain', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
  const shapes = ['--input', '1,16,16,16', '--filter', '3,3,16,16', '--padding', 'SAME'];
  const text = cli(...shapes, '--precision', 'highest');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /igemm: precision: 'highest' keeps to GEMM-accurate algorithms/);
  assert.match(
    text.stdout,
    /accuracy \(precision highest\): max \|error\| \/ max \|exact\| <= 3\.0e-6; float32 sums/,
  );
  const plain = cli(...shapes);
  assert.match(
    plain.stdout,
    /accuracy \(precision auto\): max \|error\| \/ max \|exact\| <= 3\.2e-5; Winograd/,
  );
  const json = JSON.parse(cli(...shapes, '--precision', 'highest', '--json').stdout) as typeof highest;
  assert.deepEqual(json.plan.accuracy, highest.plan.accuracy);
  const bad = cli(...shapes, '--precision', 'high');
  assert.notEqual(bad.status, 0, 'a bad --precision fails');
  assert.match(bad.stderr, /--precision.*Expected one of auto, highest/s);
});

/** Max |y - exact| / max |exact| over the outputs that do not read input pixel (py, px). */
function errorAwayFrom(
  y: Float32Array,
  exact: Float64Array,
  size: number,
  channels: number,
  reach: number,
  [py, px]: [number, number],
): { error: number; outputs: number } {
  let [worst, scale, outputs] = [0, 0, 0];
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      if (Math.abs(oy - py) <= reach && Math.abs(ox - px) <= reach) continue;
      for (let c = 0; c < channels; c++) {
        const i = (oy * size + ox) * channels + c;
        worst = Math.max(worst, Math.abs(y[i] - exact[i]));
        scale = Math.max(scale, Math.abs(exact[i]));
        outputs++;
      }
    }
  }
  return { error: worst / scale, outputs };
}

for (const [name, c, transform] of [
  ['Winograd', WINOGRAD_CASE, 'winograd'],
  ['the FFT', FFT_CASE, 'fft'],
] as const) {
  test(`one 1e20 in the input: ${name} spoils outputs that never read it; 'highest' does not`, (t) => {
    const x = randomNormal(c.input, { seed: 11 });
    const w = randomNormal(c.filter, { seed: 12 });
    const [size, channels] = [c.input[1], c.filter[3]];
    const pixel: [number, number] = [5, 6];
    x.data[(pixel[0] * size + pixel[1]) * c.input[3]] = 1e20;
    const exact = conv2dOracle(problem(c.input, c.filter), x.data, w.data).values;
    const reach = (c.filter[0] - 1) / 2; // SAME, odd filter: outputs within reach of the pixel read it
    const g = convGeometry('conv2d', c.input, c.filter, { padding: 'SAME' });
    const auto = conv2d(x, w, { padding: 'SAME' });
    assert.equal(planConv2d(g).algorithm, transform);
    const highest = conv2d(x, w, { padding: 'SAME', precision: 'highest' });
    const spoiled = errorAwayFrom(auto.data, exact, size, channels, reach, pixel);
    const kept = errorAwayFrom(highest.data, exact, size, channels, reach, pixel);
    t.diagnostic(
      `${name}: over the ${kept.outputs} outputs that do not read the 1e20, max |err| / max |exact| ` +
        `${spoiled.error.toExponential(1)} (auto), ${kept.error.toExponential(1)} (highest)`,
    );
    const bound = accuracyOf('igemm', g).relativeErrorBound;
    assert.ok(kept.error <= bound, `'highest': ${kept.error} > ${bound}`);
    // The documented effect (README, "Accuracy"): wrong by far more than the outputs' own size.
    assert.ok(spoiled.error > 1e3, `${name} with a 1e20 in its tile: error only ${spoiled.error}`);
  });
}
