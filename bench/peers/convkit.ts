/**
 * convkit's engines: one per algorithm in CONV2D_ALGORITHMS, forced with the `algorithm` option. When
 * conv2d accepts a `threads` option, each algorithm also runs on every core next to its one-thread run.
 */
import { availableParallelism } from 'node:os';
import { conv2d, CONV2D_ALGORITHMS, Tensor, type Conv2dOptions } from '../../src/index.js';
import type { Engine } from '../engine.js';
import type { BenchCase } from '../shapes.js';

/** conv2d's options, plus `threads`, which a later convkit may accept. */
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

function conv2dOptions(c: BenchCase, algorithm: string, threads?: number): BenchConv2dOptions {
  const options: BenchConv2dOptions = {
    strides: c.spec.strides,
    padding: c.spec.padding,
    dilations: c.spec.dilations,
    algorithm: algorithm as Conv2dOptions['algorithm'],
  };
  if (threads !== undefined) options.threads = threads;
  return options;
}

function convkitEngine(
  algorithm: string,
  threads: number | undefined,
  name: string,
  options: ConvkitEngineOptions,
): Engine {
  return {
    name,
    family: 'convkit',
    threads: threads ?? 1,
    skipReason(c) {
      if (algorithm === 'direct' && c.geometry.flops > options.directMaxFlops) {
        return `direct skipped above ${options.directMaxFlops / 1e6} MFLOP (--all runs it)`;
      }
      return undefined;
    },
    async prepare(c) {
      // Tensor's constructor wraps the arrays without copying; conv2d never writes to its inputs.
      const x = new Tensor(c.input, c.spec.input);
      const w = new Tensor(c.filter, c.spec.filter);
      const opts = conv2dOptions(c, algorithm, threads);
      return {
        run() {
          conv2d(x, w, opts);
        },
        async output() {
          return conv2d(x, w, opts).data;
        },
        dispose() {},
      };
    },
  };
}

export function convkitEngines(options: ConvkitEngineOptions): Engine[] {
  const cores = availableParallelism();
  const threaded = conv2dAcceptsThreads();
  const engines: Engine[] = [];
  for (const algorithm of CONV2D_ALGORITHMS) {
    if (!threaded) {
      engines.push(convkitEngine(algorithm, undefined, `convkit:${algorithm}`, options));
      continue;
    }
    engines.push(convkitEngine(algorithm, 1, `convkit:${algorithm}`, options));
    if (cores > 1) engines.push(convkitEngine(algorithm, cores, `convkit:${algorithm}:t${cores}`, options));
  }
  return engines;
}
