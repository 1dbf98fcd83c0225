/** convkit: TensorFlow's tf.nn.conv2d in TypeScript. Public API (names fixed by DESIGN.md). */
export { Tensor, tensor, zeros, randomNormal, MAX_TENSOR_ELEMENTS, type NestedArray } from './tensor.js';
export {
  ConvkitError,
  InvalidArgumentError,
  ResourceExhaustedError,
  WebGPUUnavailableError,
  WebGPUDeviceLostError,
  UnsupportedModelError,
} from './errors.js';
export {
  convGeometry,
  patchesGeometry,
  type ConvGeometry,
  type ConvOptions,
  type DataFormat,
  type PaddingSpec,
  type PatchesOptions,
  type WindowGeometry,
} from './geometry.js';
export { conv2d, nn, type Conv2dOptions } from './ops/conv2d.js';
export { conv2dAsync, type Conv2dAsyncOptions } from './parallel/conv2d_async.js';
export {
  depthwiseConv2d,
  DEPTHWISE_ALGORITHMS,
  type DepthwiseAlgorithm,
  type DepthwiseConv2dOptions,
} from './ops/depthwise_conv2d.js';
export { extractImagePatches } from './ops/extract_image_patches.js';
export { squeeze } from './ops/squeeze.js';
export { transpose } from './ops/transpose.js';
export { multiply } from './ops/multiply.js';
export { reduceSum } from './ops/reduce_sum.js';
export { concat } from './ops/concat.js';
export {
  planConv2d,
  CONV2D_ALGORITHMS,
  type Conv2dAlgorithm,
  type AlgorithmChoice,
  type Conv2dPlan,
  type PlanOptions,
} from './plan/planner.js';
export { PRECISIONS, accuracyOf, type Precision, type Accuracy } from './plan/accuracy.js';
export { conv2dBackpropInput, type GradientOptions } from './ops/conv2d_backprop_input.js';
export { conv2dBackpropFilter } from './ops/conv2d_backprop_filter.js';
export { conv2dTranspose } from './ops/conv2d_transpose.js';
export { explainConv2d } from './explain/explain.js';
// The WebGPU backend (the `webgpu` package is loaded lazily, in Node only).
export {
  webgpu,
  WebGPUBackend,
  type GpuConv2dOptions,
  type GpuDepthwiseConv2dOptions,
  type GpuGradientOptions,
  type GpuFilterGradientOptions,
} from './gpu/backend.js';
export { GpuTensor } from './gpu/gpu_tensor.js';
export type { WebGPUOptions } from './gpu/device.js';
export {
  planGpuConv2d,
  GPU_CONV2D_KERNELS,
  type GpuConvPlan,
  type GpuConv2dKernel,
  type GpuDepthwiseKernel,
} from './gpu/planner.js';
export type {
  Conv2dExplanation,
  ExplainOptions,
  AxisMeaning,
  OutputSizeDerivation,
  PaddingExplanation,
  CentreMap,
  Im2colSteps,
  ProductTerm,
  OutputBreakdown,
} from './explain/types.js';
// Training stack: Keras-style layers, a Sequential model, optimizers, a training loop, TF.js Layers artifacts.
export * as layers from './layers/index.js';
export { Sequential, type SequentialOptions } from './layers/sequential.js';
export { SGD, Adam, type Optimizer } from './train/optimizers.js';
export { fit, evaluate, type FitOptions, type FitResult } from './train/fit.js';
export type { LabeledData } from './train/dataset.js';
export { toTfjsArtifacts, fromTfjsArtifacts, type LayersModelArtifacts } from './io/tfjs_layers.js';
// Whole networks: TF.js Layers models (Sequential and functional) on convkit's ops.
export {
  loadLayersModel,
  LayersModel,
  type LoadLayersModelOptions,
  type PredictOptions,
  type StepTime,
  type SymbolicShape,
} from './runtime/index.js';
