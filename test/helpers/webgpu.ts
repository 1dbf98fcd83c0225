/**
 * The WebGPU backend for the GPU tests: one per test process (shader pipelines are compiled once per
 * device, and SwiftShader's first compiles take seconds). scripts/run-tests.mjs starts the tests with
 * Chromium's SwiftShader Vulkan driver where no other is configured, so these run without a GPU.
 */
import { webgpu, type GpuTensor, type Tensor, type WebGPUBackend } from '../../src/index.js';
import { assertCloseToScale } from './assert_close.js';

let backend: Promise<WebGPUBackend> | undefined;

export function sharedBackend(): Promise<WebGPUBackend> {
  backend ??= webgpu();
  return backend;
}

/** The bound for direct and implicit-GEMM kernels: 1e-5 of the output's scale. */
export const GPU_TOLERANCE = 1e-5;

/** Reads `actual` back and checks it against a CPU result: same shape, values within `rel` of its scale. */
export async function assertGpuMatches(
  actual: GpuTensor,
  expected: Tensor,
  label: string,
  rel = GPU_TOLERANCE,
): Promise<void> {
  const host = await actual.read();
  if (JSON.stringify(host.shape) !== JSON.stringify(expected.shape)) {
    throw new Error(
      `${label}: shape ${JSON.stringify(host.shape)}, expected ${JSON.stringify(expected.shape)}`,
    );
  }
  assertCloseToScale(host.data, expected.data, rel, label);
}
