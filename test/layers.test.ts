/**
 * The layers' backward passes against finite differences. Each check takes a scalar loss
 * L = sum(r * layer(x)) with fixed random weights r, summed in float64, and compares the analytic
 * gradients (with respect to the input and every parameter) with central differences of L.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../src/tensor.js';
import { InvalidArgumentError } from '../src/errors.js';
import {
  Conv2D,
  Dense,
  Flatten,
  MaxPooling2D,
  ReLU,
  Sequential,
  softmaxCrossEntropy,
  type Layer,
} from '../src/layers/index.js';
import { createRng } from '../src/layers/random.js';

/** Values uniform in [-1, 1), repeatable. */
function uniform(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => 2 * rng.next() - 1);
}

/** Distinct values 0.02 apart (none at 0), shuffled: no two within a finite-difference step of each other. */
function spreadValues(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const v = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.02 + 0.01);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

function dot64(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Central difference of f at values[i], dividing by the float32 step actually taken. */
function centralDifference(f: () => number, values: Float32Array, i: number, eps: number): number {
  const original = values[i];
  values[i] = original + eps;
  const up = values[i];
  const lossUp = f();
  values[i] = original - eps;
  const down = values[i];
  const lossDown = f();
  values[i] = original;
  return (lossUp - lossDown) / (up - down);
}

function assertGradientClose(analytic: number, numeric: number, what: string): void {
  const tolerance = 2e-3 * Math.max(1, Math.abs(numeric));
  assert.ok(
    Math.abs(analytic - numeric) <= tolerance,
    `${what}: analytic ${analytic} vs finite difference ${numeric}`,
  );
}

/** Up to `count` indices spread over [0, n). */
function sampleIndices(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
}

/**
 * Builds `layer` for `inputShape` (with batch), runs the loss and checks d/dx and d/dparams on
 * sampled entries. Returns how many entries were compared.
 */
function gradientCheck(layer: Layer, x: Tensor, options: { eps?: number; samples?: number } = {}): number {
  const { eps = 1e-3, samples = 40 } = options;
  const model = new Sequential({ seed: 7, layers: [layer], inputShape: x.shape.slice(1) as number[] });
  const y = model.forward(x, true);
  const r = uniform(y.size, 99);
  const loss = (): number => dot64(r, layer.forward(x, false).data);
  layer.forward(x, true);
  const dx = layer.backward(new Tensor(r.slice(), y.shape), true);
  assert.ok(dx, 'backward returns the input gradient');
  assert.deepEqual(dx.shape, x.shape);
  let compared = 0;
  for (const i of sampleIndices(x.size, samples)) {
    assertGradientClose(dx.data[i], centralDifference(loss, x.data, i, eps), `${layer.className} d/dx[${i}]`);
    compared++;
  }
  for (const p of layer.parameters()) {
    const analytic = p.grad.slice();
    for (const i of sampleIndices(p.value.length, samples)) {
      const numeric = centralDifference(loss, p.value, i, eps);
      assertGradientClose(analytic[i], numeric, `${layer.className} d/d${p.name}[${i}]`);
      compared++;
    }
  }
  return compared;
}

test('Dense: gradients match finite differences (linear, relu, softmax)', () => {
  for (const activation of ['linear', 'relu', 'softmax'] as const) {
    const x = new Tensor(uniform(4 * 7, 1), [4, 7]);
    const compared = gradientCheck(new Dense({ units: 5, activation }), x);
    assert.equal(compared, 28 + 35 + 5);
  }
});

test('Dense: without bias has only a kernel, and the kernel gradient is x^T dz', () => {
  const layer = new Dense({ units: 3, useBias: false });
  const x = new Tensor(uniform(2 * 4, 2), [2, 4]);
  new Sequential({ layers: [layer], inputShape: [4] });
  assert.deepEqual(
    layer.parameters().map((p) => p.name),
    ['kernel'],
  );
  layer.forward(x, true);
  const dy = uniform(6, 3);
  layer.backward(new Tensor(dy, [2, 3]), false);
  const grad = layer.parameters()[0].grad;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 3; j++) {
      const expected = x.data[i] * dy[j] + x.data[4 + i] * dy[3 + j];
      assert.ok(Math.abs(grad[i * 3 + j] - expected) < 1e-6, 'Math.abs(grad[i * 3 + j] - expected) < 1e-6');
    }
  }
});

test('MaxPooling2D: gradients match finite differences (valid, same, overlapping windows)', () => {
  const cases = [
    { poolSize: 2 as const, padding: 'valid' as const, shape: [2, 6, 6, 3] },
    { poolSize: [3, 2] as [number, number], padding: 'same' as const, shape: [1, 7, 5, 2] },
    { poolSize: 3 as const, strides: 2, padding: 'valid' as const, shape: [1, 7, 7, 2] },
  ];
  for (const { shape, ...options } of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    const compared = gradientCheck(new MaxPooling2D(options), new Tensor(spreadValues(size, 4), shape), {
      samples: size,
    });
    assert.equal(compared, size);
  }
});

test('MaxPooling2D: SAME windows skip the padding and match TensorFlow output sizes', () => {
  const layer = new MaxPooling2D({ poolSize: 2, padding: 'same' });
  const x = new Tensor(Float32Array.from([-5, -4, -3, -2, -1, -6, -7, -8, -9]), [1, 3, 3, 1]);
  new Sequential({ layers: [layer], inputShape: [3, 3, 1] });
  const y = layer.forward(x, false);
  // out = ceil(3 / 2) = 2; the last row and column windows hang over the edge, where padding never wins.
  assert.deepEqual(y.shape, [1, 2, 2, 1]);
  assert.deepEqual([...y.data], [-1, -3, -7, -9]);
});

test('Conv2D: gradients match finite differences (valid, same, strides, dilation, relu, softmax)', () => {
  const cases = [
    { options: { filters: 3, kernelSize: 3 }, shape: [2, 6, 6, 2] },
    {
      options: { filters: 2, kernelSize: [3, 2] as [number, number], padding: 'same' as const },
      shape: [1, 5, 6, 3],
    },
    { options: { filters: 4, kernelSize: 3, strides: 2, padding: 'same' as const }, shape: [2, 7, 7, 1] },
    { options: { filters: 2, kernelSize: 2, dilationRate: 2 }, shape: [1, 6, 6, 2] },
    { options: { filters: 3, kernelSize: 3, activation: 'relu' as const }, shape: [1, 6, 6, 2] },
    { options: { filters: 3, kernelSize: 1, activation: 'softmax' as const }, shape: [2, 3, 3, 2] },
  ];
  for (const { options, shape } of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    const compared = gradientCheck(new Conv2D(options), new Tensor(uniform(size, 5), shape));
    assert.ok(compared > 40, `${JSON.stringify(options)}: compared ${compared} entries`);
  }
});

test('ReLU and Flatten: gradients match finite differences', () => {
  const size = 2 * 3 * 4 * 2;
  gradientCheck(new ReLU(), new Tensor(spreadValues(size, 6), [2, 3, 4, 2]), { samples: size });
  gradientCheck(new Flatten(), new Tensor(uniform(size, 6), [2, 3, 4, 2]), { samples: size });
});

test('softmaxCrossEntropy: loss is -log softmax at the label, gradient matches finite differences', () => {
  const logits = new Tensor(
    uniform(3 * 4, 8).map((v) => 3 * v),
    [3, 4],
  );
  const labels = [2, 0, 3];
  const { loss, dLogits, correct } = softmaxCrossEntropy(logits, labels);
  let expected = 0;
  let expectedCorrect = 0;
  for (let row = 0; row < 3; row++) {
    const z = [...logits.data.subarray(row * 4, row * 4 + 4)];
    const sum = z.reduce((s, v) => s + Math.exp(v), 0);
    expected -= Math.log(Math.exp(z[labels[row]]) / sum) / 3;
    if (z.indexOf(Math.max(...z)) === labels[row]) expectedCorrect++;
  }
  assert.ok(Math.abs(loss - expected) < 1e-6, `loss ${loss} vs ${expected}`);
  assert.equal(correct, expectedCorrect);
  for (let i = 0; i < logits.size; i++) {
    const numeric = centralDifference(() => softmaxCrossEntropy(logits, labels).loss, logits.data, i, 1e-3);
    assertGradientClose(dLogits.data[i], numeric, `d loss / d logits[${i}]`);
  }
});

test('softmaxCrossEntropy: huge logits stay finite', () => {
  const { loss, dLogits } = softmaxCrossEntropy(new Tensor(Float32Array.from([1000, -1000]), [1, 2]), [1]);
  assert.ok(Number.isFinite(loss) && loss > 1000, 'Number.isFinite(loss) && loss > 1000');
  assert.deepEqual([...dLogits.data], [1, -1]);
});

test('Sequential.computeGradients: whole-model gradients match finite differences of the loss', () => {
  const model = new Sequential({
    seed: 3,
    inputShape: [8, 8, 1],
    layers: [
      new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu' }),
      new MaxPooling2D({ poolSize: 2 }),
      new Conv2D({ filters: 4, kernelSize: 2, padding: 'same' }),
      new ReLU(),
      new Flatten(),
      new Dense({ units: 6, activation: 'relu' }),
      new Dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const x = new Tensor(uniform(4 * 64, 11), [4, 8, 8, 1]);
  const labels = [0, 2, 1, 2];
  const lossOf = (): number => {
    const probabilities = model.predict(x).data;
    let total = 0;
    for (let row = 0; row < 4; row++) total -= Math.log(probabilities[row * 3 + labels[row]]);
    return total / 4;
  };
  const { loss } = model.computeGradients(x, labels);
  assert.ok(Math.abs(loss - lossOf()) < 1e-5, 'Math.abs(loss - lossOf()) < 1e-5');
  let compared = 0;
  for (const { layer, parameter } of model.parameters()) {
    const analytic = parameter.grad.slice();
    for (const i of sampleIndices(parameter.value.length, 12)) {
      assertGradientClose(
        analytic[i],
        centralDifference(lossOf, parameter.value, i, 1e-3),
        `${layer.name}/${parameter.name}[${i}]`,
      );
      compared++;
    }
  }
  // 12 sampled entries of each kernel, every entry of the biases (3, 4, 6, 3).
  assert.equal(compared, 12 * 4 + 3 + 4 + 6 + 3);
});

test('Sequential: names layers as Keras does, builds shapes and reports them', () => {
  const model = new Sequential({
    inputShape: [28, 28, 1],
    layers: [
      new Conv2D({ filters: 8, kernelSize: 5, activation: 'relu' }),
      new MaxPooling2D(),
      new Conv2D({ filters: 16, kernelSize: 5, padding: 'same' }),
      new Flatten(),
      new Dense({ units: 10, activation: 'softmax' }),
    ],
  });
  assert.deepEqual(
    model.layers.map((l) => l.name),
    ['conv2d', 'max_pooling2d', 'conv2d_1', 'flatten', 'dense'],
  );
  assert.deepEqual(model.outputShape, [10]);
  const summary = model.summary();
  assert.match(summary, /conv2d_1 \(Conv2D\)\s+\[null,12,12,16\]\s+3216/);
  assert.match(summary, /Total params: 26474/);
  const y = model.predict(new Tensor(uniform(3 * 784, 1), [3, 28, 28, 1]), 2);
  assert.deepEqual(y.shape, [3, 10]);
  for (let row = 0; row < 3; row++) {
    const sum = y.data.subarray(row * 10, row * 10 + 10).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, 'Math.abs(sum - 1) < 1e-5');
  }
});

test('Initialisers: glorotUniform stays within Keras limits, is seeded, biases start at zero', () => {
  const make = (seed: number): Float32Array[] => {
    const model = new Sequential({
      seed,
      inputShape: [10, 10, 3],
      layers: [new Conv2D({ filters: 6, kernelSize: 3 })],
    });
    return model.parameters().map((p) => p.parameter.value);
  };
  const [kernel, bias] = make(1);
  // fan_in = 3 * 3 * 3 = 27, fan_out = 3 * 3 * 6 = 54
  const limit = Math.sqrt(6 / (27 + 54));
  assert.ok(
    kernel.every((v) => Math.abs(v) <= limit),
    'kernel.every((v) => Math.abs(v) <= limit)',
  );
  assert.ok(Math.max(...kernel.map(Math.abs)) > 0.9 * limit, 'values fill the range');
  assert.ok(
    bias.every((v) => v === 0),
    'bias.every((v) => v === 0)',
  );
  assert.deepEqual(make(1)[0], kernel);
  assert.notDeepEqual(make(2)[0], kernel);
  const zeroKernel = new Sequential({
    inputShape: [4],
    layers: [new Dense({ units: 2, kernelInitializer: 'zeros' })],
  }).parameters()[0].parameter.value;
  assert.ok(
    zeroKernel.every((v) => v === 0),
    'zeroKernel.every((v) => v === 0)',
  );
});

test('Layer errors name the layer, the argument, the value and what was expected', () => {
  assert.throws(() => new Conv2D({ filters: 0, kernelSize: 3 }), {
    name: 'InvalidArgumentError',
    message: /Conv2D: filters must be an integer >= 1, got 0/,
  });
  assert.throws(
    () => new Conv2D({ filters: 2, kernelSize: 3, padding: 'SAME' as 'same' }),
    /padding must be 'valid' or 'same', got "SAME"/,
  );
  assert.throws(
    () => new Conv2D({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }),
    /strides \[2,2\] cannot be combined with dilationRate \[2,2\]/,
  );
  assert.throws(
    () => new Dense({ units: 3, activation: 'tanh' as 'relu' }),
    /activation must be one of 'linear', 'relu', 'softmax', got "tanh"/,
  );
  assert.throws(
    () => new Sequential({ inputShape: [4, 4, 1], layers: [new Dense({ units: 2 })] }),
    (e: Error) =>
      e instanceof InvalidArgumentError && /Dense 'dense'.*add a Flatten layer first/.test(e.message),
  );
  const model = new Sequential({
    inputShape: [6, 6, 1],
    layers: [new Conv2D({ filters: 2, kernelSize: 3 })],
  });
  assert.throws(
    () => model.forward(new Tensor(new Float32Array(2 * 5 * 5), [2, 5, 5, 1])),
    /Conv2D 'conv2d': input has shape \[2,5,5,1\] but the layer was built for \[null,6,6,1\]/,
  );
  assert.throws(
    () => new Sequential({ inputShape: [2, 2, 1], layers: [new MaxPooling2D({ poolSize: 3 })] }),
    /does not fit/,
  );
  assert.throws(
    () => softmaxCrossEntropy(new Tensor(new Float32Array(4), [2, 2]), [0, 2]),
    /labels must be class indices in \[0, 1\], got 2 at row 1/,
  );
  assert.throws(
    () => new Dense({ units: 2 }).backward(new Tensor(new Float32Array(2), [1, 2]), true),
    /needs a training forward pass/,
  );
});
