/// <reference types="@webgpu/types" preserve="true" />
/**
 * Finding a WebGPU device: navigator.gpu in browsers (and wherever a host has set it), the `webgpu`
 * package (Dawn) in Node. The package is loaded lazily through a computed specifier, so no bundler
 * pulls it into a browser build. A failure is a WebGPUUnavailableError that says what is missing.
 */
import { WebGPUUnavailableError, invalid, show } from '../errors.js';
import { GPU_LIMIT_NAMES, type GpuLimits } from './buffers.js';

export interface WebGPUOptions {
  /** Passed to requestAdapter. */
  powerPreference?: 'low-power' | 'high-performance';
  /** A GPU object to use instead of navigator.gpu or the `webgpu` package. */
  gpu?: GPU;
  /**
   * Lower limits to plan and check buffers against than the device's own (to reproduce a smaller
   * device's plans and refusals): maxStorageBufferBindingSize, maxBufferSize,
   * maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize, maxComputeWorkgroupsPerDimension.
   */
  limits?: Partial<GpuLimits>;
}

export interface AcquiredDevice {
  device: GPUDevice;
  /** The device's limits, lowered where options.limits asked. */
  limits: GpuLimits;
  adapterName: string;
  /** Kept referenced for the device's lifetime: Dawn aborts if its GPU object is collected first. */
  gpu: GPU;
}

const OP = 'webgpu';

/** The `webgpu` package's GPU object: one per process, never released (see AcquiredDevice.gpu). */
let nodeGpu: GPU | undefined;

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

async function nodeWebGPU(): Promise<GPU> {
  if (nodeGpu) return nodeGpu;
  const specifier = 'webgpu';
  let mod: { create(options: string[]): GPU };
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as typeof mod;
  } catch (error) {
    throw new WebGPUUnavailableError(
      `${OP}: Node has no navigator.gpu and the \`webgpu\` package (Dawn) could not be loaded ` +
        `(${(error as Error).message.split('\n')[0]}); install it with \`npm install webgpu\``,
    );
  }
  nodeGpu = mod.create([]);
  return nodeGpu;
}

async function findGpu(options: WebGPUOptions): Promise<GPU> {
  if (options.gpu !== undefined) return options.gpu;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (isNode()) return nodeWebGPU();
  throw new WebGPUUnavailableError(
    `${OP}: this browser has no navigator.gpu (WebGPU is missing or disabled; it needs a secure ` +
      `context, https or localhost, and a browser that ships it, or Chromium's --enable-unsafe-webgpu)`,
  );
}

/** The limits a convolution backend wants raised to what the adapter allows. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
] as const;

function checkOptions(options: unknown): WebGPUOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    invalid(OP, 'options', `must be an object { powerPreference?, gpu?, limits? }, got ${show(options)}`);
  }
  const opts = options as WebGPUOptions;
  for (const key of Object.keys(opts)) {
    if (key !== 'powerPreference' && key !== 'gpu' && key !== 'limits') {
      invalid(OP, 'options', `has unknown option ${show(key)}; known options: powerPreference, gpu, limits`);
    }
  }
  if (opts.limits !== undefined) {
    if (opts.limits === null || typeof opts.limits !== 'object') {
      invalid(OP, 'limits', `must be an object of limits, got ${show(opts.limits)}`);
    }
    for (const [name, value] of Object.entries(opts.limits)) {
      if (!(GPU_LIMIT_NAMES as readonly string[]).includes(name)) {
        invalid(OP, 'limits', `has unknown limit ${show(name)}; known limits: ${GPU_LIMIT_NAMES.join(', ')}`);
      }
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
        invalid(OP, 'limits', `${name} must be an integer >= 1, got ${show(value)}`);
      }
    }
  }
  const pref = opts.powerPreference;
  if (pref !== undefined && pref !== 'low-power' && pref !== 'high-performance') {
    invalid(OP, 'powerPreference', `must be "low-power" or "high-performance", got ${show(pref)}`);
  }
  return opts;
}

/** An adapter's name for reports: description, else vendor and architecture, else "unknown adapter". */
function adapterNameOf(adapter: GPUAdapter): string {
  // `info` is newer than the GPUAdapter typings installed here.
  const info = (adapter as { info?: Partial<GPUAdapterInfo> }).info;
  const parts = [info?.description, info?.vendor, info?.architecture, info?.device].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  return parts.length > 0 ? [...new Set(parts)].join(' / ') : 'unknown adapter';
}

export async function acquireDevice(options?: WebGPUOptions): Promise<AcquiredDevice> {
  const opts = checkOptions(options);
  const gpu = await findGpu(opts);
  const adapter = await gpu.requestAdapter(
    opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined,
  );
  if (!adapter) {
    const hint = isNode()
      ? ' (Node with Dawn needs a Vulkan, Metal or D3D12 driver; without a GPU, SwiftShader: start node ' +
        'with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)'
      : ' (the browser has WebGPU but found no usable GPU; it may be blocklisted)';
    throw new WebGPUUnavailableError(`${OP}: requestAdapter() found no adapter${hint}`);
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (error) {
    throw new WebGPUUnavailableError(
      `${OP}: the adapter "${adapterNameOf(adapter)}" refused a device (${(error as Error).message})`,
    );
  }
  const limits = {} as GpuLimits;
  for (const name of GPU_LIMIT_NAMES)
    limits[name] = Math.min(device.limits[name], opts.limits?.[name] ?? Infinity);
  return { device, limits: Object.freeze(limits), adapterName: adapterNameOf(adapter), gpu };
}
