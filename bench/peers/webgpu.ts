/**
 * The webgpu section's engines: convkit's WebGPU backend and tfjs-backend-webgpu, on one adapter (the
 * third, onnxruntime-web's WebGPU execution provider, is in ort_webgpu.ts). In Node, navigator.gpu
 * (which tfjs-backend-webgpu and onnxruntime-web need) is set from the `webgpu` package (Dawn), and
 * convkit's backend finds the same object there. A timed call includes reading the result back into a
 * Float32Array, so the GPU has finished it. Without a GPU, start node with SwiftShader's Vulkan driver
 * (bench/README.md); emulator timings check that the section runs, not how fast a GPU is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Tensor, planGpuConv2d, webgpu, type GpuTensor, type WebGPUBackend } from '../../src/index.js';
import type { Engine } from '../engine.js';
import type { BenchCase } from '../shapes.js';

let backend: Promise<WebGPUBackend> | undefined;

/** navigator.gpu, set from the `webgpu` package where the runtime has none (Node). */
export async function installNavigatorGpu(): Promise<void> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return;
  const specifier = 'webgpu';
  const dawn = (await import(specifier)) as { create(options: string[]): unknown; globals: object };
  // tfjs-backend-webgpu reads GPUBufferUsage and friends as globals.
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
}

/** convkit's WebGPU backend, shared by the section (made on first use). */
export function webgpuBackend(): Promise<WebGPUBackend> {
  backend ??= installNavigatorGpu().then(() => webgpu());
  return backend;
}

/** The adapter's name once the section has run ('no adapter: why' if it could not start). */
export async function webgpuAdapterName(): Promise<string> {
  try {
    return (await webgpuBackend()).adapterName;
  } catch (error) {
    return `no WebGPU adapter (${(error as Error).message})`;
  }
}

function convOptions(c: BenchCase) {
  return {
    strides: c.spec.strides,
    padding: c.spec.padding,
    dilations: c.spec.dilations,
  } as const;
}

/** convkit:webgpu: gpu.conv2d on resident inputs, then read() of the output. */
export function convkitWebGPUEngine(): Engine {
  return {
    name: 'convkit:webgpu',
    family: 'convkit',
    threads: 1,
    describe(c) {
      // The plan for WebGPU's default limits (what explainConv2d reports).
      const plan = planGpuConv2d(c.geometry);
      return { runs: 'webgpu', kernel: plan.kernel, fellBack: false, note: plan.reason };
    },
    async prepare(c) {
      const gpu = await webgpuBackend();
      const x = gpu.upload(new Tensor(c.input, c.spec.input));
      const w = gpu.upload(new Tensor(c.filter, c.spec.filter));
      const convolve = async () => {
        const y: GpuTensor = gpu.conv2d(x, w, convOptions(c));
        try {
          return (await y.read()).data;
        } finally {
          y.dispose();
        }
      };
      return {
        async run() {
          await convolve();
        },
        output: convolve,
        dispose() {
          x.dispose();
          w.dispose();
        },
      };
    },
  };
}

let tfjsReady: Promise<void> | undefined;

async function useTfjsWebGPU(): Promise<void> {
  tfjsReady ??= (async () => {
    await installNavigatorGpu();
    await import('@tensorflow/tfjs-backend-webgpu');
  })();
  await tfjsReady;
  if (tf.getBackend() !== 'webgpu' && !(await tf.setBackend('webgpu'))) {
    throw new Error('bench: tfjs backend "webgpu" failed to initialise');
  }
}

/** tfjs-webgpu: tf.conv2d on tfjs-backend-webgpu, then await data(). */
export function tfjsWebGPUEngine(): Engine {
  return {
    name: 'tfjs-webgpu',
    family: 'peer',
    threads: 1,
    unsupportedReason: (c) =>
      c.geometry.groups !== 1 ? `tfjs has no grouped conv2d (${c.geometry.groups} groups)` : undefined,
    async prepare(c) {
      await useTfjsWebGPU();
      const g = c.geometry;
      const x = tf.tensor4d(c.input, c.spec.input as [number, number, number, number]);
      const w = tf.tensor4d(c.filter, c.spec.filter as [number, number, number, number]);
      const pad =
        g.paddingMode === 'SAME'
          ? 'same'
          : g.paddingMode === 'VALID'
            ? 'valid'
            : ([
                [0, 0],
                [g.padTop, g.padBottom],
                [g.padLeft, g.padRight],
                [0, 0],
              ] as [[number, number], [number, number], [number, number], [number, number]]);
      const convolve = async () => {
        const y = tf.conv2d(x, w, [g.strideHeight, g.strideWidth], pad, 'NHWC', [
          g.dilationHeight,
          g.dilationWidth,
        ]);
        try {
          return (await y.data()) as Float32Array;
        } finally {
          y.dispose();
        }
      };
      return {
        activate: useTfjsWebGPU,
        async run() {
          await convolve();
        },
        async output() {
          await useTfjsWebGPU();
          return Float32Array.from(await convolve());
        },
        async dispose() {
          await useTfjsWebGPU();
          x.dispose();
          w.dispose();
        },
      };
    },
  };
}
