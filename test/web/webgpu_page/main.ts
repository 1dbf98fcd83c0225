/**
 * The page of test/web/webgpu.test.ts: convkit's WebGPU backend on navigator.gpu. window.runWebGPUChecks()
 * runs each GPU op against the CPU op and returns plain numbers for the test to judge.
 */
import {
  conv2d,
  conv2dAsync,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  depthwiseConv2d,
  randomNormal,
  tensor,
  webgpu,
} from '../../../src/index.js';

export interface WebGPUChecks {
  hasNavigatorGpu: boolean;
  adapterName: string;
  /** Relative error (max |gpu - cpu| / max |cpu|) of each op, by name. */
  errors: Record<string, number>;
  /** TensorFlow's Conv2DTest.testConv2D2x2Filter (inputs 1..N) on the GPU, by kernel. */
  tfLiteral: Record<string, number[]>;
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let [worst, scale] = [0, 0];
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length && b.length > 0 ? worst / scale : Infinity;
}

async function runWebGPUChecks(): Promise<WebGPUChecks> {
  const gpu = await webgpu();
  const x = randomNormal([2, 9, 10, 8], { seed: 1 });
  const w = randomNormal([3, 3, 8, 12], { seed: 2 });
  const options = { padding: 'SAME' as const, strides: [2, 1] };
  const gx = gpu.upload(x);
  const gw = gpu.upload(w);
  const errors: Record<string, number> = {};
  const reference = conv2d(x, w, { ...options, algorithm: 'direct' });
  for (const algorithm of ['direct', 'igemm'] as const) {
    const y = await gpu.conv2d(gx, gw, { ...options, algorithm }).read();
    errors[`conv2d ${algorithm}`] = relativeError(y.data, reference.data);
  }
  const dw = randomNormal([3, 3, 8, 1], { seed: 3 });
  const depthwise = await gpu.depthwiseConv2d(gx, gpu.upload(dw), options).read();
  errors.depthwiseConv2d = relativeError(depthwise.data, depthwiseConv2d(x, dw, options).data);
  const dy = randomNormal(reference.shape as number[], { seed: 4 });
  const gdy = gpu.upload(dy);
  const dx = await gpu.conv2dBackpropInput(x.shape as number[], gw, gdy, options).read();
  errors.conv2dBackpropInput = relativeError(
    dx.data,
    conv2dBackpropInput(x.shape as number[], w, dy, options).data,
  );
  const dw2 = await gpu.conv2dBackpropFilter(gx, w.shape as number[], gdy, options).read();
  errors.conv2dBackpropFilter = relativeError(
    dw2.data,
    conv2dBackpropFilter(x, w.shape as number[], dy, options).data,
  );
  const tfLiteral: Record<string, number[]> = {};
  const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const tfX = gpu.upload(tensor(oneToN(18), [1, 2, 3, 3]));
  const tfW = gpu.upload(tensor(oneToN(36), [2, 2, 3, 3]));
  for (const algorithm of ['direct', 'igemm'] as const) {
    tfLiteral[algorithm] = Array.from((await gpu.conv2d(tfX, tfW, { algorithm }).read()).data);
  }
  const viaAsync = await conv2dAsync(x, w, { ...options, backend: 'webgpu' });
  errors["conv2dAsync backend 'webgpu'"] = relativeError(viaAsync.data, reference.data);
  gpu.dispose();
  return { hasNavigatorGpu: 'gpu' in navigator, adapterName: gpu.adapterName, errors, tfLiteral };
}

(window as unknown as { runWebGPUChecks: typeof runWebGPUChecks }).runWebGPUChecks = runWebGPUChecks;
