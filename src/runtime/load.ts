/**
 * loadLayersModel: TF.js Layers format (model.json + weight shards, as tfjs-layers' model.save and the
 * Keras converter write) -> LayersModel. Order of work: read the topology, build and check the graph
 * (every layer option, every shape), match every needed weight in the manifest (names, dtypes,
 * shapes), and only then read the shards (whose byte sizes must match the manifest exactly).
 */
import { invalid, show } from '../errors.js';
import { checkOptionKeys } from '../ops/options.js';
import { zeros } from '../tensor.js';
import { buildGraph } from './graph.js';
import { buildOps } from './fuse.js';
import { LayersModel } from './model.js';
import { openModelSource } from './source.js';
import { matchWeights, readWeights } from './weights.js';
import type { LayersModelArtifacts } from '../io/tfjs_layers.js';
import { checkPrecision, type Precision } from '../plan/accuracy.js';

export interface LoadLayersModelOptions {
  /**
   * 'wasm' (default): the CPU runtime. 'webgpu': the whole network on the GPU (weights uploaded at load,
   * activations kept in GPU buffers); such a model answers `predictAsync` only.
   */
  backend?: 'wasm' | 'webgpu';
  /**
   * Fold BatchNormalization and fuse bias / residual / activation into convolutions, and ZeroPadding2D
   * into the depthwise convolution or pooling that reads it (default true).
   */
  fuse?: boolean;
  /** conv2d's `precision` for every convolution ('highest': no Winograd or FFT; README, "Accuracy"). */
  precision?: Precision;
  /**
   * Run the batch-1 plan once on zeros before returning (default true), so every weight is packed (GEMM
   * panels, Winograd transforms) at load rather than on the first predict.
   */
  warmup?: boolean;
}

const op = 'loadLayersModel';

export async function loadLayersModel(
  source: string | URL | LayersModelArtifacts,
  options?: LoadLayersModelOptions,
): Promise<LayersModel> {
  const opts = checkOptionKeys(op, options, ['backend', 'fuse', 'precision', 'warmup']);
  if (opts.backend !== undefined && opts.backend !== 'wasm' && opts.backend !== 'webgpu') {
    invalid(op, 'backend', `must be 'wasm' or 'webgpu', got ${show(opts.backend)}`);
  }
  for (const key of ['fuse', 'warmup'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'boolean') {
      invalid(op, key, `must be true or false, got ${show(opts[key])}`);
    }
  }
  const precision = checkPrecision(op, opts.precision);
  const src = await openModelSource(source);
  const graph = buildGraph(src.topology);
  // The GPU runtime is loaded only when asked for (it and the `webgpu` package stay out of CPU use).
  const gpu = opts.backend === 'webgpu' ? await import('./gpu_runner.js') : null;
  gpu?.checkGpuSupport(graph);
  const plan = matchWeights(graph.layers, src.groups, src.where);
  const weights = readWeights(plan, await src.readShards(), src.groups, src.where);
  const fuse = opts.fuse ?? true;
  const ops = buildOps(graph, weights, fuse);
  const runner = gpu ? await gpu.GpuRunner.create(graph, ops) : null;
  const model = new LayersModel(graph, ops, precision, runner, fuse);
  if (opts.warmup ?? true) {
    const inputs = model.inputs.map((s) => zeros([1, ...(s.shape.slice(1) as number[])]));
    // The GPU warm-up packs every filter and compiles every pipeline the batch-1 plan uses.
    if (runner)
      await model.predictAllAsync(inputs).catch((error: unknown) => {
        model.dispose(); // frees the uploaded weights
        throw error;
      });
    else model.predictAll(inputs);
  }
  return model;
}
