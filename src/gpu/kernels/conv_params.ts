/**
 * The uniform block every convolution kernel reads: the ConvGeometry's numbers and the element strides
 * of the input and output layouts (so one shader serves NHWC and NCHW). Values come from the geometry
 * computed by src/geometry.ts; nothing here derives a size.
 */
import { layoutStrides, type ConvGeometry } from '../../geometry.js';
import { ParamsLayout } from '../buffers.js';

export const CONV_PARAMS = new ParamsLayout([
  'batch',
  'inH',
  'inW',
  'inC',
  'outH',
  'outW',
  'outC',
  'kh',
  'kw',
  'cinPG',
  'coutPG',
  'sh',
  'sw',
  'dh',
  'dw',
  'padT',
  'padL',
  'xsN',
  'xsH',
  'xsW',
  'xsC',
  'ysN',
  'ysH',
  'ysW',
  'ysC',
  'total',
  'mBase',
  'extra',
] as const);

export type ConvParamName = (typeof CONV_PARAMS.names)[number];

/** The block for geometry `g`; `total` is the kernel's work-item count, `extra` a kernel-specific value. */
export function convParams(g: ConvGeometry, total: number, extra = 0, mBase = 0): Int32Array<ArrayBuffer> {
  const x = layoutStrides(g.dataFormat, g.inHeight, g.inWidth, g.inChannels);
  const y = layoutStrides(g.dataFormat, g.outHeight, g.outWidth, g.outChannels);
  return CONV_PARAMS.pack({
    batch: g.batch,
    inH: g.inHeight,
    inW: g.inWidth,
    inC: g.inChannels,
    outH: g.outHeight,
    outW: g.outWidth,
    outC: g.outChannels,
    kh: g.filterHeight,
    kw: g.filterWidth,
    cinPG: g.filterInChannels,
    coutPG: g.outChannels / g.groups,
    sh: g.strideHeight,
    sw: g.strideWidth,
    dh: g.dilationHeight,
    dw: g.dilationWidth,
    padT: g.padTop,
    padL: g.padLeft,
    xsN: x.n,
    xsH: x.h,
    xsW: x.w,
    xsC: x.c,
    ysN: y.n,
    ysH: y.h,
    ysW: y.w,
    ysC: y.c,
    total,
    mBase,
    extra,
  });
}

/** WGSL shared by the conv kernels: the Params struct and the input/output index helpers. */
export const CONV_WGSL_COMMON = `
${CONV_PARAMS.wgsl}
fn xIndex(b: i32, iy: i32, ix: i32, c: i32) -> i32 {
  return b * p.xsN + iy * p.xsH + ix * p.xsW + c * p.xsC;
}
fn yIndex(b: i32, oy: i32, ox: i32, c: i32) -> i32 {
  return b * p.ysN + oy * p.ysH + ox * p.ysW + c * p.ysC;
}
`;
