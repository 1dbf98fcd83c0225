/**
 * TensorFlow.js peers: tfjs-backend-wasm (XNNPACK, SIMD; single-threaded in Node) and
 * tfjs-backend-cpu (plain JavaScript). Both live in this one process: each prepared run keeps tensors
 * made on its own backend, and switches tfjs to that backend before its turn.
 *
 * A timed call is conv2d plus dataSync(), so that, like convkit and onnxruntime, the result ends up in
 * a JavaScript Float32Array.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Engine } from '../engine.js';
import type { BenchCase } from '../shapes.js';

export type TfjsBackend = 'wasm' | 'cpu';

// PROD turns off tfjs's development warnings (the "install tfjs-node" banner among them); it does not
// change how conv2d computes.
tf.env().set('PROD', true);

let wasmPathsSet = false;

/** In Node the wasm backend loads its .wasm files from disk: point it at the package's dist folder. */
function useLocalWasmFiles(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  wasmPathsSet = true;
}

async function switchTo(backend: TfjsBackend): Promise<void> {
  if (backend === 'wasm') useLocalWasmFiles();
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) {
    throw new Error(`bench: tfjs backend "${backend}" failed to initialise`);
  }
}

/** What the wasm backend found in this runtime (SIMD, threads), for the results file. */
export async function tfjsInfo(): Promise<Record<string, unknown>> {
  await switchTo('wasm');
  return {
    version: tf.version_core,
    wasmSimd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    wasmMultithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

/** tf.conv2d's pad argument: 'same' / 'valid', or explicit NHWC pairs. */
function tfjsPad(
  c: BenchCase,
): 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  const g = c.geometry;
  if (g.paddingMode === 'SAME') return 'same';
  if (g.paddingMode === 'VALID') return 'valid';
  return [
    [0, 0],
    [g.padTop, g.padBottom],
    [g.padLeft, g.padRight],
    [0, 0],
  ];
}

export function tfjsEngine(backend: TfjsBackend): Engine {
  return {
    name: `tfjs-${backend}`,
    family: 'peer',
    threads: 1,
    skipReason(c) {
      if (c.geometry.groups !== 1) return 'tfjs conv2d has no grouped convolution';
      return undefined;
    },
    async prepare(c) {
      await switchTo(backend);
      const g = c.geometry;
      const x = tf.tensor4d(c.input, [g.batch, g.inHeight, g.inWidth, g.inChannels]);
      const w = tf.tensor4d(c.filter, [g.filterHeight, g.filterWidth, g.filterInChannels, g.outChannels]);
      const strides: [number, number] = [g.strideHeight, g.strideWidth];
      const dilations: [number, number] = [g.dilationHeight, g.dilationWidth];
      const pad = tfjsPad(c);
      const convolve = () => {
        const y = tf.conv2d(x, w, strides, pad, 'NHWC', dilations);
        const values = y.dataSync() as Float32Array;
        y.dispose();
        return values;
      };
      return {
        activate: () => switchTo(backend),
        run() {
          convolve();
        },
        async output() {
          await switchTo(backend);
          return Float32Array.from(convolve());
        },
        async dispose() {
          await switchTo(backend);
          x.dispose();
          w.dispose();
        },
      };
    },
  };
}
