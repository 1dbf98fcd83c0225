/**
 * The gradients of conv2d on the fast engine (WebAssembly SIMD, the f32-igemm-4x8 kernel), with the
 * TypeScript GEMM versions (backprop_gemm.ts) as the fallback where WebAssembly SIMD is missing:
 *   input gradient:  an implicit GEMM over dy, a stride phase at a time (backprop_input_wasm.ts);
 *   filter gradient: patches^T x dY with the patches read in place (backprop_filter_wasm.ts).
 * Where a wasm plan's scratch would pass its limit (huge dilations), the TypeScript GEMM runs.
 */
import type { ConvGeometry } from '../geometry.js';
import { wasmEngine } from '../kernels/wasm/engine.js';
import { conv2dBackpropFilterGemm, conv2dBackpropInputGemm } from './backprop_gemm.js';
import {
  conv2dBackpropFilterWasm as filterOnEngine,
  filterGradientFitsWasm,
} from './backprop_filter_wasm.js';
import { conv2dBackpropInputWasm as inputOnEngine, inputGradientFitsWasm } from './backprop_input_wasm.js';

/** dL/dx for L = sum(conv2d(x, filter) * dy), in g.dataFormat; written into `out` when given (g's input size). */
export function conv2dBackpropInputWasm(
  g: ConvGeometry,
  filter: Float32Array,
  dy: Float32Array,
  out?: Float32Array,
): Float32Array {
  const engine = wasmEngine();
  if (engine && g.flops === 0)
    return out ? out.fill(0) : new Float32Array(g.batch * g.inHeight * g.inWidth * g.inChannels);
  // The engine reads dy with a zero border, and 0 * NaN or 0 * infinity is NaN where TensorFlow (dy x
  // filter^T, then col2im) adds nothing: a filter that is not all finite takes the GEMM path instead,
  // which adds only the products that land inside the input.
  if (!allFinite(filter)) return conv2dBackpropInputGemm(g, filter, dy);
  // A band that cannot fit wasm memory (a filter spread over thousands of rows) runs in JavaScript's.
  if (!engine || !inputGradientFitsWasm(g)) return conv2dBackpropInputGemm(g, filter, dy);
  return inputOnEngine(engine, g, filter, dy, undefined, out);
}

/** dL/dw for L = sum(conv2d(input, w) * dy): [filter_height, filter_width, in_channels, out_channels]. */
export function conv2dBackpropFilterWasm(
  g: ConvGeometry,
  input: Float32Array,
  dy: Float32Array,
): Float32Array {
  const engine = wasmEngine();
  if (engine && g.flops === 0) {
    return new Float32Array(g.filterHeight * g.filterWidth * g.filterInChannels * g.outChannels);
  }
  // A chunk that cannot fit wasm memory (a filter spread over thousands of rows) runs in JavaScript's.
  if (!engine || !filterGradientFitsWasm(g)) return conv2dBackpropFilterGemm(g, input, dy);
  return filterOnEngine(engine, g, input, dy);
}

/** Whether every value is finite (no NaN, no infinity). */
function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}
