/**
 * For the probes: a bench network (bench/model_nets.ts, seeded weights) loaded into convkit from the
 * artifacts tfjs-layers saves, and a deterministic 224x224x3 input batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { NETWORKS, seedNetwork, type NetworkName } from '../../bench/model_nets.js';
import { loadLayersModel } from '../../src/runtime/index.js';
import { Tensor } from '../../src/tensor.js';

export async function loadNetwork(name: NetworkName, batch = 1) {
  await tf.setBackend('cpu');
  const built = NETWORKS[name]();
  seedNetwork(built, 1);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await built.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const model = await loadLayersModel({
    modelTopology: artifacts!.modelTopology as object,
    weightSpecs: artifacts!.weightSpecs as never,
    weightData: artifacts!.weightData as ArrayBuffer,
  });
  const input = new Tensor(
    Float32Array.from({ length: batch * 224 * 224 * 3 }, (_, i) => Math.sin(i)),
    [batch, 224, 224, 3],
  );
  return { model, input };
}
