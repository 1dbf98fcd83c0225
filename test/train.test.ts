/**
 * The training side: optimizers against TF.js and their textbook definitions, the MNIST data and its
 * held-out split, augmentation, the training loop, the filter picture and the train-mnist command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { PNG } from 'pngjs';
import { Tensor } from '../src/tensor.js';
import { Dense, Sequential } from '../src/layers/index.js';
import { makeParameter } from '../src/layers/layer.js';
import { createRng } from '../src/layers/random.js';
import { Adam, SGD } from '../src/train/optimizers.js';
import { loadMnistDigits, splitMnist } from '../src/train/mnist_data.js';
import { randomShift } from '../src/train/augment.js';
import { evaluate, fit } from '../src/train/fit.js';
import { ParallelGradients } from '../src/train/parallel_gradients.js';
import { gatherBatch } from '../src/train/dataset.js';
import { filtersPng } from '../src/train/filters_png.js';
import { createLenet } from '../src/train/lenet.js';
import { trainMnistCommand } from '../src/cli/train_mnist.js';
import { loadTfjsLayersModel } from '../src/io/tfjs_layers_files.js';

/** A few steps of gradients for a 5-element weight, fixed and varied. */
const GRADIENTS = [
  [0.5, -1, 2, 0, 0.25],
  [0.1, -0.3, 1.5, -2, 0.5],
  [-0.4, 0.2, 0.7, 1, -1],
];
const START = [1, -2, 0.5, 3, 0];

test('SGD with momentum follows tf.train.momentum step for step', async () => {
  await tf.setBackend('cpu');
  const p = makeParameter('kernel', [5]);
  p.value.set(START);
  const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
  const variable = tf.variable(tf.tensor1d(START));
  const reference = tf.train.momentum(0.1, 0.9);
  for (const g of GRADIENTS) {
    p.grad.set(g);
    sgd.step([p]);
    reference.applyGradients([{ name: variable.name, tensor: tf.tensor1d(g) }]);
  }
  const expected = variable.dataSync();
  for (let i = 0; i < 5; i++)
    assert.ok(Math.abs(p.value[i] - expected[i]) < 1e-6, `${p.value[i]} vs ${expected[i]}`);
  variable.dispose();
});

test('SGD without momentum is value -= lr * grad', () => {
  const p = makeParameter('bias', [5]);
  p.value.set(START);
  p.grad.set(GRADIENTS[0]);
  new SGD({ learningRate: 0.5 }).step([p]);
  assert.deepEqual(
    [...p.value],
    START.map((v, i) => Math.fround(v - 0.5 * GRADIENTS[0][i])),
  );
});

test("Adam matches Keras' update rule computed in float64", () => {
  const p = makeParameter('kernel', [5]);
  p.value.set(START);
  const adam = new Adam({ learningRate: 0.01 });
  const w = [...START];
  const m = [0, 0, 0, 0, 0];
  const v = [0, 0, 0, 0, 0];
  GRADIENTS.forEach((g, step) => {
    p.grad.set(g);
    adam.step([p]);
    const t = step + 1;
    const lrT = (0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
    for (let i = 0; i < 5; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      w[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + 1e-7);
    }
  });
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(p.value[i] - w[i]) < 1e-6, `${p.value[i]} vs ${w[i]}`);
  // The first step moves every weight with a non-zero gradient by about lr, against the gradient's sign.
  assert.ok(Math.abs(p.value[0] - START[0]) > 0.01, 'Math.abs(p.value[0] - START[0]) > 0.01');
});

test('Optimizers reject bad settings', () => {
  assert.throws(
    () => new Adam({ learningRate: -1 }),
    /Adam: learningRate must be a number in \[0, Infinity\], got -1/,
  );
  assert.throws(() => new SGD({ momentum: 1.5 }), /SGD: momentum must be a number in \[0, 1\], got 1.5/);
});

test('MNIST: the package holds 10,000 28x28 digits; the split is held out and fixed', () => {
  const all = loadMnistDigits();
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  let total = 0;
  for (let digit = 0; digit < 10; digit++) {
    const file = JSON.parse(readFileSync(join(root, 'src', 'digits', `${digit}.json`), 'utf8')) as {
      data: number[];
    };
    const count = file.data.length / 784;
    assert.equal(all.labels.filter((l) => l === digit).length, count);
    total += count;
  }
  assert.equal(all.count, total);
  assert.equal(all.count, 10000);
  assert.ok(
    all.images.every((v) => v >= 0 && v <= 1),
    'all.images.every((v) => v >= 0 && v <= 1)',
  );

  const { train, test: held } = splitMnist(8000, 2000);
  assert.equal(train.count, 8000);
  assert.equal(held.count, 2000);
  const trainSet = new Set(train.sourceIndices);
  assert.equal(trainSet.size, 8000);
  assert.ok(
    held.sourceIndices.every((i) => !trainSet.has(i)),
    'no test digit is a training digit',
  );
  // Labels and pixels travel with their digit.
  const k = held.sourceIndices[17];
  assert.equal(held.labels[17], all.labels[k]);
  assert.deepEqual(held.images.subarray(17 * 784, 18 * 784), all.images.subarray(k * 784, (k + 1) * 784));
  // The test digits do not depend on how many training digits are asked for.
  assert.deepEqual(splitMnist(500, 2000).test.sourceIndices, held.sourceIndices);
  // Every class is in the test set.
  assert.equal(new Set(held.labels).size, 10);
  assert.throws(() => splitMnist(9000, 2000), /9000 plus testSize 2000 is more than the 10000 digits/);
});

test('randomShift moves each image by at most maxShift pixels and fills with zeros', () => {
  const rng = createRng(3);
  const batch = 6;
  const x = new Tensor(
    Float32Array.from({ length: batch * 8 * 8 }, (_, i) => 1 + (i % 64)),
    [batch, 8, 8, 1],
  );
  const y = randomShift(x, 2, rng);
  const shifts = new Set<string>();
  for (let b = 0; b < batch; b++) {
    // Find the shift: the output pixel holding input value v at (r, c) sits at (r + dy, c + dx).
    let found: [number, number] | null = null;
    for (let dy = -2; dy <= 2 && !found; dy++) {
      for (let dx = -2; dx <= 2 && !found; dx++) {
        let ok = true;
        for (let r = 0; r < 8 && ok; r++) {
          for (let c = 0; c < 8 && ok; c++) {
            const sr = r - dy;
            const sc = c - dx;
            const expected = sr >= 0 && sr < 8 && sc >= 0 && sc < 8 ? x.data[b * 64 + sr * 8 + sc] : 0;
            ok = y.data[b * 64 + r * 8 + c] === expected;
          }
        }
        if (ok) found = [dy, dx];
      }
    }
    assert.ok(found, `image ${b} is a shifted copy`);
    shifts.add(found.join(','));
  }
  assert.ok(shifts.size > 1, 'images get different shifts');
  assert.equal(randomShift(x, 0, rng), x);
});

test('fit: the loss falls, the run is repeatable, and the time limit stops it', async () => {
  const { train, test: held } = splitMnist(400, 200);
  const run = async (epochs: number, timeLimitSeconds?: number) => {
    const model = createLenet({ seed: 5 });
    const result = await fit(model, train, {
      epochs,
      batchSize: 50,
      optimizer: new Adam({ learningRate: 0.005 }),
      seed: 9,
      timeLimitSeconds,
    });
    return { model, result };
  };
  const { model, result } = await run(3);
  assert.equal(result.steps, 3 * 8);
  assert.equal(result.examplesSeen, 1200);
  assert.ok(
    result.epochs[2].loss < result.epochs[0].loss * 0.8,
    `losses ${result.epochs.map((e) => e.loss)}`,
  );
  assert.ok(evaluate(model, held).accuracy > 0.3, 'evaluate(model, held).accuracy > 0.3');
  const again = await run(3);
  assert.deepEqual(again.model.parameters()[0].parameter.value, model.parameters()[0].parameter.value);
  const limited = await run(3, 1e-6);
  assert.equal(limited.result.stoppedByTimeLimit, true);
  assert.equal(limited.result.steps, 1);
});

test('filtersPng draws one tile per filter: zero is grey 128, the largest weight white', () => {
  // Two 2x2 filters with one input channel: [height, width, in, out].
  const kernel = Float32Array.from([0.5, -1, 0, 0.25, -0.5, 2, 0.25, 0]);
  const png = PNG.sync.read(filtersPng(kernel, [2, 2, 1, 2], 3));
  // 2 tiles in a 2x1 grid, each 2 * 3 pixels, 2-pixel gaps around.
  assert.equal(png.width, 2 + 2 * (6 + 2));
  assert.equal(png.height, 2 + (6 + 2));
  const grey = (x: number, y: number) => png.data[(y * png.width + x) * 4];
  // Filter 0 holds kernel[(y*2+x)*2 + 0]: [[0.5, 0], [-0.5, 0.25]]; its largest magnitude is 0.5.
  assert.equal(grey(2, 2), 255);
  assert.equal(grey(2 + 3, 2), 128);
  assert.equal(grey(2, 2 + 3), 1);
  // Filter 1: [[-1, 0.25], [2, 0]], scaled by 2.
  assert.equal(grey(10, 2), Math.round(128 - 127 / 2));
  assert.equal(grey(10, 2 + 3), 255);
});

test('train-mnist: prints counts, time and the final accuracy line; writes the PNG and the model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-train-'));
  try {
    const lines: string[] = [];
    const png = join(dir, 'filters.png');
    const saveDir = join(dir, 'model');
    const command = trainMnistCommand({ line: (t) => lines.push(t), progress: false });
    await command.parseAsync(
      [
        '--epochs',
        '1',
        '--train-size',
        '300',
        '--test-size',
        '100',
        '--batch-size',
        '25',
        '--filters-png',
        png,
        '--save',
        saveDir,
      ],
      { from: 'user' },
    );
    const last = lines[lines.length - 1];
    assert.match(last, /^test accuracy: [01]\.\d{4} \(100 test digits\)$/);
    assert.ok(
      lines.some((l) => /300 training digits, 100 held-out test digits/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /^training time: \d+\.\d s for 12 steps/.test(l)),
      lines.join('\n'),
    );
    const picture = PNG.sync.read(readFileSync(png));
    // 8 filters of 5x5 at 12 px a weight, in a 4 x 2 grid with 2-pixel gaps.
    assert.equal(picture.width, 2 + 4 * (60 + 2));
    assert.equal(picture.height, 2 + 2 * (60 + 2));
    assert.ok(existsSync(join(saveDir, 'model.json')), "existsSync(join(saveDir, 'model.json'))");
    const reloaded = loadTfjsLayersModel(saveDir);
    assert.deepEqual(
      reloaded.layers.map((l) => l.className),
      ['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train-mnist: bad flags are refused by name', async () => {
  const errors: string[] = [];
  const command = trainMnistCommand({ line: () => {}, progress: false })
    .exitOverride()
    .configureOutput({ writeErr: (t) => errors.push(t), writeOut: () => {} });
  await assert.rejects(command.parseAsync(['--optimizer', 'rmsprop'], { from: 'user' }), /rmsprop/);
  await assert.rejects(
    command.parseAsync(['--epochs', '0'], { from: 'user' }),
    /--epochs.*expected an integer >= 1, got 0/,
  );
  assert.ok(
    errors.some((e) => e.includes('Allowed choices are adam, sgd')),
    "errors.some((e) => e.includes('Allowed choices are adam, sgd'))",
  );
});

test('Dense on its own learns a linearly separable toy problem', async () => {
  // Class = which of two coordinates is larger: one Dense softmax layer can learn it.
  const rng = createRng(1);
  const n = 256;
  const x = Float32Array.from({ length: n * 2 }, () => rng.next() * 2 - 1);
  const labels = Uint8Array.from({ length: n }, (_, i) => (x[2 * i] > x[2 * i + 1] ? 1 : 0));
  const model = new Sequential({
    seed: 2,
    inputShape: [2],
    layers: [new Dense({ units: 2, activation: 'softmax' })],
  });
  const adam = new Adam({ learningRate: 0.05 });
  const input = new Tensor(x, [n, 2]);
  let last = { loss: Infinity, correct: 0 };
  for (let step = 0; step < 200; step++) {
    last = model.computeGradients(input, labels);
    adam.step(model.parameters().map((p) => p.parameter));
  }
  assert.ok(last.correct / n > 0.95, `accuracy ${last.correct / n}`);
});

test('ParallelGradients: worker threads give the batch gradient a single thread computes', async () => {
  const { train } = splitMnist(37, 1);
  const { x, labels } = gatherBatch(
    train,
    Int32Array.from({ length: 37 }, (_, i) => i),
    0,
    37,
  );
  const single = createLenet({ seed: 8, hiddenUnits: 10 });
  const expected = single.computeGradients(x, labels);
  const model = createLenet({ seed: 8, hiddenUnits: 10 });
  const parallel = await ParallelGradients.start(model, 2);
  try {
    assert.equal(parallel.threads, 3);
    // Two steps, with the weights changed in between: the workers must pick up the new weights.
    for (let step = 0; step < 2; step++) {
      const got = await parallel.computeGradients(x, labels);
      const reference = step === 0 ? expected : single.computeGradients(x, labels);
      assert.ok(Math.abs(got.loss - reference.loss) < 1e-5, `loss ${got.loss} vs ${reference.loss}`);
      assert.equal(got.correct, reference.correct);
      const ours = model.parameters();
      single.parameters().forEach(({ parameter }, i) => {
        const g = ours[i].parameter.grad;
        let scale = 1e-6;
        for (const v of parameter.grad) scale = Math.max(scale, Math.abs(v));
        for (let j = 0; j < g.length; j++) {
          assert.ok(Math.abs(g[j] - parameter.grad[j]) <= 1e-5 * scale, `${parameter.name}[${j}]`);
        }
      });
      const sgd = new SGD({ learningRate: 0.5 });
      sgd.step(single.parameters().map((p) => p.parameter));
      sgd.step(model.parameters().map((p) => p.parameter));
    }
  } finally {
    await parallel.close();
  }
});
