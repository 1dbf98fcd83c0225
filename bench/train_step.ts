/**
 * One training step of the LeNet-style MNIST model (src/train/lenet.ts) on a batch of 64 digits:
 * convkit's layers (forward, softmax cross-entropy, backward, Adam) against the same model, with the
 * same starting weights, in TensorFlow.js (tfjs-layers trainOnBatch on tfjs-backend-wasm). The two
 * steps are timed like every other engine pair (bench/measure.ts: warm-up, interleaved rounds).
 * `npm run bench` runs it as its 'train' section; on its own:
 *
 *   node --import tsx bench/train_step.ts [--batch 64] [--budget 1000]
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a conv2d filter gradient cannot run on
 * it as shipped. For this benchmark the Conv2D gradient is re-registered with ops the wasm backend
 * does have: the input gradient is conv2DBackpropInput as in tfjs, and the filter gradient (stride 1)
 * is one XNNPACK conv2d of the transposed input ([C, H, W, N]) with the transposed output gradient
 * ([out_h, out_w, N, O]) as filter. That is the same number of multiply-adds as a native kernel. The
 * bench checks that both engines' gradients agree before timing.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { toTfjsArtifacts } from '../src/io/tfjs_layers.js';
import { gatherBatch } from '../src/train/dataset.js';
import { splitMnist } from '../src/train/mnist_data.js';
import { createLenet } from '../src/train/lenet.js';
import { Adam } from '../src/train/optimizers.js';
import type { PreparedRun } from './engine.js';
import { measureInterleaved, warmUp, type TimingSettings } from './measure.js';
import { useTfjsBackend } from './peers/tfjs.js';
import type { TimedSteps, TrainStepResults } from './results.js';
import { summarize } from './stats.js';

tf.env().set('PROD', true);

let gradientRegistered = false;

/** Re-registers Conv2D's gradient with kernels tfjs-backend-wasm has (see the header), once. */
function registerWasmConv2dGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
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

/** Both training steps, ready to time, and how far apart their gradients are. */
export interface PreparedTrainStep {
  batch: number;
  convkit: PreparedRun;
  tfjsWasm: PreparedRun;
  gradientRelativeDifference: number;
  dispose(): void;
}

export async function prepareTrainStep(batch = 64): Promise<PreparedTrainStep> {
  await useTfjsBackend('wasm');
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
  tfjsModel.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
  const noOutput = async () => new Float32Array(0);
  return {
    batch,
    gradientRelativeDifference: worst / Math.max(largest, 1e-30),
    convkit: {
      run() {
        model.computeGradients(x, labels);
        adam.step(params);
      },
      output: noOutput,
      dispose() {},
    },
    tfjsWasm: {
      activate: () => useTfjsBackend('wasm'),
      async run() {
        await tfjsModel.trainOnBatch(xs, ys);
      },
      output: noOutput,
      dispose() {},
    },
    dispose() {
      tf.dispose([xs, ys]);
      tfjsModel.dispose();
    },
  };
}

function timedSteps(t: { callsPerSample: number; samplesMs: number[] }): TimedSteps {
  return {
    callsPerSample: t.callsPerSample,
    samplesMs: t.samplesMs.map((ms) => Math.round(ms * 1e3) / 1e3),
    ms: summarize(t.samplesMs),
  };
}

/** Times both steps, interleaved (one step per sample: a step lasts well over the timer's resolution). */
export async function benchTrainStep(timing: TimingSettings, batch = 64): Promise<TrainStepResults> {
  const step = await prepareTrainStep(batch);
  try {
    const runs = [step.convkit, step.tfjsWasm];
    for (const run of runs) await warmUp(run, timing);
    const [convkit, tfjsWasm] = (await measureInterleaved(runs, [1, 1], timing)).map(timedSteps);
    return {
      batch,
      convkit,
      tfjsWasm,
      speedup: tfjsWasm.ms.median / convkit.ms.median,
      gradientRelativeDifference: step.gradientRelativeDifference,
    };
  } finally {
    step.dispose();
  }
}

/** The one-line summary `npm run bench` prints. */
export function formatTrainStep(r: TrainStepResults): string {
  const ms = (t: TimedSteps) =>
    `${t.ms.median.toFixed(1)} ms (IQR ${t.ms.q1.toFixed(1)}-${t.ms.q3.toFixed(1)}, n ${t.ms.count})`;
  return (
    `LeNet training step, batch ${r.batch}: convkit ${ms(r.convkit)}, tfjs-wasm ${ms(r.tfjsWasm)}, ` +
    `tfjs-wasm ms / convkit ms ${r.speedup.toFixed(2)}x, gradients agree to ` +
    `${r.gradientRelativeDifference.toExponential(1)} of the largest`
  );
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const budgetMs = flag('budget', 1000);
  const timing = {
    budgetMs,
    minSamples: 3,
    maxSamples: 50,
    minSampleMs: 1,
    warmupMs: Math.min(100, budgetMs / 3),
  };
  console.log(formatTrainStep(await benchTrainStep(timing, flag('batch', 64))));
}
