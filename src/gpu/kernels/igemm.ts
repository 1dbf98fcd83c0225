/**
 * conv2d_igemm: implicit GEMM. The output is the matrix product of the patch matrix A (rows: batch x
 * output pixels, columns: filter taps x group input channels), read from the input on the fly and never
 * stored, and the packed filter B ([groups][K][ceil(out_per_group / 4)] vec4s, zero past the group's last
 * channel). A workgroup of WX x WY invocations computes a (4 WY) x (4 WX) output tile: each invocation a
 * 4 x 4 register block (4 output pixels x 4 output channels, one vec4 of B per tap), with the workgroup's
 * K-slices of A and B staged in workgroup memory. With NHWC input and a multiple of 4 input channels per
 * group, A is loaded as vec4s (4 channels of one tap). Groups are the dispatch's z axis.
 */
import { linearIndex } from '../buffers.js';
import { CONV_WGSL_COMMON } from './conv_params.js';

/** The K-slice staged per step. */
export const IGEMM_KT = 16;

export interface IgemmVariant {
  /** Invocations along N (output channels) and M (output pixels). */
  wx: number;
  wy: number;
  /** Load A as vec4s (NHWC, input channels per group a multiple of 4). */
  vec4A: boolean;
}

export function igemmName(v: IgemmVariant): string {
  return `conv2d_igemm_${4 * v.wy}x${4 * v.wx}${v.vec4A ? '_vec4' : ''}`;
}

/** Workgroup memory of a variant, in bytes. */
export function igemmWorkgroupBytes(v: IgemmVariant): number {
  return IGEMM_KT * 4 * v.wy * 4 + IGEMM_KT * v.wx * 16;
}

function loadA(vec4A: boolean): string {
  const decode = (k: string) => `
        let ox = m % p.outW;
        let r = m / p.outW;
        let oy = r % p.outH;
        let b = r / p.outH;
        let ic = ${k} % p.cinPG;
        let tap = ${k} / p.cinPG;
        let kx = tap % p.kw;
        let ky = tap / p.kw;
        let iy = oy * p.sh - p.padT + ky * p.dh;
        let ix = ox * p.sw - p.padL + kx * p.dw;
        let inside = iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW;`;
  if (!vec4A) {
    return `
    for (var e = t; e < KT * TM; e += THREADS) {
      let kk = e % KT;
      let mm = e / KT;
      let m = m0 + mm;
      let k = k0 + kk;
      var v = 0.0;
      if (m < M && k < K) {${decode('k')}
        if (inside) { v = x[xIndex(b, iy, ix, c0 + ic)]; }
      }
      As[kk * TM + mm] = v;
    }`;
  }
  return `
    for (var e = t; e < (KT / 4) * TM; e += THREADS) {
      let kq = e % (KT / 4);
      let mm = e / (KT / 4);
      let m = m0 + mm;
      let k = k0 + 4 * kq;
      var v = vec4<f32>(0.0);
      if (m < M && k < K) {${decode('k')}
        if (inside) { v = x[xIndex(b, iy, ix, c0 + ic) / 4]; }
      }
      As[(4 * kq) * TM + mm] = v.x;
      As[(4 * kq + 1) * TM + mm] = v.y;
      As[(4 * kq + 2) * TM + mm] = v.z;
      As[(4 * kq + 3) * TM + mm] = v.w;
    }`;
}

/**
 * The inner step of a 4x4-per-invocation GEMM tile, shared by igemm and Winograd's batched GEMMs: stage
 * KT rows of B (vec4 columns; `bRead` reads row k, column q) in workgroup memory, then multiply-add
 * them into acc[0..3] with the A tile already staged in As. Expects K, KT, NP4, TM, WX, THREADS, t, tx,
 * ty, k0, q0, As, Bs and acc in scope.
 */
export function stageBAndMultiply(bRead: string): string {
  return /* wgsl */ `    for (var e = t; e < KT * WX; e += THREADS) {
      let kk = e / WX;
      let nq = e % WX;
      let k = k0 + kk;
      let q = q0 + nq;
      var bv = vec4<f32>(0.0);
      if (k < K && q < NP4) { bv = ${bRead}; }
      Bs[kk * WX + nq] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < KT; kk++) {
      let bv = Bs[kk * WX + tx];
      let r = kk * TM + 4 * ty;
      acc[0] = fma(vec4<f32>(As[r]), bv, acc[0]);
      acc[1] = fma(vec4<f32>(As[r + 1]), bv, acc[1]);
      acc[2] = fma(vec4<f32>(As[r + 2]), bv, acc[2]);
      acc[3] = fma(vec4<f32>(As[r + 3]), bv, acc[3]);
    }
    workgroupBarrier();`;
}

export function igemmWgsl(v: IgemmVariant): string {
  const { wx, wy, vec4A } = v;
  return /* wgsl */ `
${CONV_WGSL_COMMON}
const WX = ${wx};
const WY = ${wy};
const THREADS = ${wx * wy};
const KT = ${IGEMM_KT};
const TM = ${4 * wy};
@group(0) @binding(0) var<storage, read> x: array<${vec4A ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
var<workgroup> As: array<f32, ${IGEMM_KT * 4 * wy}>;
var<workgroup> Bs: array<vec4<f32>, ${IGEMM_KT * wx}>;

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let t = ty * WX + tx;
  let grp = i32(wid.z);
  let M = p.batch * p.outH * p.outW;
  let K = p.kh * p.kw * p.cinPG;
  let NP4 = p.extra;
  let m0 = p.mBase + i32(wid.y) * TM;
  let q0 = i32(wid.x) * WX;
  let c0 = grp * p.cinPG;
  var acc: array<vec4<f32>, 4>;
  for (var i = 0; i < 4; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k0 = 0; k0 < K; k0 += KT) {${loadA(vec4A)}
${stageBAndMultiply('wp[(grp * K + k) * NP4 + q]')}
  }
  let n0 = 4 * (q0 + tx);
  for (var i = 0; i < 4; i++) {
    let m = m0 + 4 * ty + i;
    if (m >= M) { break; }
    let ox = m % p.outW;
    let r = m / p.outW;
    let oy = r % p.outH;
    let b = r / p.outH;
    for (var j = 0; j < 4; j++) {
      let n = n0 + j;
      if (n < p.coutPG) { y[yIndex(b, oy, ox, grp * p.coutPG + n)] = acc[i][j]; }
    }
  }
}
`;
}

export const PACK_WORKGROUP = 64;

/**
 * pack_filter: HWIO filter -> [groups][K][NP4 * 4] (p.extra = NP4), zero past each group's channels.
 * p.total = groups * K * NP4 * 4. `flipped` (pack_filter_flipped) packs the filter of the input
 * gradient as a convolution of dy: p is then that convolution's geometry (input dy, filter
 * [kh, kw, out_per_group, in_channels]), and tap (ky, kx) reads the original filter at
 * (kh - 1 - ky, kw - 1 - kx) with its in and out channels swapped.
 */
export function packFilterWgsl(flipped: boolean): string {
  const read = flipped
    ? `
    let ic = k % p.cinPG;
    let tap = k / p.cinPG;
    let kx = tap % p.kw;
    let ky = tap / p.kw;
    let src = ((p.kh - 1 - ky) * p.kw + (p.kw - 1 - kx)) * p.coutPG + n;
    v = w[src * p.inC + grp * p.cinPG + ic];`
    : `
    v = w[k * p.outC + grp * p.coutPG + n];`;
  return /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> wp: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(${PACK_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(PACK_WORKGROUP)};
  if (idx >= p.total) { return; }
  let width = 4 * p.extra;
  let K = p.kh * p.kw * p.cinPG;
  let n = idx % width;
  let r = idx / width;
  let k = r % K;
  let grp = r / K;
  var v = 0.0;
  if (n < p.coutPG) {${read}
  }
  wp[idx] = v;
}
`;
}
