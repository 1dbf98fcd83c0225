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

/** The input-gradient kernel; `onlyNonFinite`: it recomputes only values already in dx that are not finite. */
function backpropInputWgsl(onlyNonFinite: boolean): string {
  return /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn gradientAt(idx: i32) {
  let ic = idx % p.inC;
  var r = idx / p.inC;
  let ix = r % p.inW;
  r = r / p.inW;
  let iy = r % p.inH;
  let b = r / p.inH;
${
  onlyNonFinite
    ? `  // Exponent bits all ones: infinity or NaN (WGSL has no isinf / isnan).
  if ((bitcast<u32>(dx[xIndex(b, iy, ix, ic)]) & 0x7f800000u) != 0x7f800000u) { return; }`
    : ''
}
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

@compute @workgroup_size(${BACKPROP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let first = ${linearIndex(BACKPROP_WORKGROUP)};
${
  onlyNonFinite
    ? `  // Fewer invocations than values may be dispatched: each takes every step-th value.
  let step = i32(nwg.x * nwg.y * ${BACKPROP_WORKGROUP}u);
  for (var idx = first; idx < p.total; idx += step) { gradientAt(idx); }`
    : `  if (first < p.total) { gradientAt(first); }`
}
}
`;
}

export const BACKPROP_INPUT_WGSL = backpropInputWgsl(false);

/**
 * Run after the input gradient's igemm (dy with a zero border under the flipped filter), with
 * backprop_input's bindings and dx holding igemm's result: each value that is not finite is recomputed
 * by the sum over the taps that reach it. A NaN or infinite weight times the border's zeros is NaN where
 * TensorFlow (dy x filter^T, then col2im) adds nothing; a finite value passes untouched.
 */
export const BACKPROP_INPUT_NONFINITE_WGSL = backpropInputWgsl(true);

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
    let rowInside = iy >= 0 && iy < p.inH;
    for (var ox = 0; ox < p.outW; ox++) {
      let ix = ox * p.sw - p.padL + kx * p.dw;
      // Padding is a multiplied zero (0 * infinity is NaN), as in the CPU ops and the GEMM kernel.
      var xv = 0.0;
      if (rowInside && ix >= 0 && ix < p.inW) { xv = x[xIndex(b, iy, ix, c)]; }
      sum = sum + xv * dy[yIndex(b, oy, ox, oc)];
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

/** Invocations of backprop_filter_gemm along N (vec4 columns of out channels) and K (4 rows each). */
export const FILTER_GEMM_WX = 8;
export const FILTER_GEMM_WY = 8;
/** Rows of the (batch x output pixels) reduction staged per step. */
export const FILTER_GEMM_MT = 16;

/**
 * backprop_filter_gemm: the filter gradient as a GEMM, dW[k][n] = sum over m of A[m][k] dy[m][n], where
 * A is the patch matrix (read from the input on the fly, as igemm does) and m runs over batch x output
 * pixels. A workgroup computes 32 filter rows (taps x group input channels) x 32 output channels, each
 * invocation a 4 x 4 block, staging 16 rows of A and dy per step in workgroup memory. The reduction is
 * split into p.extra slices (dispatch z = groups x slices), each writing its partial sums in the filter's
 * own HWIO layout at slice x filter size; backprop_filter_reduce adds them in slice order.
 */
export const BACKPROP_FILTER_GEMM_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
const WX = ${FILTER_GEMM_WX};
const WY = ${FILTER_GEMM_WY};
const THREADS = ${FILTER_GEMM_WX * FILTER_GEMM_WY};
const MT = ${FILTER_GEMM_MT};
const TK = ${4 * FILTER_GEMM_WY};
const TN = ${4 * FILTER_GEMM_WX};
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
var<workgroup> As: array<f32, ${FILTER_GEMM_MT * 4 * FILTER_GEMM_WY}>;
var<workgroup> Bs: array<f32, ${FILTER_GEMM_MT * 4 * FILTER_GEMM_WX}>;

@compute @workgroup_size(${FILTER_GEMM_WX}, ${FILTER_GEMM_WY})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let t = ty * WX + tx;
  let groups = p.inC / p.cinPG;
  let grp = i32(wid.z) % groups;
  let slice = i32(wid.z) / groups;
  let K = p.kh * p.kw * p.cinPG;
  let M = p.batch * p.outH * p.outW;
  let per = (M + p.extra - 1) / p.extra;
  let mStart = slice * per;
  let mEnd = min(M, mStart + per);
  let k0 = i32(wid.y) * TK;
  let n0 = i32(wid.x) * TN;
  let c0 = grp * p.cinPG;
  let oc0 = grp * p.coutPG;
  var acc: array<vec4<f32>, 4>;
  for (var i = 0; i < 4; i++) { acc[i] = vec4<f32>(0.0); }
  for (var m0 = mStart; m0 < mEnd; m0 += MT) {
    for (var e = t; e < MT * TK; e += THREADS) {
      let mm = e / TK;
      let kk = e % TK;
      let m = m0 + mm;
      let k = k0 + kk;
      var v = 0.0;
      if (m < mEnd && k < K) {
        let ox = m % p.outW;
        let r = m / p.outW;
        let oy = r % p.outH;
        let b = r / p.outH;
        let ic = k % p.cinPG;
        let tap = k / p.cinPG;
        let kx = tap % p.kw;
        let ky = tap / p.kw;
        let iy = oy * p.sh - p.padT + ky * p.dh;
        let ix = ox * p.sw - p.padL + kx * p.dw;
        if (iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW) { v = x[xIndex(b, iy, ix, c0 + ic)]; }
      }
      As[mm * TK + kk] = v;
    }
    for (var e = t; e < MT * TN; e += THREADS) {
      let mm = e / TN;
      let nn = e % TN;
      let m = m0 + mm;
      let n = n0 + nn;
      var v = 0.0;
      if (m < mEnd && n < p.coutPG) {
        let ox = m % p.outW;
        let r = m / p.outW;
        v = dy[yIndex(r / p.outH, r % p.outH, ox, oc0 + n)];
      }
      Bs[mm * TN + nn] = v;
    }
    workgroupBarrier();
    for (var mm = 0; mm < MT; mm++) {
      let b = mm * TN + 4 * tx;
      let bv = vec4<f32>(Bs[b], Bs[b + 1], Bs[b + 2], Bs[b + 3]);
      let a = mm * TK + 4 * ty;
      acc[0] = fma(vec4<f32>(As[a]), bv, acc[0]);
      acc[1] = fma(vec4<f32>(As[a + 1]), bv, acc[1]);
      acc[2] = fma(vec4<f32>(As[a + 2]), bv, acc[2]);
      acc[3] = fma(vec4<f32>(As[a + 3]), bv, acc[3]);
    }
    workgroupBarrier();
  }
  let filterSize = K * p.outC;
  for (var i = 0; i < 4; i++) {
    let k = k0 + 4 * ty + i;
    if (k >= K) { break; }
    for (var j = 0; j < 4; j++) {
      let n = n0 + 4 * tx + j;
      if (n < p.coutPG) { dw[slice * filterSize + k * p.outC + oc0 + n] = acc[i][j]; }
    }
  }
}
`;
