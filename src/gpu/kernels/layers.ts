/**
 * The model runtime's small GPU kernels (WGSL, NHWC, one invocation per output value unless said):
 * the convolution epilogue (bias + residual + activation), softmax along an axis, per-channel affine
 * (BatchNormalization, Rescaling), max / average pooling, global pooling, zero padding, one input of a
 * concatenation, and broadcasting add / multiply. Float parameters travel in the i32 uniform block as
 * their bits (`floatBits`, read back with bitcast<f32>).
 */
import { linearIndex, ParamsLayout } from '../buffers.js';

export const LAYER_WORKGROUP = 64;

const bits = new DataView(new ArrayBuffer(4));

/** A float32's bits as an i32, for the uniform block (Infinity included). */
export function floatBits(v: number): number {
  bits.setFloat32(0, v, true);
  return bits.getInt32(0, true);
}

function kernel(params: ParamsLayout<string>, bindings: string, body: string): string {
  return /* wgsl */ `
${params.wgsl}
${bindings}
@compute @workgroup_size(${LAYER_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = ${linearIndex(LAYER_WORKGROUP)};
  if (i >= p.total) { return; }
${body}
}
`;
}

/** Activation codes of the epilogue kernel. */
export const ACT = { none: 0, clamp: 1, general: 2, sigmoid: 3, hardSigmoid: 4, tanh: 5, swish: 6 } as const;

export const EPILOGUE_PARAMS = new ParamsLayout([
  'total',
  'width',
  'hasBias',
  'hasRes',
  'act',
  'lo',
  'hi',
  'slope',
  'threshold',
  'max',
] as const);

/**
 * y = act(x + bias[i % width] + residual[i]). `clamp` keeps NaN (v < lo and v > hi are false), as
 * TensorFlow's ReLU; `general` is Keras' ReLU(max_value, negative_slope, threshold).
 */
export const EPILOGUE_WGSL = kernel(
  EPILOGUE_PARAMS,
  `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read> res: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
fn tanhStable(v: f32) -> f32 {
  // exp of a negative argument only: no overflow to inf / inf.
  let e = exp(-2.0 * abs(v));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, v < 0.0);
}
fn act(v: f32) -> f32 {
  switch p.act {
    case 1: {
      if (v < bitcast<f32>(p.lo)) { return bitcast<f32>(p.lo); }
      if (v > bitcast<f32>(p.hi)) { return bitcast<f32>(p.hi); }
      return v;
    }
    case 2: {
      let t = bitcast<f32>(p.threshold);
      var r = select(bitcast<f32>(p.slope) * (v - t), v, v >= t);
      if (r > bitcast<f32>(p.max)) { r = bitcast<f32>(p.max); }
      return r;
    }
    case 3: { return 1.0 / (1.0 + exp(-v)); }
    case 4: { return clamp(0.2 * v + 0.5, 0.0, 1.0); }
    case 5: { return tanhStable(v); }
    case 6: { return v / (1.0 + exp(-v)); }
    default: { return v; }
  }
}`,
  `  var v = x[i];
  if (p.hasBias == 1) { v = v + bias[i % p.width]; }
  if (p.hasRes == 1) { v = v + res[i]; }
  y[i] = act(v);`,
);

export const SOFTMAX_PARAMS = new ParamsLayout(['total', 'n', 'inner'] as const);

/** Softmax along the middle axis of [outer, n, inner]: one invocation per (outer, inner) line. */
export const SOFTMAX_WGSL = kernel(
  SOFTMAX_PARAMS,
  `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;`,
  `  let base = (i / p.inner) * p.n * p.inner + i % p.inner;
  var m = x[base];
  for (var k = 1; k < p.n; k++) { m = max(m, x[base + k * p.inner]); }
  var sum = 0.0;
  for (var k = 0; k < p.n; k++) {
    let e = exp(x[base + k * p.inner] - m);
    y[base + k * p.inner] = e;
    sum = sum + e;
  }
  for (var k = 0; k < p.n; k++) { y[base + k * p.inner] = y[base + k * p.inner] / sum; }`,
);

export const AFFINE_PARAMS = new ParamsLayout(['total', 'width'] as const);

/** y = x * scale[c] + shift[c] over the last axis. */
export const AFFINE_WGSL = kernel(
  AFFINE_PARAMS,
  `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;`,
  `  let c = i % p.width;
  y[i] = x[i] * scale[c] + shift[c];`,
);

export const POOL_PARAMS = new ParamsLayout([
  'total',
  'inH',
  'inW',
  'channels',
  'outH',
  'outW',
  'kh',
  'kw',
  'sh',
  'sw',
  'padT',
  'padL',
  'isMax',
] as const);

/** Max / average pooling, TF's rules: padding is skipped (an average counts only real cells). */
export const POOL_WGSL = kernel(
  POOL_PARAMS,
  `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;`,
  `  let c = i % p.channels;
  var r = i / p.channels;
  let ox = r % p.outW;
  r = r / p.outW;
  let oy = r % p.outH;
  let b = r / p.outH;
  let y0 = max(oy * p.sh - p.padT, 0);
  let y1 = min(oy * p.sh - p.padT + p.kh, p.inH);
  let x0 = max(ox * p.sw - p.padL, 0);
  let x1 = min(ox * p.sw - p.padL + p.kw, p.inW);
  var acc = x[((b * p.inH + y0) * p.inW + x0) * p.channels + c];
  if (p.isMax == 0) { acc = 0.0; }
  for (var yy = y0; yy < y1; yy++) {
    for (var xx = x0; xx < x1; xx++) {
      let v = x[((b * p.inH + yy) * p.inW + xx) * p.channels + c];
      if (p.isMax == 1) {
        if (v > acc || v != v) { acc = v; }
      } else { acc = acc + v; }
    }
  }
  if (p.isMax == 0) { acc = acc / f32((y1 - y0) * (x1 - x0)); }
  y[i] = acc;`,
);

export const GLOBAL_PARAMS = new ParamsLayout(['total', 'cells', 'channels', 'isMax'] as const);

/** Global max / average over height and width: [batch, h, w, c] -> [batch, c]. */
export const GLOBAL_POOL_WGSL = kernel(
  GLOBAL_PARAMS,
  `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;`,
  `  let c = i % p.channels;
  let base = (i / p.channels) * p.cells * p.channels + c;
  var acc = x[base];
  for (var k = 1; k < p.cells; k++) {
    let v = x[base + k * p.channels];
    if (p.isMax == 1) {
      if (v > acc || v != v) { acc = v; }
    } else { acc = acc + v; }
  }
  if (p.isMax == 0) { acc = acc / f32(p.cells); }
  y[i] = acc;`,
);

export const PAD_PARAMS = new ParamsLayout([
  'total',
  'inH',
  'inW',
  'channels',
  'outH',
  'outW',
  'padT',
  'padL',
] as const);

/** Zero padding of [batch, h, w, c] (every output value written, the padding included). */
export const PAD_WGSL = kernel(
  PAD_PARAMS,
  `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;`,
  `  let c = i % p.channels;
  var r = i / p.channels;
  let ix = r % p.outW - p.padL;
  r = r / p.outW;
  let iy = r % p.outH - p.padT;
  let b = r / p.outH;
  var v = 0.0;
  if (iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW) { v = x[((b * p.inH + iy) * p.inW + ix) * p.channels + c]; }
  y[i] = v;`,
);

export const CONCAT_PARAMS = new ParamsLayout(['total', 'chunk', 'width', 'offset'] as const);

/** One input of a concatenation: x viewed as [outer, chunk] goes to columns [offset, offset + chunk) of y. */
export const CONCAT_WGSL = kernel(
  CONCAT_PARAMS,
  `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;`,
  `  y[(i / p.chunk) * p.width + p.offset + i % p.chunk] = x[i];`,
);

/** The broadcasting kernel's rank: shapes are padded with leading 1s to it. */
export const BINARY_RANK = 6;

const dims = (prefix: string) => Array.from({ length: BINARY_RANK }, (_, k) => `${prefix}${k}`);

export const BINARY_PARAMS = new ParamsLayout([
  'total',
  'multiply',
  ...dims('d'),
  ...dims('sa'),
  ...dims('sb'),
]);

/** y = a + b or a * b, each read through strides that are 0 on its broadcast axes. */
export const BINARY_WGSL = kernel(
  BINARY_PARAMS,
  `@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;`,
  `  var r = i;
  var ia = 0;
  var ib = 0;
${Array.from({ length: BINARY_RANK }, (_, j) => BINARY_RANK - 1 - j)
  .map((k) => `  { let q = r % p.d${k}; r = r / p.d${k}; ia += q * p.sa${k}; ib += q * p.sb${k}; }`)
  .join('\n')}
  if (p.multiply == 1) { y[i] = a[ia] * b[ib]; } else { y[i] = a[ia] + b[ib]; }`,
);
