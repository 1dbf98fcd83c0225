/**
 * TF.js Layers models on disk (Node): model.json beside its weight file(s), the layout tfjs'
 * own save handlers write and tf.loadLayersModel reads. The conversion itself is in tfjs_layers.ts.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { invalid, show } from '../errors.js';
import type { Sequential } from '../layers/sequential.js';
import {
  fromTfjsArtifacts,
  layersModelJson,
  toTfjsArtifacts,
  WEIGHTS_FILE,
  type LayersModelJson,
  type WeightSpec,
} from './tfjs_layers.js';

/** Writes model.json and the weights file into `dir` (created if missing); returns their paths. */
export function saveTfjsLayersModel(model: Sequential, dir: string): { modelJson: string; weights: string } {
  const artifacts = toTfjsArtifacts(model);
  mkdirSync(dir, { recursive: true });
  const modelJson = join(dir, 'model.json');
  const weights = join(dir, WEIGHTS_FILE);
  writeFileSync(modelJson, JSON.stringify(layersModelJson(artifacts, [WEIGHTS_FILE]), null, 2));
  writeFileSync(weights, new Uint8Array(artifacts.weightData));
  return { modelJson, weights };
}

/** Reads model.json (give its path or its folder) and its weight files into a Sequential model. */
export function loadTfjsLayersModel(path: string): Sequential {
  const op = 'loadTfjsLayersModel';
  const modelJson = statSync(path).isDirectory() ? join(path, 'model.json') : path;
  const json = JSON.parse(readFileSync(modelJson, 'utf8')) as Partial<LayersModelJson>;
  if (json === null || typeof json !== 'object' || !Array.isArray(json.weightsManifest)) {
    invalid(
      op,
      'model.json',
      `must hold modelTopology and weightsManifest, got ${show(json)} in ${modelJson}`,
    );
  }
  const weightSpecs: WeightSpec[] = [];
  const buffers: ArrayBuffer[] = [];
  // Within a group the shards concatenate; groups follow one another in manifest order.
  for (const group of json.weightsManifest) {
    for (const file of group.paths) {
      const bytes = readFileSync(join(dirname(modelJson), file));
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    }
    weightSpecs.push(...group.weights);
  }
  return fromTfjsArtifacts({ modelTopology: json.modelTopology, weightSpecs, weightData: buffers });
}
