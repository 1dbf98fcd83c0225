/** The shape of bench/results/latest.json: what the runner measures and the tables and chart read. */
import type { ModelBenchResult } from './models.js';
import type { Summary } from './stats.js';

/** 'unsupported': the engine has no such operation (tfjs has no grouped conv2d); not an error. */
export type ResultStatus = 'ok' | 'wrong' | 'skipped' | 'unsupported' | 'error';

export interface EngineResult {
  engine: string;
  family: 'convkit' | 'peer';
  threads: number;
  status: ResultStatus;
  /** Why it was skipped, the error, or a remark (for convkit: what the planner made of the request). */
  note?: string;
  /** convkit conv2d: the algorithm that really ran, from planConv2d (a forced one may fall back). */
  runs?: string;
  /** convkit conv2d: the microkernel the plan names, e.g. f32-igemm-4x8-wasmsimd. */
  kernel?: string;
  /** True when a forced algorithm cannot run this shape and the planner ran another one instead. */
  fellBack?: boolean;
  /** max |engine - reference| over the output, from one untimed call. */
  maxAbsDiff?: number;
  /** Calls per timed sample (short calls are batched so one sample lasts long enough to time well). */
  callsPerSample?: number;
  /** Per-call milliseconds of each sample, in the order measured. */
  samplesMs?: number[];
  /** Statistics of samplesMs. */
  ms?: Summary;
  gflops?: number;
  /**
   * Peers only, the headline: peer median ms / median ms of convkit:auto (what users get) with the
   * peer's thread count (bench/speedup.ts says what happens when there is none).
   */
  speedup?: number;
  /** Which convkit engine `speedup` compares with. */
  speedupAgainst?: string;
  /** Peers only: the same against the fastest correct convkit engine using no more threads, fallbacks excluded. */
  bestSpeedup?: number;
  bestSpeedupAgainst?: string;
  /** convkit only: ArrayBuffer bytes allocated by one call beyond its output (see bench/memory.ts). */
  scratchBytes?: number;
}

export interface ShapeResult {
  name: string;
  input: number[];
  filter: number[];
  strides?: number | number[];
  padding: unknown;
  dilations?: number | number[];
  outputShape: number[];
  flops: number;
  /** conv2d groups (in_channels / filter in_channels); depthwise: the channel count. */
  groups?: number;
  /** Which convkit algorithm gave the reference output for the correctness check. */
  reference: string;
  results: EngineResult[];
}

/** One table of shapes: the conv2d suite, the depthwise layers, the grouped conv2d shapes. */
export interface ShapeSectionResults {
  /** Geometric mean over shapes of each peer's headline speed-up (peer ms / convkit:auto ms). */
  geomeanSpeedup: Record<string, number>;
  /** The same against the best convkit engine per shape. */
  geomeanBestSpeedup?: Record<string, number>;
  shapes: ShapeResult[];
}

export interface SectionResults extends ShapeSectionResults {
  title: string;
  tolerance: string;
}

/** The depthwise target: convkit:auto at least 1.5x faster than tfjs-wasm on each 3x3 layer. */
export interface TargetCheck {
  shape: string;
  /** tfjs-wasm ms / convkit:auto ms */
  ratio: number;
  met: boolean;
}

export interface DepthwiseSectionResults extends SectionResults {
  target: { peer: string; speedup: number; shapes: TargetCheck[]; geomean?: number };
}

export interface TimedSteps {
  callsPerSample: number;
  samplesMs: number[];
  ms: Summary;
}

/** One LeNet training step (bench/train_step.ts), convkit against tfjs-layers on tfjs-backend-wasm. */
export interface TrainStepResults {
  batch: number;
  convkit: TimedSteps;
  tfjsWasm: TimedSteps;
  /** tfjs-wasm median ms / convkit median ms (above 1: convkit is faster). */
  speedup: number;
  /** Largest |difference| between the two engines' weight gradients, relative to the largest gradient. */
  gradientRelativeDifference: number;
}

/**
 * The conv2d suite re-run in a child Node on the kernel module this process does not run: relaxed SIMD
 * (Node 20: started with --experimental-wasm-relaxed-simd), or plain SIMD where this process already
 * runs relaxed SIMD (Node 22+). See bench/relaxed.ts.
 */
export interface RelaxedSimdResults extends SectionResults {
  /** The child's Node options: the flag only where relaxed SIMD needs it. */
  nodeFlags: string[];
  /** The kernel module the child was asked to run (CONVKIT_WASM). */
  childVariant: 'relaxed-simd' | 'simd';
  /** The kernel module convkit used in the child. */
  convkitVariant: string | null;
  /** The kernel module convkit used in this process (its conv section). */
  mainVariant: string | null;
  /** Relaxed SIMD in one process and plain SIMD in the other, as asked. */
  relaxedActive: boolean;
  /** Per shape: the child's numbers next to the main process's (when the conv section ran it). */
  comparison: RelaxedComparison[];
  /** Geometric means of the comparison ratios over the shapes that have both. */
  convkitPlainOverRelaxed?: number;
  tfjsWasmChildOverMain?: number;
}

export interface RelaxedComparison {
  shape: string;
  /** The kernel convkit:auto's plan named in the child. */
  kernel?: string;
  convkitRelaxedMs?: number;
  convkitPlainMs?: number;
  tfjsWasmChildMs?: number;
  tfjsWasmMainMs?: number;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  totalMemoryGiB: number;
  platform: string;
  nodeVersion: string;
  date: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
  versions: Record<string, unknown>;
}

export interface BenchSettings {
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
  directMaxFlops: number;
  quick: boolean;
  /** The sections run, in order. */
  sections?: string[];
  engines: string[];
  convkitThreadsOption: boolean;
  tolerance: string;
  scratchMethod: string;
}

/**
 * latest.json. The top-level `shapes` and `geomeanSpeedup` are the conv2d suite (section 'conv'), as
 * before the other sections existed; each other section has its own key, absent when it did not run.
 */
export interface BenchResults extends ShapeSectionResults {
  machine: MachineInfo;
  settings: BenchSettings;
  depthwise?: DepthwiseSectionResults;
  grouped?: SectionResults;
  trainStep?: TrainStepResults;
  relaxedSimd?: RelaxedSimdResults;
  /** conv2d on WebGPU, and the adapter it ran on. */
  webgpu?: SectionResults & { adapter: string };
  /**
   * Whole networks (bench/models.ts), one entry per network and batch size: convkit on one thread and
   * two against tfjs-layers on tfjs-wasm, onnxruntime-web and onnxruntime-node (one and two threads).
   */
  models?: ModelBenchResult[];
}
