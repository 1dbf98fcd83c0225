/**
 * Band fusion (src/runtime/band_fusion.ts): a 1x1 convolution and its one reader, a depthwise
 * convolution, run as one step a band of rows at a time on one thread. Against the plan without bands
 * (the same fused ops: the same bits) and tfjs-layers, on strides 1 and 2, SAME and a folded
 * ZeroPadding2D, dilation, a 5x5 filter, channels that are not a multiple of 4, heights that leave a
 * short last band, an input in the arena or the caller's array, and batch 3 (no rows carried from one
 * image to the next), and 20 random pairs (fast-check); the profile times both layers; pairs that must
 * not band do not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { loadLayersModel } from '../src/runtime/index.js';
import { bandPair, setBandFusion } from '../src/runtime/band_fusion.js';
import { artifactsOf, randomInput, relativeError, seedWeights, tfjsPredict } from './helpers/tfjs_models.js';

type Sym = tfl.SymbolicTensor;

interface Case {
  name: string;
  /** Input [h, w, c] and the 1x1 convolution's filters (its output must reach 1 MB an image). */
  shape: [number, number, number];
  filters: number;
  depthwise: { kernelSize: number; strides: number; padding: 'same' | 'valid'; dilationRate?: number };
  /** A ZeroPadding2D ((0, 1), (0, 1)) before the depthwise layer, as MobileNetV2's stride-2 ones. */
  pad?: boolean;
  /** A 3x3 Conv2D first, so that the 1x1 convolution reads an arena tensor rather than the model's input. */
  stem?: boolean;
}

const CASES: Case[] = [
  {
    name: 's1-same',
    shape: [64, 40, 8],
    filters: 104,
    depthwise: { kernelSize: 3, strides: 1, padding: 'same' },
  },
  {
    name: 's2-pad',
    shape: [67, 36, 12],
    filters: 112,
    depthwise: { kernelSize: 3, strides: 2, padding: 'valid' },
    pad: true,
  },
  {
    name: 's2-same',
    shape: [65, 34, 8],
    filters: 120,
    depthwise: { kernelSize: 3, strides: 2, padding: 'same' },
  },
  {
    name: 'odd-channels',
    shape: [61, 37, 5],
    filters: 118,
    depthwise: { kernelSize: 3, strides: 1, padding: 'same' },
  },
  {
    name: 'dilated-5x5',
    shape: [58, 35, 8],
    filters: 136,
    depthwise: { kernelSize: 5, strides: 1, padding: 'same', dilationRate: 2 },
  },
  {
    name: 'valid',
    shape: [70, 32, 8],
    filters: 128,
    depthwise: { kernelSize: 3, strides: 1, padding: 'valid' },
  },
];

/** 1x1 conv + BN + ReLU6, then the depthwise layer + BN + ReLU6, then a small head (not banded). */
function pairModel(c: Case): tfl.LayersModel {
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  const input = tfl.input({ shape: c.shape });
  const x = c.stem
    ? ap(
        L.conv2d({ filters: c.shape[2], kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }),
        input,
      )
    : input;
  let y = ap(L.conv2d({ filters: c.filters, kernelSize: 1, useBias: false, name: 'expand' }), x);
  y = ap(L.reLU({ maxValue: 6, name: 'expand_relu' }), ap(L.batchNormalization({ name: 'expand_BN' }), y));
  if (c.pad) {
    const padding: [[number, number], [number, number]] = [
      [0, 1],
      [0, 1],
    ];
    y = ap(L.zeroPadding2d({ padding, name: 'pad' }), y);
  }
  y = ap(L.depthwiseConv2d({ ...c.depthwise, useBias: false, name: 'dw' }), y);
  y = ap(L.reLU({ maxValue: 6, name: 'dw_relu' }), ap(L.batchNormalization({ name: 'dw_BN' }), y));
  y = ap(L.conv2d({ filters: 4, kernelSize: 1, name: 'project' }), y);
  return tfl.model({ inputs: input, outputs: y });
}

test('band fusion: the same bits as the plan without bands, and agrees with tfjs-layers', async () => {
  await tf.setBackend('cpu');
  for (const c of CASES) {
    const oracle = pairModel(c);
    seedWeights(oracle, c.filters);
    const artifacts = await artifactsOf(oracle);
    setBandFusion(false);
    const plain = await loadLayersModel(artifacts);
    for (const batch of [1, 3]) plain.steps(batch, 1);
    setBandFusion(true);
    const banded = await loadLayersModel(artifacts);
    const names = banded.steps(1, 1).map((s) => s.name);
    assert.ok(
      names.some((n) => n.startsWith('expand+') && n.includes('+dw')),
      `${c.name}: the pair is one step: ${names.join(', ')}`,
    );
    assert.ok(
      plain.steps(1, 1).every((s) => !s.parts),
      `${c.name}: without bands no step has parts`,
    );
    for (const batch of [1, 3]) {
      const x = randomInput([batch, ...c.shape], batch + c.filters);
      const want = plain.predict(x, { threads: 1 }).data;
      for (let run = 0; run < 2; run++) {
        // The second run replays the bands' recorded calls.
        const got = banded.predict(x, { threads: 1 }).data;
        assert.deepEqual(got, want, `${c.name}, batch ${batch}, run ${run}: the same bits as without bands`);
      }
      // tfjs-layers' DepthwiseConv2D ignores dilation_rate (its call passes none; Keras applies it,
      // as convkit does): the dilated case is checked against the plan without bands only.
      if (c.depthwise.dilationRate) continue;
      const err = relativeError(banded.predict(x, { threads: 1 }).data, tfjsPredict(oracle, x)[0]);
      assert.ok(err < 1e-5, `${c.name}, batch ${batch}: relative error ${err} against tfjs-layers`);
    }
    plain.dispose();
    banded.dispose();
    oracle.dispose();
  }
});

test('band fusion: each band reads the rows its output rows need, carrying the overlap', () => {
  // The plan's bands on the cases' geometries (input rows [g0, g1) of the 1x1 output, kept rows).
  for (const c of CASES) {
    const [h, w, cin] = c.shape;
    const s = c.depthwise.strides;
    const k = (c.depthwise.kernelSize - 1) * (c.depthwise.dilationRate ?? 1) + 1;
    const def = (kind: string, extra: object) => ({ kind, name: kind, className: kind, ...extra });
    const a = {
      type: 'conv',
      def: def('conv', { filters: c.filters, kernel: [1, 1], strides: [1, 1], dilations: [1, 1], groups: 1 }),
      names: ['a'],
      input: 0,
      output: 1,
      filter: new Float32Array(cin * c.filters),
      pointwise: null,
      bias: null,
      residual: null,
      activation: null,
    };
    const b = {
      ...a,
      def: def('depthwise', {
        kernel: [c.depthwise.kernelSize, c.depthwise.kernelSize],
        strides: [s, s],
        dilations: [c.depthwise.dilationRate ?? 1, c.depthwise.dilationRate ?? 1],
        padding: c.depthwise.padding === 'same' ? 'SAME' : 'VALID',
        multiplier: 1,
      }),
      input: 1,
      output: 2,
    };
    const pads: [[number, number], [number, number]] | null = c.pad
      ? [
          [0, 1],
          [0, 1],
        ]
      : null;
    // @ts-expect-error: minimal op objects, as far as bandPair reads them
    const pair = bandPair('test', a, b, [1, h, w, cin], pads);
    assert.ok(pair, `${c.name}: bands`);
    assert.ok(pair.bands.length >= 2, `${c.name}: several bands (${pair.bands.length})`);
    const padTop = c.pad
      ? 0
      : c.depthwise.padding === 'same'
        ? Math.floor(Math.max((Math.ceil(h / s) - 1) * s + k - h, 0) / 2)
        : 0;
    let computed = 0;
    let o = 0;
    let prev: (typeof pair.bands)[number] | null = null;
    for (const band of pair.bands) {
      assert.equal(band.o0, o, `${c.name}: bands cover the output rows in order`);
      o = band.o1;
      assert.equal(band.g0, Math.max(0, band.o0 * s - padTop), `${c.name}: first row read`);
      assert.equal(band.g1, Math.min(h, (band.o1 - 1) * s - padTop + k), `${c.name}: end of the rows read`);
      // Kept rows are the previous band's last ones, where it left them in the buffer.
      const kept = band.keep - band.g0;
      if (kept > 0) {
        assert.ok(prev, `${c.name}: only a later band keeps rows`);
        assert.equal(band.keep, prev.g1, `${c.name}: keeps up to the previous band's end`);
        assert.equal(band.from, band.g0 - prev.g0, `${c.name}: from where the previous band held row g0`);
      }
      computed += band.g1 - band.keep;
      prev = band;
    }
    const last = pair.bands[pair.bands.length - 1];
    assert.equal(computed, last.g1 - pair.bands[0].g0, `${c.name}: every row computed once`);
    assert.ok(
      pair.bufferFloats * 4 <= (512 << 10) + k * w * c.filters * 4,
      `${c.name}: the buffer is about 512 KiB`,
    );
  }
});

test('band fusion: the profile times both layers; other pairs stay apart', async () => {
  await tf.setBackend('cpu');
  const c = CASES[1];
  const oracle = pairModel(c);
  seedWeights(oracle, 3);
  const model = await loadLayersModel(await artifactsOf(oracle));
  const x = randomInput([1, ...c.shape], 4);
  model.predict(x, { threads: 1, profile: true });
  const profile = model.lastProfile!;
  const expand = profile.find((s) => s.name.startsWith('expand'));
  const dw = profile.find((s) => s.className === 'DepthwiseConv2D');
  assert.ok(expand && dw, `profile: ${profile.map((s) => s.name).join(', ')}`);
  assert.equal(dw.name, 'dw+dw_BN+dw_relu+pad', 'the depthwise part names its layers');
  assert.equal(dw.algorithm, 'depthwise wasm');
  assert.ok(expand.ms > 0 && dw.ms > 0, 'both parts are timed');
  const step = model.steps(1, 1).find((s) => s.parts);
  assert.match(step!.algorithm, /^banded: igemm/);
  // The summary (the default thread count's plan, banded or not) gives each layer its own algorithm.
  assert.match(model.summary(), /^dw \(DepthwiseConv2D\) .* depthwise wasm /m);
  model.dispose();

  // Not banded: the 1x1 output has a second reader, or is a model output; or two threads.
  const L = tfl.layers;
  const input = tfl.input({ shape: c.shape });
  const e = L.conv2d({ filters: c.filters, kernelSize: 1, name: 'e' }).apply(input) as Sym;
  const d = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'd' }).apply(e) as Sym;
  const twoReaders = tfl.model({ inputs: input, outputs: L.add().apply([e, d]) as Sym });
  const bothOut = tfl.model({ inputs: input, outputs: [e, d] });
  for (const m of [twoReaders, bothOut, oracle]) {
    seedWeights(m, 5);
    const ours = await loadLayersModel(await artifactsOf(m));
    const threads = m === oracle ? 2 : 1;
    assert.ok(
      ours.steps(1, threads).every((s) => !s.parts),
      `${m.name}, ${threads} thread(s): no banded step`,
    );
    const got = ours.predictAll(x, { threads });
    tfjsPredict(m, x).forEach((want, i) =>
      assert.ok(relativeError(got[i].data, want) < 1e-5, `${m.name} output ${i}`),
    );
    ours.dispose();
  }
  oracle.dispose();
});

interface RandomPair {
  h: number;
  w: number;
  cin: number;
  extra: number;
  kernel: number;
  strides: number;
  dilation: number;
  padding: 'same' | 'valid';
  pad: boolean;
  batch: number;
  activation: 'relu' | 'relu6' | 'linear';
}

const randomPair: fc.Arbitrary<RandomPair> = fc
  .record({
    h: fc.integer({ min: 9, max: 80 }),
    w: fc.integer({ min: 4, max: 40 }),
    cin: fc.integer({ min: 1, max: 12 }),
    extra: fc.integer({ min: 0, max: 20 }),
    kernel: fc.integer({ min: 1, max: 5 }),
    strides: fc.integer({ min: 1, max: 2 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    padding: fc.constantFrom('same' as const, 'valid' as const),
    pad: fc.boolean(),
    batch: fc.integer({ min: 1, max: 2 }),
    activation: fc.constantFrom('relu' as const, 'relu6' as const, 'linear' as const),
  })
  // Keras takes no dilation with strides; a valid window must fit the (padded) image.
  .filter((c) => c.strides === 1 || c.dilation === 1)
  .filter((c) => Math.min(c.h, c.w) + (c.pad ? 1 : 0) >= (c.kernel - 1) * c.dilation + 1);

/** The 1x1 convolution's filters: enough for 1 MiB of output an image (the band threshold). */
const filtersOf = (c: RandomPair) => Math.ceil((1 << 18) / (c.h * c.w)) + c.extra;

function randomPairModel(c: RandomPair): tfl.LayersModel {
  const L = tfl.layers;
  const input = tfl.input({ shape: [c.h, c.w, c.cin] });
  let y = L.conv2d({ filters: filtersOf(c), kernelSize: 1, activation: c.activation, name: 'expand' }).apply(
    input,
  ) as Sym;
  if (c.pad) {
    const padding: [[number, number], [number, number]] = [
      [0, 1],
      [0, 1],
    ];
    y = L.zeroPadding2d({ padding, name: 'pad' }).apply(y) as Sym;
  }
  y = L.depthwiseConv2d({
    kernelSize: c.kernel,
    strides: c.strides,
    dilationRate: c.dilation,
    padding: c.pad ? 'valid' : c.padding,
    activation: 'relu6',
    name: 'dw',
  }).apply(y) as Sym;
  return tfl.model({ inputs: input, outputs: y });
}

test('band fusion on random shapes (fast-check): banded where it applies, and the same bits as without', async () => {
  await tf.setBackend('cpu');
  const drawn = fc.sample(randomPair, { seed: 0x0ba2d5, numRuns: 20 });
  let banded = 0;
  for (const c of drawn) {
    const oracle = randomPairModel(c);
    seedWeights(oracle, c.h + c.w);
    const artifacts = await artifactsOf(oracle);
    setBandFusion(false);
    const plain = await loadLayersModel(artifacts, { warmup: false });
    plain.steps(c.batch, 1);
    setBandFusion(true);
    const model = await loadLayersModel(artifacts, { warmup: false });
    if (model.steps(c.batch, 1).some((s) => s.parts)) banded++;
    const x = randomInput([c.batch, c.h, c.w, c.cin], c.kernel);
    const label = JSON.stringify(c);
    assert.deepEqual(model.predict(x, { threads: 1 }).data, plain.predict(x, { threads: 1 }).data, label);
    assert.deepEqual(
      model.predict(x, { threads: 1 }).data,
      plain.predict(x, { threads: 1 }).data,
      `${label}, replayed`,
    );
    plain.dispose();
    model.dispose();
    oracle.dispose();
  }
  // Bands apply to every drawn pair but those whose bands would read no row (none expected here).
  assert.ok(banded >= drawn.length - 2, `banded ${banded} of ${drawn.length}`);
});
