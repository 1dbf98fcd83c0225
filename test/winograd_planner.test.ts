/**
 * The planner and winograd: which 3x3 problems 'auto' gives it, what the plan says, and what an explicit
 * request for winograd does where winograd cannot run (another filter size, a stride, a dilation, no
 * WebAssembly SIMD): it falls back to igemm or im2col and says why, as a request for igemm does.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONV2D_ALGORITHMS, conv2d, convGeometry, planConv2d, randomNormal } from '../src/index.js';
import { setWasmVariant } from '../src/kernels/wasm/engine.js';

after(() => setWasmVariant('auto'));

interface SuiteShape {
  name: string;
  input: number[];
  filter: number[];
  strides: number;
  padding: 'SAME' | 'VALID';
}

const shapes = JSON.parse(
  readFileSync(new URL('../bench/shapes.json', import.meta.url), 'utf8'),
) as SuiteShape[];

test('winograd is one of the algorithms', () => {
  assert.ok(
    (CONV2D_ALGORITHMS as readonly string[]).includes('winograd'),
    "(CONV2D_ALGORITHMS as readonly string[]).includes('winograd')",
  );
});

test("'auto' picks winograd for the 3x3 stride-1 suite shapes and the 7x7 stride-2 stem, and names the kernel", () => {
  assert.equal(setWasmVariant('simd'), 'simd');
  const picked: string[] = [];
  for (const s of shapes) {
    const g = convGeometry('conv2d', s.input, s.filter, { strides: s.strides, padding: s.padding });
    const plan = planConv2d(g, 'auto');
    if (plan.algorithm !== 'winograd') continue;
    picked.push(s.name);
    if (s.name === 'resnet-stem') {
      assert.equal(plan.kernel, 'f32-winograd-4x4-4x4-wasmsimd');
      assert.match(
        plan.reason,
        /7x7 filter, stride 2: space-to-depth makes it a 4x4 stride-1 filter over 12 channels, and Winograd F\(4x4,4x4\) does 4\.00x fewer/,
      );
      continue;
    }
    // 14x14 takes 3x3 tiles of F(5x5) (15x15, and 441 tile points) over 4x4 of F(4x4) (16x16, 576).
    const [tile, fewer] = s.name === 'resnet-3x3-14' ? ['5x5', '4.59'] : ['4x4', '4.00'];
    assert.equal(plan.kernel, `f32-winograd-${tile}-3x3-wasmsimd`, s.name);
    assert.ok(
      plan.reason.includes(
        `3x3 filter, stride 1: Winograd F(${tile},3x3) does ${fewer}x fewer multiplications`,
      ),
      plan.reason,
    );
  }
  assert.deepEqual(picked, ['resnet-stem', 'resnet-3x3-56', 'resnet-3x3-28', 'resnet-3x3-14', 'vgg-3x3-b8']);
});

test("'auto' leaves to the other algorithms the problems winograd cannot do or would not speed up", () => {
  setWasmVariant('simd');
  const plan = (input: number[], filter: number[], options = {}) =>
    planConv2d(convGeometry('conv2d', input, filter, { padding: 'SAME', ...options }), 'auto');
  assert.notEqual(plan([1, 32, 32, 64], [3, 3, 64, 64], { strides: 2 }).algorithm, 'winograd');
  assert.notEqual(plan([1, 32, 32, 64], [3, 3, 64, 64], { dilations: 2 }).algorithm, 'winograd');
  assert.notEqual(plan([1, 32, 32, 64], [6, 6, 64, 64]).algorithm, 'winograd');
  // 5x5: F(4x4,5x5) or the FFT, whichever is modelled faster (both measured so on the 2-core Xeon).
  const fiveByFive = plan([1, 32, 32, 64], [5, 5, 64, 64]);
  assert.equal(fiveByFive.kernel, 'f32-winograd-4x4-5x5-wasmsimd');
  assert.match(fiveByFive.reason, /Winograd F\(4x4,5x5\) does 6\.25x fewer .*; FFT modelled slower \(/);
  const fewChannels = plan([1, 64, 64, 16], [5, 5, 16, 16]);
  assert.equal(fewChannels.algorithm, 'fft');
  assert.match(fewChannels.reason, /; Winograd modelled slower \(\d+\.\d\d ms against \d+\.\d\d ms\)$/);
  // Few channels: the transforms cost more than the multiplications saved.
  assert.equal(plan([1, 64, 64, 3], [3, 3, 3, 32]).algorithm, 'igemm');
  assert.equal(plan([1, 64, 64, 32], [3, 3, 32, 4]).algorithm, 'igemm');
  // Groups count per group: 4 channels a group is too few, 16 is enough.
  assert.equal(plan([1, 32, 32, 64], [3, 3, 4, 64]).algorithm, 'igemm');
  assert.equal(plan([1, 32, 32, 64], [3, 3, 16, 64]).algorithm, 'winograd');
  // A tiny output takes F(2x2) tiles.
  assert.equal(plan([1, 2, 2, 64], [3, 3, 64, 64]).kernel, 'f32-winograd-2x2-3x3-wasmsimd');
  // Stride 2 through space-to-depth: 5x5 filters become 3x3 ones over 4x the channels, 7x7 become 4x4;
  // one input channel stacks to 4, too few.
  assert.match(
    plan([1, 64, 64, 16], [5, 5, 16, 32], { strides: 2 }).kernel ?? '',
    /^f32-winograd-\dx\d-3x3-/,
  );
  assert.equal(plan([1, 112, 112, 8], [7, 7, 8, 32], { strides: 2 }).kernel, 'f32-winograd-4x4-4x4-wasmsimd');
  assert.equal(plan([1, 32, 32, 1], [7, 7, 1, 64], { strides: 2 }).algorithm, 'igemm');
  // 4x4 stride 2 becomes 2x2 over 4x the channels: F(5x5,2x2) where its filter is not too large; 3x3
  // stride 2 (7 of its 16 phase taps are zeros) stays with igemm, measured faster.
  assert.equal(plan([1, 56, 56, 64], [4, 4, 64, 64], { strides: 2 }).kernel, 'f32-winograd-5x5-2x2-wasmsimd');
  assert.equal(plan([1, 16, 16, 256], [4, 4, 256, 512], { strides: 2 }).algorithm, 'igemm');
  assert.equal(plan([1, 56, 56, 64], [3, 3, 64, 128], { strides: 2 }).algorithm, 'igemm');
});

test('5x5 layers: FFT or Winograd by their one-thread models, whatever the thread count (issue 15)', () => {
  setWasmVariant('simd');
  // mnist-c2 went to Winograd on 2 threads and to the FFT on one, so their bits differed; now the
  // one-thread models decide for every thread count (planConv2d takes none).
  const mnistC2 = convGeometry('conv2d', [64, 14, 14, 32], [5, 5, 32, 64], { padding: 'SAME' });
  const plan = planConv2d(mnistC2, 'auto');
  assert.equal(plan.algorithm, 'fft');
  assert.match(plan.reason, /; Winograd modelled slower \(\d+\.\d\d ms against \d+\.\d\d ms\)$/);
  assert.doesNotMatch(plan.reason, /thread/);
  const issue = convGeometry('conv2d', [1, 14, 14, 13], [5, 5, 13, 16], { padding: 'SAME' });
  assert.equal(planConv2d(issue, 'auto').algorithm, 'fft');
  assert.equal(planConv2d(mnistC2, 'winograd').kernel, 'f32-winograd-4x4-5x5-wasmsimd');
});

test('a request for winograd where it cannot run falls back, and says why', () => {
  setWasmVariant('simd');
  const g = (filter: number[], options = {}) =>
    convGeometry('conv2d', [1, 10, 10, 8], filter, { padding: 'SAME', ...options });
  const cases: [ReturnType<typeof g>, RegExp][] = [
    [
      g([6, 6, 8, 8]),
      /the filter is 6x6 and winograd computes 3x3, 4x4 and 5x5 filters \(3x3 to 10x10 at stride 2\)/,
    ],
    [g([3, 5, 8, 8]), /the filter is 3x5 and winograd computes/],
    [g([3, 3, 8, 8], { strides: [1, 2] }), /strides are \[1, 2\] and winograd needs stride 1, or 2/],
    [g([3, 3, 8, 8], { dilations: 2 }), /dilations are \[2, 2\] and winograd needs dilation 1/],
    [
      g([2, 2, 8, 8], { strides: 2 }),
      /strides are \[2, 2\]: winograd would rewrite it by space-to-depth, but the filter is 2x2 and space-to-depth takes 3x3 to 4x4, 5x5 to 6x6, 7x7 to 8x8, 9x9 to 10x10 filters/,
    ],
    [g([11, 11, 8, 8], { strides: 2 }), /the filter is 11x11 and space-to-depth takes/],
    [g([7, 5, 8, 8], { strides: 2 }), /the filter is 7x5 and space-to-depth takes/],
    [g([7, 7, 8, 8], { strides: 2, dilations: 2 }), /space-to-depth needs dilation 1/],
    [g([7, 7, 4, 8], { strides: 2 }), /it is grouped \(2 groups\) and space-to-depth takes 1 group/],
  ];
  for (const [geometry, why] of cases) {
    const plan = planConv2d(geometry, 'winograd');
    assert.equal(plan.algorithm, 'igemm');
    assert.match(plan.reason, /^winograd was requested but /);
    assert.match(plan.reason, why);
    assert.match(plan.reason, /; igemm computes the same values$/);
  }
  const ok = planConv2d(g([3, 3, 8, 8]), 'winograd');
  assert.equal(ok.algorithm, 'winograd');
  assert.equal(ok.reason, "requested with algorithm: 'winograd'");
  // And the fallback computes the convolution.
  const x = randomNormal([1, 10, 10, 8], { seed: 1 });
  const w = randomNormal([6, 6, 8, 8], { seed: 2 });
  const y = conv2d(x, w, { padding: 'SAME', algorithm: 'winograd' });
  const reference = conv2d(x, w, { padding: 'SAME', algorithm: 'direct' });
  for (let i = 0; i < y.size; i++)
    assert.ok(
      Math.abs(y.data[i] - reference.data[i]) < 1e-4,
      'Math.abs(y.data[i] - reference.data[i]) < 1e-4',
    );
});

test('without WebAssembly SIMD, a request for winograd is served by im2col and auto never picks it', () => {
  setWasmVariant('none');
  const g = convGeometry('conv2d', [1, 56, 56, 64], [3, 3, 64, 64], { padding: 'SAME' });
  const plan = planConv2d(g, 'winograd');
  assert.equal(plan.algorithm, 'im2col');
  assert.match(
    plan.reason,
    /winograd was requested but WebAssembly SIMD is not available.*; im2col computes/,
  );
  assert.equal(planConv2d(g).algorithm, 'im2col');
  setWasmVariant('auto');
});
