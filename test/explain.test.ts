import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainConv2d } from '../src/explain/explain.js';
import { InvalidArgumentError, ResourceExhaustedError } from '../src/errors.js';
import { tensor } from '../src/tensor.js';
import { planConv2d } from '../src/plan/planner.js';
import { packedWeights } from '../src/plan/weights_cache.js';
import { winogradPackKey } from '../src/algorithms/winograd.js';
import { winogradTile } from '../src/algorithms/winograd_plan.js';
import type { ConvGeometry } from '../src/geometry.js';
import { conv2d } from '../src/ops/conv2d.js';
import { randomNormal } from '../src/tensor.js';

// The seed's worked example: a 4x4 image and a 3x3 kernel, VALID, stride 1.
const SEED_IMAGE = [4, 3, 1, 0, 2, 1, 0, 1, 1, 2, 4, 1, 3, 1, 0, 2];
const SEED_KERNEL = [1, 0, 1, 2, 1, 0, 0, 0, 1];
// The seed's hand-written sums, with its "a * b" written "a*b".
const SEED_SUMS = [
  '14 = 4*1 + 3*0 + 1*1 + 2*2 + 1*1 + 0*0 + 1*0 + 2*0 + 4*1',
  '6 = 3*1 + 1*0 + 0*1 + 1*2 + 0*1 + 1*0 + 2*0 + 4*0 + 1*1',
  '6 = 2*1 + 1*0 + 0*1 + 1*2 + 2*1 + 4*0 + 3*0 + 1*0 + 0*1',
  '12 = 1*1 + 0*0 + 1*1 + 2*2 + 4*1 + 1*0 + 1*0 + 0*0 + 2*1',
];

function seedExample() {
  return explainConv2d(tensor(SEED_IMAGE, [1, 4, 4, 1]), tensor(SEED_KERNEL, [3, 3, 1, 1]), {
    padding: 'VALID',
  });
}

test('worked example: every output is broken down exactly as the seed writes it', () => {
  const e = seedExample();
  assert.deepEqual(e.outputShape, [1, 2, 2, 1]);
  assert.ok(e.values, 'e.values');
  assert.equal(e.values.summarised, false);
  assert.deepEqual(e.values.output, [14, 6, 6, 12]);
  assert.deepEqual(
    e.values.breakdowns.map((b) => b.text),
    SEED_SUMS,
  );
  assert.deepEqual(
    e.values.breakdowns.map((b) => b.outputIndex),
    [
      [0, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 1, 0, 0],
      [0, 1, 1, 0],
    ],
  );
});

test('worked example: terms carry the input and filter indexes and values', () => {
  const second = seedExample().values!.breakdowns[1]; // output (0, 1): window rows 0-2, columns 1-3
  assert.equal(second.value, 6);
  assert.equal(second.terms.length, 9);
  assert.deepEqual(
    second.terms.map((t) => t.inputValue),
    [3, 1, 0, 1, 0, 1, 2, 4, 1],
  );
  assert.deepEqual(
    second.terms.map((t) => t.weight),
    SEED_KERNEL,
  );
  assert.deepEqual(second.terms[0].inputIndex, [0, 0, 1, 0]);
  assert.deepEqual(second.terms[8].inputIndex, [0, 2, 3, 0]);
  assert.deepEqual(second.terms[5].filterIndex, [1, 2, 0, 0]);
  assert.ok(
    second.terms.every((t) => !t.padding),
    'second.terms.every((t) => !t.padding)',
  );
});

test("the seed's first question: [1,10,10,10] * [2,10,10,10], strides 2, SAME", () => {
  const e = explainConv2d([1, 10, 10, 10], [2, 10, 10, 10], { strides: [1, 2, 2, 1], padding: 'SAME' });
  assert.deepEqual(e.outputShape, [1, 5, 5, 10]);
  assert.equal(e.values, undefined);
  const [rows, cols] = e.outputSize;
  assert.equal(rows.formula, 'out = ceil(in / stride)');
  assert.equal(rows.substituted, 'ceil(10 / 2) = 5');
  assert.equal(cols.substituted, 'ceil(10 / 2) = 5');
  assert.equal(rows.value, 5);
  // total rows = max((5-1)*2 + 2 - 10, 0) = 0; total columns = max((5-1)*2 + 10 - 10, 0) = 8, split 4/4.
  assert.ok(
    e.padding.notes.some((n) => n.includes('max((5 - 1) * 2 + 2 - 10, 0) = 0')),
    "e.padding.notes.some((n) => n.includes('max((5 - 1) * 2 + 2 - 10, 0) = 0'))",
  );
  assert.ok(
    e.padding.notes.some((n) => n.includes('max((5 - 1) * 2 + 10 - 10, 0) = 8')),
    "e.padding.notes.some((n) => n.includes('max((5 - 1) * 2 + 10 - 10, 0) = 8'))",
  );
  assert.deepEqual([e.padding.top, e.padding.bottom, e.padding.left, e.padding.right], [0, 0, 4, 4]);
  assert.equal(e.axes.filter[3].meaning, '10 filters, each 2x10x10: one per output channel');
});

test('axes are described in plain words', () => {
  const e = explainConv2d([10, 5, 5, 5], [3, 3, 5, 7], { strides: 2, padding: 'SAME' });
  assert.deepEqual(
    e.axes.input.map((a) => a.name),
    ['batch', 'in_height', 'in_width', 'in_channels'],
  );
  assert.equal(e.axes.input[0].meaning, '10 images in the batch');
  assert.equal(e.axes.filter[3].meaning, '7 filters, each 3x3x5: one per output channel');
  assert.match(e.axes.filter[2].meaning, /depth 5 matches the input's 5 channels/);
  assert.deepEqual(
    e.axes.output.map((a) => a.size),
    [10, 3, 3, 7],
  );
});

test("centre map of the seed's VALID example (5x5 input, 3x3 filter)", () => {
  const { centres } = explainConv2d([1, 5, 5, 5], [3, 3, 5, 1], { padding: 'VALID' });
  const seedPicture = ['.....', '.xxx.', '.xxx.', '.xxx.', '.....'];
  assert.deepEqual(centres.grid, seedPicture);
  assert.deepEqual(centres.inputGrid, seedPicture);
  assert.equal(centres.centres.length, 9);
  assert.deepEqual(centres.centres[0], { oy: 0, ox: 0, row: 1, col: 1 });
});

test("centre map of the seed's stride-2 SAME example: padded grid and the seed's view", () => {
  const { centres } = explainConv2d([1, 5, 5, 5], [3, 3, 5, 7], { strides: [1, 2, 2, 1], padding: 'SAME' });
  assert.deepEqual(centres.inputGrid, ['x.x.x', '.....', 'x.x.x', '.....', 'x.x.x']);
  assert.equal(centres.paddedHeight, 7);
  assert.equal(centres.paddedWidth, 7);
  assert.deepEqual(centres.grid, [
    'ooooooo',
    'ox.x.xo',
    'o.....o',
    'ox.x.xo',
    'o.....o',
    'ox.x.xo',
    'ooooooo',
  ]);
});

test('SAME with even filters: the odd padding row/column goes bottom/right', () => {
  // in 5, k 4, stride 1: out 5, total = 4 + 4 - 5 = 3 -> top 1, bottom 2
  const four = explainConv2d([1, 5, 5, 1], [4, 4, 1, 1], { padding: 'SAME' });
  assert.deepEqual(
    [four.padding.top, four.padding.bottom, four.padding.left, four.padding.right],
    [1, 2, 1, 2],
  );
  assert.ok(
    four.padding.notes.some((n) => /odd.*extra row goes to the bottom/.test(n)),
    'four.padding.notes.some((n) => /odd.*extra row goes to the bottom/.test(n))',
  );
  assert.ok(
    four.padding.notes.some((n) => /extra column goes to the right/.test(n)),
    'four.padding.notes.some((n) => /extra column goes to the right/.test(n))',
  );
  // Even filter: centre is tap floor((4-1)/2) = 1, so centres land on every input pixel.
  assert.deepEqual(four.centres.inputGrid, ['xxxxx', 'xxxxx', 'xxxxx', 'xxxxx', 'xxxxx']);
  assert.match(four.centres.note, /even/);
  // in 6, k 2, stride 2: out 3, total = 4 + 2 - 6 = 0
  const two = explainConv2d([1, 6, 6, 1], [2, 2, 1, 1], { strides: 2, padding: 'SAME' });
  assert.deepEqual([two.padding.top, two.padding.bottom], [0, 0]);
  // in 5, k 2, stride 1: total 1 -> top 0, bottom 1
  const one = explainConv2d([1, 5, 3, 1], [2, 1, 1, 1], { padding: 'SAME' });
  assert.deepEqual([one.padding.top, one.padding.bottom, one.padding.left, one.padding.right], [0, 1, 0, 0]);
});

test('taps on padding are terms marked padding, written 0(pad)*w', () => {
  // 2x2 input, 3x3 filter of weights 1..9, SAME: pads 1 on every side.
  const e = explainConv2d(
    tensor([1, 2, 3, 4], [1, 2, 2, 1]),
    tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3, 1, 1]),
    {
      padding: 'SAME',
    },
  );
  const corner = e.values!.breakdowns[0];
  // Window rows -1..1, columns -1..1: the input sits under taps 5, 6, 8, 9.
  assert.equal(
    corner.text,
    '77 = 0(pad)*1 + 0(pad)*2 + 0(pad)*3 + 0(pad)*4 + 1*5 + 2*6 + 0(pad)*7 + 3*8 + 4*9',
  );
  assert.equal(corner.value, 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9);
  const pads = corner.terms.filter((t) => t.padding);
  assert.equal(pads.length, 5);
  assert.ok(
    pads.every((t) => t.inputIndex === null && t.inputValue === 0),
    'pads.every((t) => t.inputIndex === null && t.inputValue === 0)',
  );
});

test('numbers: short values exact, negatives parenthesised, long float32 values rounded in text only', () => {
  const e = explainConv2d(tensor([0.5, -1.25], [1, 1, 2, 1]), tensor([-2], [1, 1, 1, 1]));
  assert.deepEqual(
    e.values!.breakdowns.map((b) => b.text),
    ['-1 = 0.5*(-2)', '2.5 = (-1.25)*(-2)'],
  );
  const seed = explainConv2d(tensor([1.60314465], [1, 1, 1, 1]), tensor([-0.59594476], [1, 1, 1, 1]));
  const only = seed.values!.breakdowns[0];
  assert.equal(only.text, '-0.9554 = 1.6031*(-0.5959)');
  assert.equal(only.terms[0].inputValue, Math.fround(1.60314465));
  assert.equal(only.terms[0].weight, Math.fround(-0.59594476));
});

test('NCHW: indexes follow the layout, sums are the same', () => {
  const e = explainConv2d(tensor(SEED_IMAGE, [1, 1, 4, 4]), tensor(SEED_KERNEL, [3, 3, 1, 1]), {
    dataFormat: 'NCHW',
  });
  assert.deepEqual(e.outputShape, [1, 1, 2, 2]);
  assert.deepEqual(
    e.axes.input.map((a) => a.name),
    ['batch', 'in_channels', 'in_height', 'in_width'],
  );
  assert.deepEqual(
    e.values!.breakdowns.map((b) => b.text),
    SEED_SUMS,
  );
  assert.deepEqual(e.values!.breakdowns[1].outputIndex, [0, 0, 0, 1]);
  assert.deepEqual(e.values!.breakdowns[1].terms[0].inputIndex, [0, 0, 0, 1]);
  assert.match(e.im2col.steps[2], /NCHW/);
});

test('dilations: taps spread out, effective size in the derivation, centre scaled', () => {
  // 7x7 input holding 0..48, 3x3 filter with dilation 2 (effective 5): out 3x3.
  const input = tensor(
    Array.from({ length: 49 }, (_, i) => i),
    [1, 7, 7, 1],
  );
  const filter = tensor([1, 0, 0, 0, 0, 0, 0, 0, 1], [3, 3, 1, 1]);
  const e = explainConv2d(input, filter, { dilations: 2 });
  assert.deepEqual(e.outputShape, [1, 3, 3, 1]);
  assert.equal(e.outputSize[0].effectiveKernel, 5);
  assert.equal(e.outputSize[0].substituted, 'ceil((7 - 5 + 1) / 1) = 3');
  const first = e.values!.breakdowns[0];
  assert.deepEqual(
    first.terms.map((t) => t.inputIndex),
    [0, 2, 4].flatMap((y) => [0, 2, 4].map((x) => [0, y, x, 0])),
  );
  assert.equal(first.value, 0 + 4 * 7 + 4); // input(0,0) + input(4,4)
  // Centre tap floor((3-1)/2) * 2 = 2: centres on rows/columns 2, 3, 4.
  assert.deepEqual(e.centres.grid, [
    '.......',
    '.......',
    '..xxx..',
    '..xxx..',
    '..xxx..',
    '.......',
    '.......',
  ]);
  assert.match(e.axes.filter[0].meaning, /spread over 5 by dilation 2/);
});

test('large problems are summarised; `at` picks the one to break down', () => {
  const values = Array.from({ length: 121 }, (_, i) => (i % 7) - 3);
  const input = tensor(values, [1, 11, 11, 1]);
  const filter = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3, 1, 1]);
  const summary = explainConv2d(input, filter);
  assert.equal(summary.values!.output.length, 81);
  assert.equal(summary.values!.summarised, true);
  assert.deepEqual(summary.values!.breakdowns, []);

  const picked = explainConv2d(input, filter, { at: [0, 2, 3, 0] });
  assert.equal(picked.values!.breakdowns.length, 1);
  const b = picked.values!.breakdowns[0];
  assert.deepEqual(b.outputIndex, [0, 2, 3, 0]);
  let expected = 0;
  for (let ky = 0; ky < 3; ky++) {
    for (let kx = 0; kx < 3; kx++) expected += values[(2 + ky) * 11 + 3 + kx] * (ky * 3 + kx + 1);
  }
  assert.equal(b.value, expected);
  assert.equal(picked.values!.output[2 * 9 + 3], expected);

  // 64 outputs (the default limit) are all broken down; maxBreakdowns moves the limit.
  const sixtyFour = explainConv2d(tensor(values.slice(0, 100), [1, 10, 10, 1]), filter);
  assert.equal(sixtyFour.values!.breakdowns.length, 64);
  const limited = explainConv2d(tensor(values.slice(0, 100), [1, 10, 10, 1]), filter, { maxBreakdowns: 10 });
  assert.equal(limited.values!.summarised, true);
});

test('grouped convolution: each output channel reads its own group of input channels', () => {
  // 4 input channels, filter in_channels 2 -> 2 groups; output channel 1 reads channels 2 and 3.
  const input = tensor([10, 20, 30, 40], [1, 1, 1, 4]);
  const filter = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
  const e = explainConv2d(input, filter);
  const [c0, c1] = e.values!.breakdowns;
  assert.equal(c0.text, '70 = 10*1 + 20*3');
  assert.equal(c1.text, '220 = 30*2 + 40*4');
  assert.deepEqual(
    c1.terms.map((t) => t.inputIndex),
    [
      [0, 0, 0, 2],
      [0, 0, 0, 3],
    ],
  );
  assert.match(e.axes.filter[2].meaning, /2 groups/);
});

test('rank-3 input: indexes get batch 0, `at` may leave the batch out', () => {
  const input = tensor(
    Array.from({ length: 400 }, (_, i) => i % 5),
    [20, 20, 1],
  );
  const filter = tensor([1, 1, 1, 1], [2, 2, 1, 1]);
  const e = explainConv2d(input, filter, { at: [3, 4, 0] });
  assert.deepEqual(e.outputShape, [19, 19, 1]);
  assert.equal(e.axes.input.length, 3);
  assert.deepEqual(e.values!.breakdowns[0].outputIndex, [0, 3, 4, 0]);
});

test('im2col shapes follow the seed: [h*w*in, out] filter matrix, patches, product', () => {
  const e = explainConv2d([1, 5, 5, 5], [3, 3, 5, 7], { padding: 'SAME' });
  assert.deepEqual(e.im2col.filterMatrixShape, [45, 7]);
  assert.deepEqual(e.im2col.patchesShape, [1, 5, 5, 45]);
  assert.deepEqual(e.im2col.patchMatrixShape, [25, 45]);
  assert.deepEqual(e.im2col.productShape, [25, 7]);
  assert.match(e.im2col.steps[0], /\[45, 7\]/);
  // The explanation reports whatever the planner picks for this geometry.
  assert.equal(e.plan.algorithm, planConv2d(e.geometry).algorithm);
  assert.ok(e.plan.reason.length > 0, 'e.plan.reason.length > 0');
});

test('explicit padding and empty axes get their own formulas', () => {
  const explicit = explainConv2d([1, 5, 5, 1], [3, 3, 1, 1], {
    strides: 2,
    padding: [
      [1, 1],
      [0, 2],
    ],
  });
  assert.equal(explicit.outputSize[0].substituted, 'floor((5 + 1 + 1 - 3) / 2) + 1 = 3');
  assert.equal(explicit.outputSize[1].substituted, 'floor((5 + 0 + 2 - 3) / 2) + 1 = 3');
  assert.equal(explicit.padding.mode, 'EXPLICIT');
  // VALID with a window larger than the input: TensorFlow's truncating division gives 0, not an error.
  const empty = explainConv2d(tensor([1, 2, 3, 4], [1, 2, 2, 1]), tensor(new Array(9).fill(1), [3, 3, 1, 1]));
  assert.deepEqual(empty.outputShape, [1, 0, 0, 1]);
  assert.match(empty.outputSize[0].substituted, /^trunc\(.*\) = 0$/);
  assert.deepEqual(empty.values!.breakdowns, []);
});

test('JSON round trip keeps the explanation intact', () => {
  const e = seedExample();
  assert.deepEqual(JSON.parse(JSON.stringify(e)), e);
});

test('errors: channel mismatch, bad `at`, bad options', () => {
  assert.throws(
    () => explainConv2d([1, 5, 5, 4], [3, 3, 5, 7]),
    (err: unknown) =>
      err instanceof InvalidArgumentError &&
      /explainConv2d/.test(err.message) &&
      /4 channels/.test(err.message) &&
      /\[3,3,5,7\]/.test(err.message),
  );
  assert.throws(() => explainConv2d([1, 4, 4, 1], [3, 3, 1, 1], { at: [0, 2, 0, 0] }), {
    name: 'InvalidArgumentError',
    message: /explainConv2d: at \[0,2,0,0\] is outside the output.*\[1,2,2,1\]/,
  });
  assert.throws(() => explainConv2d([1, 4, 4, 1], [3, 3, 1, 1], { at: [0, 1] }), /at must be an index/);
  assert.throws(
    () => explainConv2d([1, 4, 4, 1], [3, 3, 1, 1], { maxBreakdowns: -1 }),
    /maxBreakdowns must be an integer >= 0, got -1/,
  );
  assert.throws(
    () => explainConv2d([1, 4, 4, 1], [3, 3, 1, 1], { stride: 2 } as never),
    /unknown option "stride"/,
  );
  assert.throws(() => explainConv2d([1, -4, 4, 1], [3, 3, 1, 1]), InvalidArgumentError);
  assert.throws(
    () => explainConv2d('1,4,4,1' as never, [3, 3, 1, 1]),
    /input must be a Tensor .* or a shape/,
  );
  assert.throws(() => explainConv2d([1, 4, 4, 1], [3, 3, 1, 1], { strides: [1, 2, 3] }), /strides/);
});

test('the plan states the memory its algorithm really uses for the prepared filter', () => {
  // For each planned algorithm, the prepared-filter size must equal the packed form the call caches.
  const cases: { input: number[]; filter: number[]; algorithm: string; key: (g: ConvGeometry) => string }[] =
    [
      {
        input: [1, 12, 12, 16],
        filter: [3, 3, 16, 24],
        algorithm: 'winograd',
        key: (g) => winogradPackKey(winogradTile(g), 1),
      },
      { input: [1, 12, 12, 16], filter: [1, 1, 16, 20], algorithm: 'igemm', key: () => 'f32-igemm-4x8' },
    ];
  for (const c of cases) {
    const e = explainConv2d(c.input, c.filter, { padding: 'SAME' });
    const key = c.key(e.geometry);
    assert.equal(e.plan.algorithm, c.algorithm);
    assert.ok(e.plan.scratchBytes > 0 && e.plan.scratchBytes <= 8 << 20, `${c.algorithm} scratch`);
    const w = randomNormal(c.filter, { seed: 3 });
    conv2d(randomNormal(c.input, { seed: 4 }), w, { padding: 'SAME', threads: 1 });
    const packed = packedWeights(w.data, key, () => {
      throw new Error(`${c.algorithm} did not cache its packed filter under ${key}`);
    });
    assert.equal(e.plan.preparedFilterBytes, packed.byteLength, c.algorithm);
  }
  const direct = explainConv2d([1, 4, 4, 1], [3, 3, 1, 1]);
  assert.equal(direct.plan.algorithm, 'direct');
  assert.deepEqual([direct.plan.scratchBytes, direct.plan.preparedFilterBytes], [0, 0]);
});

test('a stride-2 plan through space-to-depth says so, and counts both of its prepared filters', () => {
  const options = { strides: 2, padding: 'SAME' as const };
  const e = explainConv2d([1, 40, 40, 3], [7, 7, 3, 16], options);
  assert.equal(e.plan.algorithm, 'winograd');
  assert.match(
    e.plan.reason,
    /7x7 filter, stride 2: space-to-depth makes it a 4x4 stride-1 filter over 12 channels/,
  );
  const w = randomNormal([7, 7, 3, 16], { seed: 5 });
  conv2d(randomNormal([1, 40, 40, 3], { seed: 6 }), w, { ...options, threads: 1 });
  const missing = () => {
    throw new Error('not cached');
  };
  const rearranged = packedWeights(w.data, 'space-to-depth/7x7x3x16', missing);
  const transformed = packedWeights(rearranged, winogradPackKey(4, 1, 4), missing);
  assert.equal(e.plan.preparedFilterBytes, rearranged.byteLength + transformed.byteLength);
});

test('a large output is summarised (stats), not listed value by value; one too large to explain is refused first', () => {
  // 2^21 outputs: above the 2^20 listed in values.output.
  const input = randomNormal([1, 512, 512, 1], { seed: 1 });
  const filter = tensor([1, -2, 0.5, 3, 0.25, -1, 2, 4], [1, 1, 1, 8]);
  const e = explainConv2d(input, filter);
  const v = e.values!;
  assert.equal(v.outputListed, false);
  assert.deepEqual(v.output, []);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of input.data) {
    for (const w of filter.data) {
      const y = Math.fround(x * w);
      min = Math.min(min, y);
      max = Math.max(max, y);
      sum += y;
    }
  }
  assert.equal(v.stats!.min, min);
  assert.equal(v.stats!.max, max);
  assert.ok(Math.abs(v.stats!.mean - sum / (512 * 512 * 8)) < 1e-9, `mean ${v.stats!.mean}`);
  // A small output is still listed in full.
  assert.equal(seedExample().values!.outputListed, true);

  // 1000x1000 pixels, 17 filters: 17M outputs, more than an explanation computes. Refused before conv2d.
  assert.throws(
    () =>
      explainConv2d(randomNormal([1, 1000, 1000, 1], { seed: 2 }), randomNormal([1, 1, 1, 17], { seed: 3 })),
    {
      name: 'ResourceExhaustedError',
      message: /explainConv2d: the output \[1,1000,1000,17\] has 17000000 values, more than the 16777216/,
    },
  );
  // The shapes alone are explained at any size.
  assert.deepEqual(explainConv2d([1, 1000, 1000, 1], [1, 1, 1, 150]).outputShape, [1, 1000, 1000, 150]);
});

test('an empty output says why; a non-empty one has no warning', () => {
  const valid = explainConv2d([1, 2, 2, 1], [3, 3, 1, 1], { padding: 'VALID' });
  assert.deepEqual(valid.outputShape, [1, 0, 0, 1]);
  assert.equal(valid.warnings.length, 1);
  assert.match(valid.warnings[0], /the output is empty: the filter spans 3x3 but the input is only 2x2/);
  assert.match(valid.warnings[0], /VALID/);
  const oneAxis = explainConv2d([1, 2, 5, 1], [3, 3, 1, 1], { padding: 'VALID' });
  assert.match(oneAxis.warnings[0], /spans 3 but the input is only 2 \(height\)/);
  assert.match(explainConv2d([0, 4, 4, 1], [3, 3, 1, 1]).warnings[0], /the batch holds 0 images/);
  assert.deepEqual(seedExample().warnings, []);
});

test('grouped im2col: per-group matrices whose sizes match', () => {
  const e = explainConv2d([1, 4, 4, 6], [3, 3, 2, 6]);
  assert.deepEqual(e.im2col.patchMatrixShape, [4, 54]);
  assert.deepEqual(e.im2col.filterMatrixShape, [18, 6]);
  assert.deepEqual(e.im2col.perGroup, {
    groups: 3,
    patchMatrixShape: [4, 18],
    filterMatrixShape: [18, 2],
    productShape: [4, 2],
  });
  assert.match(e.im2col.steps[2], /\[4, 18\] x its 2 filter columns \[18, 2\] = \[4, 2\]/);
  assert.match(e.im2col.steps[2], /the 3 products side by side make \[4, 6\]/);
  assert.doesNotMatch(e.im2col.steps[2], /\[4, 54\] x \[18, 6\]/);
  assert.equal(seedExample().im2col.perGroup, undefined);
});

test('maxBreakdowns that would list every product of a large problem is refused before any work', () => {
  // 62*62*64 = 246016 outputs of 3*3*64 = 576 products: 141,705,216 products (minutes and gigabytes).
  const x = randomNormal([1, 64, 64, 64], { seed: 1 });
  const w = randomNormal([3, 3, 64, 64], { seed: 2 });
  assert.throws(
    () => explainConv2d(x, w, { maxBreakdowns: 1e8 }),
    (error: unknown) =>
      error instanceof ResourceExhaustedError &&
      /maxBreakdowns 100000000 breaks down all 246016 outputs, 576 products each: 141705216 products, more than the 262144/.test(
        error.message,
      ),
  );
  // At the limit it lists them all: 4096 outputs of 64 products = 262144.
  const small = explainConv2d(
    randomNormal([1, 64, 64, 64], { seed: 3 }),
    randomNormal([1, 1, 64, 1], { seed: 4 }),
    {
      maxBreakdowns: 1e8,
    },
  );
  assert.equal(small.values!.breakdowns.length, 4096);
  // One output of the large problem is still explained with at.
  assert.equal(explainConv2d(x, w, { at: [0, 5, 5, 5] }).values!.breakdowns.length, 1);
});
