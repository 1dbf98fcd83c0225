/**
 * One training step of the LeNet-style MNIST model (src/train/lenet.ts) on a batch of 64 digits:
 * convkit's layers (forward, softmax cross-entropy, backward, Adam) against the same model, with the
 * same starting weights, in TensorFlow.js (tfjs-layers trainOnBatch on tfjs-backend-wasm).
 *
 *   node --import tsx bench/train_step.ts [--batch 64] [--repeats 10]
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a conv2d filter gradient cannot run on
 * it as shipped. For this benchmark the Conv2D gradient is re-registered with ops the wasm backend
 * does have: the input gradient is conv2DBackpropInput as in tfjs, and the filter gradient (stride 1)
 * is one XNNPACK conv2d of the transposed input ([C, H, W, N]) with the transposed output gradient
 * ([out_h, out_w, N, O]) as filter. That is the same number of multiply-adds as a native kernel. The
 * bench checks that both engines' gradients agree before timing.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { toTfjsArtifacts } from '../src/io/tfjs_layers.js';
import { gatherBatch } from '../src/train/dataset.js';
import { splitMnist } from '../src/train/mnist_data.js';
import { createLenet } from '../src/train/lenet.js';
import { Adam } from '../src/train/optimizers.js';

tf.env().set('PROD', true);

export interface TrainStepResult {
  batch: number;
  repeats: number;
  /** Median wall-clock milliseconds per training step. */
  convkitMs: number;
  tfjsWasmMs: number;
  /** Median CPU milliseconds (this process, all threads) per step: steadier than wall time on a busy machine. */
  convkitCpuMs: number;
  tfjsWasmCpuMs: number;
  /** Largest |difference| between the two engines' weight gradients, relative to the largest gradient. */
  gradientRelativeDifference: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median wall and CPU milliseconds of `repeats` calls, after two untimed warm-up calls. */
async function timeSteps(
  repeats: number,
  step: () => void | Promise<void>,
): Promise<{ wallMs: number; cpuMs: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await step();
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    if (i >= 2) {
      wall.push(t1 - t0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

/** Re-registers Conv2D's gradient with kernels tfjs-backend-wasm has (see the header). */
function registerWasmConv2dGradient(): void {
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dilations } = attrs as unknown as {
        strides: number | [number, number];
        pad: 'valid' | 'same';
        dilations: number | [number, number];
      };
      const one = (v: number | [number, number]) => (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);
      if (!one(strides) || !one(dilations) || (pad !== 'valid' && pad !== 'same')) {
        throw new Error('bench/train_step: the wasm Conv2D gradient here handles stride 1, no dilation');
      }
      const g = dy as tf.Tensor4D;
      return {
        x: () => tf.conv2dTranspose(g, filter, x.shape, 1, pad),
        filter: () => {
          const [kh, kw] = filter.shape;
          // SAME pads as TensorFlow: the odd row/column goes bottom/right.
          const padded =
            pad === 'same'
              ? tf.pad(x, [
                  [0, 0],
                  [(kh - 1) >> 1, kh - 1 - ((kh - 1) >> 1)],
                  [(kw - 1) >> 1, kw - 1 - ((kw - 1) >> 1)],
                  [0, 0],
                ])
              : x;
          const sums = tf.conv2d(
            tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D,
            tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D,
            1,
            'valid',
          );
          return tf.transpose(sums, [1, 2, 0, 3]);
        },
      };
    },
  });
}

async function useWasmBackend(): Promise<void> {
  const require = createRequire(import.meta.url);
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  if (!(await tf.setBackend('wasm'))) throw new Error('bench/train_step: tfjs wasm backend failed to start');
}

export async function benchTrainStep(
  options: { batch?: number; repeats?: number } = {},
): Promise<TrainStepResult> {
  const batch = options.batch ?? 64;
  const repeats = options.repeats ?? 10;
  await useWasmBackend();
  registerWasmConv2dGradient();

  const { train } = splitMnist(batch, 1);
  const { x, labels } = gatherBatch(
    train,
    Int32Array.from({ length: batch }, (_, i) => i),
    0,
    batch,
  );
  const model = createLenet({ seed: 1 });
  const artifacts = toTfjsArtifacts(model);
  const tfjsModel = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: artifacts.modelTopology as object,
      weightSpecs: artifacts.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: artifacts.weightData,
    }),
  );
  const xs = tf.tensor4d(x.data, [batch, 28, 28, 1]);
  const ys = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), 10), 'float32');

  // Same weights, same batch: the gradients must agree before the timings mean anything.
  model.computeGradients(x, labels);
  const ours = model.parameters().map((p) => p.parameter.grad);
  const variables = tfjsModel.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => {
    // The model ends in softmax: cross-entropy on its probabilities, as Keras' categorical_crossentropy.
    const probabilities = tfjsModel.apply(xs, { training: true }) as tf.Tensor;
    return tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.log(probabilities)), 1))) as tf.Scalar;
  }, variables);
  let largest = 0;
  let worst = 0;
  variables.forEach((v, i) => {
    const theirs = grads[v.name].dataSync();
    for (let j = 0; j < theirs.length; j++) {
      largest = Math.max(largest, Math.abs(theirs[j]));
      worst = Math.max(worst, Math.abs(theirs[j] - ours[i][j]));
    }
  });
  tf.dispose(Object.values(grads));

  const adam = new Adam({ learningRate: 0.001 });
  const params = model.parameters().map((p) => p.parameter);
  const convkit = await timeSteps(repeats, () => {
    model.computeGradients(x, labels);
    adam.step(params);
  });

  tfjsModel.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
  const tfjs = await timeSteps(repeats, async () => {
    await tfjsModel.trainOnBatch(xs, ys);
  });
  tf.dispose([xs, ys]);
  tfjsModel.dispose();
  return {
    batch,
    repeats,
    convkitMs: convkit.wallMs,
    tfjsWasmMs: tfjs.wallMs,
    convkitCpuMs: convkit.cpuMs,
    tfjsWasmCpuMs: tfjs.cpuMs,
    gradientRelativeDifference: worst / Math.max(largest, 1e-30),
  };
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const r = await benchTrainStep({ batch: flag('batch', 64), repeats: flag('repeats', 10) });
  console.log(
    `LeNet training step (train-mnist's model), batch ${r.batch}, median of ${r.repeats}, one thread:`,
  );
  console.log(
    `  convkit (its layers, conv2d and gradients): ${r.convkitMs.toFixed(1)} ms (CPU ${r.convkitCpuMs.toFixed(1)} ms)`,
  );
  console.log(
    `  tfjs-layers on tfjs-backend-wasm:           ${r.tfjsWasmMs.toFixed(1)} ms (CPU ${r.tfjsWasmCpuMs.toFixed(1)} ms)`,
  );
  console.log(
    `  gradients agree to ${r.gradientRelativeDifference.toExponential(1)} of the largest gradient`,
  );
}
