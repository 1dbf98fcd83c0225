/**
 * The planner: picks the algorithm for a conv2d geometry. Tiny problems (the seed's examples) go to the
 * direct loop, which has no setup cost; everything else goes to im2col + GEMM.
 */
import type { ConvGeometry } from '../geometry.js';
import { invalid, show } from '../errors.js';
import { conv2dDirect } from '../algorithms/direct.js';
import { conv2dIm2col } from '../algorithms/im2col.js';

export const CONV2D_ALGORITHMS = ['direct', 'im2col'] as const;
export type Conv2dAlgorithm = (typeof CONV2D_ALGORITHMS)[number];
export type AlgorithmChoice = Conv2dAlgorithm | 'auto';

/** Below this many FLOPs, packing and tiling cost more than they save. */
const DIRECT_MAX_FLOPS = 20_000;

export interface Conv2dPlan {
  algorithm: Conv2dAlgorithm;
  reason: string;
}

export function planConv2d(g: ConvGeometry, choice: unknown = 'auto'): Conv2dPlan {
  if (choice === 'direct' || choice === 'im2col') {
    return { algorithm: choice, reason: `requested with algorithm: '${choice}'` };
  }
  if (choice !== 'auto') {
    invalid(
      g.op,
      'algorithm',
      `must be one of 'auto', ${CONV2D_ALGORITHMS.map((a) => `'${a}'`).join(', ')}; got ${show(choice)}`,
    );
  }
  if (g.flops <= DIRECT_MAX_FLOPS) {
    return {
      algorithm: 'direct',
      reason: `${g.flops} FLOPs is small enough that the direct loop is fastest`,
    };
  }
  return {
    algorithm: 'im2col',
    reason: `${g.flops} FLOPs: patches x filter matrix (GEMM) is the fastest general path`,
  };
}

const RUNNERS: Record<Conv2dAlgorithm, (g: ConvGeometry, x: Float32Array, w: Float32Array) => Float32Array> =
  {
    direct: conv2dDirect,
    im2col: conv2dIm2col,
  };

export function runConv2d(
  plan: Conv2dPlan,
  g: ConvGeometry,
  input: Float32Array,
  filter: Float32Array,
): Float32Array {
  return RUNNERS[plan.algorithm](g, input, filter);
}
