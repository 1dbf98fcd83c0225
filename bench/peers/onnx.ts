/**
 * onnxruntime-node peer: a one-node Conv model (bench/onnx_model.ts) run by the CPU execution provider
 * with a given number of intra-op threads. Only session.run is timed; the NCHW input tensor is made
 * beforehand. Thread spinning is turned off so an idle onnxruntime worker does not busy-wait on a core
 * while the next engine in the round is being timed (the machine is shared).
 */
import * as ort from 'onnxruntime-node';
import type { Engine } from '../engine.js';
import {
  buildConvModel,
  nchwToNhwc,
  nhwcToNchw,
  onnxShapes,
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_NAME,
} from '../onnx_model.js';

export async function createConvSession(model: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
}

export function onnxEngine(threads: number): Engine {
  return {
    name: `onnxruntime:t${threads}`,
    family: 'peer',
    threads,
    async prepare(c) {
      const g = c.geometry;
      const session = await createConvSession(buildConvModel(g, c.filter), threads);
      const shapes = onnxShapes(g);
      const input = new ort.Tensor(
        'float32',
        nhwcToNchw(c.input, g.batch, g.inHeight, g.inWidth, g.inChannels),
        shapes.input,
      );
      const feeds = { [ONNX_INPUT_NAME]: input };
      return {
        async run() {
          await session.run(feeds);
        },
        async output() {
          const result = await session.run(feeds);
          const y = result[ONNX_OUTPUT_NAME].data as Float32Array;
          return nchwToNhwc(y, g.batch, g.outChannels, g.outHeight, g.outWidth);
        },
        async dispose() {
          await session.release();
        },
      };
    },
  };
}
