/**
 * The shape sections of `npm run bench`: what each one runs and checks against.
 *   conv:      conv2d on bench/shapes.json;
 *   depthwise: depthwiseConv2d on the MobileNet layers of bench/shapes_depthwise.json;
 *   webgpu:    conv2d on bench/shapes.json on the GPU: convkit's WebGPU backend vs tfjs-backend-webgpu and
 *              onnxruntime-web's WebGPU execution provider;
 *   grouped:   conv2d with groups = in_channels / filter in_channels (TensorFlow's rule) on
 *              bench/shapes_grouped.json (tfjs has no grouped conv2d: 'unsupported').
 */
import { conv2d, depthwiseConv2d, Tensor } from '../src/index.js';
import type { Engine } from './engine.js';
import { engineSelected, type BenchOptions, type SectionName } from './options.js';
import { convkitDepthwiseEngines, convkitEngines } from './peers/convkit.js';
import { onnxEngine } from './peers/onnx.js';
import { tfjsDepthwiseEngine, tfjsEngine } from './peers/tfjs.js';
import { ortWebGPUEngine } from './peers/ort_webgpu.js';
import { convkitWebGPUEngine, tfjsWebGPUEngine } from './peers/webgpu.js';
import { TOLERANCE_PER_TERM, type ShapeSectionSpec } from './section.js';
import {
  DEPTHWISE_SHAPES_FILE,
  GROUPED_SHAPES_FILE,
  loadShapes,
  makeCase,
  SHAPES_FILE,
  type BenchCase,
  type ShapeSpec,
} from './shapes.js';

export type ShapeSectionName = Extract<SectionName, 'conv' | 'depthwise' | 'grouped' | 'webgpu'>;
export const SHAPE_SECTIONS: readonly ShapeSectionName[] = ['conv', 'depthwise', 'grouped', 'webgpu'];
const ONNX_THREADS = [1, 2];

/** conv2d's reference: the direct algorithm (float64 sums) where affordable, im2col above that. */
function conv2dReference(options: BenchOptions) {
  return (c: BenchCase) => {
    const algorithm = c.geometry.flops <= options.directMaxFlops ? 'direct' : 'im2col';
    const output = conv2d(new Tensor(c.input, c.spec.input), new Tensor(c.filter, c.spec.filter), {
      strides: c.spec.strides,
      padding: c.spec.padding,
      dilations: c.spec.dilations,
      algorithm,
    }).data;
    return { algorithm, output };
  };
}

function depthwiseReference(c: BenchCase) {
  const output = depthwiseConv2d(new Tensor(c.input, c.spec.input), new Tensor(c.filter, c.spec.filter), {
    strides: c.spec.strides,
    padding: c.spec.padding,
    dilations: c.spec.dilations,
    algorithm: 'direct',
  }).data;
  return { algorithm: 'direct', output };
}

export function sectionSpec(name: ShapeSectionName, options: BenchOptions): ShapeSectionSpec {
  const conv: ShapeSectionSpec = {
    title: 'conv2d',
    makeCase: (spec) => makeCase(spec),
    reference: conv2dReference(options),
    termsPerOutput: (g) => g.filterHeight * g.filterWidth * g.filterInChannels,
    tolerance: `max|diff| <= ${TOLERANCE_PER_TERM} * filterHeight * filterWidth * filterInChannels`,
  };
  if (name === 'conv') return conv;
  if (name === 'webgpu') return { ...conv, title: 'conv2d on WebGPU' };
  if (name === 'grouped') return { ...conv, title: 'grouped conv2d' };
  return {
    title: 'depthwiseConv2d',
    makeCase: (spec) => makeCase(spec, 1, 'depthwiseConv2d'),
    reference: depthwiseReference,
    termsPerOutput: (g) => g.filterHeight * g.filterWidth,
    tolerance: `max|diff| <= ${TOLERANCE_PER_TERM} * filterHeight * filterWidth`,
  };
}

export function sectionShapes(name: ShapeSectionName): ShapeSpec[] {
  const file = {
    conv: SHAPES_FILE,
    depthwise: DEPTHWISE_SHAPES_FILE,
    grouped: GROUPED_SHAPES_FILE,
    webgpu: SHAPES_FILE,
  }[name];
  return loadShapes(file);
}

/** The section's engines that --engines selects (all of them without it). */
export function sectionEngines(name: ShapeSectionName, options: BenchOptions): Engine[] {
  if (name === 'webgpu') {
    return [convkitWebGPUEngine(), tfjsWebGPUEngine(), ortWebGPUEngine()].filter((e) =>
      engineSelected(e.name, options.engines),
    );
  }
  const peers = ONNX_THREADS.map(onnxEngine);
  const engines =
    name === 'depthwise'
      ? [
          ...convkitDepthwiseEngines(options),
          tfjsDepthwiseEngine('wasm'),
          tfjsDepthwiseEngine('cpu'),
          ...peers,
        ]
      : [...convkitEngines(options), tfjsEngine('wasm'), tfjsEngine('cpu'), ...peers];
  return engines.filter((e) => engineSelected(e.name, options.engines));
}
