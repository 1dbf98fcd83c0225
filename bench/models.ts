/**
 * The 'models' section of `npm run bench`: whole networks (bench/model_nets.ts: MobileNetV2 1.0-224,
 * ResNet-50, MobileNetV1 1.0-224 in Keras applications' layouts, seeded weights), batch 1, one thread.
 * The same TF.js Layers artifacts run in convkit (loadLayersModel, predict with threads: 1) and in
 * tfjs-layers on tfjs-backend-wasm (single-threaded in Node); their logits are compared (largest
 * |difference| relative to the largest |logit|, which must be <= 1e-4) before the two are timed
 * interleaved (bench/measure.ts). For MobileNetV2 the depthwise layers are also profiled one by one:
 * convkit's per-step times (predict's profile: the depthwise convolution with its folded BatchNorm and
 * ReLU6 epilogue) next to tfjs' own per-kernel times (tf.profile: the depthwise kernel alone).
 *
 * The onnxruntime peers (onnxruntime-node, native CPU provider, one intra-op thread; onnxruntime-web,
 * its WebAssembly build, one thread) run the same network exported to ONNX by bench/onnx_network.ts
 * from the runtime's fused operations (BatchNorm folded: the same weights and arithmetic); their logits
 * are cross-checked too.
 *
 *   node --import tsx bench/models.ts [--models mobilenet_v2,resnet50,mobilenet_v1] [--budget ms]
 */
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
import { measureInterleaved, warmUp, type TimingSettings } from './measure.js';
import { NETWORKS, seedNetwork, type NetworkName } from './model_nets.js';
import { useTfjsBackend } from './peers/tfjs.js';
import type { TimedSteps } from './results.js';
import { summarize } from './stats.js';

tf.env().set('PROD', true);

export const MODEL_NAMES = Object.keys(NETWORKS) as NetworkName[];
const LOGITS_TOLERANCE = 1e-4;
const DEPTHWISE_PROFILE_RUNS = 5;

export interface DepthwiseLayerTime {
  layer: string;
  convkitMs: number;
  tfjsWasmMs: number | null;
}

export interface ModelBenchResult {
  model: string;
  batch: number;
  threads: number;
  params: number;
  convkit: TimedSteps;
  /** convkit with threads: 2 (both cores). */
  convkitT2: TimedSteps;
  tfjsWasm: TimedSteps;
  /** onnxruntime-node (native) and onnxruntime-web (wasm), one thread; null where it could not run. */
  onnxNode: (TimedSteps & { logitsRelativeDifference: number }) | null;
  onnxWeb: (TimedSteps & { logitsRelativeDifference: number }) | null;
  onnxError?: string;
  /** tfjs-wasm median / convkit median (above 1: convkit is faster). */
  speedup: number;
  /** Largest |logit difference| / largest |logit| (tfjs-wasm's). */
  logitsRelativeDifference: number;
  logitsAgree: boolean;
  /** convkit's plan: the planned activation arena and the peak of live activations, bytes. */
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

/** One network: build and seed it in tfjs, cross-check both engines, time them, profile depthwise layers. */
export async function benchModel(
  name: NetworkName,
  timing: TimingSettings,
  seed = 1,
): Promise<ModelBenchResult> {
  await useTfjsBackend('cpu');
  const built = NETWORKS[name]();
  seedNetwork(built, seed);
  const params = built.countParams();
  const artifacts = await artifactsOf(built);
  built.dispose();

  const rng = createRng(seed + 1);
  const shape = [1, 224, 224, 3];
  const x = new Tensor(
    Float32Array.from({ length: 224 * 224 * 3 }, () => 2 * rng.next() - 1),
    shape,
  );
  const ours = await loadLayersModel(artifacts);
  const convkitOut = ours.predict(x, { threads: 1 }).data;

  await useTfjsBackend('wasm');
  const theirs = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: artifacts.modelTopology as object,
      weightSpecs: artifacts.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: artifacts.weightData as ArrayBuffer,
    }),
  );
  const tx = tf.tensor(x.data, shape);
  const tfjsPredict = () => tf.tidy(() => (theirs.predict(tx) as tf.Tensor).dataSync() as Float32Array);
  const tfjsOut = tfjsPredict();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < tfjsOut.length; i++) {
    worst = Math.max(worst, Math.abs(convkitOut[i] - tfjsOut[i]));
    scale = Math.max(scale, Math.abs(tfjsOut[i]));
  }
  const logitsRelativeDifference = worst / Math.max(scale, 1e-30);
  const relative = (a: Float32Array) => {
    let w = 0;
    for (let i = 0; i < tfjsOut.length; i++) w = Math.max(w, Math.abs(a[i] - tfjsOut[i]));
    return w / Math.max(scale, 1e-30);
  };

  // The same network in ONNX, from the runtime's fused ops (BatchNorm folded).
  const onnx: { label: 'node' | 'web'; run: PreparedRun; diff: number }[] = [];
  let onnxError: string | undefined;
  try {
    const src = await openModelSource(artifacts);
    const graph = buildGraph(src.topology);
    const weights = readWeights(
      matchWeights(graph.layers, src.groups, 'bench'),
      await src.readShards(),
      src.groups,
      'bench',
    );
    const bytes = buildNetworkModel(graph, buildOps(graph, weights, true), 1);
    const nchw = nhwcToNchw(x.data, 1, 224, 224, 3);
    const nodeSession = await createConvSession(bytes, 1);
    const nodeFeeds = { [ONNX_INPUT_NAME]: new ortNode.Tensor('float32', nchw, [1, 3, 224, 224]) };
    const nodeOut = async () => (await nodeSession.run(nodeFeeds))[ONNX_OUTPUT_NAME].data as Float32Array;
    onnx.push({
      label: 'node',
      diff: relative(await nodeOut()),
      run: {
        run: async () => void (await nodeSession.run(nodeFeeds)),
        output: nodeOut,
        dispose: () => nodeSession.release(),
      },
    });
    const ortWeb = await import('onnxruntime-web');
    ortWeb.env.wasm.numThreads = 1;
    const webSession = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const webFeeds = { [ONNX_INPUT_NAME]: new ortWeb.Tensor('float32', nchw, [1, 3, 224, 224]) };
    const webOut = async () => (await webSession.run(webFeeds))[ONNX_OUTPUT_NAME].data as Float32Array;
    onnx.push({
      label: 'web',
      diff: relative(await webOut()),
      run: {
        run: async () => void (await webSession.run(webFeeds)),
        output: webOut,
        dispose: () => webSession.release(),
      },
    });
  } catch (error) {
    onnxError = (error as Error).message;
    console.error(`bench: ${name}: onnxruntime peer failed: ${onnxError}`);
  }

  const runs: PreparedRun[] = [
    {
      run: () => void ours.predict(x, { threads: 1 }),
      output: () => Promise.resolve(ours.predict(x, { threads: 1 }).data),
      dispose: () => ours.dispose(),
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
      dispose: () => void theirs.dispose(),
    },
  ];
  runs.push(...onnx.map((o) => o.run));
  const calls: number[] = [];
  for (const r of runs) calls.push(await warmUp(r, timing));
  const [c, c2, t, ...o] = await measureInterleaved(runs, calls, timing);
  const onnxResult = (label: 'node' | 'web') => {
    const i = onnx.findIndex((e) => e.label === label);
    return i < 0
      ? null
      : { ...timed(o[i].samplesMs, o[i].callsPerSample), logitsRelativeDifference: onnx[i].diff };
  };

  let depthwise: DepthwiseLayerTime[] | undefined;
  if (name === 'mobilenet_v2') {
    // Per layer, the fastest of a few profiled runs of each engine (one run alone is too noisy).
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
    depthwise = names.map((layer, i) => ({
      layer,
      convkitMs: mine[i],
      tfjsWasmMs: Number.isFinite(their[i]) ? their[i] : null,
    }));
  }
  const arena = ours.arena(1);
  const result: ModelBenchResult = {
    model: theirs.name,
    batch: 1,
    threads: 1,
    params,
    convkit: timed(c.samplesMs, c.callsPerSample),
    convkitT2: timed(c2.samplesMs, c2.callsPerSample),
    tfjsWasm: timed(t.samplesMs, t.callsPerSample),
    onnxNode: onnxResult('node'),
    onnxWeb: onnxResult('web'),
    onnxError,
    speedup: 0,
    logitsRelativeDifference,
    logitsAgree: logitsRelativeDifference <= LOGITS_TOLERANCE,
    arenaBytes: arena.size,
    peakLiveBytes: arena.peak,
    steps: ours.steps(1).length,
    layers: theirs.layers.length,
    depthwise,
  };
  result.speedup = result.tfjsWasm.ms.median / result.convkit.ms.median;
  tx.dispose();
  for (const r of runs) await r.dispose();
  return result;
}

export async function benchModels(
  names: readonly NetworkName[],
  timing: TimingSettings,
): Promise<ModelBenchResult[]> {
  const out: ModelBenchResult[] = [];
  for (const name of names) {
    console.error(`bench: model ${name}...`);
    out.push(await benchModel(name, timing));
  }
  return out;
}

export function formatModels(results: readonly ModelBenchResult[]): string {
  const lines = [
    'model                  params      convkit ms (q1-q3)      tfjs-wasm ms (q1-q3)    speed-up  logits diff  steps/layers  arena / peak live',
  ];
  const onnxLines: string[] = [];
  const range = (s: TimedSteps) => `${s.ms.median.toFixed(1)} (${s.ms.q1.toFixed(1)}-${s.ms.q3.toFixed(1)})`;
  for (const r of results) {
    lines.push(
      [
        r.model.padEnd(22),
        String(r.params).padStart(9),
        range(r.convkit).padStart(22),
        range(r.tfjsWasm).padStart(24),
        `${r.speedup.toFixed(2)}x`.padStart(9),
        `${r.logitsRelativeDifference.toExponential(1)}${r.logitsAgree ? '' : ' (!)'}`.padStart(12),
        `${r.steps}/${r.layers}`.padStart(13),
        `${(r.arenaBytes / 2 ** 20).toFixed(1)} / ${(r.peakLiveBytes / 2 ** 20).toFixed(1)} MiB`.padStart(20),
      ].join('  '),
    );
  }
  for (const r of results) {
    for (const [label, e] of [
      ['onnxruntime-node', r.onnxNode],
      ['onnxruntime-web', r.onnxWeb],
    ] as const) {
      if (!e) continue;
      onnxLines.push(
        `  ${r.model.padEnd(22)} ${label.padEnd(17)} ${range(e).padStart(22)} ms   convkit speed-up ${(e.ms.median / r.convkit.ms.median).toFixed(2)}x   logits diff ${e.logitsRelativeDifference.toExponential(1)}`,
      );
    }
    if (r.onnxError) onnxLines.push(`  ${r.model}: onnxruntime failed: ${r.onnxError}`);
  }
  lines.push('', 'convkit on two threads (threads: 2):');
  for (const r of results) {
    lines.push(
      `  ${r.model.padEnd(22)} ${range(r.convkitT2).padStart(22)} ms   ${(r.convkit.ms.median / r.convkitT2.ms.median).toFixed(2)}x its one-thread time`,
    );
  }
  if (onnxLines.length > 0)
    lines.push('', 'onnxruntime peers (the same network exported to ONNX, one thread):', ...onnxLines);
  for (const r of results) {
    if (!r.depthwise) continue;
    lines.push(
      '',
      `${r.model}: depthwise layers, fastest of ${DEPTHWISE_PROFILE_RUNS} profiled runs (convkit: predict's profile, the fused step; tfjs: tf.profile kernel times)`,
    );
    for (const d of r.depthwise) {
      const ratio = d.tfjsWasmMs === null ? '' : `  ${(d.tfjsWasmMs / d.convkitMs).toFixed(2)}x`;
      lines.push(
        `  ${d.layer.padEnd(60)} convkit ${d.convkitMs.toFixed(3).padStart(7)} ms  tfjs-wasm ${d.tfjsWasmMs?.toFixed(3).padStart(7) ?? '      -'} ms${ratio}`,
      );
    }
  }
  return lines.join('\n');
}

/** Standalone: node --import tsx bench/models.ts [--models a,b] [--budget ms]. */
async function main(argv: string[]): Promise<void> {
  const arg = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const names = (arg('--models')?.split(',') ?? MODEL_NAMES) as NetworkName[];
  for (const n of names)
    if (!(n in NETWORKS))
      throw new Error(`bench/models: unknown model "${n}"; models: ${MODEL_NAMES.join(', ')}`);
  const budgetMs = Number(arg('--budget') ?? 3000);
  const results = await benchModels(names, {
    budgetMs,
    minSamples: 3,
    maxSamples: 20,
    minSampleMs: 1,
    warmupMs: 0,
  });
  console.log(formatModels(results));
}

if (process.argv[1]?.endsWith('models.ts')) await main(process.argv.slice(2));
