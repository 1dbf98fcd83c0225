/**
 * `node --import tsx bench/depthwise.ts`: depthwiseConv2d side by side in one process, on the
 * MobileNet-style depthwise layers of bench/shapes_depthwise.json. Engines: convkit's depthwise
 * algorithms, tfjs-backend-wasm and tfjs-backend-cpu `tf.depthwiseConv2d`, and onnxruntime-node `Conv`
 * with group = channels (bench/onnx_model.ts reads the depthwise geometry as grouped conv2d). Same method
 * as `npm run bench` (bench/README.md), with its modules: one untimed call checked against the direct
 * algorithm, a warm-up, interleaved timed rounds, medians, GFLOP/s and speed-ups.
 *
 * Flags: --shapes a,b  --engines a,b (names or prefixes)  --budget <ms>  --quick  --all  --json <file>
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { Command, CommanderError, InvalidArgumentError as CommanderArgumentError } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { DEPTHWISE_ALGORITHMS, Tensor, depthwiseConv2d, type DepthwiseAlgorithm } from '../src/index.js';
import { depthwiseGeometry } from '../src/geometry.js';
import type { Engine, PreparedRun } from './engine.js';
import { measureInterleaved, maxAbsDiff, warmUp, type TimingSettings } from './measure.js';
import { engineSelected } from './options.js';
import { onnxEngine } from './peers/onnx.js';
import { tfjsInfo } from './peers/tfjs.js';
import { formatGflops, formatSummary, formatTable, formatYardsticks, layoutTable } from './report.js';
import type { BenchResults, EngineResult, ShapeResult } from './results.js';
import { loadShapes, randomValues, selectShapes, type BenchCase, type ShapeSpec } from './shapes.js';
import { geometricMean, summarize } from './stats.js';
import { addSpeedups, geomeanSpeedups } from './speedup.js';

export const DEPTHWISE_SHAPES_FILE = new URL('./shapes_depthwise.json', import.meta.url);
/** The 1.5x-over-tfjs-wasm target applies to these: the 3x3 MobileNet layers. */
const TARGET_PEER = 'tfjs-wasm';
const TARGET_SPEEDUP = 1.5;
/** Largest acceptable max|diff| per summed term (as npm run bench): float32 sums of values in [-1, 1). */
const TOLERANCE_PER_TERM = 1e-5;
const DIRECT_MAX_FLOPS = 5e6;

interface DepthwiseBenchOptions {
  shapes?: string[];
  engines?: string[];
  budgetMs: number;
  quick: boolean;
  all: boolean;
  json?: string;
}

function parseOptions(argv: readonly string[]): DepthwiseBenchOptions {
  const list = (value: string) =>
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const positive = (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new CommanderArgumentError(`expected a positive number, got "${value}"`);
    return n;
  };
  const program = new Command()
    .name('node --import tsx bench/depthwise.ts')
    .description('depthwiseConv2d: convkit vs tfjs-wasm, tfjs-cpu and onnxruntime-node')
    .option('--shapes <names>', 'comma-separated shape names from bench/shapes_depthwise.json', list)
    .option(
      '--engines <names>',
      'comma-separated engine names or prefixes (convkit, tfjs, onnxruntime)',
      list,
    )
    .option('--budget <ms>', 'time budget per engine per shape (default 300, --quick 40)', positive)
    .option('--quick', 'first shape only, 40 ms budget (smoke test)', false)
    .option('--all', `also time the direct algorithm above ${DIRECT_MAX_FLOPS / 1e6} MFLOP`, false)
    .option('--json <file>', 'also write the results (bench/results.ts format) to this file')
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{
    shapes?: string[];
    engines?: string[];
    budget?: number;
    quick: boolean;
    all: boolean;
    json?: string;
  }>();
  return { ...o, budgetMs: o.budget ?? (o.quick ? 40 : 300) };
}

/** A shape ready to run: the depthwise geometry (a ConvGeometry with groups = channels) and seeded values. */
function makeDepthwiseCase(spec: ShapeSpec, seed = 1): BenchCase {
  const geometry = depthwiseGeometry('bench', spec.input, spec.filter, {
    strides: spec.strides,
    padding: spec.padding,
    dilations: spec.dilations,
  });
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  return {
    spec,
    geometry,
    input: randomValues(size(spec.input), seed),
    filter: randomValues(size(spec.filter), seed + 1),
  };
}

function convkitEngine(algorithm: DepthwiseAlgorithm, all: boolean): Engine {
  return {
    name: `convkit:${algorithm}`,
    family: 'convkit',
    threads: 1,
    skipReason(c) {
      if (algorithm === 'direct' && !all && c.geometry.flops > DIRECT_MAX_FLOPS) {
        return `direct skipped above ${DIRECT_MAX_FLOPS / 1e6} MFLOP (--all runs it)`;
      }
      return undefined;
    },
    async prepare(c) {
      // Tensor's constructor wraps the arrays without copying; depthwiseConv2d never writes to its inputs.
      const x = new Tensor(c.input, c.spec.input);
      const w = new Tensor(c.filter, c.spec.filter);
      const options = {
        strides: c.spec.strides,
        padding: c.spec.padding,
        dilations: c.spec.dilations,
        algorithm,
      };
      return {
        run() {
          depthwiseConv2d(x, w, options);
        },
        async output() {
          return depthwiseConv2d(x, w, options).data;
        },
        dispose() {},
      };
    },
  };
}

/** tfjs `tf.depthwiseConv2d` plus dataSync() (the result lands in a Float32Array, as with the others). */
function tfjsDepthwiseEngine(backend: 'wasm' | 'cpu'): Engine {
  // tfjsInfo() (called first in main) has pointed the wasm backend at its files; this only switches.
  const activate = async () => {
    if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) {
      throw new Error(`bench: tfjs backend "${backend}" failed to initialise`);
    }
  };
  return {
    name: `tfjs-${backend}`,
    family: 'peer',
    threads: 1,
    skipReason(c) {
      const g = c.geometry;
      const strided = g.strideHeight > 1 || g.strideWidth > 1;
      if (strided && (g.dilationHeight > 1 || g.dilationWidth > 1))
        return 'tfjs refuses strides and dilations > 1';
      return undefined;
    },
    async prepare(c) {
      await activate();
      const g = c.geometry;
      const x = tf.tensor4d(c.input, [g.batch, g.inHeight, g.inWidth, g.inChannels]);
      const w = tf.tensor4d(c.filter, c.spec.filter as [number, number, number, number]);
      const pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding =
        g.paddingMode === 'SAME'
          ? 'same'
          : g.paddingMode === 'VALID'
            ? 'valid'
            : [
                [0, 0],
                [g.padTop, g.padBottom],
                [g.padLeft, g.padRight],
                [0, 0],
              ];
      const convolve = () => {
        const y = tf.depthwiseConv2d(x, w, [g.strideHeight, g.strideWidth], pad, 'NHWC', [
          g.dilationHeight,
          g.dilationWidth,
        ]);
        const values = y.dataSync() as Float32Array;
        y.dispose();
        return values;
      };
      return {
        activate,
        run() {
          convolve();
        },
        async output() {
          await activate();
          return Float32Array.from(convolve());
        },
        async dispose() {
          await activate();
          x.dispose();
          w.dispose();
        },
      };
    },
  };
}

interface Entry {
  engine: Engine;
  result: EngineResult;
  prepared?: PreparedRun;
}

async function benchShape(
  c: BenchCase,
  engines: readonly Engine[],
  timing: TimingSettings,
): Promise<ShapeResult> {
  const g = c.geometry;
  const reference = depthwiseConv2d(new Tensor(c.input, c.spec.input), new Tensor(c.filter, c.spec.filter), {
    strides: c.spec.strides,
    padding: c.spec.padding,
    dilations: c.spec.dilations,
    algorithm: 'direct',
  }).data;
  const tolerance = TOLERANCE_PER_TERM * g.filterHeight * g.filterWidth;
  const entries: Entry[] = [];
  for (const engine of engines) {
    const result: EngineResult = {
      engine: engine.name,
      family: engine.family,
      threads: engine.threads,
      status: 'ok',
    };
    const entry: Entry = { engine, result };
    entries.push(entry);
    const skip = engine.skipReason?.(c);
    if (skip) {
      result.status = 'skipped';
      result.note = skip;
      continue;
    }
    try {
      entry.prepared = await engine.prepare(c);
      result.maxAbsDiff = maxAbsDiff(await entry.prepared.output(), reference);
      if (!(result.maxAbsDiff <= tolerance)) result.status = 'wrong';
    } catch (error) {
      result.status = 'error';
      result.note = error instanceof Error ? error.message : String(error);
      await entry.prepared?.dispose();
      entry.prepared = undefined;
    }
  }
  const running = entries.filter((e) => e.prepared);
  const runs = running.map((e) => e.prepared as PreparedRun);
  const callsPerSample: number[] = [];
  for (const run of runs) callsPerSample.push(await warmUp(run, timing));
  const timed = await measureInterleaved(runs, callsPerSample, timing);
  for (const [i, entry] of running.entries()) {
    const r = entry.result;
    r.callsPerSample = timed[i].callsPerSample;
    r.samplesMs = timed[i].samplesMs.map((ms) => Math.round(ms * 1e4) / 1e4);
    r.ms = summarize(timed[i].samplesMs);
    r.gflops = g.flops / (r.ms.median * 1e6);
    await entry.prepared?.dispose();
  }
  addSpeedups(entries.map((e) => e.result));
  return {
    name: c.spec.name,
    input: c.spec.input,
    filter: c.spec.filter,
    strides: c.spec.strides,
    padding: c.spec.padding,
    dilations: c.spec.dilations,
    outputShape: [...g.outputShape],
    flops: g.flops,
    reference: 'direct',
    results: entries.map((e) => e.result),
  };
}

/** convkit's fast kernel against tfjs-wasm on the 3x3 MobileNet layers, next to the 1.5x target. */
function formatTarget(shapes: readonly ShapeResult[]): string {
  const rows: string[][] = [];
  const ratios: number[] = [];
  for (const s of shapes) {
    if (s.filter[0] !== 3 || s.filter[1] !== 3 || !s.name.startsWith('mnv')) continue;
    const ours = s.results.find((r) => r.engine === 'convkit:fast');
    const peer = s.results.find((r) => r.engine === TARGET_PEER);
    if (!ours?.ms || !peer?.ms || ours.status !== 'ok' || peer.status !== 'ok') continue;
    const ratio = peer.ms.median / ours.ms.median;
    ratios.push(ratio);
    rows.push([s.name, formatGflops(ours.gflops), formatGflops(peer.gflops), `${ratio.toFixed(2)}x`]);
  }
  if (rows.length === 0) return '';
  const mean = geometricMean(ratios);
  return (
    `${layoutTable(['3x3 MobileNet shape', 'convkit:fast GFLOP/s', `${TARGET_PEER} GFLOP/s`, `${TARGET_PEER} ms / convkit ms`], rows, [0])}\n` +
    `geometric mean ${mean.toFixed(2)}x (target ${TARGET_SPEEDUP}x: ${mean >= TARGET_SPEEDUP ? 'met' : 'not met'})`
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const all = loadShapes(DEPTHWISE_SHAPES_FILE);
  const specs = options.shapes ? selectShapes(all, options.shapes) : options.quick ? all.slice(0, 1) : all;
  const tfjs = await tfjsInfo();
  const engines = [
    ...DEPTHWISE_ALGORITHMS.map((a) => convkitEngine(a, options.all)),
    tfjsDepthwiseEngine('wasm'),
    tfjsDepthwiseEngine('cpu'),
    onnxEngine(1),
    onnxEngine(2),
  ].filter((e) => engineSelected(e.name, options.engines));
  if (engines.length === 0)
    throw new Error(`bench: --engines ${options.engines?.join(',')} matches no engine`);
  const timing: TimingSettings = {
    budgetMs: options.budgetMs,
    minSamples: 3,
    maxSamples: options.quick ? 10 : 50,
    minSampleMs: 1,
    warmupMs: Math.min(100, options.budgetMs / 3),
  };
  const cpuList = cpus();
  const machine = {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${arch()}`,
    nodeVersion: process.versions.node,
    date: new Date().toISOString(),
    loadAverageStart: loadavg(),
    versions: { tfjs, onnxruntime: ort.env.versions.node ?? ort.env.versions.common },
  };
  const shapes: ShapeResult[] = [];
  for (const spec of specs) {
    process.stderr.write(`bench: ${spec.name}\n`);
    shapes.push(await benchShape(makeDepthwiseCase(spec), engines, timing));
  }
  const results: BenchResults = {
    machine: { ...machine, loadAverageEnd: loadavg() },
    settings: {
      budgetMs: timing.budgetMs,
      minSamples: timing.minSamples,
      maxSamples: timing.maxSamples,
      directMaxFlops: options.all ? Infinity : DIRECT_MAX_FLOPS,
      quick: options.quick,
      engines: engines.map((e) => e.name),
      convkitThreadsOption: false,
      tolerance: `max|diff| <= ${TOLERANCE_PER_TERM} * filterHeight * filterWidth`,
      scratchMethod: 'not measured',
    },
    shapes,
    geomeanSpeedup: geomeanSpeedups(shapes),
  };
  console.log(formatTable(results));
  console.log('\nGFLOP/s per shape (median):');
  console.log(formatYardsticks(results));
  const target = formatTarget(shapes);
  if (target) console.log(`\n${target}`);
  console.log(`\n${formatSummary(results)}`);
  const wrong = shapes.flatMap((s) =>
    s.results.filter((r) => r.status === 'wrong').map((r) => `${s.name}/${r.engine}`),
  );
  if (wrong.length > 0) console.log(`WRONG results (above tolerance): ${wrong.join(', ')}`);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${options.json}`);
  }
}

try {
  await main();
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode;
  else {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
