/**
 * A worker thread that computes one shard of a mini-batch's gradients (see parallel_gradients.ts).
 * It rebuilds the model from its Keras config, then for each step reads the current weights from
 * shared memory, runs forward and backward on its shard, and writes its gradients back.
 */
import { parentPort } from 'node:worker_threads';
import { fromTfjsArtifacts, type LayersModelArtifacts } from '../io/tfjs_layers.js';
import type { Sequential } from '../layers/sequential.js';
import { Tensor } from '../tensor.js';

export interface InitMessage {
  type: 'init';
  artifacts: LayersModelArtifacts;
  weights: SharedArrayBuffer;
  gradients: SharedArrayBuffer;
}

export interface StepMessage {
  type: 'step';
  images: Float32Array;
  shape: number[];
  labels: Uint8Array;
}

export interface StepReply {
  loss: number;
  correct: number;
}

let model: Sequential | null = null;
let weights: Float32Array;
let gradients: Float32Array;

parentPort?.on('message', (message: InitMessage | StepMessage) => {
  if (message.type === 'init') {
    model = fromTfjsArtifacts(message.artifacts);
    weights = new Float32Array(message.weights);
    gradients = new Float32Array(message.gradients);
    parentPort?.postMessage({ ready: true });
    return;
  }
  if (!model) throw new Error('gradient worker: step before init');
  const parameters = model.parameters().map((p) => p.parameter);
  let offset = 0;
  for (const p of parameters) {
    p.value.set(weights.subarray(offset, offset + p.value.length));
    offset += p.value.length;
  }
  const result = model.computeGradients(new Tensor(message.images, message.shape), message.labels);
  offset = 0;
  for (const p of parameters) {
    gradients.set(p.grad, offset);
    offset += p.grad.length;
  }
  const reply: StepReply = { loss: result.loss, correct: result.correct };
  parentPort?.postMessage(reply);
});
