/**
 * The page of test/web/runtime.test.ts: window.runRuntimeChecks(url) loads a TF.js Layers model over
 * HTTP (fetch) with loadLayersModel, predicts on a seeded input with predict and predictAsync, and
 * returns the outputs as plain numbers for the test to compare with Node's.
 */
import { loadLayersModel, randomNormal } from '../../../src/index.js';
import { wasmEngine } from '../../../src/kernels/wasm/engine.js';
import { parallelEngine } from '../../../src/parallel/parallel_engine.js';

export interface RuntimeChecks {
  wasmVariant: string;
  inputShape: (number | null)[];
  output: number[];
  asyncOutput: number[];
  /** predictAsync with threads: 2 (igemm on Web Workers), and the kernel calls the workers ran. */
  workersOutput: number[];
  workerCalls: number;
  summaryHasTable: boolean;
  missingError: string;
}

async function runRuntimeChecks(url: string): Promise<RuntimeChecks> {
  const model = await loadLayersModel(url);
  const shape = model.inputs[0].shape.slice(1) as number[];
  const x = randomNormal([2, ...shape], { seed: 7 });
  const output = Array.from(model.predict(x).data);
  const asyncOutput = Array.from((await model.predictAsync(x)).data);
  const calls = () =>
    parallelEngine()
      ?.pool.callsRunByWorkers()
      .reduce((a, b) => a + b, 0) ?? 0;
  const before = calls();
  const workersOutput = Array.from((await model.predictAsync(x, { threads: 2 })).data);
  const workerCalls = calls() - before;
  let missingError = '';
  try {
    await loadLayersModel(new URL('missing/model.json', location.href).href);
  } catch (error) {
    missingError = (error as Error).message;
  }
  return {
    wasmVariant: wasmEngine()?.variant ?? 'none',
    inputShape: model.inputs[0].shape,
    output,
    asyncOutput,
    workersOutput,
    workerCalls,
    summaryHasTable: model.summary().includes('Layer (type)'),
    missingError,
  };
}

(window as unknown as { runRuntimeChecks: typeof runRuntimeChecks }).runRuntimeChecks = runRuntimeChecks;
