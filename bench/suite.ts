/**
 * Runs the selected sections of `npm run bench` in order, printing each one as it finishes, and
 * gathers them into one BenchResults (latest.json):
 *   conv       conv2d, bench/shapes.json                      -> shapes, geomeanSpeedup (top level)
 *   depthwise  depthwiseConv2d, bench/shapes_depthwise.json   -> depthwise (with the 1.5x target check)
 *   grouped    grouped conv2d, bench/shapes_grouped.json      -> grouped
 *   train      one LeNet training step (bench/train_step.ts)  -> trainStep
 *   relaxed    conv2d again in a child node with the other kernel module (relaxed or plain SIMD) -> relaxedSimd
 *   webgpu     conv2d on the GPU (only when named)             -> webgpu
 *   models     whole networks (bench/models.ts) at each --batches size, only when named -> models
 */
import { loadavg } from 'node:os';
import { depthwiseTarget, formatDepthwiseTarget } from './depthwise_target.js';
import { machineInfo } from './machine.js';
import type { TimingSettings } from './measure.js';
import type { BenchOptions } from './options.js';
import { conv2dAcceptsThreads } from './peers/convkit.js';
import { formatRelaxedChecks, runRelaxedSection } from './relaxed.js';
import { formatMachine, formatSection } from './report.js';
import type { BenchResults, SectionResults } from './results.js';
import { runShapeSection, shapesIn } from './section.js';
import {
  SHAPE_SECTIONS,
  sectionEngines,
  sectionShapes,
  sectionSpec,
  type ShapeSectionName,
} from './sections.js';
import { selectShapes } from './shapes.js';
import { benchTrainStep, formatTrainStep } from './train_step.js';
import { webgpuAdapterName } from './peers/webgpu.js';
import { benchModels, MODEL_NAMES } from './models.js';
import { formatModels, modelsHeading } from './models_report.js';

const HEADINGS: Record<ShapeSectionName, string> = {
  conv: 'conv2d (bench/shapes.json)',
  depthwise: 'depthwiseConv2d (bench/shapes_depthwise.json; onnxruntime: Conv with group = channels)',
  webgpu: 'conv2d on WebGPU (bench/shapes.json; each time includes reading the result back; adapter below)',
  grouped:
    'grouped conv2d (bench/shapes_grouped.json; groups = in_channels / filter in_channels; onnxruntime: Conv group)',
};
/** A training step lasts tens of ms: a longer budget than one conv gives it a useful number of samples. */
const TRAIN_BUDGET_FACTOR = 3;

export function timingSettings(options: BenchOptions): TimingSettings {
  return {
    budgetMs: options.budgetMs,
    minSamples: options.minSamples,
    maxSamples: options.maxSamples,
    minSampleMs: 1,
    warmupMs: options.warmupMs,
  };
}

function print(text: string): void {
  console.log(text);
  console.log();
}

export async function runSuite(options: BenchOptions): Promise<BenchResults> {
  const suites = Object.fromEntries(SHAPE_SECTIONS.map((name) => [name, sectionShapes(name)])) as Record<
    ShapeSectionName,
    ReturnType<typeof sectionShapes>
  >;
  // An unknown name fails here, listing every suite's shapes.
  if (options.shapes) selectShapes(Object.values(suites).flat(), options.shapes);
  const planned = SHAPE_SECTIONS.filter((name) => options.sections.includes(name)).filter(
    (name) => shapesIn(suites[name], options.shapes).length > 0,
  );
  if (
    options.engines &&
    planned.length > 0 &&
    planned.every((n) => sectionEngines(n, options).length === 0)
  ) {
    const known = new Set(planned.flatMap((n) => sectionEngines(n, { ...options, engines: undefined })));
    throw new Error(
      `bench: --engines ${options.engines.join(',')} matches no engine; engines: ${[...known].map((e) => e.name).join(', ')}`,
    );
  }
  const timing = timingSettings(options);
  const machine = await machineInfo();
  const results: BenchResults = {
    machine,
    settings: {
      budgetMs: options.budgetMs,
      minSamples: options.minSamples,
      maxSamples: options.maxSamples,
      directMaxFlops: options.directMaxFlops,
      quick: options.quick,
      sections: [],
      engines: [],
      convkitThreadsOption: conv2dAcceptsThreads(),
      tolerance: sectionSpec('conv', options).tolerance,
      scratchMethod:
        "convkit's peak WebAssembly scratch in one warm call (WasmHeap.takeScratchPeak), plus process.memoryUsage().arrayBuffers growth across another after a full GC, minus the output bytes",
    },
    shapes: [],
    geomeanSpeedup: {},
  };
  const ran = (name: string, engines: readonly string[] = []) => {
    results.settings.sections?.push(name);
    results.settings.engines = [...new Set([...results.settings.engines, ...engines])];
  };
  let convSection: SectionResults | undefined;

  for (const name of planned) {
    const specs = shapesIn(suites[name], options.shapes);
    const engines = sectionEngines(name, options);
    if (engines.length === 0) continue;
    const section = await runShapeSection(sectionSpec(name, options), specs, engines, timing);
    ran(
      name,
      engines.map((e) => e.name),
    );
    print(formatSection(HEADINGS[name], section));
    if (name === 'conv') {
      convSection = section;
      results.shapes = section.shapes;
      results.geomeanSpeedup = section.geomeanSpeedup;
      results.geomeanBestSpeedup = section.geomeanBestSpeedup;
    }
    if (name === 'grouped') results.grouped = section;
    if (name === 'webgpu') {
      const adapter = await webgpuAdapterName();
      results.webgpu = { ...section, adapter };
      print(`WebGPU adapter: ${adapter}`);
    }
    if (name === 'depthwise') {
      const target = depthwiseTarget(section.shapes);
      results.depthwise = { ...section, target };
      const text = formatDepthwiseTarget(target, section.shapes);
      if (text) print(text);
    }
  }

  if (options.sections.includes('train')) {
    console.error('bench: training step...');
    const trainTiming = { ...timing, budgetMs: timing.budgetMs * TRAIN_BUDGET_FACTOR };
    results.trainStep = await benchTrainStep(trainTiming);
    ran('train');
    print(
      `== training step (bench/train_step.ts: LeNet, convkit layers vs tfjs-layers on tfjs-backend-wasm) ==\n${formatTrainStep(results.trainStep)}`,
    );
  }

  if (options.sections.includes('relaxed')) {
    const shapes = shapesIn(suites.conv, options.shapes).map((s) => s.name);
    console.error('bench: relaxed SIMD child...');
    const relaxed = await runRelaxedSection(options, shapes, convSection);
    if (relaxed) {
      results.relaxedSimd = relaxed;
      ran(
        'relaxed',
        relaxed.shapes[0]?.results.map((r) => r.engine),
      );
      print(`${formatSection(relaxed.title, relaxed)}\n\n${formatRelaxedChecks(relaxed)}`);
    }
  }

  if (options.sections.includes('models')) {
    // A network call lasts 0.01-2 s: a longer budget than one conv gives it a few samples (at least
    // minSamples each, so batch 8 on one thread, over a second a call for ResNet-50, takes three).
    const modelTiming = { ...timing, budgetMs: timing.budgetMs * 10, warmupMs: 0 };
    results.models = await benchModels(MODEL_NAMES, modelTiming, options.batches);
    ran('models', [
      'convkit:t1',
      'convkit:t2',
      'tfjs-wasm',
      'onnxruntime-web',
      'onnxruntime-node:t1',
      'onnxruntime-node:t2',
    ]);
    print(`${modelsHeading(options.batches)}\n${formatModels(results.models)}`);
  }

  machine.loadAverageEnd = loadavg();
  print(formatMachine(machine));
  return results;
}
