/**
 * The page of test/web/engine.test.ts: convkit's engine in the browser. window.runEngineChecks() runs
 * every fast algorithm on WebAssembly SIMD against the direct loop, and conv2dAsync on Web Workers
 * against one thread, and returns plain numbers for the test to judge.
 */
import {
  conv2d,
  conv2dAsync,
  convGeometry,
  depthwiseConv2d,
  planConv2d,
  randomNormal,
  type Conv2dOptions,
} from '../../../src/index.js';
import { wasmEngine } from '../../../src/kernels/wasm/engine.js';
import { parallelEngine } from '../../../src/parallel/parallel_engine.js';

interface AlgorithmCheck {
  name: string;
  planned: string;
  kernel: string;
  relativeError: number;
}

export interface EngineChecks {
  crossOriginIsolated: boolean;
  wasmVariant: string;
  algorithms: AlgorithmCheck[];
  depthwiseError: number;
  async: { sameBits: boolean; workerCalls: number; relativeError: number };
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let [worst, scale] = [0, 0];
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length ? worst / scale : Infinity;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const [x, y] = [
    new Uint32Array(a.buffer, a.byteOffset, a.length),
    new Uint32Array(b.buffer, b.byteOffset, b.length),
  ];
  return x.length === y.length && x.every((bits, i) => bits === y[i]);
}

/** [name (algorithm first), input shape, filter shape, options]. */
const CASES: [string, number[], number[], Conv2dOptions][] = [
  ['igemm 3x3', [2, 17, 15, 6], [3, 3, 6, 10], { padding: 'SAME', algorithm: 'igemm' }],
  ['winograd 3x3', [1, 20, 20, 16], [3, 3, 16, 16], { padding: 'SAME', algorithm: 'winograd' }],
  ['winograd 5x5', [1, 18, 18, 12], [5, 5, 12, 8], { padding: 'VALID', algorithm: 'winograd' }],
  [
    'winograd 7x7 stride 2 (space-to-depth)',
    [1, 41, 38, 3],
    [7, 7, 3, 16],
    { strides: 2, algorithm: 'winograd' },
  ],
  ['fft 9x9', [1, 30, 30, 4], [9, 9, 4, 5], { padding: 'SAME', algorithm: 'fft' }],
];

async function runEngineChecks(): Promise<EngineChecks> {
  const algorithms = CASES.map(([name, input, filter, options]) => {
    const x = randomNormal(input, { seed: 1 });
    const w = randomNormal(filter, { seed: 2 });
    const plan = planConv2d(convGeometry('conv2d', input, filter, options), options.algorithm);
    const fast = conv2d(x, w, options);
    const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
    return {
      name,
      planned: plan.algorithm,
      kernel: plan.kernel ?? '',
      relativeError: relativeError(fast.data, reference.data),
    };
  });
  const dx = randomNormal([1, 21, 19, 24], { seed: 3 });
  const dw = randomNormal([3, 3, 24, 2], { seed: 4 });
  const depthwise = depthwiseConv2d(dx, dw, { strides: 2, padding: 'SAME' });
  const depthwiseReference = depthwiseConv2d(dx, dw, { strides: 2, padding: 'SAME', algorithm: 'direct' });
  const x = randomNormal([1, 48, 48, 32], { seed: 5 });
  const w = randomNormal([3, 3, 32, 32], { seed: 6 });
  const options: Conv2dOptions = { padding: 'SAME', algorithm: 'igemm' };
  const before =
    parallelEngine()
      ?.pool.callsRunByWorkers()
      .reduce((a, b) => a + b, 0) ?? 0;
  const pooled = await conv2dAsync(x, w, { ...options, threads: 2 });
  const after =
    parallelEngine()
      ?.pool.callsRunByWorkers()
      .reduce((a, b) => a + b, 0) ?? 0;
  const one = conv2d(x, w, { ...options, threads: 1 });
  const reference = conv2d(x, w, { padding: 'SAME', algorithm: 'direct' });
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    wasmVariant: wasmEngine()?.variant ?? 'none',
    algorithms,
    depthwiseError: relativeError(depthwise.data, depthwiseReference.data),
    async: {
      sameBits: sameBits(pooled.data, one.data),
      workerCalls: after - before,
      relativeError: relativeError(pooled.data, reference.data),
    },
  };
}

(window as unknown as { runEngineChecks: typeof runEngineChecks }).runEngineChecks = runEngineChecks;
