/**
 * ort-webgpu: onnxruntime-web's WebGPU execution provider ('onnxruntime-web/webgpu') on the one-node
 * Conv model of the onnxruntime peer (bench/onnx_model.ts), for the webgpu section. The NCHW input
 * tensor is made beforehand on the CPU; a timed call is `session.run`, which uploads the input, runs
 * the Conv on the GPU and reads the output back into a Float32Array (its default output location), as
 * the other engines of the section read theirs back. The CPU side of onnxruntime-web (graph, session)
 * runs on one thread.
 *
 * In Node, navigator.gpu comes from the `webgpu` package (Dawn), like tfjs-webgpu's. onnxruntime-web
 * keeps its heap in a shared WebAssembly.Memory and uploads straight from views of it
 * (queue.writeBuffer on a SharedArrayBuffer); Dawn's Node bindings take such a view on Node 24 but throw
 * 'Invalid argument' or crash the process on Node 20. Below Node 24 writeBuffer therefore copies a
 * SharedArrayBuffer view into a plain buffer first (one extra copy of the input per call, and of the
 * weights once).
 */
import type { Engine } from '../engine.js';
import {
  buildConvModel,
  nchwToNhwc,
  nhwcToNchw,
  onnxShapes,
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_NAME,
} from '../onnx_model.js';
import { installNavigatorGpu } from './webgpu.js';

type OrtWeb = typeof import('onnxruntime-web');
let ort: Promise<OrtWeb> | undefined;

interface BufferSource {
  buffer: ArrayBufferLike;
  byteOffset: number;
  byteLength: number;
  BYTES_PER_ELEMENT?: number;
}
type WriteBuffer = (
  buffer: unknown,
  offset: number,
  data: BufferSource,
  dataOffset?: number,
  size?: number,
) => void;

/** Below Node 24, queue.writeBuffer gets SharedArrayBuffer views as copies (see the header). */
function copySharedUploads(): void {
  const major = Number(process.versions.node?.split('.')[0] ?? Infinity);
  const queue = (globalThis as { GPUQueue?: { prototype: { writeBuffer: WriteBuffer } } }).GPUQueue;
  if (!(major < 24) || !queue) return;
  const write = queue.prototype.writeBuffer;
  queue.prototype.writeBuffer = function (this: unknown, buffer, offset, data, dataOffset = 0, size?) {
    if (!(data.buffer instanceof SharedArrayBuffer))
      return write.call(this, buffer, offset, data, dataOffset, size);
    // dataOffset and size count elements of a typed array, bytes of anything else.
    const unit = data.BYTES_PER_ELEMENT ?? 1;
    const bytes = (size ?? data.byteLength / unit - dataOffset) * unit;
    const copy = new Uint8Array(data.buffer, data.byteOffset + dataOffset * unit, bytes).slice();
    return write.call(this, buffer, offset, copy, 0, bytes);
  };
}

/** onnxruntime-web's WebGPU build, loaded once, after navigator.gpu is in place. */
function ortWebGPU(): Promise<OrtWeb> {
  ort ??= (async () => {
    await installNavigatorGpu();
    if (typeof process !== 'undefined') copySharedUploads();
    const specifier = 'onnxruntime-web/webgpu';
    const module = (await import(specifier)) as OrtWeb;
    module.env.wasm.numThreads = 1;
    return module;
  })();
  return ort;
}

export function ortWebGPUEngine(): Engine {
  return {
    name: 'ort-webgpu',
    family: 'peer',
    threads: 1,
    async prepare(c) {
      const o = await ortWebGPU();
      const g = c.geometry;
      const session = await o.InferenceSession.create(buildConvModel(g, c.filter), {
        executionProviders: ['webgpu'],
        graphOptimizationLevel: 'all',
      });
      const input = new o.Tensor(
        'float32',
        nhwcToNchw(c.input, g.batch, g.inHeight, g.inWidth, g.inChannels),
        onnxShapes(g).input,
      );
      const feeds = { [ONNX_INPUT_NAME]: input };
      return {
        async run() {
          await session.run(feeds);
        },
        async output() {
          const y = (await session.run(feeds))[ONNX_OUTPUT_NAME];
          return nchwToNhwc(y.data as Float32Array, g.batch, g.outChannels, g.outHeight, g.outWidth);
        },
        async dispose() {
          await session.release();
        },
      };
    },
  };
}
