/**
 * TensorFlow.js peers: tfjs-backend-wasm (XNNPACK, SIMD; single-threaded in Node) and
 * tfjs-backend-cpu (plain JavaScript), running tf.conv2d or tf.depthwiseConv2d. Both backends live in
 * this one process: each prepared run keeps tensors made on its own backend, and switches tfjs to that
 * backend before its turn.
 *
 * A timed call is the op plus dataSync(), so that, like convkit and onnxruntime, the result ends up in
 * a JavaScript Float32Array. tfjs has no grouped conv2d: such shapes are reported 'unsupported'.
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

/** Makes `backend` tfjs's current backend (initialising it on first use). */
export async function useTfjsBackend(backend: TfjsBackend): Promise<void> {
  if (backend === 'wasm') useLocalWasmFiles();
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) {
    throw new Error(`bench: tfjs backend "${backend}" failed to initialise`);
  }
}

/** What the wasm backend found in this runtime (SIMD, threads), for the results file. */
export async function tfjsInfo(): Promise<Record<string, unknown>> {
  await useTfjsBackend('wasm');
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

type Op = 'conv2d' | 'depthwiseConv2d';

/** tf.conv2d or tf.depthwiseConv2d on NHWC data with the case's strides, padding and dilations. */
function tfjsOp(op: Op, c: BenchCase, x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const g = c.geometry;
  const strides: [number, number] = [g.strideHeight, g.strideWidth];
  const dilations: [number, number] = [g.dilationHeight, g.dilationWidth];
  return op === 'conv2d'
    ? tf.conv2d(x, w, strides, tfjsPad(c), 'NHWC', dilations)
    : tf.depthwiseConv2d(x, w, strides, tfjsPad(c), 'NHWC', dilations);
}

function unsupportedReason(op: Op, c: BenchCase): string | undefined {
  const g = c.geometry;
  if (op === 'conv2d' && g.groups !== 1) {
    return `tfjs has no grouped conv2d (${g.groups} groups): tf.conv2d needs in_channels = filter in_channels`;
  }
  const strided = g.strideHeight > 1 || g.strideWidth > 1;
  if (op === 'depthwiseConv2d' && strided && (g.dilationHeight > 1 || g.dilationWidth > 1)) {
    return 'tfjs refuses strides and dilations > 1 together';
  }
  return undefined;
}

function tfjsOpEngine(op: Op, backend: TfjsBackend): Engine {
  return {
    name: `tfjs-${backend}`,
    family: 'peer',
    threads: 1,
    unsupportedReason: (c) => unsupportedReason(op, c),
    async prepare(c) {
      await useTfjsBackend(backend);
      const x = tf.tensor4d(c.input, c.spec.input as [number, number, number, number]);
      const w = tf.tensor4d(c.filter, c.spec.filter as [number, number, number, number]);
      const convolve = () => {
        const y = tfjsOp(op, c, x, w);
        const values = y.dataSync() as Float32Array;
        y.dispose();
        return values;
      };
      return {
        activate: () => useTfjsBackend(backend),
        run() {
          convolve();
        },
        async output() {
          await useTfjsBackend(backend);
          return Float32Array.from(convolve());
        },
        async dispose() {
          await useTfjsBackend(backend);
          x.dispose();
          w.dispose();
        },
      };
    },
  };
}

/** tf.conv2d on one backend. */
export function tfjsEngine(backend: TfjsBackend): Engine {
  return tfjsOpEngine('conv2d', backend);
}

/** tf.depthwiseConv2d on one backend. */
export function tfjsDepthwiseEngine(backend: TfjsBackend): Engine {
  return tfjsOpEngine('depthwiseConv2d', backend);
}
