/**
 * Keras layer configs (as TF.js Layers and Keras write them) -> the runtime's own layer descriptions,
 * with every option checked. Anything convkit cannot run is an UnsupportedModelError naming the layer,
 * its class and the option, raised while the topology is read (before any weight is). This module also
 * knows each layer's output shape and the weights it needs; shapes here leave out the batch axis.
 */
import { show, UnsupportedModelError } from '../errors.js';

export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hard_sigmoid',
  'tanh',
  'swish',
  'softmax',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** An elementwise (or, for softmax, last-axis) function: a named activation or Keras' general ReLU. */
export type Pointwise =
  { fn: Activation } | { fn: 'relu_general'; max: number | null; slope: number; threshold: number };

export type Padding = 'SAME' | 'VALID';
type Pair = [number, number];

interface Base {
  name: string;
  className: string;
}
export type LayerDef = Base &
  (
    | { kind: 'input'; shape: number[] }
    | {
        kind: 'conv';
        filters: number;
        kernel: Pair;
        strides: Pair;
        dilations: Pair;
        padding: Padding;
        groups: number;
        activation: Activation;
        useBias: boolean;
      }
    | {
        kind: 'depthwise';
        kernel: Pair;
        strides: Pair;
        dilations: Pair;
        padding: Padding;
        multiplier: number;
        activation: Activation;
        useBias: boolean;
      }
    | {
        kind: 'separable';
        filters: number;
        kernel: Pair;
        strides: Pair;
        dilations: Pair;
        padding: Padding;
        multiplier: number;
        activation: Activation;
        useBias: boolean;
      }
    | {
        kind: 'transpose';
        filters: number;
        kernel: Pair;
        strides: Pair;
        padding: Padding;
        activation: Activation;
        useBias: boolean;
      }
    | { kind: 'dense'; units: number; activation: Activation; useBias: boolean }
    | { kind: 'batchnorm'; epsilon: number; center: boolean; scale: boolean }
    | { kind: 'pointwise'; op: Pointwise }
    | { kind: 'softmax'; axis: number }
    | { kind: 'add' | 'multiply' }
    | { kind: 'concat'; axis: number }
    | { kind: 'pad'; pads: [Pair, Pair] }
    | { kind: 'pool'; mode: 'max' | 'avg'; pool: Pair; strides: Pair; padding: Padding }
    | { kind: 'global'; mode: 'max' | 'avg'; keepdims: boolean }
    | { kind: 'reshape'; target: number[] | null }
    | { kind: 'identity' }
    | { kind: 'rescale'; scale: number; offset: number }
  );

export interface WeightNeed {
  /** Keras' name for it: kernel, bias, depthwise_kernel, gamma, moving_mean, ... */
  name: string;
  shape: number[];
}

/** The layer classes loadLayersModel reads (besides nested Sequential / Model / Functional). */
export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Conv2DTranspose',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'Add',
  'Multiply',
  'Concatenate',
  'ZeroPadding2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'Dropout',
  'Rescaling',
] as const;

/** Keras' aliases for the same classes (Keras 2 and TF.js both write some of these). */
const CLASS_ALIASES: Record<string, string> = {
  Convolution2D: 'Conv2D',
  Conv2DTranspose: 'Conv2DTranspose',
  Deconvolution2D: 'Conv2DTranspose',
  SeparableConvolution2D: 'SeparableConv2D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
};

export class LayerReader {
  constructor(
    readonly name: string,
    readonly className: string,
    readonly config: Record<string, unknown>,
  ) {}

  fail(option: string, problem: string): never {
    throw new UnsupportedModelError(
      `loadLayersModel: layer '${this.name}' (${this.className}) ${option === '' ? '' : `option ${option} `}${problem}`,
    );
  }

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null;
  }

  number(key: string, fallback?: number): number {
    const v = this.config[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `must be a number, got ${show(v)}`);
    return v;
  }

  positive(key: string, fallback?: number): number {
    const v = this.number(key, fallback);
    if (!Number.isSafeInteger(v) || v < 1) this.fail(key, `must be a positive integer, got ${show(v)}`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${show(v)}`);
    return v;
  }

  /** A size Keras stores as one number or a [height, width] list. */
  pair(key: string, fallback?: Pair): Pair {
    const v = this.config[key];
    if ((v === undefined || v === null) && fallback) return fallback;
    const p = typeof v === 'number' ? [v, v] : v;
    if (
      !Array.isArray(p) ||
      p.length !== 2 ||
      !p.every((d) => Number.isSafeInteger(d) && (d as number) >= 1)
    ) {
      this.fail(key, `must be a positive integer or two of them, got ${show(v)}`);
    }
    return [p[0] as number, p[1] as number];
  }

  padding(): Padding {
    const v = this.config.padding ?? 'valid';
    if (v === 'valid' || v === 'same') return v === 'same' ? 'SAME' : 'VALID';
    return this.fail('padding', `is ${show(v)}; convkit supports 'valid' and 'same'`);
  }

  channelsLast(): void {
    const v = this.config.data_format;
    if (v !== undefined && v !== null && v !== 'channels_last') {
      this.fail('data_format', `is ${show(v)}; convkit runs channels_last (NHWC) models only`);
    }
  }

  activation(key = 'activation'): Activation {
    let v: unknown = this.config[key] ?? 'linear';
    // Keras 3 may write {class_name: 'relu', ...}-style objects; TF.js writes camelCase on some names.
    if (
      typeof v === 'object' &&
      v !== null &&
      typeof (v as Record<string, unknown>).class_name === 'string'
    ) {
      v = (v as Record<string, unknown>).class_name;
    }
    if (v === 'hardSigmoid') v = 'hard_sigmoid';
    if (v === 'silu') v = 'swish';
    if (v === null || v === 'linear' || v === undefined) return 'linear';
    if ((ACTIVATIONS as readonly unknown[]).includes(v)) return v as Activation;
    return this.fail(key, `is ${show(v)}; convkit supports ${ACTIVATIONS.join(', ')}`);
  }

  /** Options that change the result and that convkit does not implement must hold their neutral value. */
  neutral(key: string, ...allowed: unknown[]): void {
    const v = this.config[key];
    if (v === undefined || v === null) return;
    if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) {
      this.fail(
        key,
        `is ${show(v)}; convkit supports only ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`,
      );
    }
  }
}

function reluOptions(r: LayerReader, slopeKey: string, slopeDefault: number, general: boolean): LayerDef {
  const slope = r.number(slopeKey, slopeDefault);
  const threshold = general ? r.number('threshold', 0) : 0;
  const max = general && r.has('max_value') ? r.number('max_value') : null;
  if (max !== null && max < 0) r.fail('max_value', `must be >= 0, got ${max}`);
  if (max === null && slope === 0 && threshold === 0)
    return { ...base(r), kind: 'pointwise', op: { fn: 'relu' } };
  return { ...base(r), kind: 'pointwise', op: { fn: 'relu_general', max, slope, threshold } };
}

function base(r: LayerReader): Base {
  return { name: r.name, className: r.className };
}

/** The batch_input_shape / batch_shape Keras records on an input (or first) layer, without the batch. */
export function declaredInputShape(r: LayerReader): number[] | null {
  const v = r.config.batch_input_shape ?? r.config.batch_shape;
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length < 2)
    r.fail('batch_input_shape', `must be [batch, ...dims], got ${show(v)}`);
  const dims = v.slice(1);
  if (dims.some((d) => d === 0)) {
    r.fail('batch_input_shape', `is ${show(v)}; a dimension of 0 leaves nothing to compute`);
  }
  if (!dims.every((d) => Number.isSafeInteger(d) && (d as number) >= 1)) {
    r.fail('batch_input_shape', `is ${show(v)}; convkit needs every dimension but the batch known`);
  }
  return dims as number[];
}

/** Reads one (non-model) layer's config; UnsupportedModelError for anything convkit cannot run. */
export function readLayer(className: string, config: Record<string, unknown>): LayerDef {
  const name = typeof config.name === 'string' ? config.name : className;
  const cls = CLASS_ALIASES[className] ?? className;
  const r: LayerReader = new LayerReader(name, className, config);
  const dtype = config.dtype;
  const dtypeName =
    typeof dtype === 'object' && dtype !== null
      ? (dtype as { config?: { name?: unknown } }).config?.name
      : dtype;
  if (dtypeName !== undefined && dtypeName !== null && dtypeName !== 'float32') {
    r.fail('dtype', `is ${show(dtypeName)}; convkit runs float32 models only`);
  }
  const b = base(r);
  switch (cls) {
    case 'InputLayer': {
      const shape = declaredInputShape(r);
      if (shape === null) r.fail('batch_input_shape', 'is missing: the input layer must record its shape');
      if (r.bool('sparse', false) || r.bool('ragged', false)) r.fail('sparse', 'inputs are not supported');
      return { ...b, kind: 'input', shape };
    }
    case 'Conv2D': {
      r.channelsLast();
      return {
        ...b,
        kind: 'conv',
        filters: r.positive('filters'),
        kernel: r.pair('kernel_size'),
        strides: r.pair('strides', [1, 1]),
        dilations: r.pair('dilation_rate', [1, 1]),
        padding: r.padding(),
        groups: r.positive('groups', 1),
        activation: r.activation(),
        useBias: r.bool('use_bias', true),
      };
    }
    case 'DepthwiseConv2D':
      r.channelsLast();
      return {
        ...b,
        kind: 'depthwise',
        kernel: r.pair('kernel_size'),
        strides: r.pair('strides', [1, 1]),
        dilations: r.pair('dilation_rate', [1, 1]),
        padding: r.padding(),
        multiplier: r.positive('depth_multiplier', 1),
        activation: r.activation(),
        useBias: r.bool('use_bias', true),
      };
    case 'SeparableConv2D':
      r.channelsLast();
      return {
        ...b,
        kind: 'separable',
        filters: r.positive('filters'),
        kernel: r.pair('kernel_size'),
        strides: r.pair('strides', [1, 1]),
        dilations: r.pair('dilation_rate', [1, 1]),
        padding: r.padding(),
        multiplier: r.positive('depth_multiplier', 1),
        activation: r.activation(),
        useBias: r.bool('use_bias', true),
      };
    case 'Conv2DTranspose':
      r.channelsLast();
      r.neutral('output_padding', null);
      r.neutral('dilation_rate', 1, [1, 1]);
      return {
        ...b,
        kind: 'transpose',
        filters: r.positive('filters'),
        kernel: r.pair('kernel_size'),
        strides: r.pair('strides', [1, 1]),
        padding: r.padding(),
        activation: r.activation(),
        useBias: r.bool('use_bias', true),
      };
    case 'Dense':
      return {
        ...b,
        kind: 'dense',
        units: r.positive('units'),
        activation: r.activation(),
        useBias: r.bool('use_bias', true),
      };
    case 'BatchNormalization': {
      const axis = config.axis ?? -1;
      if (!(
        axis === -1 ||
        axis === 3 ||
        (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))
      )) {
        r.fail('axis', `is ${show(axis)}; convkit normalises the last (channel) axis only`);
      }
      r.neutral('renorm', false);
      r.neutral('virtual_batch_size', null);
      return {
        ...b,
        kind: 'batchnorm',
        epsilon: r.number('epsilon', 1e-3),
        center: r.bool('center', true),
        scale: r.bool('scale', true),
      };
    }
    case 'Activation':
      return { ...b, kind: 'pointwise', op: { fn: r.activation() } };
    case 'ReLU':
      return reluOptions(r, 'negative_slope', 0, true);
    case 'LeakyReLU':
      return reluOptions(r, r.has('negative_slope') ? 'negative_slope' : 'alpha', 0.3, false);
    case 'Softmax': {
      // Keras' default axis is -1; TF.js' Softmax layer defaults to (and saves) axis 1.
      const raw = config.axis ?? -1;
      const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
      if (!Number.isSafeInteger(axis) || axis === 0) {
        r.fail('axis', `is ${show(raw)}; convkit's Softmax takes one axis other than the batch axis`);
      }
      return { ...b, kind: 'softmax', axis: axis as number };
    }
    case 'Add':
      return { ...b, kind: 'add' };
    case 'Multiply':
      return { ...b, kind: 'multiply' };
    case 'Concatenate':
      return { ...b, kind: 'concat', axis: Math.trunc(r.number('axis', -1)) };
    case 'ZeroPadding2D': {
      r.channelsLast();
      const v = config.padding ?? 1;
      const ok = (d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0;
      let pads: [Pair, Pair] | null = null;
      if (ok(v))
        pads = [
          [v as number, v as number],
          [v as number, v as number],
        ];
      else if (Array.isArray(v) && v.length === 2 && v.every(ok))
        pads = [
          [v[0], v[0]],
          [v[1], v[1]],
        ];
      else if (
        Array.isArray(v) &&
        v.length === 2 &&
        v.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))
      ) {
        pads = [v[0] as Pair, v[1] as Pair];
      }
      if (pads === null)
        r.fail('padding', `must be n, [h, w] or [[top, bottom], [left, right]], got ${show(v)}`);
      return { ...b, kind: 'pad', pads };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      r.channelsLast();
      const pool = r.pair('pool_size', [2, 2]);
      return {
        ...b,
        kind: 'pool',
        mode: cls === 'MaxPooling2D' ? 'max' : 'avg',
        pool,
        strides: r.pair('strides', pool),
        padding: r.padding(),
      };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      r.channelsLast();
      return {
        ...b,
        kind: 'global',
        mode: cls === 'GlobalMaxPooling2D' ? 'max' : 'avg',
        keepdims: r.bool('keepdims', false),
      };
    case 'Flatten':
      r.channelsLast();
      return { ...b, kind: 'reshape', target: null };
    case 'Reshape': {
      // Keras writes the free size as -1; TF.js writes it as null.
      const t = Array.isArray(config.target_shape)
        ? config.target_shape.map((d) => (d === null ? -1 : (d as unknown)))
        : config.target_shape;
      if (!Array.isArray(t) || !t.every((d) => Number.isSafeInteger(d) && (d === -1 || (d as number) >= 1))) {
        r.fail('target_shape', `must list positive sizes (at most one -1), got ${show(t)}`);
      }
      if (t.filter((d) => d === -1).length > 1) r.fail('target_shape', `has more than one -1: ${show(t)}`);
      return { ...b, kind: 'reshape', target: t as number[] };
    }
    case 'Dropout':
    case 'SpatialDropout2D':
    case 'GaussianNoise':
    case 'GaussianDropout':
      return { ...b, kind: 'identity' };
    case 'Rescaling':
      return { ...b, kind: 'rescale', scale: r.number('scale'), offset: r.number('offset', 0) };
    default:
      return r.fail(
        '',
        `is a layer class convkit does not support; it reads ${SUPPORTED_LAYERS.join(', ')} and nested Sequential / Model`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes

/** TF's output length of a window (SAME: ceil(in / s); VALID: ceil((in - k_eff + 1) / s)). */
export function windowOut(inSize: number, k: number, s: number, d: number, padding: Padding): number {
  const eff = (k - 1) * d + 1;
  return padding === 'SAME' ? Math.ceil(inSize / s) : Math.ceil((inSize - eff + 1) / s);
}

/** SAME's padding before an axis (the extra row or column goes after). */
export function padBefore(inSize: number, k: number, s: number, d: number, padding: Padding): number {
  if (padding === 'VALID') return 0;
  const out = windowOut(inSize, k, s, d, padding);
  const eff = (k - 1) * d + 1;
  return Math.floor(Math.max((out - 1) * s + eff - inSize, 0) / 2);
}

function shapeFail(def: LayerDef, problem: string): never {
  throw new UnsupportedModelError(`loadLayersModel: layer '${def.name}' (${def.className}) ${problem}`);
}

function image(def: LayerDef, shape: readonly number[]): [number, number, number] {
  if (shape.length !== 3) shapeFail(def, `needs a [height, width, channels] input, got ${show(shape)}`);
  return shape as [number, number, number];
}

function windowed(
  def: LayerDef,
  shape: readonly number[],
  k: Pair,
  s: Pair,
  d: Pair,
  p: Padding,
  c: number,
): number[] {
  const [h, w] = image(def, shape);
  const oh = windowOut(h, k[0], s[0], d[0], p);
  const ow = windowOut(w, k[1], s[1], d[1], p);
  if (oh < 1 || ow < 1) {
    shapeFail(def, `with window ${show(k)} (dilation ${show(d)}) ${p} does not fit its ${show(shape)} input`);
  }
  return [oh, ow, c];
}

function sameShapes(def: LayerDef, inputs: readonly (readonly number[])[]): number[] {
  if (inputs.length < 2) shapeFail(def, `needs at least 2 inputs, got ${inputs.length}`);
  const rank = inputs[0].length;
  const out = [...inputs[0]];
  for (const s of inputs) {
    if (s.length !== rank) shapeFail(def, `inputs ${inputs.map(show).join(', ')} differ in rank`);
    for (let i = 0; i < rank; i++) {
      if (s[i] !== out[i] && s[i] !== 1 && out[i] !== 1) {
        shapeFail(def, `inputs ${inputs.map(show).join(', ')} cannot be broadcast together`);
      }
      out[i] = Math.max(out[i], s[i]);
    }
  }
  return out;
}

/** The layer's output shape (batch axis left out) for its inputs' shapes; errors name the layer. */
export function outputShape(def: LayerDef, inputs: readonly (readonly number[])[]): number[] {
  if (def.kind !== 'add' && def.kind !== 'multiply' && def.kind !== 'concat' && inputs.length !== 1) {
    shapeFail(def, `takes one input, got ${inputs.length}`);
  }
  const x = inputs[0];
  switch (def.kind) {
    case 'input':
      return [...def.shape];
    case 'conv': {
      const c = image(def, x)[2];
      if (c % def.groups !== 0 || def.filters % def.groups !== 0) {
        shapeFail(
          def,
          `has groups ${def.groups}, which must divide its ${c} input channels and ${def.filters} filters`,
        );
      }
      return windowed(def, x, def.kernel, def.strides, def.dilations, def.padding, def.filters);
    }
    case 'depthwise':
      return windowed(
        def,
        x,
        def.kernel,
        def.strides,
        def.dilations,
        def.padding,
        image(def, x)[2] * def.multiplier,
      );
    case 'separable':
      return windowed(def, x, def.kernel, def.strides, def.dilations, def.padding, def.filters);
    case 'transpose': {
      const [h, w] = image(def, x);
      const len = (n: number, k: number, s: number) =>
        def.padding === 'SAME' ? n * s : n * s + Math.max(k - s, 0);
      return [len(h, def.kernel[0], def.strides[0]), len(w, def.kernel[1], def.strides[1]), def.filters];
    }
    case 'dense':
      if (x.length < 1) shapeFail(def, `needs an input of rank >= 1 per example, got ${show(x)}`);
      return [...x.slice(0, -1), def.units];
    case 'softmax': {
      const rank = x.length + 1;
      const axis = def.axis < 0 ? def.axis + rank : def.axis;
      if (axis < 1 || axis >= rank)
        shapeFail(def, `has axis ${def.axis}, outside its input's ${rank} axes (or the batch axis)`);
      return [...x];
    }
    case 'batchnorm':
    case 'pointwise':
    case 'identity':
    case 'rescale':
      if (x.length < 1) shapeFail(def, `needs an input of rank >= 1 per example, got ${show(x)}`);
      return [...x];
    case 'add':
    case 'multiply':
      return sameShapes(def, inputs);
    case 'concat': {
      if (inputs.length < 2) shapeFail(def, `needs at least 2 inputs, got ${inputs.length}`);
      const rank = x.length + 1;
      const axis = def.axis < 0 ? def.axis + rank : def.axis;
      if (axis < 1 || axis >= rank)
        shapeFail(def, `has axis ${def.axis}, outside the inputs' ${rank} axes (or the batch axis)`);
      const out = [...x];
      out[axis - 1] = 0;
      for (const s of inputs) {
        if (s.length !== x.length || s.some((d, i) => i !== axis - 1 && d !== x[i])) {
          shapeFail(def, `inputs ${inputs.map(show).join(', ')} differ outside axis ${def.axis}`);
        }
        out[axis - 1] += s[axis - 1];
      }
      return out;
    }
    case 'pad': {
      const [h, w, c] = image(def, x);
      return [h + def.pads[0][0] + def.pads[0][1], w + def.pads[1][0] + def.pads[1][1], c];
    }
    case 'pool':
      return windowed(def, x, def.pool, def.strides, [1, 1], def.padding, image(def, x)[2]);
    case 'global': {
      const c = image(def, x)[2];
      return def.keepdims ? [1, 1, c] : [c];
    }
    case 'reshape': {
      const size = x.reduce((a, b) => a * b, 1);
      if (def.target === null) return [size];
      const known = def.target.reduce((a, d) => (d === -1 ? a : a * d), 1);
      const out = def.target.map((d) => (d === -1 ? size / known : d));
      if (out.some((d) => !Number.isInteger(d)) || out.reduce((a, b) => a * b, 1) !== size) {
        shapeFail(def, `cannot reshape ${show(x)} (${size} values) to ${show(def.target)}`);
      }
      return out;
    }
  }
}

/** The weights a layer needs, by Keras name and shape, for its inputs' shapes. */
export function weightNeeds(def: LayerDef, inputs: readonly (readonly number[])[]): WeightNeed[] {
  const x = inputs[0];
  const c = x?.[x.length - 1] ?? 0;
  const bias = (useBias: boolean, n: number): WeightNeed[] => (useBias ? [{ name: 'bias', shape: [n] }] : []);
  switch (def.kind) {
    case 'conv':
      return [
        { name: 'kernel', shape: [...def.kernel, c / def.groups, def.filters] },
        ...bias(def.useBias, def.filters),
      ];
    case 'depthwise':
      return [
        { name: 'depthwise_kernel', shape: [...def.kernel, c, def.multiplier] },
        ...bias(def.useBias, c * def.multiplier),
      ];
    case 'separable':
      return [
        { name: 'depthwise_kernel', shape: [...def.kernel, c, def.multiplier] },
        { name: 'pointwise_kernel', shape: [1, 1, c * def.multiplier, def.filters] },
        ...bias(def.useBias, def.filters),
      ];
    case 'transpose':
      return [{ name: 'kernel', shape: [...def.kernel, def.filters, c] }, ...bias(def.useBias, def.filters)];
    case 'dense':
      return [{ name: 'kernel', shape: [c, def.units] }, ...bias(def.useBias, def.units)];
    case 'batchnorm':
      return [
        ...(def.scale ? [{ name: 'gamma', shape: [c] }] : []),
        ...(def.center ? [{ name: 'beta', shape: [c] }] : []),
        { name: 'moving_mean', shape: [c] },
        { name: 'moving_variance', shape: [c] },
      ];
    default:
      return [];
  }
}
