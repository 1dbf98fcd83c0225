/**
 * extract_patches: one invocation per output value of tf.image.extract_patches; output depth index
 * d = (row * size_cols + col) * depth + channel, padding cells 0. Geometry from patchesGeometry, passed
 * in the conv block (kh/kw = sizes, dh/dw = rates, outC = the output depth; NHWC only).
 */
import { linearIndex } from '../buffers.js';
import { CONV_WGSL_COMMON } from './conv_params.js';

export const PATCHES_WORKGROUP = 64;

export const PATCHES_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(${PATCHES_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(PATCHES_WORKGROUP)};
  if (idx >= p.total) { return; }
  let d = idx % p.outC;
  var r = idx / p.outC;
  let ox = r % p.outW;
  r = r / p.outW;
  let oy = r % p.outH;
  let b = r / p.outH;
  let c = d % p.inC;
  let t = d / p.inC;
  let kx = t % p.kw;
  let ky = t / p.kw;
  let iy = oy * p.sh - p.padT + ky * p.dh;
  let ix = ox * p.sw - p.padL + kx * p.dw;
  var v = 0.0;
  if (iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW) { v = x[xIndex(b, iy, ix, c)]; }
  y[idx] = v;
}
`;
