/**
 * tfjs-layers models as the oracle for the model runtime: seeded weights (set after building, so a
 * test's numbers do not depend on tfjs' initializer order), artifacts captured by a custom IOHandler
 * exactly as model.save writes them, and the tfjs prediction to compare with.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayersModelArtifacts } from '../../src/io/tfjs_layers.js';
import { createRng } from '../../src/layers/random.js';
import { Tensor } from '../../src/tensor.js';

/** Replaces every weight with seeded values: variances in [0.5, 1.5], the rest uniform in [-scale, scale]. */
export function seedWeights(model: tfl.LayersModel, seed: number, scale = 0.5): void {
  const rng = createRng(seed);
  const values = model.weights.map((w) => {
    const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    const variance = w.originalName.includes('variance');
    const data = Float32Array.from({ length: size }, () =>
      variance ? 0.5 + rng.next() : scale * (2 * rng.next() - 1),
    );
    return tf.tensor(data, w.shape as number[]);
  });
  model.setWeights(values);
  values.forEach((v) => v.dispose());
}

/** What model.save hands an IOHandler (the same object tfjs writes to model.json and its shards). */
export async function artifactsOf(model: tfl.LayersModel): Promise<LayersModelArtifacts> {
  let captured: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = captured as unknown as tf.io.ModelArtifacts;
  return {
    modelTopology: a.modelTopology,
    weightSpecs: a.weightSpecs as LayersModelArtifacts['weightSpecs'],
    weightData: a.weightData as ArrayBuffer,
  };
}

/** Seeded uniform [-1, 1) values of a shape, as a convkit tensor. */
export function randomInput(shape: number[], seed: number): Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: size }, () => 2 * rng.next() - 1),
    shape,
  );
}

/** tfjs' prediction for a convkit tensor. */
export function tfjsPredict(model: tfl.LayersModel, x: Tensor | Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const xs = (Array.isArray(x) ? x : [x]).map((t) => tf.tensor(t.data, [...t.shape]));
    const out = model.predict(xs.length === 1 ? xs[0] : xs);
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

/** Largest |a - b| relative to the largest |b| (at least 1). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length ? worst / scale : Infinity;
}
