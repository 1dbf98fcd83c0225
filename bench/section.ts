/**
 * One shape section (a table): per shape, every engine gets the same input, one untimed call checked
 * against a convkit reference, a warm-up, and then interleaved timed rounds (bench/measure.ts); then
 * statistics, GFLOP/s, convkit's scratch memory and the speed-ups.
 */
import cliProgress from 'cli-progress';
import type { ConvGeometry } from '../src/index.js';
import type { Engine, PreparedRun } from './engine.js';
import { measureInterleaved, maxAbsDiff, warmUp, type TimingSettings } from './measure.js';
import { arrayBufferGrowth, wasmScratchPeak } from './memory.js';
import type { EngineResult, SectionResults, ShapeResult } from './results.js';
import type { BenchCase, ShapeSpec } from './shapes.js';
import { summarize } from './stats.js';
import { addSpeedups, geomeanSpeedups } from './speedup.js';

/** Largest acceptable max|diff| per summed term: float32 sums of values in [-1, 1). */
export const TOLERANCE_PER_TERM = 1e-5;

/** What a section benchmarks; bench/sections.ts has the conv, depthwise and grouped ones. */
export interface ShapeSectionSpec {
  title: string;
  makeCase(spec: ShapeSpec): BenchCase;
  /** convkit's reference output for the correctness check, and the algorithm that made it. */
  reference(c: BenchCase): { algorithm: string; output: Float32Array };
  /** Products summed into one output value: the tolerance grows with it. */
  termsPerOutput(g: ConvGeometry): number;
  /** The tolerance in words, for the results file. */
  tolerance: string;
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
  tolerance: number,
): Promise<Entry[]> {
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
    const plan = engine.describe?.(c);
    if (plan) {
      Object.assign(result, { runs: plan.runs, kernel: plan.kernel, fellBack: plan.fellBack });
      if (plan.note) result.note = plan.note;
    }
    const unsupported = engine.unsupportedReason?.(c);
    const skip = unsupported ? undefined : engine.skipReason?.(c);
    if (unsupported || skip) {
      result.status = unsupported ? 'unsupported' : 'skipped';
      result.note = unsupported ?? skip;
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
  section: ShapeSectionSpec,
  c: BenchCase,
  engines: readonly Engine[],
  timing: TimingSettings,
  onEngineDone: (engine: string) => void,
): Promise<ShapeResult> {
  const g = c.geometry;
  const reference = section.reference(c);
  const tolerance = TOLERANCE_PER_TERM * section.termsPerOutput(g);
  const entries = await prepareAndCheck(c, engines, reference.output, tolerance);
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
      const wasm = await wasmScratchPeak(() => run.run());
      r.scratchBytes = wasm + Math.max(0, (await arrayBufferGrowth(() => run.run())) - outputBytes);
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
    groups: g.groups,
    reference: reference.algorithm,
    results: entries.map((e) => e.result),
  };
}

/** Runs every shape of a section through every engine, with a progress bar on stderr. */
export async function runShapeSection(
  section: ShapeSectionSpec,
  specs: readonly ShapeSpec[],
  engines: readonly Engine[],
  timing: TimingSettings,
): Promise<SectionResults> {
  const bar = new cliProgress.SingleBar(
    {
      format: `${section.title} {bar} {value}/{total} | {shape} {engine}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(specs.length * engines.length, 0, { shape: '', engine: '' });
  const shapes: ShapeResult[] = [];
  try {
    for (const spec of specs) {
      bar.update({ shape: spec.name, engine: '' });
      const c = section.makeCase(spec);
      shapes.push(await benchShape(section, c, engines, timing, (engine) => bar.increment({ engine })));
    }
  } finally {
    bar.stop();
  }
  return {
    title: section.title,
    tolerance: section.tolerance,
    shapes,
    geomeanSpeedup: geomeanSpeedups(shapes),
    geomeanBestSpeedup: geomeanSpeedups(shapes, 'bestSpeedup'),
  };
}

/** The shapes of a suite that `names` picks, in the order named (undefined: all of them). */
export function shapesIn(suite: readonly ShapeSpec[], names: readonly string[] | undefined): ShapeSpec[] {
  if (!names) return [...suite];
  return names.flatMap((name) => suite.filter((s) => s.name === name));
}
