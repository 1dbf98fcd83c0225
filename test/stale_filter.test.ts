/**
 * Issue 15, finding 1: a filter changed in place (Tensor.data is a public, writable Float32Array) must
 * never give the results of its old values. Every algorithm that keeps a prepared filter (igemm's
 * panels, Winograd's transform, space-to-depth's filter and its transform, the FFT's spectra, the
 * depthwise packing) and the wasm heap's weight arena behind them are run, the filter is changed in
 * place, and the next call must equal, bit for bit, the same call on a fresh copy of the new values
 * (whose caches start empty); on one thread, on two, and through conv2dAsync. Also: the bitwise compare
 * itself (NaN payloads, the sign of zero, unaligned views), that an unchanged filter is not repacked,
 * that repacking reuses the arena instead of growing it, and the Conv2D layer training on its live array.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  conv2d,
  conv2dBackpropInput,
  depthwiseConv2d,
  randomNormal,
  Tensor,
  type Conv2dOptions,
} from '../src/index.js';
import { conv2dAsync } from '../src/parallel/conv2d_async.js';
import { parallelEngine, stopParallelEngine } from '../src/parallel/parallel_engine.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { markUnchanging, packedWeights, sameBits, sameBitsLoop } from '../src/plan/weights_cache.js';
import { Conv2D } from '../src/layers/conv2d_layer.js';
import { assertSameBits } from './helpers/threads.js';
import { seededUniform } from './helpers/layout.js';

after(() => stopParallelEngine());

interface Case {
  name: string;
  input: number[];
  filter: number[];
  options: Conv2dOptions;
}

const CASES: Case[] = [
  {
    name: 'igemm',
    input: [2, 9, 9, 8],
    filter: [3, 3, 8, 12],
    options: { algorithm: 'igemm', padding: 'SAME' },
  },
  {
    name: 'igemm, 4 groups (block-diagonal panels)',
    input: [1, 12, 12, 16],
    filter: [3, 3, 4, 16],
    options: { algorithm: 'igemm', padding: 'SAME' },
  },
  {
    name: 'winograd, stride 1',
    input: [1, 12, 12, 16],
    filter: [3, 3, 16, 16],
    options: { algorithm: 'winograd', padding: 'SAME' },
  },
  {
    name: 'winograd 5x5, stride 1',
    input: [1, 14, 14, 13],
    filter: [5, 5, 13, 16],
    options: { algorithm: 'winograd', padding: 'SAME' },
  },
  {
    name: 'winograd, stride 2 (space-to-depth)',
    input: [1, 20, 20, 8],
    filter: [7, 7, 8, 16],
    options: { algorithm: 'winograd', strides: 2, padding: 'SAME' },
  },
  {
    name: 'fft',
    input: [1, 20, 20, 4],
    filter: [9, 9, 4, 6],
    options: { algorithm: 'fft', padding: 'SAME' },
  },
  {
    name: 'fft, NCHW and dilated',
    input: [1, 4, 24, 24],
    filter: [5, 5, 4, 6],
    options: { algorithm: 'fft', padding: 'SAME', dataFormat: 'NCHW', dilations: 2 },
  },
  { name: 'im2col', input: [1, 9, 9, 8], filter: [3, 3, 8, 12], options: { algorithm: 'im2col' } },
  { name: 'auto', input: [1, 16, 16, 16], filter: [3, 3, 16, 16], options: { padding: 'SAME' } },
];

/** The same call on a fresh copy of w's current values: a new array, so every cache starts empty. */
function fresh(x: Tensor, w: Tensor, options: Conv2dOptions): Float32Array {
  return conv2d(x, new Tensor(w.data.slice(), w.shape), options).data;
}

/** Ways of changing a filter in place: all of it, one value at its far end, and back again. */
function changes(w: Tensor, seed: number): Array<[string, () => void]> {
  const original = w.data.slice();
  return [
    ['w.data.fill(0)', () => w.data.fill(0)],
    ['new values', () => w.data.set(seededUniform(w.data.length, seed))],
    ['its last value only', () => (w.data[w.data.length - 1] += 1)],
    ['its first value to -0', () => (w.data[0] = -0)],
    ['back to the original', () => w.data.set(original)],
  ];
}

for (const threads of [1, 2]) {
  for (const c of CASES) {
    test(`${c.name}, threads ${threads}: a filter changed in place gives its new values' result`, () => {
      const x = randomNormal(c.input, { seed: 11 });
      const w = randomNormal(c.filter, { seed: 12 });
      const options = { ...c.options, threads };
      const before = conv2d(x, w, options).data;
      assertSameBits(conv2d(x, w, options).data, before, `${c.name}: a repeated call`);
      for (const [what, change] of changes(w, 13)) {
        change();
        const expected = fresh(x, w, options);
        assertSameBits(conv2d(x, w, options).data, expected, `${c.name} after ${what}`);
        // And again: the repacked form is what the cache now keeps.
        assertSameBits(conv2d(x, w, options).data, expected, `${c.name} after ${what}, second call`);
      }
      w.data.fill(0);
      assert.ok(
        conv2d(x, w, options).data.every((v) => v === 0),
        `${c.name}: a zeroed filter gives zeros`,
      );
    });
  }
}

test('one filter array through every algorithm in turn, changed between rounds', () => {
  const x = randomNormal([1, 12, 12, 8], { seed: 21 });
  const w = randomNormal([5, 5, 8, 8], { seed: 22 });
  const algorithms = ['igemm', 'winograd', 'fft', 'im2col', 'direct'] as const;
  for (let round = 0; round < 3; round++) {
    for (const algorithm of algorithms) {
      const options: Conv2dOptions = { algorithm, padding: 'SAME' };
      assertSameBits(conv2d(x, w, options).data, fresh(x, w, options), `round ${round}: ${algorithm}`);
    }
    w.data.set(seededUniform(w.data.length, 23 + round));
  }
});

test('conv2dAsync (igemm on the workers) sees a filter changed in place', async () => {
  const x = randomNormal([2, 24, 24, 16], { seed: 31 });
  const w = randomNormal([3, 3, 16, 32], { seed: 32 });
  const options: Conv2dOptions = { algorithm: 'igemm', padding: 'SAME', threads: 2 };
  assertSameBits((await conv2dAsync(x, w, options)).data, fresh(x, w, options), 'first call');
  w.data.set(seededUniform(w.data.length, 33));
  assertSameBits((await conv2dAsync(x, w, options)).data, fresh(x, w, options), 'after a change');
  w.data.fill(0);
  assert.ok(
    (await conv2dAsync(x, w, options)).data.every((v) => v === 0),
    'a zeroed filter gives zeros',
  );
});

test('depthwiseConv2d (wasm packing) sees a filter changed in place', () => {
  const x = randomNormal([1, 10, 10, 8], { seed: 41 });
  const w = randomNormal([3, 3, 8, 2], { seed: 42 });
  for (const algorithm of ['wasm', 'auto'] as const) {
    const options = { strides: 1, padding: 'SAME' as const, algorithm };
    const run = (f: Tensor) => depthwiseConv2d(x, f, options).data;
    run(w);
    for (const [what, change] of changes(w, 43)) {
      change();
      assertSameBits(
        run(w),
        run(new Tensor(w.data.slice(), w.shape)),
        `depthwise ${algorithm} after ${what}`,
      );
    }
  }
});

test('conv2dBackpropInput sees a filter changed in place', () => {
  const dy = randomNormal([1, 8, 8, 12], { seed: 51 });
  const w = randomNormal([3, 3, 6, 12], { seed: 52 });
  const options = { strides: 1, padding: 'SAME' as const };
  const run = (f: Tensor) => conv2dBackpropInput([1, 8, 8, 6], f, dy, options).data;
  run(w);
  w.data.set(seededUniform(w.data.length, 53));
  assertSameBits(run(w), run(new Tensor(w.data.slice(), w.shape)), 'after a change');
});

test('an unchanged filter is not repacked; a changed one is, once', () => {
  const w = seededUniform(1000, 61);
  let packs = 0;
  const pack = () => {
    packs++;
    return w.map((v) => 2 * v);
  };
  const first = packedWeights(w, 'test/double', pack);
  assert.equal(packedWeights(w, 'test/double', pack), first, 'the same array, unchanged values');
  assert.equal(packs, 1, 'packed once');
  w[999] = 5;
  const second = packedWeights(w, 'test/double', pack);
  assert.notEqual(second, first, 'a new array for the new values');
  assert.equal(second[999], 10, 'packed from the new values');
  assert.equal(first[999], 2 * seededUniform(1000, 61)[999], 'the old form is left as it was');
  assert.equal(packedWeights(w, 'test/double', pack), second, 'then kept');
  assert.equal(packs, 2, 'packed twice in all');
  // NaN payloads and zeros compare by their bits: a NaN filter is not repacked on every call.
  w[0] = NaN;
  w[1] = 0;
  packedWeights(w, 'test/double', pack);
  packedWeights(w, 'test/double', pack);
  assert.equal(packs, 3, 'a filter holding NaN is packed once');
});

test('an array marked unchanging is packed once and never compared (for arrays convkit owns)', () => {
  const w = seededUniform(64, 62);
  let packs = 0;
  const pack = () => {
    packs++;
    return w.slice();
  };
  packedWeights(w, 'test/copy', pack);
  markUnchanging(w);
  w[0] += 1; // a write the mark promises never happens: the cached form stays (what the mark is for)
  packedWeights(w, 'test/copy', pack);
  assert.equal(packs, 1, 'not repacked');
  const fresh = seededUniform(64, 63);
  markUnchanging(fresh);
  const first = packedWeights(fresh, 'test/copy', () => fresh.map((v) => v + 1));
  fresh[1] = 99;
  assert.equal(
    packedWeights(fresh, 'test/copy', () => new Float32Array(64)),
    first,
    'kept without a compare',
  );
});

test('sameBits and its loop form: NaN payloads, the sign of zero, odd offsets and lengths', () => {
  for (const n of [0, 1, 2, 7, 64, 1001]) {
    for (const offset of [0, 1]) {
      const buffer = new Float32Array(n + 2);
      buffer.set(seededUniform(n + 2, n + offset));
      const a = buffer.subarray(offset, offset + n);
      const b = a.slice();
      for (const same of [sameBits, sameBitsLoop]) {
        assert.equal(same(a, b), true, `${same.name}: ${n} equal values at offset ${offset}`);
        if (n === 0) continue;
        for (const i of [0, n - 1, n >> 1]) {
          const keep = b[i];
          for (const other of [keep + 1, -keep, NaN]) {
            b[i] = other;
            assert.equal(same(a, b), false, `${same.name}: n ${n}, offset ${offset}, [${i}] = ${other}`);
          }
          b[i] = keep;
        }
        const [ai, bi] = [
          new Int32Array(a.buffer, a.byteOffset, n),
          new Int32Array(b.buffer, b.byteOffset, n),
        ];
        // Two NaNs with the same payload are the same bits; different payloads are not.
        ai[0] = bi[0] = 0x7fc00001;
        assert.equal(same(a, b), true, `${same.name}: equal NaNs`);
        bi[0] = 0x7fc00002;
        assert.equal(same(a, b), false, `${same.name}: NaN payloads differ`);
        a[0] = 0;
        b[0] = -0;
        assert.equal(same(a, b), false, `${same.name}: +0 against -0`);
        b[0] = 0;
        assert.equal(same(a, b), true, `${same.name}: restored`);
      }
    }
  }
  assert.equal(sameBits(new Float32Array(3), new Float32Array(4)), false, 'different lengths');
});

test('a filter changed in place takes no new weight-arena space: its new form goes where the old lay', () => {
  const runs: Array<[string, number[], number[], Conv2dOptions]> = [
    ['igemm', [1, 16, 16, 16], [3, 3, 16, 16], { algorithm: 'igemm', padding: 'SAME' }],
    ['winograd', [1, 16, 16, 16], [3, 3, 16, 16], { algorithm: 'winograd', padding: 'SAME' }],
    [
      'winograd stride 2',
      [1, 20, 20, 8],
      [7, 7, 8, 16],
      { algorithm: 'winograd', strides: 2, padding: 'SAME' },
    ],
    ['depthwise', [1, 12, 12, 8], [3, 3, 8, 2], {}],
  ];
  for (const [name, input, filter, base] of runs) {
    const x = randomNormal(input, { seed: 81 });
    const run = (f: Tensor, threads: number) =>
      name === 'depthwise'
        ? depthwiseConv2d(x, f, { padding: 'SAME', algorithm: 'wasm' }).data
        : conv2d(x, f, { ...base, threads }).data;
    for (const threads of name === 'depthwise' ? [1] : [1, 2]) {
      const w = randomNormal(filter, { seed: 82 });
      run(w, threads);
      const heaps = [wasmEngine()?.heap, parallelEngine()?.heap];
      const tops = heaps.map((heap) => heap?.scratchBase);
      for (let step = 0; step < 10; step++) {
        w.data.set(seededUniform(w.data.length, 83 + step));
        run(w, threads);
      }
      assert.deepEqual(
        heaps.map((heap) => heap?.scratchBase),
        tops,
        `${name}, threads ${threads}: the arena's top moved`,
      );
      const copy = new Tensor(w.data.slice(), w.shape);
      assertSameBits(run(w, threads), run(copy, threads), `${name}, threads ${threads}`);
    }
  }
});

test('the Conv2D layer computes on its live kernel array and its forward pass follows every update', () => {
  const layer = new Conv2D({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, seed: 5 });
  layer.build([10, 10, 4], 1);
  const x = randomNormal([2, 10, 10, 4], { seed: 91 });
  const [kernel] = layer.parameters();
  for (let step = 0; step < 3; step++) {
    // Linear activation and no bias: the layer's output is conv2d(x, kernel).
    const expected = conv2d(x, new Tensor(kernel.value.slice(), kernel.shape), { padding: 'SAME' }).data;
    assertSameBits(layer.forward(x, false).data, expected, `step ${step}`);
    for (let i = 0; i < kernel.value.length; i++) kernel.value[i] -= 0.01 * Math.sin(i + step);
  }
});
