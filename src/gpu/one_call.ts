/**
 * One-call GPU convolution for conv2dAsync(x, w, { backend: 'webgpu' }): upload, compute, read back,
 * free. The calls share one backend, made on first use (and again if its device was lost). Nothing is
 * cached between calls: a host filter's values may change between them, and uploading it is cheap
 * next to the convolution.
 */
import { invalid, show } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Conv2dOptions } from '../ops/conv2d.js';
import { webgpu, type WebGPUBackend } from './backend.js';
import { GPU_CONV2D_KERNELS, type GpuConv2dKernel } from './planner.js';

let shared: Promise<WebGPUBackend> | undefined;

/** The backend conv2dAsync's GPU calls share. */
export async function sharedWebGPU(): Promise<WebGPUBackend> {
  if (shared) {
    const backend = await shared.catch(() => undefined);
    if (backend && !backend.lost) return backend;
  }
  shared = webgpu();
  return shared;
}

/** conv2d of arguments conv2dAsync has validated, on the shared GPU backend. */
export async function conv2dOnWebGPU(
  op: string,
  input: Tensor,
  filter: Tensor,
  options: Conv2dOptions,
): Promise<Tensor> {
  const algorithm = options.algorithm ?? 'auto';
  if (algorithm !== 'auto' && !(GPU_CONV2D_KERNELS as readonly string[]).includes(algorithm)) {
    invalid(
      op,
      'algorithm',
      `with backend 'webgpu' must be 'auto', ${GPU_CONV2D_KERNELS.map((k) => `'${k}'`).join(' or ')}; ` +
        `got ${show(algorithm)}`,
    );
  }
  const gpu = await sharedWebGPU();
  const x = gpu.upload(input);
  const w = gpu.upload(filter);
  try {
    const { strides, padding, dataFormat, dilations, precision } = options;
    const y = gpu.conv2d(x, w, {
      strides,
      padding,
      dataFormat,
      dilations,
      precision,
      algorithm: algorithm as GpuConv2dKernel | 'auto',
    });
    try {
      return await y.read();
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
    w.dispose();
  }
}
