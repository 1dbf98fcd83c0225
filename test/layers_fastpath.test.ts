// The layers' fast paths against plain references written here: the wasm matrix product, the
// branch-free ReLU, the fused bias + activation, the column sums, max pooling, and the workspace that
// recycles a training step's buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../src/tensor.js';
import { setWasmVariant } from '../src/kernels/wasm/engine.js';
import { matmul } from '../src/layers/matmul.js';
import { activate, activationBackward, type ActivationName } from '../src/layers/activations.js';
import { addBiasRows, biasThenActivate, sumRowsInto } from '../src/layers/bias.js';
import { MaxPooling2D } from '../src/layers/max_pooling2d.js';
import { Workspace, inWorkspace, scratchFloats } from '../src/layers/workspace.js';
import { createLenet } from '../src/train/lenet.js';
import { createRng } from '../src/layers/random.js';
import { scaledError } from './helpers/assert_close.js';

function uniform(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => 2 * rng.next() - 1);
}

/** op(A) x op(B) in float64, from the definition. */
function matmul64(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

test('matmul: wasm and TypeScript products match float64 on odd shapes, with and without transposes', () => {
  const shapes = [
    [1, 1, 1],
    [3, 5, 7],
    [17, 33, 9],
    [64, 256, 64],
    [256, 64, 10],
    [5, 0, 4],
  ];
  for (const variant of ['simd', 'none'] as const) {
    setWasmVariant(variant);
    for (const [m, k, n] of shapes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const a = uniform(m * k, m + k);
          const b = uniform(k * n, k + n);
          const c = matmul(a, b, m, k, n, { transposeA, transposeB });
          const expected = matmul64(a, b, m, k, n, transposeA, transposeB);
          assert.equal(c.length, m * n);
          const error = scaledError(c, expected);
          assert.ok(
            error <= 1e-5,
            `${variant} ${m}x${k}x${n} tA ${transposeA} tB ${transposeB}: error ${error}`,
          );
        }
      }
    }
  }
  setWasmVariant('auto');
});

const SPECIAL = [0, -0, 1, -1, 1e-40, -1e-40, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 0.5, -0.25];

test('relu: the branch-free forward and backward equal x > 0 ? x : 0 bit for bit, special values included', () => {
  const z = Float32Array.from([...SPECIAL, ...uniform(101, 3)]);
  // A NaN with the sign bit set, too.
  const withNegativeNaN = new Float32Array([...z, 0]);
  new Uint32Array(withNegativeNaN.buffer)[withNegativeNaN.length - 1] = 0xffc00000;
  const da = uniform(withNegativeNaN.length, 4);
  const a = activate('relu', withNegativeNaN, 1);
  const dz = activationBackward('relu', withNegativeNaN, da, 1);
  for (let i = 0; i < withNegativeNaN.length; i++) {
    const x = withNegativeNaN[i];
    assert.ok(Object.is(a[i], x > 0 ? x : 0), `relu(${x}) gave ${a[i]}`);
    assert.ok(Object.is(dz[i], x > 0 ? da[i] : 0), `relu'(${x}) gave ${dz[i]}`);
  }
});

test('biasThenActivate equals addBiasRows then activate, and leaves z + bias in z', () => {
  for (const activation of ['relu', 'linear', 'softmax'] as ActivationName[]) {
    for (const width of [1, 3, 8, 10]) {
      const z = uniform(width * 13, width);
      const bias = uniform(width, 99);
      const zRef = z.slice();
      addBiasRows(zRef, bias);
      const expected = activate(activation, zRef, width).slice();
      const got = biasThenActivate(activation, z, bias, width);
      assert.deepEqual(z, zRef, `${activation} width ${width}: z`);
      assert.deepEqual(got, expected, `${activation} width ${width}: output`);
    }
  }
});

test('sumRowsInto equals column sums in float64 for widths 1 to 9', () => {
  for (let width = 1; width <= 9; width++) {
    const values = uniform(width * 37, width);
    const out = new Float32Array(width);
    sumRowsInto(values, width, out);
    for (let j = 0; j < width; j++) {
      let s = 0;
      for (let r = 0; r < 37; r++) s += values[r * width + j];
      assert.equal(out[j], Math.fround(s));
    }
  }
});

/** Max pooling from the definition: the first cell (row-major) wins ties; NaN never beats a number. */
function poolReference(
  x: Float32Array,
  [batch, height, width, channels]: number[],
  pool: number,
  stride: number,
  same: boolean,
): { out: number[]; argmax: number[]; shape: number[] } {
  const outH = same ? Math.ceil(height / stride) : Math.floor((height - pool) / stride) + 1;
  const outW = same ? Math.ceil(width / stride) : Math.floor((width - pool) / stride) + 1;
  const padTop = same ? Math.floor(Math.max((outH - 1) * stride + pool - height, 0) / 2) : 0;
  const padLeft = same ? Math.floor(Math.max((outW - 1) * stride + pool - width, 0) / 2) : 0;
  const out: number[] = [];
  const argmax: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let c = 0; c < channels; c++) {
          let best = NaN;
          let at = -1;
          for (let dy = 0; dy < pool; dy++) {
            for (let dx = 0; dx < pool; dx++) {
              const iy = oy * stride - padTop + dy;
              const ix = ox * stride - padLeft + dx;
              if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
              const i = ((b * height + iy) * width + ix) * channels + c;
              if (at < 0 || x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          }
          out.push(best);
          argmax.push(at);
        }
      }
    }
  }
  return { out, argmax, shape: [batch, outH, outW, channels] };
}

test('MaxPooling2D matches the definition: ties, NaN, SAME padding, overlapping windows, and its gradient', () => {
  const cases: [number[], number, number, boolean][] = [
    [[2, 8, 8, 3], 2, 2, false],
    [[1, 7, 5, 4], 3, 2, true],
    [[3, 5, 6, 1], 2, 1, false],
  ];
  for (const [shape, pool, stride, same] of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    // Few distinct values, so windows hold ties; and a NaN.
    const x = Float32Array.from(uniform(size, size), (v) => Math.round(v * 3));
    x[5] = NaN;
    const layer = new MaxPooling2D({ poolSize: pool, strides: stride, padding: same ? 'same' : 'valid' });
    layer.build(shape.slice(1));
    const y = layer.forward(new Tensor(x, shape), true);
    const ref = poolReference(x, shape, pool, stride, same);
    assert.deepEqual(y.shape, ref.shape);
    assert.deepEqual(Array.from(y.data), ref.out.map(Math.fround));
    const dy = uniform(y.size, 7);
    const dx = layer.backward(new Tensor(dy, y.shape), true) as Tensor;
    const expected = new Float32Array(size);
    ref.argmax.forEach((at, i) => (expected[at] += dy[i]));
    assert.deepEqual(dx.data, expected);
  }
});

test('workspace: a step reuses the last step buffers, and forward outside a step allocates afresh', () => {
  const workspace = new Workspace();
  const first = inWorkspace(workspace, () => scratchFloats(100));
  const second = inWorkspace(workspace, () => [scratchFloats(100), scratchFloats(100)]);
  assert.equal(second[0], first);
  assert.notEqual(second[1], first);
  assert.notEqual(scratchFloats(100), first);
});

test('computeGradients: repeated steps on reused buffers give the same gradients as a fresh model', () => {
  const x = new Tensor(uniform(4 * 28 * 28, 5), [4, 28, 28, 1]);
  const labels = [3, 1, 4, 1];
  const gradients = (model: ReturnType<typeof createLenet>) =>
    model.parameters().map((p) => p.parameter.grad.slice());
  const model = createLenet({ seed: 2 });
  const kept = model.forward(x, false);
  const keptValues = kept.data.slice();
  const once = model.computeGradients(x, labels);
  const firstGradients = gradients(model);
  // A step on other data in between, then the first batch again: the buffers are reused each time.
  model.computeGradients(new Tensor(uniform(4 * 28 * 28, 6), [4, 28, 28, 1]), [0, 9, 2, 7]);
  const again = model.computeGradients(x, labels);
  assert.deepEqual(again, once);
  assert.deepEqual(gradients(model), firstGradients);
  const fresh = createLenet({ seed: 2 });
  assert.deepEqual(fresh.computeGradients(x, labels), once);
  assert.deepEqual(gradients(fresh), firstGradients);
  // The inference output taken before the steps still holds its values.
  assert.deepEqual(kept.data, keptValues);
});
