// The bench's ONNX Conv model: encoded with protobufjs, run through onnxruntime-node, compared with
// convkit's direct algorithm; plus the layout helpers it relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { conv2d, convGeometry, Tensor, type ConvOptions } from '../src/index.js';
import {
  buildConvModel,
  hwioToOihw,
  nchwToNhwc,
  nhwcToNchw,
  onnxSchema,
  onnxShapes,
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_NAME,
} from '../bench/onnx_model.js';
import { randomValues } from '../bench/shapes.js';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

async function runOnnx(inputShape: number[], filterShape: number[], options: ConvOptions) {
  const g = convGeometry('test', inputShape, filterShape, options);
  const x = randomValues(size(inputShape), 7);
  const w = randomValues(size(filterShape), 8);
  const session = await ort.InferenceSession.create(buildConvModel(g, w), { intraOpNumThreads: 1 });
  try {
    const feeds = {
      [ONNX_INPUT_NAME]: new ort.Tensor(
        'float32',
        nhwcToNchw(x, g.batch, g.inHeight, g.inWidth, g.inChannels),
        [g.batch, g.inChannels, g.inHeight, g.inWidth],
      ),
    };
    const y = (await session.run(feeds))[ONNX_OUTPUT_NAME];
    const expected = conv2d(new Tensor(x, inputShape), new Tensor(w, filterShape), {
      ...options,
      algorithm: 'direct',
    });
    return { g, y, expected };
  } finally {
    await session.release();
  }
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('onnxruntime runs the encoded Conv model and matches convkit (SAME, stride 2: asymmetric pads)', async () => {
  const { g, y, expected } = await runOnnx([2, 6, 7, 3], [3, 2, 3, 4], { strides: 2, padding: 'SAME' });
  // SAME with stride 2 on an even height pads unevenly: the test only means something if it does.
  assert.notEqual(g.padTop, g.padBottom);
  assert.deepEqual([...y.dims], onnxShapes(g).output);
  const nhwc = nchwToNhwc(y.data as Float32Array, g.batch, g.outChannels, g.outHeight, g.outWidth);
  assertClose(nhwc, expected.data, 1e-5);
});

test('onnxruntime matches convkit with dilations and VALID padding, and with explicit padding', async () => {
  for (const options of [
    { dilations: [2, 1], padding: 'VALID' },
    {
      padding: [
        [0, 0],
        [2, 0],
        [1, 3],
        [0, 0],
      ],
      strides: [1, 2],
    },
  ] as ConvOptions[]) {
    const { g, y, expected } = await runOnnx([1, 9, 8, 2], [3, 3, 2, 5], options);
    const nhwc = nchwToNhwc(y.data as Float32Array, g.batch, g.outChannels, g.outHeight, g.outWidth);
    assertClose(nhwc, expected.data, 1e-5);
  }
});

test('the encoded model decodes back to one Conv node with the geometry in its attributes', () => {
  const g = convGeometry('test', [1, 5, 5, 5], [3, 3, 5, 7], { strides: 2, padding: 'SAME' });
  const bytes = buildConvModel(g, randomValues(3 * 3 * 5 * 7, 1));
  const model = onnxSchema()
    .lookupType('onnx.ModelProto')
    .toObject(onnxSchema().lookupType('onnx.ModelProto').decode(bytes), {
      longs: Number,
    }) as {
    graph: {
      node: { op_type: string; attribute: { name: string; ints?: number[]; i?: number }[] }[];
      initializer: { dims: number[]; raw_data: Uint8Array }[];
    };
  };
  assert.equal(model.graph.node.length, 1);
  assert.equal(model.graph.node[0].op_type, 'Conv');
  const attribute = (name: string) => model.graph.node[0].attribute.find((a) => a.name === name);
  assert.deepEqual(attribute('kernel_shape')?.ints, [3, 3]);
  assert.deepEqual(attribute('strides')?.ints, [2, 2]);
  // 5x5, stride 2, SAME: out 3, total padding (3 - 1) * 2 + 3 - 5 = 2, one on each side.
  assert.deepEqual(attribute('pads')?.ints, [1, 1, 1, 1]);
  assert.equal(attribute('group')?.i, 1);
  assert.deepEqual(model.graph.initializer[0].dims, [7, 5, 3, 3]);
  assert.equal(model.graph.initializer[0].raw_data.length, 7 * 5 * 3 * 3 * 4);
});

test('hwioToOihw puts filter[ky][kx][i][o] at weights[o][i][ky][kx]', () => {
  const g = convGeometry('test', [1, 4, 4, 2], [2, 3, 2, 4], {});
  const filter = Float32Array.from({ length: 2 * 3 * 2 * 4 }, (_, i) => i);
  const oihw = hwioToOihw(g, filter);
  for (const [ky, kx, i, o] of [
    [0, 0, 0, 0],
    [1, 2, 1, 3],
    [0, 1, 1, 2],
    [1, 0, 0, 1],
  ]) {
    assert.equal(oihw[((o * 2 + i) * 2 + ky) * 3 + kx], filter[((ky * 3 + kx) * 2 + i) * 4 + o]);
  }
});

test('nhwcToNchw and nchwToNhwc are inverse and move channel c of pixel (y, x) to plane c', () => {
  const [n, h, w, c] = [2, 3, 4, 5];
  const nhwc = randomValues(n * h * w * c, 3);
  const nchw = nhwcToNchw(nhwc, n, h, w, c);
  assert.equal(nchw[((1 * c + 4) * h + 2) * w + 3], nhwc[((1 * h + 2) * w + 3) * c + 4]);
  assert.deepEqual(nchwToNhwc(nchw, n, c, h, w), nhwc);
});
