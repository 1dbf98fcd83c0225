/** What every benchmarked engine (convkit's algorithms and the peers) looks like to the runner. */
import type { BenchCase } from './shapes.js';

/** One engine set up for one shape: inputs already in the engine's own format. */
export interface PreparedRun {
  /** The timed call. Returns a promise only for engines whose API is asynchronous (onnxruntime). */
  run(): void | Promise<void>;
  /** One untimed call whose result is returned as NHWC float32, for the correctness check. */
  output(): Promise<Float32Array>;
  /** Called before this engine's turn in a round (tfjs: switch to its backend). */
  activate?(): Promise<void>;
  dispose(): void | Promise<void>;
}

/** What convkit's planner makes of an engine's request on one shape (see bench/peers/convkit.ts). */
export interface PlanInfo {
  /** The algorithm that really runs. */
  runs: string;
  kernel?: string;
  /** A forced algorithm that cannot run this shape, replaced by `runs`. */
  fellBack: boolean;
  note: string;
}

export interface Engine {
  /** e.g. 'convkit:im2col', 'convkit:auto:t2', 'tfjs-wasm', 'onnxruntime:t2' */
  name: string;
  /** convkit's own engines are compared with the peers. */
  family: 'convkit' | 'peer';
  /** Threads the engine computes with (at most): speed-ups compare engines by thread count. */
  threads: number;
  /** A reason not to run this shape (e.g. the direct loop on a huge shape), or undefined to run it. */
  skipReason?(c: BenchCase): string | undefined;
  /** Why the engine has no such operation (tfjs: no grouped conv2d), or undefined when it has. */
  unsupportedReason?(c: BenchCase): string | undefined;
  /** convkit conv2d engines: what the planner runs for this request. */
  describe?(c: BenchCase): PlanInfo;
  prepare(c: BenchCase): Promise<PreparedRun>;
}
