/**
 * The accuracy contract's bounds (src/plan/accuracy.ts, README "Accuracy") hold on the suite's shapes
 * (bench/shapes.json; batches cut to 1 or 2 and the stem's image to 112x112: the same per-output
 * arithmetic): for every algorithm that can
 * take a shape, max |y - exact| / max |exact| against the float64 oracle stays within
 * accuracyOf(algorithm, g).relativeErrorBound, on unit-normal data, on one thread and with every
 * Winograd tile size for the 3x3 layers. The diagnostics print each measured error and its bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { conv2d, convGeometry, randomNormal, CONV2D_ALGORITHMS } from '../src/index.js';
import { planConv2d } from '../src/plan/planner.js';
import { accuracyOf, UNIT_ROUNDOFF } from '../src/plan/accuracy.js';
import { conv2dWinogradTile } from '../src/algorithms/winograd.js';
import { winogradGeometry } from '../src/algorithms/winograd_plan.js';
import { conv2dOracle, normwiseError, type OracleProblem } from './helpers/conv_oracle.js';

interface SuiteShape {
  name: string;
  input: number[];
  filter: number[];
  strides: number;
  padding: 'SAME' | 'VALID';
}

const suite = JSON.parse(
  readFileSync(new URL('../bench/shapes.json', import.meta.url), 'utf8'),
) as SuiteShape[];
const SHAPES = [
  'seed-10x10-2x2',
  'mnist-c2-b64',
  'resnet-stem',
  'resnet-3x3-56',
  'resnet-3x3-14',
  'resnet-1x1-56',
  'large-kernel',
];

function problem(s: SuiteShape, input: number[]): OracleProblem {
  return {
    dataFormat: 'NHWC',
    batched: true,
    batch: input[0],
    inHeight: input[1],
    inWidth: input[2],
    inChannels: input[3],
    filterHeight: s.filter[0],
    filterWidth: s.filter[1],
    filterInChannels: s.filter[2],
    filterOut: s.filter[3],
    strides: [s.strides, s.strides],
    dilations: [1, 1],
    padding: s.padding,
  };
}

for (const name of SHAPES) {
  test(`${name}: every algorithm that takes it is within its documented bound`, (t) => {
    const s = suite.find((shape) => shape.name === name) as SuiteShape;
    const input = [Math.min(s.input[0], name === 'mnist-c2-b64' ? 2 : 1), ...s.input.slice(1)];
    // The stem's 224x224 image cut to 112x112: the same per-output arithmetic, a quarter of the time.
    if (name === 'resnet-stem') input.splice(1, 2, 112, 112);
    const options = { strides: s.strides, padding: s.padding };
    const g = convGeometry('conv2d', input, s.filter, options);
    const x = randomNormal(input, { seed: 201 });
    const w = randomNormal(s.filter, { seed: 202 });
    const exact = conv2dOracle(problem(s, input), x.data, w.data);
    const lines: string[] = [];
    for (const algorithm of CONV2D_ALGORITHMS) {
      if (planConv2d(g, algorithm).algorithm !== algorithm) continue; // cannot take it (falls back)
      // The direct loop is im2col's arithmetic (float64 sums) at a fraction of its speed: small shapes only.
      if (algorithm === 'direct' && g.flops > 50e6) continue;
      const error = normwiseError(conv2d(x, w, { ...options, algorithm, threads: 1 }).data, exact);
      const bound = accuracyOf(algorithm, g).relativeErrorBound;
      lines.push(`${algorithm} ${error.toExponential(1)} (bound ${bound.toExponential(1)})`);
      assert.ok(error <= bound, `${name} ${algorithm}: ${error} > ${bound}`);
    }
    if (s.strides === 1 && s.filter[0] === 3) {
      const bound = accuracyOf('winograd', g).relativeErrorBound;
      for (const tile of [2, 4, 5, 6] as const) {
        const error = normwiseError(conv2dWinogradTile(winogradGeometry(g), x.data, w.data, tile), exact);
        lines.push(`F${tile} ${error.toExponential(1)}`);
        assert.ok(error <= bound, `${name} F(${tile}x${tile},3x3): ${error} > ${bound}`);
      }
    }
    t.diagnostic(`${name}: max|err|/max|exact|: ${lines.join(', ')}`);
  });
}

test('the bounds: direct and im2col 2u; igemm, Winograd and the FFT grow with sqrt(K), Winograd the most', () => {
  const u = UNIT_ROUNDOFF;
  const g = convGeometry('conv2d', [1, 8, 8, 64], [3, 3, 64, 8], { padding: 'SAME' }); // K = 576, sqrt 24
  assert.equal(accuracyOf('direct', g).relativeErrorBound, 2 * u);
  assert.equal(accuracyOf('im2col', g).relativeErrorBound, 2 * u);
  assert.equal(accuracyOf('igemm', g).relativeErrorBound, u * (2 + 4 * 24));
  assert.equal(accuracyOf('winograd', g).relativeErrorBound, u * (256 + 24 * 24));
  assert.equal(accuracyOf('fft', g).relativeErrorBound, u * (16 + 24));
  // Grouped: K counts the channels of one group.
  const grouped = convGeometry('conv2d', [1, 8, 8, 64], [3, 3, 16, 8], { padding: 'SAME' });
  assert.equal(accuracyOf('igemm', grouped).relativeErrorBound, u * (2 + 4 * 12));
  assert.throws(() => accuracyOf('magic', g), /accuracyOf: algorithm must be one of .*; got "magic"/);
});
