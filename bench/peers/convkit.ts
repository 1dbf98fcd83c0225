/**
 * convkit's engines. conv2d: one per algorithm in CONV2D_ALGORITHMS, forced with the `algorithm` option,
 * each on one thread and on every core; and convkit:auto, what a user gets from conv2d(x, w): the
 * planner's algorithm on one thread (convkit:auto) and with conv2d's default threads, up to every core
 * (convkit:auto:tN). depthwiseConv2d: one per DEPTHWISE_ALGORITHMS entry plus 'auto', one thread (it
 * has no threads option).
 */
import { availableParallelism } from 'node:os';
import {
  conv2d,
  CONV2D_ALGORITHMS,
  DEPTHWISE_ALGORITHMS,
  depthwiseConv2d,
  planConv2d,
  Tensor,
  type Conv2dOptions,
  type DepthwiseConv2dOptions,
} from '../../src/index.js';
import type { Engine, PlanInfo, PreparedRun } from '../engine.js';
import type { BenchCase } from '../shapes.js';

/** conv2d's options, plus `threads` for a convkit that did not have it yet. */
type BenchConv2dOptions = Conv2dOptions & { threads?: number };

/** True when conv2d takes a `threads` option (older versions reject unknown options). */
export function conv2dAcceptsThreads(): boolean {
  const one = new Tensor(new Float32Array([1]), [1, 1, 1, 1]);
  try {
    conv2d(one, one, { threads: 1 } as BenchConv2dOptions);
    return true;
  } catch {
    return false;
  }
}

export interface ConvkitEngineOptions {
  /** Skip the direct algorithm above this many FLOPs (it is the readable reference, not a fast path). */
  directMaxFlops: number;
}

/**
 * What planConv2d runs for an algorithm request, as conv2d plans it (the same on any thread count): a
 * forced algorithm that cannot run the shape falls back.
 */
export function describePlan(c: BenchCase, algorithm: string): PlanInfo {
  const plan = planConv2d(c.geometry, algorithm);
  if (algorithm === 'auto') {
    return { runs: plan.algorithm, kernel: plan.kernel, fellBack: false, note: `auto: ${plan.algorithm}` };
  }
  if (plan.algorithm === algorithm) {
    return { runs: plan.algorithm, kernel: plan.kernel, fellBack: false, note: '' };
  }
  // The planner's reason reads "<x> was requested but <cause>; <y> computes the same values".
  const cause = /requested but (.*?);/.exec(plan.reason)?.[1] ?? plan.reason;
  return {
    runs: plan.algorithm,
    kernel: plan.kernel,
    fellBack: true,
    note: `fell back: runs ${plan.algorithm} (${cause})`,
  };
}

function skipDirect(algorithm: string, options: ConvkitEngineOptions) {
  return (c: BenchCase): string | undefined =>
    algorithm === 'direct' && c.geometry.flops > options.directMaxFlops
      ? `direct skipped above ${options.directMaxFlops / 1e6} MFLOP (--all runs it)`
      : undefined;
}

/** A prepared run of a synchronous convkit op; Tensor wraps the arrays without copying, ops never write them. */
function preparedOp(c: BenchCase, op: (x: Tensor, w: Tensor) => Tensor): PreparedRun {
  const x = new Tensor(c.input, c.spec.input);
  const w = new Tensor(c.filter, c.spec.filter);
  return {
    run() {
      op(x, w);
    },
    async output() {
      return op(x, w).data;
    },
    dispose() {},
  };
}

/** `threads` undefined: conv2d's default (the planner's choice, up to every core). */
function conv2dEngine(
  algorithm: string,
  threads: number | undefined,
  engineThreads: number,
  name: string,
  options: ConvkitEngineOptions,
): Engine {
  return {
    name,
    family: 'convkit',
    threads: engineThreads,
    skipReason: skipDirect(algorithm, options),
    describe: (c) => describePlan(c, algorithm),
    async prepare(c) {
      const opts: BenchConv2dOptions = {
        strides: c.spec.strides,
        padding: c.spec.padding,
        dilations: c.spec.dilations,
        algorithm: algorithm as Conv2dOptions['algorithm'],
      };
      if (threads !== undefined) opts.threads = threads;
      return preparedOp(c, (x, w) => conv2d(x, w, opts));
    },
  };
}

export function convkitEngines(options: ConvkitEngineOptions): Engine[] {
  const cores = availableParallelism();
  const threaded = conv2dAcceptsThreads();
  const engines: Engine[] = [];
  for (const algorithm of ['auto', ...CONV2D_ALGORITHMS]) {
    if (!threaded) {
      engines.push(conv2dEngine(algorithm, undefined, 1, `convkit:${algorithm}`, options));
      continue;
    }
    engines.push(conv2dEngine(algorithm, 1, 1, `convkit:${algorithm}`, options));
    if (cores <= 1) continue;
    // convkit:auto:tN is conv2d's default; a forced algorithm gets every core explicitly.
    const threads = algorithm === 'auto' ? undefined : cores;
    engines.push(conv2dEngine(algorithm, threads, cores, `convkit:${algorithm}:t${cores}`, options));
  }
  return engines;
}

export function convkitDepthwiseEngines(options: ConvkitEngineOptions): Engine[] {
  return ['auto', ...DEPTHWISE_ALGORITHMS].map((algorithm) => ({
    name: `convkit:${algorithm}`,
    family: 'convkit',
    threads: 1,
    skipReason: skipDirect(algorithm, options),
    async prepare(c) {
      const opts: DepthwiseConv2dOptions = {
        strides: c.spec.strides,
        padding: c.spec.padding,
        dilations: c.spec.dilations,
        algorithm: algorithm as DepthwiseConv2dOptions['algorithm'],
      };
      return preparedOp(c, (x, w) => depthwiseConv2d(x, w, opts));
    },
  }));
}
