/// <reference types="@webgpu/types" preserve="true" />
/**
 * One device's state: compiled pipelines (one per WGSL source, compiled on first use), whether the
 * device is lost, and `submit`, the one way work reaches the queue. Each submission runs inside
 * validation and out-of-memory error scopes; the promise it returns rejects if the GPU refused the
 * work, and the output tensors wait on it before they can be read.
 */
import { ConvkitError, ResourceExhaustedError, WebGPUDeviceLostError } from '../errors.js';
import { uniformBuffer, type GpuLimits } from './buffers.js';
import type { AcquiredDevice } from './device.js';

/** One compute pass: a kernel, its storage buffers (bindings 0..n-1) and uniform block (binding n). */
export interface KernelCall {
  /** What the pass computes, for error messages and GPU debuggers. */
  label: string;
  wgsl: string;
  storage: GPUBuffer[];
  params: Int32Array<ArrayBuffer>;
  workgroups: [number, number, number];
}

export class GpuContext {
  readonly device: GPUDevice;
  /** What plans and buffer checks read (see AcquiredDevice.limits). */
  readonly limits: GpuLimits;
  readonly adapterName: string;
  /** Referenced for the device's lifetime (see AcquiredDevice.gpu). */
  readonly gpu: GPU;
  #lostMessage: string | undefined;
  /** Rejects with WebGPUDeviceLostError once the device is lost; never resolves. */
  readonly lost: Promise<never>;
  readonly #pipelines = new Map<string, GPUComputePipeline>();

  constructor({ device, limits, adapterName, gpu }: AcquiredDevice) {
    this.device = device;
    this.limits = limits;
    this.adapterName = adapterName;
    this.gpu = gpu;
    this.lost = device.lost.then((info) => {
      this.#lostMessage ??= `${info.reason === 'destroyed' ? 'destroyed' : 'lost'}: ${info.message}`;
      throw this.lostError('webgpu');
    });
    this.lost.catch(() => undefined); // observed by whoever races it; never an unhandled rejection
  }

  get isLost(): boolean {
    return this.#lostMessage !== undefined;
  }

  lostError(op: string): WebGPUDeviceLostError {
    return new WebGPUDeviceLostError(
      `${op}: the GPU device was ${this.#lostMessage ?? 'lost'}; its tensors are gone (upload the data to a new ` +
        `backend from webgpu())`,
    );
  }

  /** Destroys the device; from now on every op and read is a WebGPUDeviceLostError. */
  destroy(): void {
    this.#lostMessage ??= 'destroyed: the backend was disposed';
    this.device.destroy();
  }

  /**
   * After a GPU call failed: whether the device is lost. A loss is reported through device.lost, which
   * may settle a moment after the failed call (a mapAsync aborted by the loss), so this waits briefly.
   */
  async lostAfterFailure(): Promise<boolean> {
    if (!this.isLost) {
      await Promise.race([this.lost.catch(() => undefined), new Promise((r) => setTimeout(r, 100))]);
    }
    return this.isLost;
  }

  checkAlive(op: string): void {
    if (this.isLost) throw this.lostError(op);
  }

  pipeline(wgsl: string, label: string): GPUComputePipeline {
    let pipeline = this.#pipelines.get(wgsl);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code: wgsl, label });
      pipeline = this.device.createComputePipeline({
        label,
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      this.#pipelines.set(wgsl, pipeline);
    }
    return pipeline;
  }

  /**
   * Encodes `calls` as compute passes in order, submits them, and returns a promise that rejects if
   * the device reported an error for them (the message names the op). Uniform buffers are destroyed
   * once the work is done.
   */
  submit(op: string, calls: KernelCall[], after?: (encoder: GPUCommandEncoder) => void): Promise<void> {
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: op });
    const uniforms: GPUBuffer[] = [];
    for (const call of calls) {
      const pipeline = this.pipeline(call.wgsl, call.label);
      const params = uniformBuffer(device, call.params);
      uniforms.push(params);
      const entries: GPUBindGroupEntry[] = call.storage.map((buffer, binding) => ({
        binding,
        resource: { buffer },
      }));
      entries.push({ binding: call.storage.length, resource: { buffer: params } });
      const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
      const pass = encoder.beginComputePass({ label: call.label });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...call.workgroups);
      pass.end();
    }
    after?.(encoder);
    device.queue.submit([encoder.finish()]);
    const validation = device.popErrorScope();
    const memory = device.popErrorScope();
    const done = Promise.all([validation, memory]).then(([invalid, oom]) => {
      for (const u of uniforms) u.destroy();
      if (oom) throw new ResourceExhaustedError(`${op}: the GPU ran out of memory: ${oom.message}`);
      if (invalid)
        throw new ConvkitError(`${op}: the GPU refused the work (a convkit bug): ${invalid.message}`);
    });
    done.catch(() => undefined); // read() reports it
    return done;
  }
}
