/**
 * MaxPooling2D (Keras): the maximum of each pool window, per channel, on NHWC batches. Window placement
 * and SAME padding follow TensorFlow's rules (read from src/geometry.ts); cells on padding never win.
 * Backward sends each output's gradient to the input cell that held the maximum (the first one on ties).
 */
import { patchesGeometry, type WindowGeometry } from '../geometry.js';
import { invalid, show } from '../errors.js';
import { Tensor } from '../tensor.js';
import {
  baseConfig,
  checkBatchShape,
  layerPadding,
  optionalName,
  spatialInts,
  type LayerPadding,
} from './args.js';
import type { KerasLayerConfig, Layer, Parameter } from './layer.js';
import { scratchFloats, zeroedFloats } from './workspace.js';

export interface MaxPooling2DOptions {
  poolSize?: number | [number, number];
  /** Defaults to poolSize, as in Keras. */
  strides?: number | [number, number];
  padding?: LayerPadding;
  name?: string;
}

export class MaxPooling2D implements Layer {
  readonly className = 'MaxPooling2D';
  name: string;
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: LayerPadding;
  private inputShape: readonly number[] | null = null;
  private lastInputShape: readonly number[] | null = null;
  /** For each output of the last training pass, the flat index of the input cell that won. */
  private lastArgmax: Int32Array | null = null;

  constructor(options: MaxPooling2DOptions = {}) {
    const op = 'MaxPooling2D';
    if (options === null || typeof options !== 'object')
      invalid(op, 'options', `must be an object, got ${show(options)}`);
    this.poolSize = spatialInts(op, 'poolSize', options.poolSize, [2, 2]);
    this.strides = spatialInts(op, 'strides', options.strides, this.poolSize);
    this.padding = layerPadding(op, options.padding);
    this.name = optionalName(op, options.name);
  }

  private window(batchShape: readonly number[]): WindowGeometry {
    return patchesGeometry(`MaxPooling2D '${this.name}'`, batchShape, {
      sizes: [1, this.poolSize[0], this.poolSize[1], 1],
      strides: [1, this.strides[0], this.strides[1], 1],
      rates: [1, 1, 1, 1],
      padding: this.padding === 'same' ? 'SAME' : 'VALID',
    });
  }

  build(inputShape: readonly number[]): readonly number[] {
    if (inputShape.length !== 3) {
      invalid(
        `MaxPooling2D '${this.name}'`,
        'input',
        `must be [batch, height, width, channels], got ${show([null, ...inputShape])}`,
      );
    }
    const g = this.window([1, ...inputShape]);
    if (g.outHeight === 0 || g.outWidth === 0) {
      invalid(
        `MaxPooling2D '${this.name}'`,
        'poolSize',
        `${show(this.poolSize)} does not fit the input ${show(inputShape.slice(0, 2))} with 'valid' padding`,
      );
    }
    this.inputShape = [...inputShape];
    return [g.outHeight, g.outWidth, inputShape[2]];
  }

  parameters(): Parameter[] {
    return [];
  }

  forward(x: Tensor, training: boolean): Tensor {
    checkBatchShape(this, x, this.inputShape);
    const g = this.window(x.shape);
    const size = g.batch * g.outHeight * g.outWidth * g.inChannels;
    const out = scratchFloats(size);
    const argmaxFloats = scratchFloats(size);
    const argmax = new Int32Array(argmaxFloats.buffer, argmaxFloats.byteOffset, size);
    poolMax(g, x.data, out, argmax);
    if (training) {
      this.lastInputShape = x.shape;
      this.lastArgmax = argmax;
    }
    return new Tensor(out, [g.batch, g.outHeight, g.outWidth, g.inChannels]);
  }

  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    if (!this.lastArgmax || !this.lastInputShape) {
      invalid(
        `MaxPooling2D '${this.name}'`,
        'backward',
        'needs a training forward pass (forward(x, true)) first',
      );
    }
    if (!needInputGradient) return null;
    const shape = this.lastInputShape;
    let size = 1;
    for (const d of shape) size *= d;
    const dx = zeroedFloats(size);
    const argmax = this.lastArgmax;
    const grad = dy.data;
    for (let i = 0; i < argmax.length; i++) {
      // -1: a window that lies wholly on padding has no cell to send its gradient to.
      if (argmax[i] >= 0) dx[argmax[i]] += grad[i];
    }
    return new Tensor(dx, shape);
  }

  kerasConfig(): KerasLayerConfig {
    return {
      ...baseConfig(this.name),
      pool_size: [...this.poolSize],
      padding: this.padding,
      strides: [...this.strides],
      data_format: 'channels_last',
    };
  }
}

/**
 * The maximum of each window, per channel, and the flat input index of the cell that held it (the
 * first in row-major window order on ties: a later cell wins only when strictly greater, so NaN never
 * replaces a number). The loops run over the channels innermost, reading the input in order.
 */
function poolMax(g: WindowGeometry, src: Float32Array, out: Float32Array, argmax: Int32Array): void {
  const channels = g.inChannels;
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, padTop, padLeft } = g;
  const rowFloats = inWidth * channels;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const image = b * inHeight * rowFloats;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = Math.max(0, oy * strideHeight - padTop);
      const y1 = Math.min(inHeight, oy * strideHeight - padTop + g.filterHeight);
      for (let ox = 0; ox < outWidth; ox++, o += channels) {
        const x0 = Math.max(0, ox * strideWidth - padLeft);
        const x1 = Math.min(inWidth, ox * strideWidth - padLeft + g.filterWidth);
        if (y0 >= y1 || x0 >= x1) {
          out.fill(-Infinity, o, o + channels);
          argmax.fill(-1, o, o + channels);
          continue;
        }
        const first = image + y0 * rowFloats + x0 * channels;
        for (let c = 0; c < channels; c++) {
          out[o + c] = src[first + c];
          argmax[o + c] = first + c;
        }
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = iy === y0 ? x0 + 1 : x0; ix < x1; ix++) {
            const at = image + iy * rowFloats + ix * channels;
            for (let c = 0; c < channels; c++) {
              const v = src[at + c];
              if (v > out[o + c]) {
                out[o + c] = v;
                argmax[o + c] = at + c;
              }
            }
          }
        }
      }
    }
  }
}
