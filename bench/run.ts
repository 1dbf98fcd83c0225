/**
 * `npm run bench`: conv2d side by side in one process. Per shape, every engine gets the same input,
 * one untimed call checked against a convkit reference, a warm-up, and then interleaved timed rounds
 * (bench/measure.ts). Prints a table, and writes bench/results/latest.json and latest.svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, totalmem, arch } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { CommanderError } from 'commander';
import * as ort from 'onnxruntime-node';
import { conv2d, Tensor } from '../src/index.js';
import type { Engine, PreparedRun } from './engine.js';
import { measureInterleaved, maxAbsDiff, warmUp, type TimingSettings } from './measure.js';
import { arrayBufferGrowth } from './memory.js';
import { engineSelected, parseBenchOptions, type BenchOptions } from './options.js';
import { convkitEngines, conv2dAcceptsThreads } from './peers/convkit.js';
import { onnxEngine } from './peers/onnx.js';
import { tfjsEngine, tfjsInfo } from './peers/tfjs.js';
import { formatSummary, formatTable, formatYardsticks } from './report.js';
import type { BenchResults, EngineResult, MachineInfo, ShapeResult } from './results.js';
import { loadShapes, makeCase, selectShapes, type BenchCase } from './shapes.js';
import { summarize } from './stats.js';
import { addSpeedups, geomeanSpeedups } from './speedup.js';
import { renderSvg } from './svg.js';

/** Largest acceptable max|diff| per summed term: float32 sums of K products of values in [-1, 1). */
const TOLERANCE_PER_TERM = 1e-5;
const ONNX_THREADS = [1, 2];

function allEngines(options: BenchOptions): Engine[] {
  const engines = [
    ...convkitEngines({ directMaxFlops: options.directMaxFlops }),
    tfjsEngine('wasm'),
    tfjsEngine('cpu'),
    ...ONNX_THREADS.map(onnxEngine),
  ];
  const chosen = engines.filter((e) => engineSelected(e.name, options.engines));
  if (chosen.length === 0) {
    throw new Error(
      `bench: --engines ${options.engines?.join(',')} matches no engine; engines: ${engines.map((e) => e.name).join(', ')}`,
    );
  }
  return chosen;
}

async function machineInfo(): Promise<MachineInfo> {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${arch()}`,
    nodeVersion: process.versions.node,
    date: new Date().toISOString(),
    loadAverageStart: loadavg(),
    versions: { tfjs: await tfjsInfo(), onnxruntime: ort.env.versions.node ?? ort.env.versions.common },
  };
}

/** The reference output: the direct algorithm (float64 sums) where affordable, im2col above that. */
function referenceOutput(c: BenchCase, options: BenchOptions): { algorithm: string; output: Float32Array } {
  const algorithm = c.geometry.flops <= options.directMaxFlops ? 'direct' : 'im2col';
  const output = conv2d(new Tensor(c.input, c.spec.input), new Tensor(c.filter, c.spec.filter), {
    strides: c.spec.strides,
    padding: c.spec.padding,
    dilations: c.spec.dilations,
    algorithm,
  }).data;
  return { algorithm, output };
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

interface Entry {
  engine: Engine;
  result: EngineResult;
  prepared?: PreparedRun;
}

/** Prepares every engine for one shape and checks its output; entries that fail carry their status. */
async function prepareAndCheck(
  c: BenchCase,
  engines: readonly Engine[],
  reference: Float32Array,
): Promise<Entry[]> {
  const g = c.geometry;
  const tolerance = TOLERANCE_PER_TERM * g.filterHeight * g.filterWidth * g.filterInChannels;
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
      result.note = message(error);
      await entry.prepared?.dispose();
      entry.prepared = undefined;
    }
  }
  return entries;
}

async function benchShape(
  c: BenchCase,
  engines: readonly Engine[],
  options: BenchOptions,
  timing: TimingSettings,
  onEngineDone: (engine: string) => void,
): Promise<ShapeResult> {
  const g = c.geometry;
  const reference = referenceOutput(c, options);
  const entries = await prepareAndCheck(c, engines, reference.output);
  for (const e of entries) if (!e.prepared) onEngineDone(e.engine.name);
  const running = entries.filter((e) => e.prepared);
  const runs = running.map((e) => e.prepared as PreparedRun);
  const callsPerSample: number[] = [];
  for (const run of runs) callsPerSample.push(await warmUp(run, timing));
  const timed = await measureInterleaved(runs, callsPerSample, timing, (i) =>
    onEngineDone(running[i].engine.name),
  );

  const outputBytes = g.outputShape.reduce((a, b) => a * b, 1) * 4;
  for (const [i, entry] of running.entries()) {
    const r = entry.result;
    r.callsPerSample = timed[i].callsPerSample;
    r.samplesMs = timed[i].samplesMs.map((ms) => Math.round(ms * 1e4) / 1e4);
    r.ms = summarize(timed[i].samplesMs);
    r.gflops = g.flops / (r.ms.median * 1e6);
    if (entry.engine.family === 'convkit') {
      const run = entry.prepared as PreparedRun;
      r.scratchBytes = Math.max(0, (await arrayBufferGrowth(() => run.run())) - outputBytes);
    }
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
    reference: reference.algorithm,
    results: entries.map((e) => e.result),
  };
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const all = loadShapes();
  const specs = options.shapes ? selectShapes(all, options.shapes) : all;
  const engines = allEngines(options);
  const machine = await machineInfo();
  const timing: TimingSettings = {
    budgetMs: options.budgetMs,
    minSamples: options.minSamples,
    maxSamples: options.maxSamples,
    minSampleMs: 1,
    warmupMs: options.warmupMs,
  };

  const bar = new cliProgress.SingleBar(
    { format: 'bench {bar} {value}/{total} | {shape} {engine}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(specs.length * engines.length, 0, { shape: '', engine: '' });
  const shapes: ShapeResult[] = [];
  for (const spec of specs) {
    bar.update({ shape: spec.name, engine: '' });
    const c = makeCase(spec);
    shapes.push(await benchShape(c, engines, options, timing, (engine) => bar.increment({ engine })));
  }
  bar.stop();
  machine.loadAverageEnd = loadavg();

  const results: BenchResults = {
    machine,
    settings: {
      budgetMs: options.budgetMs,
      minSamples: options.minSamples,
      maxSamples: options.maxSamples,
      directMaxFlops: options.directMaxFlops,
      quick: options.quick,
      engines: engines.map((e) => e.name),
      convkitThreadsOption: conv2dAcceptsThreads(),
      tolerance: `max|diff| <= ${TOLERANCE_PER_TERM} * filterHeight * filterWidth * filterInChannels`,
      scratchMethod:
        'process.memoryUsage().arrayBuffers growth across one warm call after a full GC, minus the output bytes',
    },
    shapes,
    geomeanSpeedup: geomeanSpeedups(shapes),
  };

  console.log(formatTable(results));
  console.log();
  console.log('GFLOP/s per shape (median):');
  console.log(formatYardsticks(results));
  console.log();
  console.log(formatSummary(results));
  const wrong = shapes.flatMap((s) =>
    s.results.filter((r) => r.status === 'wrong').map((r) => `${s.name}/${r.engine}`),
  );
  if (wrong.length > 0) console.log(`WRONG results (above tolerance): ${wrong.join(', ')}`);

  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(options.outDir, 'latest.svg'), renderSvg(results));
  console.log(`wrote ${join(options.outDir, 'latest.json')} and ${join(options.outDir, 'latest.svg')}`);
}

try {
  await main();
} catch (error) {
  // commander has already printed its own usage errors (and --help); everything else is ours to report.
  if (error instanceof CommanderError) process.exitCode = error.exitCode;
  else {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
