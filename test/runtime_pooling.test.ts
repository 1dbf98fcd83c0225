/**
 * Pooling in the model runtime: the WebAssembly kernels (wasm/assembly/pool.ts through
 * src/runtime/wasm_pool.ts) against the TypeScript kernels (kernels.ts) bit for bit, NaN, infinities
 * and signed zeros included, in place in wasm memory and through scratch; whole models against
 * tfjs-layers (tfjs-backend-cpu) with and without the wasm engine; and ZeroPadding2D folded into a
 * following 'valid' pooling, against the same model with `{ fuse: false }` (the pad a step of its own).
 *
 * Max pooling with NaN follows TensorFlow's CPU kernel (kernels.ts keeps that rule): a NaN anywhere in
 * the window gives NaN. tfjs-backend-cpu's MaxPool skips NaN instead, so NaN cases are checked against
 * a reference written here, not against tfjs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadLayersModel } from '../src/runtime/index.js';
import { globalPool, pool2d, type PoolPadding, type PoolShape } from '../src/runtime/kernels.js';
import { globalPoolFast, pool2dFast, poolWasmAvailable } from '../src/runtime/wasm_pool.js';
import { setWasmVariant, wasmEngine } from '../src/kernels/wasm/engine.js';
import { createRng } from '../src/layers/random.js';
import { Tensor } from '../src/tensor.js';
import { artifactsOf, randomInput, relativeError, seedWeights, tfjsPredict } from './helpers/tfjs_models.js';

type Sym = tfl.SymbolicTensor;
type Pads = [[number, number], [number, number]];
const L = tfl.layers;

/** Asserts the same bits everywhere, except that any NaN matches any NaN (payloads may differ). */
function assertSameBits(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length ${got.length}, expected ${want.length}`);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    if (g[i] !== w[i]) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) {
    assert.fail(
      `${label}: ${bad} of ${want.length} differ; first at ${first}: got ${Object.is(got[first], -0) ? '-0' : got[first]}` +
        `, expected ${Object.is(want[first], -0) ? '-0' : want[first]}`,
    );
  }
}

/**
 * Seeded values in [-2, 2) (or [-2, 0) with `negative`), with `specials` a share of NaN (both signs),
 * +-Infinity, +-0 and repeats of a neighbour (ties).
 */
function values(n: number, seed: number, specials: number, negative = false): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    out[i] = negative ? -2 * rng.next() : 4 * rng.next() - 2;
    if (rng.next() >= specials) continue;
    const pick = Math.floor(rng.next() * 7);
    if (pick === 0) bits[i] = 0x7fc00000;
    else if (pick === 1) bits[i] = 0xffc00000;
    else if (pick === 2) out[i] = Infinity;
    else if (pick === 3) out[i] = -Infinity;
    else if (pick === 4) out[i] = 0;
    else if (pick === 5) out[i] = -0;
    else if (i > 0) out[i] = out[i - 1];
  }
  return out;
}

interface PoolCase {
  batch: number;
  height: number;
  width: number;
  channels: number;
  k: [number, number];
  stride: [number, number];
  padding: PoolPadding;
  mode: 'max' | 'avg';
  specials: number;
  seed: number;
}

/** Output size along one axis, TF's rules (SAME: ceil(in / stride); else over the padded size). */
function outSize(n: number, k: number, s: number, padding: PoolPadding, axis: 0 | 1): number {
  if (padding === 'SAME') return Math.ceil(n / s);
  const padded = typeof padding === 'object' ? n + padding.zeros[axis][0] + padding.zeros[axis][1] : n;
  return Math.floor((padded - k) / s) + 1;
}

function shapeOf(c: PoolCase): PoolShape {
  return {
    batch: c.batch,
    height: c.height,
    width: c.width,
    channels: c.channels,
    outHeight: outSize(c.height, c.k[0], c.stride[0], c.padding, 0),
    outWidth: outSize(c.width, c.k[1], c.stride[1], c.padding, 1),
  };
}

const pair = (lo: number, hi: number) =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }));
const poolCase: fc.Arbitrary<PoolCase> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    channels: fc.integer({ min: 1, max: 13 }),
    k: pair(1, 4),
    stride: pair(1, 3),
    padding: fc.oneof(
      fc.constant<PoolPadding>('SAME'),
      fc.constant<PoolPadding>('VALID'),
      fc.tuple(pair(0, 3), pair(0, 3)).map((zeros): PoolPadding => ({ zeros: zeros as Pads })),
    ),
    mode: fc.constantFrom('max' as const, 'avg' as const),
    specials: fc.constantFrom(0, 0.1, 0.5),
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  })
  .filter((c) => {
    const s = shapeOf(c);
    return s.outHeight > 0 && s.outWidth > 0;
  });

function describe(c: PoolCase): string {
  return JSON.stringify(c);
}

/** `run(x, out)` with x and out in wasm memory (a pinned region, as the model arena is); out returned. */
function inWasmMemory(
  x: Float32Array,
  outLength: number,
  run: (x: Float32Array, out: Float32Array) => void,
): Float32Array {
  const heap = wasmEngine()!.heap;
  const bytes = 4 * (x.length + outLength) + 64;
  const at = heap.pin(bytes);
  try {
    const f32 = heap.f32;
    const xv = f32.subarray(at >> 2, (at >> 2) + x.length);
    const outAt = (at >> 2) + Math.ceil(x.length / 16) * 16;
    const ov = f32.subarray(outAt, outAt + outLength);
    xv.set(x);
    ov.fill(12345); // stale values from an earlier use of the slot
    assert.ok(heap.addressOf(xv) >= 0 && heap.addressOf(ov) >= 0, 'both views are in wasm memory');
    run(xv, ov);
    return ov.slice();
  } finally {
    heap.unpin(at);
  }
}

function checkPoolCase(c: PoolCase, label: string): void {
  const s = shapeOf(c);
  const x = values(c.batch * c.height * c.width * c.channels, c.seed, c.specials);
  const n = c.batch * s.outHeight * s.outWidth * c.channels;
  const want = pool2d(x, s, c.mode, c.k, c.stride, c.padding, new Float32Array(n));
  const scratch = pool2dFast(x, s, c.mode, c.k, c.stride, c.padding, new Float32Array(n).fill(7));
  assertSameBits(scratch, want, `${label} through scratch: ${describe(c)}`);
  const inPlace = inWasmMemory(x, n, (xv, ov) => pool2dFast(xv, s, c.mode, c.k, c.stride, c.padding, ov));
  assertSameBits(inPlace, want, `${label} in place: ${describe(c)}`);
}

test('wasm pooling gives kernels.ts pool2d bits: random geometries, SAME / VALID / folded zeros, NaN, Inf, -0', () => {
  assert.ok(poolWasmAvailable(), 'the WebAssembly pooling kernels run here');
  const seen = { tail: 0, vectors: 0, zeros: 0, same: 0, avg: 0, specials: 0 };
  fc.assert(
    fc.property(poolCase, (c) => {
      checkPoolCase(c, wasmEngine()!.variant);
      if (c.channels % 4 !== 0) seen.tail++;
      if (c.channels >= 8) seen.vectors++;
      if (typeof c.padding === 'object') seen.zeros++;
      if (c.padding === 'SAME') seen.same++;
      if (c.mode === 'avg') seen.avg++;
      if (c.specials > 0) seen.specials++;
    }),
    { seed: 1212, numRuns: 300 },
  );
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 10, `few cases with ${what}: ${count}`);
  // The other module (plain SIMD where relaxed SIMD runs by default) has the same kernel.
  if (wasmEngine()!.variant !== 'simd') {
    assert.equal(setWasmVariant('simd'), 'simd', 'plain SIMD runs in Node >= 20');
    try {
      fc.assert(
        fc.property(poolCase, (c) => checkPoolCase(c, 'simd')),
        { seed: 1313, numRuns: 60 },
      );
    } finally {
      setWasmVariant('auto');
    }
  }
});

test('wasm global pooling gives kernels.ts globalPool bits (NaN, Inf, -0; channels 1 to 13)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 13 }),
      fc.constantFrom('max' as const, 'avg' as const),
      fc.constantFrom(0, 0.05, 0.5),
      fc.integer({ min: 0, max: 1 << 30 }),
      (batch, cells, c, mode, specials, seed) => {
        const x = values(batch * cells * c, seed, specials);
        const label = JSON.stringify({ batch, cells, c, mode, specials, seed });
        const want = globalPool(x, batch, cells, c, mode, new Float32Array(batch * c));
        assertSameBits(globalPoolFast(x, batch, cells, c, mode, new Float32Array(batch * c)), want, label);
        const inPlace = inWasmMemory(x, batch * c, (xv, ov) => globalPoolFast(xv, batch, cells, c, mode, ov));
        assertSameBits(inPlace, want, `${label} in place`);
      },
    ),
    { seed: 77, numRuns: 200 },
  );
});

test('kernels.ts max pooling: NaN in a window gives NaN, else the largest value (TF CPU rule, not tfjs-cpu)', () => {
  const s: PoolShape = { batch: 1, height: 6, width: 5, channels: 3, outHeight: 3, outWidth: 3 };
  const x = values(6 * 5 * 3, 3, 0.15);
  for (const fast of [false, true]) {
    const run = fast ? pool2dFast : pool2d;
    const got = run(x, s, 'max', [3, 2], [2, 2], 'SAME', new Float32Array(27));
    // Written out here: SAME with stride 2 pads (3 - 2) / 2 -> 0 rows above, (2 - 1) / 2 -> 0 columns left.
    for (let oy = 0; oy < 3; oy++) {
      for (let ox = 0; ox < 3; ox++) {
        for (let ch = 0; ch < 3; ch++) {
          let nan = false;
          let best = -Infinity;
          for (let y = 2 * oy; y < Math.min(2 * oy + 3, 6); y++) {
            for (let xx = 2 * ox; xx < Math.min(2 * ox + 2, 5); xx++) {
              const v = x[(y * 5 + xx) * 3 + ch];
              nan ||= Number.isNaN(v);
              best = Math.max(best, v);
            }
          }
          const v = got[(oy * 3 + ox) * 3 + ch];
          if (nan) assert.ok(Number.isNaN(v), `${fast ? 'wasm' : 'ts'} (${oy}, ${ox}, ${ch}): NaN, got ${v}`);
          else assert.equal(v, best, `${fast ? 'wasm' : 'ts'} (${oy}, ${ox}, ${ch})`);
        }
      }
    }
  }
});

/** A Sequential model of `layers` on a [h, w, c] input. */
function seq(inputShape: number[], ...layers: tfl.layers.Layer[]): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(L.inputLayer({ inputShape }));
  for (const l of layers) m.add(l);
  return m;
}

const MODEL_CASES: [string, () => tfl.layers.Layer][] = [
  ['max 2 valid', () => L.maxPooling2d({ poolSize: 2 })],
  ['max 3 stride 2 same', () => L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
  ['max 3 stride 1 same', () => L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' })],
  ['max [2,3] strides [1,2] valid', () => L.maxPooling2d({ poolSize: [2, 3], strides: [1, 2] })],
  ['max 4 stride 3 same', () => L.maxPooling2d({ poolSize: 4, strides: 3, padding: 'same' })],
  ['avg 2 valid', () => L.averagePooling2d({ poolSize: 2 })],
  ['avg 3 stride 2 same', () => L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
  [
    'avg [3,2] strides [2,1] same',
    () => L.averagePooling2d({ poolSize: [3, 2], strides: [2, 1], padding: 'same' }),
  ],
  ['avg 4 stride 3 valid', () => L.averagePooling2d({ poolSize: 4, strides: 3 })],
  ['global avg', () => L.globalAveragePooling2d({})],
  ['global max', () => L.globalMaxPooling2d({})],
];

/** Max results must equal tfjs' exactly (finite inputs); averages within float32 rounding of its float64 sums. */
function assertMatchesTfjs(got: Float32Array, want: Float32Array, max: boolean, label: string): void {
  if (max) assertSameBits(got, want, label);
  else assert.ok(relativeError(got, want) < 1e-6, `${label}: relative error ${relativeError(got, want)}`);
}

test('pooling models match tfjs-layers (channels 3, 5, 8; batch 1 and 3), wasm and TypeScript give the same bits', async () => {
  await tf.setBackend('cpu');
  for (const channels of [3, 5, 8]) {
    for (const [name, layer] of MODEL_CASES) {
      const oracle = seq([9, 7, channels], layer());
      const artifacts = await artifactsOf(oracle);
      const model = await loadLayersModel(artifacts);
      assert.match(model.steps(1)[0].algorithm, /wasm$/, `${name}: the step runs in wasm`);
      assert.equal(setWasmVariant('none'), null, 'the TypeScript path');
      let typescript;
      try {
        typescript = await loadLayersModel(artifacts);
        assert.doesNotMatch(typescript.steps(1)[0].algorithm, /wasm/, `${name}: TypeScript step`);
      } finally {
        setWasmVariant('auto');
      }
      for (const batch of [1, 3]) {
        const x = randomInput([batch, 9, 7, channels], 10 * channels + batch);
        const label = `${name}, ${channels} channels, batch ${batch}`;
        const got = model.predict(x).data;
        assertMatchesTfjs(got, tfjsPredict(oracle, x)[0], name.includes('max'), label);
        setWasmVariant('none');
        try {
          assertSameBits(got, typescript.predict(x).data, `${label}: wasm vs TypeScript`);
        } finally {
          setWasmVariant('auto');
        }
      }
      model.dispose();
      typescript.dispose();
      oracle.dispose();
    }
  }
});

test('NaN and infinities through pooling models: same bits as the TypeScript kernels, tfjs where it agrees', async () => {
  await tf.setBackend('cpu');
  for (const [name, layer] of MODEL_CASES) {
    const oracle = seq([8, 6, 9], layer());
    const model = await loadLayersModel(await artifactsOf(oracle));
    const x = new Tensor(values(2 * 8 * 6 * 9, 99, 0.08), [2, 8, 6, 9]);
    const got = model.predict(x).data;
    const want = tfjsPredict(oracle, x)[0];
    const d = oracle.layers[oracle.layers.length - 1].getConfig() as {
      poolSize?: number[];
      strides?: number[];
      padding?: string;
    };
    if (name.startsWith('global')) {
      const cells = 8 * 6;
      const mode = name.includes('max') ? 'max' : 'avg';
      assertSameBits(
        got,
        globalPool(x.data, 2, cells, 9, mode, new Float32Array(18)),
        `${name}: vs globalPool`,
      );
      // tfjs' max reduction propagates NaN too; its average sums in float64.
      for (let i = 0; i < want.length; i++) {
        if (Number.isNaN(want[i]) || !Number.isFinite(want[i]))
          assertSameBits(got.subarray(i, i + 1), want.subarray(i, i + 1), `${name} [${i}]`);
        else assert.ok(Math.abs(got[i] - want[i]) <= 1e-6 * Math.max(1, Math.abs(want[i])), `${name} [${i}]`);
      }
    } else {
      const k = d.poolSize as [number, number];
      const strides = d.strides as [number, number];
      const padding = d.padding === 'same' ? 'SAME' : 'VALID';
      const s: PoolShape = { batch: 2, height: 8, width: 6, channels: 9, outHeight: 0, outWidth: 0 };
      s.outHeight = outSize(8, k[0], strides[0], padding, 0);
      s.outWidth = outSize(6, k[1], strides[1], padding, 1);
      const mode = name.startsWith('max') ? 'max' : 'avg';
      const ts = pool2d(x.data, s, mode, k, strides, padding, new Float32Array(got.length));
      assertSameBits(got, ts, `${name}: vs kernels.ts`);
      assert.ok(
        got.some((v) => Number.isNaN(v)),
        `${name}: some window holds a NaN`,
      );
      // Where tfjs has no NaN to skip (average, or a max window without NaN) the results agree.
      for (let i = 0; i < want.length; i++) {
        if (Number.isNaN(got[i]) && mode === 'max') continue;
        if (!Number.isFinite(want[i]) || !Number.isFinite(got[i]))
          assertSameBits(got.subarray(i, i + 1), want.subarray(i, i + 1), `${name} [${i}] vs tfjs`);
        else
          assert.ok(
            Math.abs(got[i] - want[i]) <= 1e-6 * Math.max(1, Math.abs(want[i])),
            `${name} [${i}] vs tfjs`,
          );
      }
    }
    model.dispose();
    oracle.dispose();
  }
});

/** ZeroPadding2D(pads) then `pool`, named 'pad' and 'pool'. */
function padThenPool(channels: number, pads: Pads, pool: () => tfl.layers.Layer): tfl.LayersModel {
  const input = tfl.input({ shape: [9, 8, channels] });
  const padded = L.zeroPadding2d({ padding: pads, name: 'pad' }).apply(input) as Sym;
  return tfl.model({ inputs: input, outputs: pool().apply(padded) as Sym });
}

test('ZeroPadding2D folds into a valid pooling: the zeros take part, same bits as the unfolded plan and tfjs', async () => {
  await tf.setBackend('cpu');
  const cases: [string, Pads, () => tfl.layers.Layer][] = [
    [
      'max 3 stride 2, pad 1 (ResNet pool1)',
      [
        [1, 1],
        [1, 1],
      ],
      () => L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool' }),
    ],
    [
      'max 2, pads [[0,3],[2,1]]',
      [
        [0, 3],
        [2, 1],
      ],
      () => L.maxPooling2d({ poolSize: 2, name: 'pool' }),
    ],
    [
      'max [2,3] stride [1,2], pads [[3,0],[0,4]] (windows all padding)',
      [
        [3, 0],
        [0, 4],
      ],
      () => L.maxPooling2d({ poolSize: [2, 3], strides: [1, 2], name: 'pool' }),
    ],
    [
      'avg 3 stride 2, pad 1',
      [
        [1, 1],
        [1, 1],
      ],
      () => L.averagePooling2d({ poolSize: 3, strides: 2, name: 'pool' }),
    ],
    [
      'avg [3,2] stride 1, pads [[2,0],[1,3]]',
      [
        [2, 0],
        [1, 3],
      ],
      () => L.averagePooling2d({ poolSize: [3, 2], strides: 1, name: 'pool' }),
    ],
  ];
  for (const channels of [5, 8]) {
    for (const [name, pads, pool] of cases) {
      const oracle = padThenPool(channels, pads, pool);
      const artifacts = await artifactsOf(oracle);
      const folded = await loadLayersModel(artifacts);
      const unfolded = await loadLayersModel(artifacts, { fuse: false });
      const label = `${name}, ${channels} channels`;
      assert.deepEqual(
        folded.steps(1).map((s) => s.name),
        ['pool+pad'],
        `${label}: one step`,
      );
      assert.deepEqual(
        unfolded.steps(1).map((s) => s.name),
        ['pad', 'pool'],
        `${label}: fuse false keeps the pad`,
      );
      assert.match(
        folded.summary(),
        /pad .*fused into pool/,
        `${label}: the summary says where the pad went`,
      );
      const max = name.startsWith('max');
      for (const batch of [1, 3]) {
        const size = batch * 9 * 8 * channels;
        // All negative: a max over a window that reaches the padding is 0, the padding's value.
        const inputs: [string, Tensor][] = [
          ['negative', new Tensor(values(size, batch, 0, true), [batch, 9, 8, channels])],
          ['uniform', randomInput([batch, 9, 8, channels], 3 + batch)],
          ['NaN, Inf, -0', new Tensor(values(size, 40 + batch, 0.1), [batch, 9, 8, channels])],
        ];
        for (const [kind, x] of inputs) {
          const got = folded.predict(x).data;
          assertSameBits(
            got,
            unfolded.predict(x).data,
            `${label}, batch ${batch}, ${kind}: folded vs unfolded`,
          );
          if (kind !== 'NaN, Inf, -0')
            assertMatchesTfjs(
              got,
              tfjsPredict(oracle, x)[0],
              max,
              `${label}, batch ${batch}, ${kind} vs tfjs`,
            );
          if (kind === 'negative' && max)
            assert.ok(got.includes(0), `${label}: padding zeros won some windows`);
          setWasmVariant('none');
          try {
            assertSameBits(
              got,
              pool2d(
                x.data,
                {
                  batch,
                  height: 9,
                  width: 8,
                  channels,
                  outHeight: oracle.outputs[0].shape[1]!,
                  outWidth: oracle.outputs[0].shape[2]!,
                },
                max ? 'max' : 'avg',
                oracle.layers[2].getConfig().poolSize as [number, number],
                oracle.layers[2].getConfig().strides as [number, number],
                { zeros: pads },
                new Float32Array(got.length),
              ),
              `${label}, batch ${batch}, ${kind}: vs kernels.ts`,
            );
          } finally {
            setWasmVariant('auto');
          }
        }
      }
      folded.dispose();
      unfolded.dispose();
      oracle.dispose();
    }
  }
});

test('no pooling fold when the padded tensor has another reader, or the pooling is same', async () => {
  await tf.setBackend('cpu');
  const build = (sameOnly: boolean) => {
    const input = tfl.input({ shape: [9, 8, 4] });
    const padded = L.zeroPadding2d({ padding: 1, name: 'pad' }).apply(input) as Sym;
    if (sameOnly) {
      const same = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'pool' });
      return tfl.model({ inputs: input, outputs: same.apply(padded) as Sym });
    }
    const pooled = L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool' }).apply(padded) as Sym;
    const other = L.globalAveragePooling2d({ name: 'gap' }).apply(padded) as Sym;
    return tfl.model({ inputs: input, outputs: [pooled, other] });
  };
  const x = randomInput([2, 9, 8, 4], 8);
  for (const [label, sameOnly] of [
    ['two readers', false],
    ['same pooling', true],
  ] as const) {
    const oracle = build(sameOnly);
    const model = await loadLayersModel(await artifactsOf(oracle));
    assert.deepEqual(
      model.steps(2).map((s) => s.name),
      sameOnly ? ['pad', 'pool'] : ['pad', 'pool', 'gap'],
      `${label}: the pad is a step`,
    );
    const got = model.predictAll(x);
    tfjsPredict(oracle, x).forEach((want, i) =>
      assert.ok(relativeError(got[i].data, want) < 1e-6, `${label}: output ${i}`),
    );
    model.dispose();
    oracle.dispose();
  }
});

test('pooling of an activation in the wasm arena (read and written in place) matches tfjs and the unfolded plan', async () => {
  await tf.setBackend('cpu');
  const input = tfl.input({ shape: [11, 10, 3] });
  let y = L.conv2d({ filters: 6, kernelSize: 1, activation: 'relu', name: 'conv' }).apply(input) as Sym;
  y = L.zeroPadding2d({ padding: 1, name: 'pad' }).apply(y) as Sym;
  y = L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool' }).apply(y) as Sym;
  y = L.averagePooling2d({ poolSize: 2, padding: 'same', name: 'avg' }).apply(y) as Sym;
  y = L.globalMaxPooling2d({ name: 'gmp' }).apply(y) as Sym;
  const oracle = tfl.model({ inputs: input, outputs: y });
  seedWeights(oracle, 21);
  const artifacts = await artifactsOf(oracle);
  const folded = await loadLayersModel(artifacts);
  const unfolded = await loadLayersModel(artifacts, { fuse: false });
  assert.deepEqual(
    folded
      .steps(1)
      .map((s) => `${s.name}: ${s.algorithm}`)
      .slice(1),
    ['pool+pad: pool wasm', 'avg: pool wasm', 'gmp: global wasm'],
    'the pad folds and every pooling step runs in wasm',
  );
  for (const batch of [1, 3]) {
    const x = randomInput([batch, 11, 10, 3], 30 + batch);
    const got = folded.predict(x, { threads: 1 }).data;
    assert.ok(relativeError(got, tfjsPredict(oracle, x)[0]) < 1e-5, `batch ${batch} vs tfjs`);
    assertSameBits(got, unfolded.predict(x, { threads: 1 }).data, `batch ${batch}: folded vs unfolded`);
  }
  folded.dispose();
  unfolded.dispose();
  oracle.dispose();
});
