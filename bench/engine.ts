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

export interface Engine {
  /** e.g. 'convkit:im2col', 'tfjs-wasm', 'onnxruntime:t2' */
  name: string;
  /** convkit's own engines are compared with the peers. */
  family: 'convkit' | 'peer';
  /** Threads the engine computes with: speed-ups compare engines using no more threads than the peer. */
  threads: number;
  /** A reason not to run this shape (e.g. the direct loop on a huge shape), or undefined to run it. */
  skipReason?(c: BenchCase): string | undefined;
  prepare(c: BenchCase): Promise<PreparedRun>;
}
