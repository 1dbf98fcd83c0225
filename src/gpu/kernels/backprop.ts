/**
 * The conv2d gradients, on the forward geometry (so conv2d's input is dx and its output dy):
 * - backprop_input: one invocation per input-gradient value, summing over the filter taps and output
 *   positions that read it (conv2dBackpropInput and conv2dTranspose);
 * - backprop_filter: one invocation per (filter value, slice of the batch x output rows); with one slice
 *   it writes the filter gradient, with several it writes partial sums that backprop_filter_reduce adds
 *   in slice order (so the result does not depend on scheduling).
 */
import { linearIndex } from '../buffers.js';
import { CONV_WGSL_COMMON } from './conv_params.js';

export const BACKPROP_WORKGROUP = 64;

export const BACKPROP_INPUT_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(${BACKPROP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(BACKPROP_WORKGROUP)};
  if (idx >= p.total) { return; }
  let ic = idx % p.inC;
  var r = idx / p.inC;
  let ix = r % p.inW;
  r = r / p.inW;
  let iy = r % p.inH;
  let b = r / p.inH;
  let grp = ic / p.cinPG;
  let icg = ic - grp * p.cinPG;
  let oc0 = grp * p.coutPG;
  var sum = 0.0;
  for (var ky = 0; ky < p.kh; ky++) {
    // Output row oy reads input row iy through tap ky when oy * sh = iy + padT - ky * dh.
    let ty = iy + p.padT - ky * p.dh;
    if (ty < 0 || ty % p.sh != 0) { continue; }
    let oy = ty / p.sh;
    if (oy >= p.outH) { continue; }
    for (var kx = 0; kx < p.kw; kx++) {
      let tx = ix + p.padL - kx * p.dw;
      if (tx < 0 || tx % p.sw != 0) { continue; }
      let ox = tx / p.sw;
      if (ox >= p.outW) { continue; }
      let wRow = ((ky * p.kw + kx) * p.cinPG + icg) * p.outC;
      for (var n = 0; n < p.coutPG; n++) {
        sum = sum + dy[yIndex(b, oy, ox, oc0 + n)] * w[wRow + oc0 + n];
      }
    }
  }
  dx[xIndex(b, iy, ix, ic)] = sum;
}
`;

/** p.extra = the number of slices; p.total = filter values * slices. */
export const BACKPROP_FILTER_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(${BACKPROP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(BACKPROP_WORKGROUP)};
  if (idx >= p.total) { return; }
  let filterSize = p.kh * p.kw * p.cinPG * p.outC;
  let slice = idx / filterSize;
  let f = idx - slice * filterSize;
  // Filter coordinates in HWIO order (out channel fastest).
  let oc = f % p.outC;
  var r = f / p.outC;
  let icg = r % p.cinPG;
  r = r / p.cinPG;
  let kx = r % p.kw;
  let ky = r / p.kw;
  let c = (oc / p.coutPG) * p.cinPG + icg;
  // Rows of the (batch, output row) grid this slice covers.
  let rows = p.batch * p.outH;
  let per = (rows + p.extra - 1) / p.extra;
  let first = slice * per;
  let last = min(rows, first + per);
  var sum = 0.0;
  for (var row = first; row < last; row++) {
    let b = row / p.outH;
    let oy = row - b * p.outH;
    let iy = oy * p.sh - p.padT + ky * p.dh;
    if (iy < 0 || iy >= p.inH) { continue; }
    for (var ox = 0; ox < p.outW; ox++) {
      let ix = ox * p.sw - p.padL + kx * p.dw;
      if (ix < 0 || ix >= p.inW) { continue; }
      sum = sum + x[xIndex(b, iy, ix, c)] * dy[yIndex(b, oy, ox, oc)];
    }
  }
  dw[idx] = sum;
}
`;

/** Sums p.extra slices of partial filter gradients (p.total = filter values). */
export const BACKPROP_FILTER_REDUCE_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(${BACKPROP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(BACKPROP_WORKGROUP)};
  if (idx >= p.total) { return; }
  var sum = 0.0;
  for (var s = 0; s < p.extra; s++) { sum = sum + partial[s * p.total + idx]; }
  dw[idx] = sum;
}
`;
