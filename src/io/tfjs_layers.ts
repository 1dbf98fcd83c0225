/**
 * TF.js Layers format: save a convkit Sequential model so tf.loadLayersModel reads it, and load a
 * Sequential model TF.js (or Keras, through the converter) saved. On disk that is model.json, holding
 * `modelTopology` (the Keras config: class_name "Sequential" and each layer's class_name and config)
 * and `weightsManifest` (which weights, in which order, in which .bin files), plus the .bin files:
 * the weights' float32 values, little-endian, back to back. Layer weights are named
 * "<layer name>/kernel" and "<layer name>/bias", as Keras and TF.js name them.
 *
 * This module only converts between models and TF.js ModelArtifacts (no file system, so it runs in
 * browsers too); tfjs_layers_files.ts reads and writes the files in Node.
 */
import { invalid, show, UnsupportedModelError } from '../errors.js';
import { Conv2D } from '../layers/conv2d_layer.js';
import { Dense } from '../layers/dense.js';
import { Flatten } from '../layers/flatten.js';
import type { Layer } from '../layers/layer.js';
import { MaxPooling2D } from '../layers/max_pooling2d.js';
import { ReLU } from '../layers/relu.js';
import { Sequential } from '../layers/sequential.js';
import type { ActivationName } from '../layers/activations.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export interface KerasLayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

export interface SequentialTopology {
  class_name: 'Sequential';
  config: { name: string; layers: KerasLayerJson[] };
  keras_version?: string;
  backend?: string;
}

/** What TF.js' IOHandlers pass around (tf.io.ModelArtifacts), for a Layers model. */
export interface LayersModelArtifacts {
  modelTopology: unknown;
  weightSpecs: WeightSpec[];
  /** One buffer, or shards that concatenate to it. */
  weightData: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** model.json as TF.js writes it. */
export interface LayersModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

export const WEIGHTS_FILE = 'group1-shard1of1.bin';
const GENERATED_BY = 'convkit 0.1.0';

export { UnsupportedModelError };

// ---------------------------------------------------------------------------------------------
// Saving

/** The model as TF.js ModelArtifacts: Keras topology, weight specs and the weights in one buffer. */
export function toTfjsArtifacts(model: Sequential): LayersModelArtifacts & { weightData: ArrayBuffer } {
  const inputShape = model.inputShape;
  if (inputShape === null)
    invalid('toTfjsArtifacts', 'model', 'must be built (give inputShape) before saving');
  const layers = model.layers.map((layer, i) => {
    const config: Record<string, unknown> = { ...layer.kerasConfig() };
    if (i === 0) config.batch_input_shape = [null, ...inputShape];
    return { class_name: layer.className, config };
  });
  const topology: SequentialTopology = {
    class_name: 'Sequential',
    config: { name: model.name, layers },
    keras_version: GENERATED_BY,
    backend: 'tensor_flow.js',
  };
  const parameters = model.parameters();
  const weightSpecs = parameters.map(({ layer, parameter }) => ({
    name: `${layer.name}/${parameter.name}`,
    shape: [...parameter.shape],
    dtype: 'float32',
  }));
  const total = parameters.reduce((n, { parameter }) => n + parameter.value.length, 0);
  const bytes = new ArrayBuffer(total * 4);
  const view = new DataView(bytes);
  let offset = 0;
  for (const { parameter } of parameters) {
    // DataView pins the byte order to little-endian whatever the platform's.
    for (const v of parameter.value) {
      view.setFloat32(offset, v, true);
      offset += 4;
    }
  }
  return {
    modelTopology: topology,
    weightSpecs,
    weightData: bytes,
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
  };
}

/** The model.json object for `artifacts`, whose weights go in the files `paths` (concatenated). */
export function layersModelJson(artifacts: LayersModelArtifacts, paths: string[]): LayersModelJson {
  return {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? GENERATED_BY,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
  };
}

// ---------------------------------------------------------------------------------------------
// Loading

const op = 'fromTfjsArtifacts';

function unsupported(problem: string): never {
  throw new UnsupportedModelError(`${op}: ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The Keras layer list of a topology: {class_name: 'Sequential', config: {layers}}, or Keras' older forms. */
function sequentialLayers(topology: unknown): { name: string; layers: KerasLayerJson[] } {
  let top = topology;
  // Keras HDF5 models converted by tensorflowjs_converter wrap the model config.
  if (isRecord(top) && isRecord(top.model_config)) top = top.model_config;
  if (!isRecord(top)) invalid(op, 'modelTopology', `must be an object, got ${show(top)}`);
  if (top.class_name !== 'Sequential') {
    unsupported(`modelTopology is a ${show(top.class_name)} model; convkit loads only Sequential models`);
  }
  const config = top.config;
  // Keras before 2.2.3 stored a Sequential config as the bare list of layers.
  const list = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    invalid(op, 'modelTopology', 'must hold config.layers, a non-empty list of {class_name, config}');
  }
  for (const layer of list) {
    if (!isRecord(layer) || typeof layer.class_name !== 'string' || !isRecord(layer.config)) {
      invalid(op, 'modelTopology', `layers must be {class_name, config} objects, got ${show(layer)}`);
    }
  }
  const name = isRecord(config) && typeof config.name === 'string' ? config.name : 'sequential';
  return { name, layers: list as KerasLayerJson[] };
}

function activationOf(layer: KerasLayerJson): ActivationName {
  const a = layer.config.activation ?? 'linear';
  if (a === 'linear' || a === 'relu' || a === 'softmax') return a;
  return unsupported(
    `layer '${layer.config.name}' uses activation ${show(a)}; convkit supports 'linear', 'relu' and 'softmax'`,
  );
}

function channelsLast(layer: KerasLayerJson): void {
  const format = layer.config.data_format;
  if (format !== undefined && format !== null && format !== 'channels_last') {
    unsupported(
      `layer '${layer.config.name}' has data_format ${show(format)}; convkit layers are channels_last`,
    );
  }
}

/** Keras stores sizes as [h, w] lists (or one number); a null stride means "same as the pool". */
function pairOrUndefined(value: unknown): number | [number, number] | undefined {
  if (value === null || value === undefined) return undefined;
  return value as number | [number, number];
}

function layerFromKeras(layer: KerasLayerJson): Layer {
  const c = layer.config;
  const name = typeof c.name === 'string' && c.name !== '' ? c.name : undefined;
  switch (layer.class_name) {
    case 'Conv2D': {
      channelsLast(layer);
      if (c.groups !== undefined && c.groups !== 1)
        unsupported(`Conv2D '${name}' has groups ${show(c.groups)}`);
      return new Conv2D({
        name,
        filters: c.filters as number,
        kernelSize: c.kernel_size as [number, number],
        strides: pairOrUndefined(c.strides),
        padding: c.padding as 'valid' | 'same',
        dilationRate: pairOrUndefined(c.dilation_rate),
        activation: activationOf(layer),
        useBias: (c.use_bias as boolean | undefined) ?? true,
      });
    }
    case 'Dense':
      return new Dense({
        name,
        units: c.units as number,
        activation: activationOf(layer),
        useBias: (c.use_bias as boolean | undefined) ?? true,
      });
    case 'MaxPooling2D':
      channelsLast(layer);
      return new MaxPooling2D({
        name,
        poolSize: pairOrUndefined(c.pool_size),
        strides: pairOrUndefined(c.strides),
        padding: c.padding as 'valid' | 'same',
      });
    case 'Flatten':
      channelsLast(layer);
      return new Flatten({ name });
    case 'ReLU':
      for (const [key, plain] of [
        ['max_value', null],
        ['negative_slope', 0],
        ['threshold', 0],
      ] as const) {
        if (c[key] !== undefined && c[key] !== plain)
          unsupported(`ReLU '${name}' has ${key} ${show(c[key])}`);
      }
      return new ReLU({ name });
    default:
      return unsupported(
        `layer class ${show(layer.class_name)} is not supported; convkit reads InputLayer, Conv2D, ` +
          'MaxPooling2D, Flatten, Dense and ReLU',
      );
  }
}

/** The per-example input shape Keras records: batch_input_shape / batch_shape without the batch axis. */
function inputShapeOf(config: Record<string, unknown>): number[] | null {
  const batchShape = config.batch_input_shape ?? config.batch_shape;
  if (!Array.isArray(batchShape)) return null;
  const shape = batchShape.slice(1);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    unsupported(`input shape ${show(batchShape)} must be fully known (only the batch may be null)`);
  }
  return shape as number[];
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): ArrayBuffer {
  if (!Array.isArray(data)) return data;
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

/** Finds the weight "<layer>/<weight>", also under an enclosing scope ("sequential/conv2d/kernel"). */
function findSpec(
  specs: Map<string, { spec: WeightSpec; values: Float32Array }>,
  layer: string,
  weight: string,
) {
  const exact = specs.get(`${layer}/${weight}`);
  if (exact) return exact;
  for (const [name, entry] of specs) if (name.endsWith(`/${layer}/${weight}`)) return entry;
  return undefined;
}

/** A Sequential model (with its weights) from TF.js ModelArtifacts. */
export function fromTfjsArtifacts(artifacts: LayersModelArtifacts): Sequential {
  if (!isRecord(artifacts)) invalid(op, 'artifacts', `must be an object, got ${show(artifacts)}`);
  const { name, layers: kerasLayers } = sequentialLayers(artifacts.modelTopology);
  let inputShape: number[] | null = null;
  const model = new Sequential({ name });
  for (const layer of kerasLayers) {
    inputShape ??= inputShapeOf(layer.config);
    if (layer.class_name === 'InputLayer') continue;
    model.add(layerFromKeras(layer));
  }
  if (inputShape === null) unsupported('no layer records the input shape (batch_input_shape)');
  model.build(inputShape);

  const data = concatBuffers(artifacts.weightData);
  const view = new DataView(data);
  const specs = new Map<string, { spec: WeightSpec; values: Float32Array }>();
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    if (spec.dtype !== 'float32' || 'quantization' in spec) {
      unsupported(
        `weight ${show(spec.name)} is ${show(spec.dtype)}${'quantization' in spec ? ' (quantized)' : ''}; convkit reads float32 weights`,
      );
    }
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (offset + count * 4 > data.byteLength) {
      invalid(
        op,
        'weightData',
        `holds ${data.byteLength} bytes, too few for weight ${show(spec.name)} at byte ${offset}`,
      );
    }
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + i * 4, true);
    offset += count * 4;
    specs.set(spec.name, { spec, values });
  }
  for (const { layer, parameter } of model.parameters()) {
    const entry = findSpec(specs, layer.name, parameter.name);
    if (!entry) invalid(op, 'weightsManifest', `has no weight ${show(`${layer.name}/${parameter.name}`)}`);
    if (entry.spec.shape.join(',') !== parameter.shape.join(',')) {
      invalid(
        op,
        'weightsManifest',
        `weight ${show(entry.spec.name)} has shape ${show(entry.spec.shape)} but layer '${layer.name}' needs ${show(parameter.shape)}`,
      );
    }
    parameter.value.set(entry.values);
  }
  return model;
}
