/** The shape of bench/results/latest.json: what the runner measures and the table and chart read. */
import type { Summary } from './stats.js';

export type ResultStatus = 'ok' | 'wrong' | 'skipped' | 'error';

export interface EngineResult {
  engine: string;
  family: 'convkit' | 'peer';
  threads: number;
  status: ResultStatus;
  /** Why it was skipped, the error, or a remark. */
  note?: string;
  /** max |engine - reference| over the output, from one untimed call. */
  maxAbsDiff?: number;
  /** Calls per timed sample (short calls are batched so one sample lasts long enough to time well). */
  callsPerSample?: number;
  /** Per-call milliseconds of each sample, in the order measured. */
  samplesMs?: number[];
  /** Statistics of samplesMs. */
  ms?: Summary;
  gflops?: number;
  /** Peers only: peer median ms / median ms of the fastest convkit engine using no more threads. */
  speedup?: number;
  /** Which convkit engine `speedup` compares with. */
  speedupAgainst?: string;
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
  /** Which convkit algorithm gave the reference output for the correctness check. */
  reference: string;
  results: EngineResult[];
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
  engines: string[];
  convkitThreadsOption: boolean;
  tolerance: string;
  scratchMethod: string;
}

export interface BenchResults {
  machine: MachineInfo;
  settings: BenchSettings;
  shapes: ShapeResult[];
  /** Geometric mean over shapes of each peer's speed-up (peer ms / convkit ms). */
  geomeanSpeedup: Record<string, number>;
}
