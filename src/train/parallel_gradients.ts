/**
 * Data-parallel gradients: a mini-batch is cut into shards, one for this thread and one for each
 * worker thread, each computing forward and backward on its own copy of the model; the shard
 * gradients are then averaged, weighted by shard size, into the model's parameters. The result is the
 * batch gradient (up to float rounding), computed on several cores. Weights and gradients travel
 * through SharedArrayBuffers; only each shard's images are posted.
 */
import { Worker } from 'node:worker_threads';
import { toTfjsArtifacts } from '../io/tfjs_layers.js';
import type { Labels } from '../layers/losses.js';
import type { Parameter } from '../layers/layer.js';
import type { Sequential } from '../layers/sequential.js';
import { Tensor } from '../tensor.js';
import type { InitMessage, StepMessage, StepReply } from './gradient_worker.js';

interface WorkerSlot {
  worker: Worker;
  gradients: Float32Array;
}

/**
 * The worker's module sits beside this one: .js when built. From the TypeScript sources (under tsx)
 * the worker thread does not inherit tsx's loader, so a small bootstrap registers it first.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./gradient_worker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = new URL('./gradient_worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true });
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      worker.off('error', onError);
      resolve(message);
    };
    const onError = (error: Error) => {
      worker.off('message', onMessage);
      reject(error);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}

export class ParallelGradients {
  private constructor(
    private readonly model: Sequential,
    private readonly parameters: Parameter[],
    private readonly weights: Float32Array,
    private readonly slots: WorkerSlot[],
  ) {}

  /** Starts `workers` worker threads, each holding a copy of `model`. */
  static async start(model: Sequential, workers: number): Promise<ParallelGradients> {
    const parameters = model.parameters().map((p) => p.parameter);
    const total = parameters.reduce((n, p) => n + p.value.length, 0);
    const weightBuffer = new SharedArrayBuffer(total * 4);
    const artifacts = toTfjsArtifacts(model);
    const slots: WorkerSlot[] = [];
    for (let i = 0; i < workers; i++) {
      const gradientBuffer = new SharedArrayBuffer(total * 4);
      const worker = startWorker();
      const init: InitMessage = { type: 'init', artifacts, weights: weightBuffer, gradients: gradientBuffer };
      worker.postMessage(init);
      slots.push({ worker, gradients: new Float32Array(gradientBuffer) });
    }
    await Promise.all(slots.map((s) => nextMessage(s.worker)));
    return new ParallelGradients(model, parameters, new Float32Array(weightBuffer), slots);
  }

  get threads(): number {
    return this.slots.length + 1;
  }

  /** As Sequential.computeGradients, with the batch split over this thread and the workers. */
  async computeGradients(x: Tensor, labels: Labels): Promise<{ loss: number; correct: number }> {
    const batch = x.shape[0];
    const perExample = x.size / Math.max(batch, 1);
    const shards = Math.min(this.threads, batch);
    const bounds = Array.from({ length: shards + 1 }, (_, i) => Math.round((i * batch) / shards));

    let offset = 0;
    for (const p of this.parameters) {
      this.weights.set(p.value, offset);
      offset += p.value.length;
    }
    const replies: Promise<StepReply>[] = [];
    for (let s = 1; s < shards; s++) {
      const { worker } = this.slots[s - 1];
      const images = x.data.slice(bounds[s] * perExample, bounds[s + 1] * perExample);
      const step: StepMessage = {
        type: 'step',
        images,
        shape: [bounds[s + 1] - bounds[s], ...x.shape.slice(1)],
        labels: Uint8Array.from(Array.prototype.slice.call(labels, bounds[s], bounds[s + 1]) as number[]),
      };
      const reply = nextMessage<StepReply>(worker);
      worker.postMessage(step, [images.buffer]);
      replies.push(reply);
    }
    const own = this.model.computeGradients(
      new Tensor(x.data.subarray(0, bounds[1] * perExample), [bounds[1], ...x.shape.slice(1)]),
      Array.prototype.slice.call(labels, 0, bounds[1]) as number[],
    );
    const results = await Promise.all(replies);

    // Batch gradient = sum over shards of (shard size / batch) * shard gradient.
    const ownWeight = bounds[1] / batch;
    offset = 0;
    for (const p of this.parameters) {
      for (let i = 0; i < p.grad.length; i++) {
        let g = ownWeight * p.grad[i];
        for (let s = 1; s < shards; s++)
          g += ((bounds[s + 1] - bounds[s]) / batch) * this.slots[s - 1].gradients[offset + i];
        p.grad[i] = g;
      }
      offset += p.grad.length;
    }
    let loss = own.loss * bounds[1];
    let correct = own.correct;
    results.forEach((r, i) => {
      loss += r.loss * (bounds[i + 2] - bounds[i + 1]);
      correct += r.correct;
    });
    return { loss: loss / batch, correct };
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
