/** bench/onnx_network.ts: a small network exported to ONNX gives, in onnxruntime-node, the runtime's values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { buildNetworkModel } from '../bench/onnx_network.js';
import { nhwcToNchw, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../bench/onnx_model.js';
import { createConvSession } from '../bench/peers/onnx.js';
import { buildOps } from '../src/runtime/fuse.js';
import { buildGraph } from '../src/runtime/graph.js';
import { loadLayersModel } from '../src/runtime/index.js';
import { openModelSource } from '../src/runtime/source.js';
import { matchWeights, readWeights } from '../src/runtime/weights.js';
import { artifactsOf, randomInput, relativeError, seedWeights } from './helpers/tfjs_models.js';

test('conv, BatchNorm, ReLU6, padding, depthwise, pooling, residual Add, global pooling and Dense export to ONNX', async () => {
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const ap = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
    layer.apply(x) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [10, 10, 3] });
  let x = ap(L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }), input);
  x = ap(L.reLU({ maxValue: 6 }), ap(L.batchNormalization(), x));
  const y = ap(
    L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid' }),
    ap(
      L.zeroPadding2d({
        padding: [
          [0, 1],
          [0, 1],
        ],
      }),
      x,
    ),
  );
  const z = ap(L.batchNormalization(), ap(L.conv2d({ filters: 8, kernelSize: 1 }), y));
  x = ap(
    L.activation({ activation: 'relu' }),
    ap(L.add(), [ap(L.maxPooling2d({ poolSize: 3, strides: 2 }), x), z]),
  );
  x = ap(L.dense({ units: 4 }), ap(L.globalAveragePooling2d({}), x));
  const model = tfl.model({ inputs: input, outputs: x });
  seedWeights(model, 6);
  const artifacts = await artifactsOf(model);
  const src = await openModelSource(artifacts);
  const graph = buildGraph(src.topology);
  const weights = readWeights(
    matchWeights(graph.layers, src.groups, 'test'),
    await src.readShards(),
    src.groups,
    'test',
  );
  const session = await createConvSession(buildNetworkModel(graph, buildOps(graph, weights, true), 2), 1);
  const input2 = randomInput([2, 10, 10, 3], 1);
  const feeds = {
    [ONNX_INPUT_NAME]: new ort.Tensor('float32', nhwcToNchw(input2.data, 2, 10, 10, 3), [2, 3, 10, 10]),
  };
  const onnx = (await session.run(feeds))[ONNX_OUTPUT_NAME].data as Float32Array;
  const ours = (await loadLayersModel(artifacts)).predict(input2).data;
  assert.ok(relativeError(onnx, ours) < 1e-5, `onnxruntime vs convkit: ${relativeError(onnx, ours)}`);
  await session.release();
});
