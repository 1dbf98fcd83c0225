/**
 * The 'models' section of `npm run bench`: whole networks (bench/model_nets.ts: MobileNetV2 1.0-224,
 * ResNet-50, MobileNetV1 1.0-224 in Keras applications' layouts, seeded weights), at each batch size of
 * --batches (default 1 and 8), convkit on one thread and on two. The same TF.js Layers artifacts run
 * in convkit (loadLayersModel, predict with threads: 1 and threads: 2) and in tfjs-layers on
 * tfjs-backend-wasm (single-threaded in Node). The onnxruntime peers run the same network exported to
 * ONNX by bench/onnx_network.ts from the runtime's fused operations (BatchNorm folded: the same weights
 * and arithmetic) at that batch: onnxruntime-node (native CPU provider) with one intra-op thread and
 * with two, so both of convkit's thread counts have a native peer, and onnxruntime-web (its
 * WebAssembly build) on one thread. Every engine's logits are compared with tfjs-wasm's (largest
 * |difference| relative to the largest |logit|, which must be <= 1e-4) before all of them are timed
 * interleaved (bench/measure.ts). For MobileNetV2 at the smallest batch the depthwise layers are also
 * profiled one by one: convkit's per-step times (predict's profile: the depthwise convolution with its
 * folded BatchNorm and ReLU6 epilogue) next to tfjs' own per-kernel times (tf.profile: the kernel alone).
 *
 *   node --import tsx bench/models.ts [--models mobilenet_v2,resnet50,mobilenet_v1] [--batches 1,8]
 *                                     [--budget ms] [--out dir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayersModelArtifacts } from '../src/io/tfjs_layers.js';
import { createRng } from '../src/layers/random.js';
import { loadLayersModel } from '../src/runtime/index.js';
import { openModelSource } from '../src/runtime/source.js';
import { buildGraph } from '../src/runtime/graph.js';
import { matchWeights, readWeights } from '../src/runtime/weights.js';
import { buildOps } from '../src/runtime/fuse.js';
import * as ortNode from 'onnxruntime-node';
import { buildNetworkModel } from './onnx_network.js';
import { nhwcToNchw, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnx_model.js';
import { createConvSession } from './peers/onnx.js';
import { Tensor } from '../src/tensor.js';
import type { PreparedRun } from './engine.js';
import { machineInfo } from './machine.js';
import { measureInterleaved, warmUp, type TimingSettings } from './measure.js';
import { NETWORKS, seedNetwork, type NetworkName } from './model_nets.js';
import { batchList, DEFAULT_MODEL_BATCHES } from './options.js';
import { useTfjsBackend } from './peers/tfjs.js';
import { formatModels, modelsHeading } from './models_report.js';
import type { TimedSteps } from './results.js';
import { summarize } from './stats.js';

tf.env().set('PROD', true);

export const MODEL_NAMES = Object.keys(NETWORKS) as NetworkName[];
/** Largest |logit difference| / largest |logit| an engine may show against tfjs-wasm. */
export const LOGITS_TOLERANCE = 1e-4;
export const DEPTHWISE_PROFILE_RUNS = 5;
const IMAGE = [224, 224, 3] as const;

export interface DepthwiseLayerTime {
  layer: string;
  convkitMs: number;
  tfjsWasmMs: number | null;
}

/** An engine's timings and how far its logits are from tfjs-wasm's (relative to the largest |logit|). */
export type CheckedTiming = TimedSteps & { logitsRelativeDifference: number };

/**
 * Speed ratios, each a peer's median over convkit's at the same thread count (above 1: convkit is
 * faster), and what convkit's second thread gives; null where the peer could not run.
 */
export interface ModelRatios {
  /** tfjs-wasm / convkit t1. */
  tfjsWasm: number;
  /** onnxruntime-web (wasm, one thread) / convkit t1. */
  onnxWeb: number | null;
  /** onnxruntime-node, one intra-op thread / convkit t1. */
  onnxNodeT1: number | null;
  /** convkit t1 / convkit t2 (above 1: the second thread helps). */
  convkitT2OverT1: number;
  /** onnxruntime-node, two intra-op threads / convkit t2. */
  onnxNodeT2: number | null;
}

/** One network at one batch size. */
export interface ModelBenchResult {
  model: string;
  batch: number;
  /** convkit's thread count in `convkit` (`convkitT2` is threads: 2). */
  threads: number;
  params: number;
  convkit: TimedSteps;
  /** convkit with threads: 2 (both cores); its logits are checked like a peer's. */
  convkitT2: CheckedTiming;
  tfjsWasm: TimedSteps;
  /** onnxruntime-node (native, one and two intra-op threads) and onnxruntime-web (wasm, one thread); null where it could not run. */
  onnxNode: CheckedTiming | null;
  onnxNodeT2: CheckedTiming | null;
  onnxWeb: CheckedTiming | null;
  /** Why an onnxruntime peer could not run, one line per peer. */
  onnxError?: string;
  /** tfjs-wasm median / convkit median (above 1: convkit is faster); the same as ratios.tfjsWasm. */
  speedup: number;
  ratios: ModelRatios;
  /** Largest |logit difference| / largest |logit| (tfjs-wasm's), convkit on one thread. */
  logitsRelativeDifference: number;
  /** Whether every engine that ran agrees with tfjs-wasm within the tolerance. */
  logitsAgree: boolean;
  /** convkit's plan at this batch: the planned activation arena and the peak of live activations, bytes. */
  arenaBytes: number;
  peakLiveBytes: number;
  /** Fused steps convkit runs, and layers in the graph. */
  steps: number;
  layers: number;
  depthwise?: DepthwiseLayerTime[];
}

async function artifactsOf(model: tfl.LayersModel): Promise<LayersModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = captured!;
  return {
    modelTopology: a.modelTopology,
    weightSpecs: a.weightSpecs as LayersModelArtifacts['weightSpecs'],
    weightData: a.weightData as ArrayBuffer,
  };
}

function timed(samplesMs: number[], callsPerSample: number): TimedSteps {
  return { callsPerSample, samplesMs, ms: summarize(samplesMs) };
}

/** Largest |a - reference| relative to the largest |reference| (Infinity when the lengths differ). */
function relativeDifference(a: Float32Array, reference: Float32Array): number {
  if (a.length !== reference.length) return Infinity;
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(a[i] - reference[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return worst / Math.max(scale, 1e-30);
}

/** An onnxruntime session on the exported network, ready to time. */
interface OnnxPeer {
  key: 'onnxNode' | 'onnxNodeT2' | 'onnxWeb';
  run: PreparedRun;
  diff: number;
}

async function nodePeer(
  key: 'onnxNode' | 'onnxNodeT2',
  bytes: Uint8Array,
  threads: number,
  nchw: Float32Array,
  dims: number[],
  reference: Float32Array,
): Promise<OnnxPeer> {
  const session = await createConvSession(bytes, threads);
  const feeds = { [ONNX_INPUT_NAME]: new ortNode.Tensor('float32', nchw, dims) };
  const output = async () => (await session.run(feeds))[ONNX_OUTPUT_NAME].data as Float32Array;
  return {
    key,
    diff: relativeDifference(await output(), reference),
    run: {
      run: async () => void (await session.run(feeds)),
      output,
      dispose: () => session.release(),
    },
  };
}

async function webPeer(
  bytes: Uint8Array,
  nchw: Float32Array,
  dims: number[],
  reference: Float32Array,
): Promise<OnnxPeer> {
  const ortWeb = await import('onnxruntime-web');
  ortWeb.env.wasm.numThreads = 1;
  const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const feeds = { [ONNX_INPUT_NAME]: new ortWeb.Tensor('float32', nchw, dims) };
  const output = async () => (await session.run(feeds))[ONNX_OUTPUT_NAME].data as Float32Array;
  return {
    key: 'onnxWeb',
    diff: relativeDifference(await output(), reference),
    run: {
      run: async () => void (await session.run(feeds)),
      output,
      dispose: () => session.release(),
    },
  };
}

/**
 * One network: build and seed it in tfjs, export it to ONNX, and per batch size cross-check every
 * engine against tfjs-wasm and time them all interleaved; profile MobileNetV2's depthwise layers at the
 * smallest batch.
 */
export async function benchModel(
  name: NetworkName,
  timing: TimingSettings,
  batches: readonly number[] = DEFAULT_MODEL_BATCHES,
  seed = 1,
): Promise<ModelBenchResult[]> {
  await useTfjsBackend('cpu');
  const built = NETWORKS[name]();
  seedNetwork(built, seed);
  const params = built.countParams();
  const artifacts = await artifactsOf(built);
  built.dispose();

  const ours = await loadLayersModel(artifacts);
  await useTfjsBackend('wasm');
  const theirs = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: artifacts.modelTopology as object,
      weightSpecs: artifacts.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: artifacts.weightData as ArrayBuffer,
    }),
  );

  // The network's fused ops (BatchNorm folded), exported to ONNX once per batch size below.
  let exportNetwork: ((batch: number) => Uint8Array) | undefined;
  let exportError: string | undefined;
  try {
    const src = await openModelSource(artifacts);
    const graph = buildGraph(src.topology);
    const weights = readWeights(
      matchWeights(graph.layers, src.groups, 'bench'),
      await src.readShards(),
      src.groups,
      'bench',
    );
    const ops = buildOps(graph, weights, true);
    exportNetwork = (batch) => buildNetworkModel(graph, ops, batch);
  } catch (error) {
    exportError = `ONNX export: ${(error as Error).message}`;
  }

  const profileBatch = Math.min(...batches);
  const results: ModelBenchResult[] = [];
  for (const batch of batches) {
    console.error(`bench: model ${name}, batch ${batch}...`);
    const rng = createRng(seed + 1);
    const shape = [batch, ...IMAGE];
    const size = shape.reduce((a, b) => a * b, 1);
    const x = new Tensor(
      Float32Array.from({ length: size }, () => 2 * rng.next() - 1),
      shape,
    );
    await useTfjsBackend('wasm');
    const tx = tf.tensor(x.data, shape);
    const tfjsPredict = () => tf.tidy(() => (theirs.predict(tx) as tf.Tensor).dataSync() as Float32Array);
    const reference = tfjsPredict();
    const logitsRelativeDifference = relativeDifference(ours.predict(x, { threads: 1 }).data, reference);
    const t2Difference = relativeDifference(ours.predict(x, { threads: 2 }).data, reference);

    // Each onnxruntime peer on its own, so one that fails leaves the others running.
    const onnx: OnnxPeer[] = [];
    const errors: string[] = exportError ? [exportError] : [];
    if (exportNetwork) {
      const bytes = exportNetwork(batch);
      const nchw = nhwcToNchw(x.data, batch, IMAGE[0], IMAGE[1], IMAGE[2]);
      const dims = [batch, IMAGE[2], IMAGE[0], IMAGE[1]];
      const peers: [string, () => Promise<OnnxPeer>][] = [
        ['onnxruntime-node t1', () => nodePeer('onnxNode', bytes, 1, nchw, dims, reference)],
        ['onnxruntime-node t2', () => nodePeer('onnxNodeT2', bytes, 2, nchw, dims, reference)],
        ['onnxruntime-web', () => webPeer(bytes, nchw, dims, reference)],
      ];
      for (const [label, make] of peers) {
        try {
          onnx.push(await make());
        } catch (error) {
          errors.push(`${label}: ${(error as Error).message}`);
        }
      }
    }
    for (const e of errors) console.error(`bench: ${name}, batch ${batch}: onnxruntime peer failed: ${e}`);

    const runs: PreparedRun[] = [
      {
        run: () => void ours.predict(x, { threads: 1 }),
        output: () => Promise.resolve(ours.predict(x, { threads: 1 }).data),
        dispose: () => {},
      },
      {
        run: () => void ours.predict(x, { threads: 2 }),
        output: () => Promise.resolve(ours.predict(x, { threads: 2 }).data),
        dispose: () => {},
      },
      {
        activate: () => useTfjsBackend('wasm'),
        run: () => void tfjsPredict(),
        output: () => Promise.resolve(tfjsPredict()),
        dispose: () => {},
      },
      ...onnx.map((o) => o.run),
    ];
    const calls: number[] = [];
    for (const r of runs) calls.push(await warmUp(r, timing));
    const [c, c2, t, ...o] = await measureInterleaved(runs, calls, timing);
    const peer = (key: OnnxPeer['key']): CheckedTiming | null => {
      const i = onnx.findIndex((e) => e.key === key);
      return i < 0
        ? null
        : { ...timed(o[i].samplesMs, o[i].callsPerSample), logitsRelativeDifference: onnx[i].diff };
    };

    const depthwise =
      name === 'mobilenet_v2' && batch === profileBatch
        ? await profileDepthwise(ours, theirs, x, tx)
        : undefined;
    const arena = ours.arena(batch);
    const convkit = timed(c.samplesMs, c.callsPerSample);
    const convkitT2 = { ...timed(c2.samplesMs, c2.callsPerSample), logitsRelativeDifference: t2Difference };
    const tfjsWasm = timed(t.samplesMs, t.callsPerSample);
    const onnxNode = peer('onnxNode');
    const onnxNodeT2 = peer('onnxNodeT2');
    const onnxWeb = peer('onnxWeb');
    const over = (p: TimedSteps | null, mine: TimedSteps) => (p ? p.ms.median / mine.ms.median : null);
    const ratios: ModelRatios = {
      tfjsWasm: tfjsWasm.ms.median / convkit.ms.median,
      onnxWeb: over(onnxWeb, convkit),
      onnxNodeT1: over(onnxNode, convkit),
      convkitT2OverT1: convkit.ms.median / convkitT2.ms.median,
      onnxNodeT2: over(onnxNodeT2, convkitT2),
    };
    const diffs = [logitsRelativeDifference, t2Difference, ...onnx.map((e) => e.diff)];
    results.push({
      model: theirs.name,
      batch,
      threads: 1,
      params,
      convkit,
      convkitT2,
      tfjsWasm,
      onnxNode,
      onnxNodeT2,
      onnxWeb,
      onnxError: errors.length > 0 ? errors.join('; ') : undefined,
      speedup: ratios.tfjsWasm,
      ratios,
      logitsRelativeDifference,
      logitsAgree: diffs.every((d) => d <= LOGITS_TOLERANCE),
      arenaBytes: arena.size,
      peakLiveBytes: arena.peak,
      steps: ours.steps(batch).length,
      layers: theirs.layers.length,
      depthwise,
    });
    tx.dispose();
    for (const r of runs) await r.dispose();
  }
  ours.dispose();
  theirs.dispose();
  return results;
}

/** Per depthwise layer, the fastest of a few profiled runs of each engine (one run alone is too noisy). */
async function profileDepthwise(
  ours: Awaited<ReturnType<typeof loadLayersModel>>,
  theirs: tfl.LayersModel,
  x: Tensor,
  tx: tf.Tensor,
): Promise<DepthwiseLayerTime[]> {
  const best = (runs: number[][]) => runs[0].map((_, i) => Math.min(...runs.map((r) => r[i] ?? Infinity)));
  const mineRuns: number[][] = [];
  let names: string[] = [];
  for (let i = 0; i < DEPTHWISE_PROFILE_RUNS; i++) {
    ours.predict(x, { threads: 1, profile: true });
    const steps = (ours.lastProfile ?? []).filter((s) => s.className === 'DepthwiseConv2D');
    names = steps.map((s) => s.name);
    mineRuns.push(steps.map((s) => s.ms));
  }
  await useTfjsBackend('wasm');
  const theirRuns: number[][] = [];
  for (let i = 0; i < DEPTHWISE_PROFILE_RUNS; i++) {
    const info = await tf.profile(() => theirs.predict(tx) as tf.Tensor);
    theirRuns.push(
      info.kernels
        .filter((k) => k.name === 'DepthwiseConv2dNative')
        .map((k) => (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : NaN)),
    );
  }
  const mine = best(mineRuns);
  const their = best(theirRuns);
  return names.map((layer, i) => ({
    layer,
    convkitMs: mine[i],
    tfjsWasmMs: Number.isFinite(their[i]) ? their[i] : null,
  }));
}

/** Every network at every batch size; prints the section's wall time on stderr. */
export async function benchModels(
  names: readonly NetworkName[],
  timing: TimingSettings,
  batches: readonly number[] = DEFAULT_MODEL_BATCHES,
): Promise<ModelBenchResult[]> {
  const start = performance.now();
  const out: ModelBenchResult[] = [];
  for (const name of names) out.push(...(await benchModel(name, timing, batches)));
  console.error(`bench: models section took ${((performance.now() - start) / 1000).toFixed(0)} s`);
  return out;
}

/** Standalone: node --import tsx bench/models.ts [--models a,b] [--batches 1,8] [--budget ms] [--out dir]. */
async function main(argv: string[]): Promise<void> {
  const arg = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const names = (arg('--models')?.split(',') ?? MODEL_NAMES) as NetworkName[];
  for (const n of names)
    if (!(n in NETWORKS))
      throw new Error(`bench/models: unknown model "${n}"; models: ${MODEL_NAMES.join(', ')}`);
  const batchArg = arg('--batches');
  const batches = batchArg === undefined ? [...DEFAULT_MODEL_BATCHES] : batchList(batchArg);
  const budgetMs = Number(arg('--budget') ?? 3000);
  if (!(budgetMs > 0))
    throw new Error(`bench/models: --budget must be a positive number of ms, got ${arg('--budget')}`);
  const settings = { budgetMs, minSamples: 3, maxSamples: 20, minSampleMs: 1, warmupMs: 0 };
  const machine = await machineInfo();
  const models = await benchModels(names, settings, batches);
  console.log(`${modelsHeading(batches)}\n${formatModels(models)}`);
  const outDir = arg('--out');
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, 'models.json');
    writeFileSync(
      file,
      `${JSON.stringify({ machine, settings: { ...settings, batches }, models }, null, 2)}\n`,
    );
    console.log(`wrote ${file}`);
  }
}

if (process.argv[1]?.endsWith('models.ts')) await main(process.argv.slice(2));
