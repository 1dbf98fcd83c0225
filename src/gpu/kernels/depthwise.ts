/**
 * depthwise_vec4: depthwise convolution with channel multiplier 1 on NHWC data whose channel count is a
 * multiple of 4: one invocation computes 4 adjacent channels of one output pixel with vec4 loads of the
 * input, the filter ([kh, kw, C, 1] is [kh, kw, C] with channels innermost) and the output. Other
 * depthwise geometries run conv2d_direct (a depthwise geometry is a grouped conv2d's).
 */
import { linearIndex } from '../buffers.js';
import { CONV_WGSL_COMMON } from './conv_params.js';

export const DEPTHWISE_WORKGROUP = 64;

export const DEPTHWISE_VEC4_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(${DEPTHWISE_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(DEPTHWISE_WORKGROUP)};
  if (idx >= p.total) { return; }
  let quads = p.outC / 4;
  let q = idx % quads;
  var r = idx / quads;
  let ox = r % p.outW;
  r = r / p.outW;
  let oy = r % p.outH;
  let b = r / p.outH;
  var sum = vec4<f32>(0.0);
  for (var ky = 0; ky < p.kh; ky++) {
    let iy = oy * p.sh - p.padT + ky * p.dh;
    for (var kx = 0; kx < p.kw; kx++) {
      let ix = ox * p.sw - p.padL + kx * p.dw;
      var xv = vec4<f32>(0.0);
      if (iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW) { xv = x[xIndex(b, iy, ix, 4 * q) / 4]; }
      sum = sum + xv * w[(ky * p.kw + kx) * quads + q];
    }
  }
  y[yIndex(b, oy, ox, 4 * q) / 4] = sum;
}
`;
