/// <reference types="@webgpu/types" preserve="true" />
/**
 * GpuTensor: float32 values in a GPU storage buffer, row-major like Tensor, with an immutable shape.
 * Ops take GpuTensors and return new ones without waiting for the GPU; `read()` is the only way back to
 * the host. Once uploaded a GpuTensor's values never change, so data derived from it (a packed filter)
 * is cached on the tensor itself and freed with it.
 */
import { ConvkitError, invalid, show } from '../errors.js';
import { Tensor, sizeOf } from '../tensor.js';
import { MAP_READ, USAGE, bufferBytes } from './buffers.js';
import type { GpuContext } from './context.js';

/** A buffer computed from a tensor's values, and the work that fills it. */
export interface DerivedBuffer {
  buffer: GPUBuffer;
  ready: Promise<void>;
}

export class GpuTensor {
  readonly shape: readonly number[];
  readonly #context: GpuContext;
  #buffer: GPUBuffer | undefined;
  /** Resolves once the work that fills the buffer was accepted by the GPU; rejects if it was not. */
  readonly #ready: Promise<void>;
  /** Buffers derived from these values (packed filters), keyed by their layout; freed on dispose. */
  readonly #derived = new Map<string, DerivedBuffer>();

  /** Internal: ops and upload make these. */
  constructor(context: GpuContext, buffer: GPUBuffer, shape: readonly number[], ready: Promise<void>) {
    this.#context = context;
    this.#buffer = buffer;
    this.shape = Object.freeze([...shape]);
    this.#ready = ready;
    ready.catch(() => undefined); // a failure is reported by read(), not as an unhandled rejection
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get disposed(): boolean {
    return this.#buffer === undefined;
  }

  /** Internal: the context that owns the buffer. */
  get context(): GpuContext {
    return this.#context;
  }

  /** Internal: the buffer, for an op that reads it (checked: not disposed, device alive). */
  bufferFor(op: string, arg: string): GPUBuffer {
    if (this.#buffer === undefined) {
      invalid(
        op,
        arg,
        `is a GpuTensor of shape ${show(this.shape)} that was disposed; it can no longer be used`,
      );
    }
    this.#context.checkAlive(op);
    return this.#buffer;
  }

  /** Internal: the work that fills this tensor, for ops whose outputs depend on it. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Internal: a buffer derived from this tensor's values, made once per `key`. */
  derived(key: string, make: () => DerivedBuffer): DerivedBuffer {
    let buffer = this.#derived.get(key);
    if (!buffer) {
      buffer = make();
      this.#derived.set(key, buffer);
    }
    return buffer;
  }

  /**
   * Copies the values back into a Tensor. Rejects (never resolves with partial data) if the tensor was
   * disposed, if the work that computes it failed, or if the device is lost before the copy completes.
   */
  async read(): Promise<Tensor> {
    const op = 'GpuTensor.read';
    const source = this.bufferFor(op, 'tensor');
    const context = this.#context;
    const { device } = context;
    const count = this.size;
    const staging = device.createBuffer({ size: bufferBytes(count), usage: USAGE.MAP_READ | USAGE.COPY_DST });
    try {
      const encoder = device.createCommandEncoder({ label: op });
      encoder.copyBufferToBuffer(source, 0, staging, 0, bufferBytes(count));
      device.queue.submit([encoder.finish()]);
      await Promise.race([Promise.all([this.#ready, staging.mapAsync(MAP_READ)]), context.lost]);
      context.checkAlive(op);
      const data = new Float32Array(count);
      data.set(new Float32Array(staging.getMappedRange(), 0, count));
      staging.unmap();
      return new Tensor(data, this.shape);
    } catch (error) {
      // The failed work's own error (ConvkitError), or a map aborted because the device went away.
      if (!(error instanceof ConvkitError) && (await context.lostAfterFailure())) throw context.lostError(op);
      if (context.isLost) throw context.lostError(op);
      throw error;
    } finally {
      if (!context.isLost) staging.destroy();
    }
  }

  /** Frees the GPU memory. Any later use (as an op's argument, or read) is an InvalidArgumentError. */
  dispose(): void {
    if (this.#buffer === undefined) return;
    this.#buffer.destroy();
    this.#buffer = undefined;
    for (const d of this.#derived.values()) d.buffer.destroy();
    this.#derived.clear();
  }

  toString(): string {
    return `GpuTensor(shape ${show(this.shape)}${this.disposed ? ', disposed' : ''})`;
  }
}
