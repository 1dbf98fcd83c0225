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
    const channels = g.inChannels;
    const out = new Float32Array(g.batch * g.outHeight * g.outWidth * channels);
    const argmax = new Int32Array(out.length);
    const src = x.data;
    let o = 0;
    for (let b = 0; b < g.batch; b++) {
      const image = b * g.inHeight * g.inWidth * channels;
      for (let oy = 0; oy < g.outHeight; oy++) {
        const y0 = Math.max(0, oy * g.strideHeight - g.padTop);
        const y1 = Math.min(g.inHeight, oy * g.strideHeight - g.padTop + g.filterHeight);
        for (let ox = 0; ox < g.outWidth; ox++) {
          const x0 = Math.max(0, ox * g.strideWidth - g.padLeft);
          const x1 = Math.min(g.inWidth, ox * g.strideWidth - g.padLeft + g.filterWidth);
          for (let c = 0; c < channels; c++, o++) {
            let best = -Infinity;
            let bestAt = -1;
            for (let iy = y0; iy < y1; iy++) {
              for (let ix = x0; ix < x1; ix++) {
                const at = image + (iy * g.inWidth + ix) * channels + c;
                // The first cell always counts, so a window of -Infinity still picks a cell.
                if (bestAt < 0 || src[at] > best) {
                  best = src[at];
                  bestAt = at;
                }
              }
            }
            out[o] = best;
            argmax[o] = bestAt;
          }
        }
      }
    }
    if (training) {
      this.lastInputShape = x.shape;
      this.lastArgmax = argmax;
    }
    return new Tensor(out, [g.batch, g.outHeight, g.outWidth, channels]);
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
    const dx = new Float32Array(size);
    const argmax = this.lastArgmax;
    for (let i = 0; i < argmax.length; i++) dx[argmax[i]] += dy.data[i];
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
