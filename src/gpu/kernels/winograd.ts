/**
 * Winograd F(2x2, 3x3) for 3x3, stride-1, undilated, ungrouped conv2d: each 2x2 block of outputs from a
 * 4x4 block of input with 16 multiplications per channel pair instead of 36. Four passes:
 *   winograd_filter     U[p][ci][co] = (G g G^T)[p]              once per filter tensor (cached)
 *   winograd_input      V[p][t][ci]  = (B^T d B)[p]              one invocation per (tile, channel)
 *   winograd_gemm       M[p][t][co]  = sum_ci V[p][t][ci] U[p][ci][co]   16 GEMMs (z = p), tiled as igemm
 *   winograd_output     y            = A^T M A, the 2x2 block cropped to the output
 * with p = 4 * row + col of the 4x4 transformed tile, t = (batch, tile row, tile column) and co padded to
 * a multiple of 4 (vec4 loads of U). Matrices (Lavin and Gray's F(2x2, 3x3)):
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1].
 * The conv block's `extra` holds the padded output-channel count; `total` the pass's work items (tiles x
 * channels; the tile count for the GEMM, whose `mBase` is the first row of a pass).
 */
import { linearIndex } from '../buffers.js';
import { CONV_WGSL_COMMON } from './conv_params.js';
import { stageBAndMultiply } from './igemm.js';

export const WINOGRAD_WORKGROUP = 64;
/** Invocations of the GEMM along N (vec4 columns) and M (rows, 4 per invocation). */
export const WINOGRAD_GEMM_WX = 8;
export const WINOGRAD_GEMM_WY = 8;
export const WINOGRAD_GEMM_KT = 16;

/** Tiles of the output: 2x2 blocks, per image. */
export function winogradTiles(outHeight: number, outWidth: number, batch: number): number {
  return batch * Math.ceil(outHeight / 2) * Math.ceil(outWidth / 2);
}

export const WINOGRAD_FILTER_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> u: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(${WINOGRAD_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(WINOGRAD_WORKGROUP)};
  let coP = p.extra;
  if (idx >= p.inC * coP) { return; }
  let co = idx % coP;
  let ci = idx / coP;
  var g: array<array<f32, 3>, 3>;
  for (var ky = 0; ky < 3; ky++) {
    for (var kx = 0; kx < 3; kx++) {
      var v = 0.0;
      if (co < p.outC) { v = w[((ky * 3 + kx) * p.inC + ci) * p.outC + co]; }
      g[ky][kx] = v;
    }
  }
  // t = G g: 4 x 3
  var t: array<array<f32, 3>, 4>;
  for (var c = 0; c < 3; c++) {
    t[0][c] = g[0][c];
    t[1][c] = 0.5 * (g[0][c] + g[1][c] + g[2][c]);
    t[2][c] = 0.5 * (g[0][c] - g[1][c] + g[2][c]);
    t[3][c] = g[2][c];
  }
  // U = t G^T: 4 x 4
  let plane = p.inC * coP;
  for (var r = 0; r < 4; r++) {
    let row = array<f32, 4>(
      t[r][0],
      0.5 * (t[r][0] + t[r][1] + t[r][2]),
      0.5 * (t[r][0] - t[r][1] + t[r][2]),
      t[r][2],
    );
    for (var c = 0; c < 4; c++) { u[(r * 4 + c) * plane + idx] = row[c]; }
  }
}
`;

/**
 * WGSL lines that split invocation `idx` into its 2x2 output tile (batch b, tile row ty, column tx; t
 * the tile's index) and its channel `channel` (of p.`count`), for the input and output transforms.
 */
function tileOfInvocation(channel: string, count: 'inC' | 'outC'): string {
  return `  let tilesH = (p.outH + 1) / 2;
  let tilesW = (p.outW + 1) / 2;
  let ${channel} = idx % p.${count};
  let t = idx / p.${count};
  let tx = t % tilesW;
  let r = t / tilesW;
  let ty = r % tilesH;
  let b = r / tilesH;`;
}

export const WINOGRAD_INPUT_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> v: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(${WINOGRAD_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(WINOGRAD_WORKGROUP)};
  if (idx >= p.total) { return; }
${tileOfInvocation('ci', 'inC')}
  let iy0 = 2 * ty - p.padT;
  let ix0 = 2 * tx - p.padL;
  var d: array<array<f32, 4>, 4>;
  for (var i = 0; i < 4; i++) {
    for (var j = 0; j < 4; j++) {
      let iy = iy0 + i;
      let ix = ix0 + j;
      var value = 0.0;
      if (iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW) { value = x[xIndex(b, iy, ix, ci)]; }
      d[i][j] = value;
    }
  }
  // s = B^T d
  var s: array<array<f32, 4>, 4>;
  for (var j = 0; j < 4; j++) {
    s[0][j] = d[0][j] - d[2][j];
    s[1][j] = d[1][j] + d[2][j];
    s[2][j] = d[2][j] - d[1][j];
    s[3][j] = d[1][j] - d[3][j];
  }
  // V = s B
  let plane = p.total;
  for (var i = 0; i < 4; i++) {
    let row = array<f32, 4>(s[i][0] - s[i][2], s[i][1] + s[i][2], s[i][2] - s[i][1], s[i][1] - s[i][3]);
    for (var j = 0; j < 4; j++) { v[(i * 4 + j) * plane + idx] = row[j]; }
  }
}
`;

/** 16 GEMMs [tiles x inC] x [inC x coP], one per transformed point (dispatch z). */
export const WINOGRAD_GEMM_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
const WX = ${WINOGRAD_GEMM_WX};
const WY = ${WINOGRAD_GEMM_WY};
const THREADS = ${WINOGRAD_GEMM_WX * WINOGRAD_GEMM_WY};
const KT = ${WINOGRAD_GEMM_KT};
const TM = ${4 * WINOGRAD_GEMM_WY};
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> bm: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> p: Params;
var<workgroup> As: array<f32, ${WINOGRAD_GEMM_KT * 4 * WINOGRAD_GEMM_WY}>;
var<workgroup> Bs: array<vec4<f32>, ${WINOGRAD_GEMM_KT * WINOGRAD_GEMM_WX}>;

@compute @workgroup_size(${WINOGRAD_GEMM_WX}, ${WINOGRAD_GEMM_WY})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let t = ty * WX + tx;
  let point = i32(wid.z);
  let M = p.total;
  let K = p.inC;
  let NP4 = p.extra / 4;
  let m0 = p.mBase + i32(wid.y) * TM;
  let q0 = i32(wid.x) * WX;
  let aBase = point * M * K;
  let bBase = point * K * NP4;
  var acc: array<vec4<f32>, 4>;
  for (var i = 0; i < 4; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k0 = 0; k0 < K; k0 += KT) {
    for (var e = t; e < KT * TM; e += THREADS) {
      let kk = e % KT;
      let mm = e / KT;
      let m = m0 + mm;
      let k = k0 + kk;
      var value = 0.0;
      if (m < M && k < K) { value = a[aBase + m * K + k]; }
      As[kk * TM + mm] = value;
    }
${stageBAndMultiply('bm[bBase + k * NP4 + q]')}
  }
  let q = q0 + tx;
  if (q >= NP4) { return; }
  for (var i = 0; i < 4; i++) {
    let m = m0 + 4 * ty + i;
    if (m < M) { c[(point * M + m) * NP4 + q] = acc[i]; }
  }
}
`;

export const WINOGRAD_OUTPUT_WGSL = /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> mt: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(${WINOGRAD_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = ${linearIndex(WINOGRAD_WORKGROUP)};
  if (idx >= p.total) { return; }
${tileOfInvocation('co', 'outC')}
  let plane = (p.total / p.outC) * p.extra;
  let at = t * p.extra + co;
  var m: array<array<f32, 4>, 4>;
  for (var i = 0; i < 4; i++) {
    for (var j = 0; j < 4; j++) { m[i][j] = mt[(i * 4 + j) * plane + at]; }
  }
  // s = A^T m: 2 x 4
  var s: array<array<f32, 4>, 2>;
  for (var j = 0; j < 4; j++) {
    s[0][j] = m[0][j] + m[1][j] + m[2][j];
    s[1][j] = m[1][j] - m[2][j] - m[3][j];
  }
  for (var i = 0; i < 2; i++) {
    let oy = 2 * ty + i;
    if (oy >= p.outH) { break; }
    let out0 = s[i][0] + s[i][1] + s[i][2];
    let out1 = s[i][1] - s[i][2] - s[i][3];
    y[yIndex(b, oy, 2 * tx, co)] = out0;
    if (2 * tx + 1 < p.outW) { y[yIndex(b, oy, 2 * tx + 1, co)] = out1; }
  }
}
`;
