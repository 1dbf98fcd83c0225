/**
 * conv2d_direct: one invocation per output value, the definition's loops as they read (the GPU's
 * reference, like src/algorithms/direct.ts on the CPU). Any layout (through the layout strides),
 * groups, strides, dilations and padding; padding is a multiplied zero, as in every convkit algorithm.
 * Depthwise convolution runs here too: its geometry is a grouped conv2d's (groups = channels).
 */
import { linearIndex } from '../buffers.js';
import { CONV_WGSL_COMMON } from './conv_params.js';

export const DIRECT_WORKGROUP = 64;

/** The direct kernel; `onlyNonFinite`: it recomputes only outputs already in y that are not finite. */
function directWgsl(onlyNonFinite: boolean): string {
  return /* wgsl */ `
${CONV_WGSL_COMMON}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn outputAt(idx: i32) {
  // Output coordinates in NHWC order (channel fastest), whatever the layout.
  let oc = idx % p.outC;
  var r = idx / p.outC;
  let ox = r % p.outW;
  r = r / p.outW;
  let oy = r % p.outH;
  let b = r / p.outH;
${
  onlyNonFinite
    ? `  // Exponent bits all ones: infinity or NaN (WGSL has no isinf / isnan).
  if ((bitcast<u32>(y[yIndex(b, oy, ox, oc)]) & 0x7f800000u) != 0x7f800000u) { return; }`
    : ''
}
  let c0 = (oc / p.coutPG) * p.cinPG;
  var sum = 0.0;
  for (var ky = 0; ky < p.kh; ky++) {
    let iy = oy * p.sh - p.padT + ky * p.dh;
    for (var kx = 0; kx < p.kw; kx++) {
      let ix = ox * p.sw - p.padL + kx * p.dw;
      let inside = iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW;
      let wRow = (ky * p.kw + kx) * p.cinPG;
      for (var ic = 0; ic < p.cinPG; ic++) {
        var xv = 0.0;
        if (inside) { xv = x[xIndex(b, iy, ix, c0 + ic)]; }
        sum = sum + xv * w[(wRow + ic) * p.outC + oc];
      }
    }
  }
  y[yIndex(b, oy, ox, oc)] = sum;
}

@compute @workgroup_size(${DIRECT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let first = ${linearIndex(DIRECT_WORKGROUP)};
${
  onlyNonFinite
    ? `  // Fewer invocations than outputs may be dispatched (as many as Winograd's output pass): each takes
  // every step-th output.
  let step = i32(nwg.x * nwg.y * ${DIRECT_WORKGROUP}u);
  for (var idx = first; idx < p.total; idx += step) { outputAt(idx); }`
    : `  if (first < p.total) { outputAt(first); }`
}
}
`;
}

export const DIRECT_WGSL = directWgsl(false);

/**
 * Run after Winograd (its bindings as conv2d_direct's, y holding Winograd's output): each output that
 * is not finite is recomputed as the sum of products. Winograd's transforms mix a tile's values, so an
 * infinity in its input or filter meets infinity - infinity (NaN) where the sum is an infinity; a
 * finite output passes untouched. As the CPU Winograd's igemm recompute (src/algorithms/winograd.ts).
 */
export const DIRECT_NONFINITE_WGSL = directWgsl(true);
