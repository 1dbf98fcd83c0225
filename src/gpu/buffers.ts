/// <reference types="@webgpu/types" preserve="true" />
/**
 * Buffers and their limits. Every buffer an op needs is sized and checked against the device's
 * maxBufferSize and maxStorageBufferBindingSize before anything is created or dispatched, so an op that
 * cannot run fails with a ResourceExhaustedError and leaves nothing half done.
 */
import { ResourceExhaustedError, show } from '../errors.js';

/** GPUBufferUsage / GPUMapMode values (the spec's numbers: Node has no such globals without Dawn's). */
export const USAGE = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;
export const MAP_READ = 0x1;

/** The device limits the backend reads: the device's own, or lower ones asked for in webgpu(options). */
export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

export const GPU_LIMIT_NAMES: readonly (keyof GpuLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
];

/** Bytes of float32 data for `elements` values; a buffer is never smaller than 16 bytes (a vec4). */
export function bufferBytes(elements: number): number {
  return Math.max(16, Math.ceil((elements * 4) / 16) * 16);
}

/** The byte limit one storage binding (and so one tensor) may have on this device. */
export function storageLimit(limits: GpuLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/**
 * Refuses a buffer of `elements` float32 values (named `what`, of shape `shape`) that this device
 * cannot bind: ResourceExhaustedError naming the op, the size and the limit.
 */
export function checkBufferSize(
  limits: GpuLimits,
  op: string,
  what: string,
  shape: readonly number[],
  elements: number,
): void {
  const bytes = elements * 4;
  const limit = storageLimit(limits);
  if (bytes > limit) {
    const which =
      limits.maxStorageBufferBindingSize <= limits.maxBufferSize
        ? 'maxStorageBufferBindingSize'
        : 'maxBufferSize';
    throw new ResourceExhaustedError(
      `${op}: ${what} of shape ${show(shape)} needs ${bytes} bytes on the GPU, more than this device's ` +
        `${which} (${limit} bytes); split the batch or use the CPU ops`,
    );
  }
}

export function createStorage(device: GPUDevice, elements: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: bufferBytes(elements),
    usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
  });
}

/**
 * A kernel's uniform block: i32 fields in a fixed order. `wgsl` declares `struct Params`; `pack`
 * writes the values in the same order, so the shader and the host cannot disagree.
 */
export class ParamsLayout<Name extends string> {
  readonly wgsl: string;
  constructor(readonly names: readonly Name[]) {
    this.wgsl = `struct Params {\n${names.map((n) => `  ${n}: i32,`).join('\n')}\n}`;
  }
  pack(values: Record<Name, number>): Int32Array<ArrayBuffer> {
    const data = new Int32Array(Math.ceil(this.names.length / 4) * 4);
    this.names.forEach((n, i) => {
      const v = values[n];
      if (!Number.isSafeInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
        throw new RangeError(`kernel parameter ${n} = ${v} does not fit an i32`);
      }
      data[i] = v;
    });
    return data;
  }
}

export function uniformBuffer(device: GPUDevice, data: Int32Array<ArrayBuffer>): GPUBuffer {
  const buffer = device.createBuffer({ size: data.byteLength, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/**
 * Workgroup counts for `invocations` one-dimensional work items in workgroups of `size`, folded into
 * two dimensions when one would pass maxComputeWorkgroupsPerDimension. Kernels rebuild the linear
 * index as gid.x + gid.y * num_workgroups.x * size (see linearIndex).
 */
export function linearDispatch(
  limits: GpuLimits,
  invocations: number,
  size: number,
): [number, number, number] {
  const groups = Math.ceil(invocations / size);
  if (groups === 0) return [0, 1, 1];
  const perDim = limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(groups, perDim);
  const y = Math.ceil(groups / x);
  if (y > perDim) {
    throw new ResourceExhaustedError(
      `webgpu: ${invocations} work items need ${groups} workgroups, more than ${perDim}^2 can be dispatched`,
    );
  }
  return [x, y, 1];
}

/** WGSL: the linear invocation index of a linearDispatch kernel with workgroup size `size`. */
export function linearIndex(size: number): string {
  return `i32(gid.x + gid.y * nwg.x * ${size}u)`;
}
