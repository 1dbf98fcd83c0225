/**
 * f32-bias-clamp: the model runtime's convolution epilogue, y = clamp(y + bias + residual, lo, hi),
 * in place over n floats (NHWC: the bias repeats every c floats). c = 0: no bias; r = 0: no residual.
 * ReLU is lo = 0, hi = +inf; ReLU6 lo = 0, hi = 6; no activation lo = -inf, hi = +inf. The clamp is
 * pmax then pmin, v < lo ? lo : v > hi ? hi : v as in the TypeScript reference: NaN stays NaN, as in
 * TensorFlow's Relu, and -0 stays -0. (f32x4.max(-0, 0) would be +0, and on x86 f32x4.min / max cost
 * about seven instructions each for their NaN and signed-zero rules; pmin / pmax are one.)
 *
 * Memory (byte addresses, laid out by the host, src/runtime/wasm_epilogue.ts): y (n floats), b (c
 * floats), r (n floats). When c is a multiple of 4 a pixel's channels go 4 at a time, and without a bias the whole
 * array does; otherwise one by one.
 */
export function f32_bias_clamp(y: usize, n: i32, b: usize, c: i32, r: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const end = y + ((<usize>n) << 2);
  if (c > 0 && (c & 3) === 0) {
    const row = (<usize>c) << 2;
    let rp = r;
    for (let p = y; p < end; p += row) {
      for (let k: usize = 0; k < row; k += 16) {
        let v = f32x4.add(v128.load(p + k), v128.load(b + k));
        if (r !== 0) v = f32x4.add(v, v128.load(rp + k));
        v128.store(p + k, f32x4.pmin(f32x4.pmax(v, vlo), vhi));
      }
      if (r !== 0) rp += row;
    }
    return;
  }
  let start = y;
  if (c === 0) {
    // No bias: 4 floats at a time, then the tail one by one.
    const vectorEnd = y + (((<usize>n) >> 2) << 4);
    let rv = r;
    for (let p = y; p < vectorEnd; p += 16) {
      let v = v128.load(p);
      if (r !== 0) {
        v = f32x4.add(v, v128.load(rv));
        rv += 16;
      }
      v128.store(p, f32x4.pmin(f32x4.pmax(v, vlo), vhi));
    }
    start = vectorEnd;
  }
  let k = 0;
  let rp = r + (start - y);
  for (let p = start; p < end; p += 4) {
    let v = load<f32>(p);
    if (c > 0) {
      v += load<f32>(b + ((<usize>k) << 2));
      if (++k === c) k = 0;
    }
    if (r !== 0) {
      v += load<f32>(rp);
      rp += 4;
    }
    store<f32>(p, v < lo ? lo : v > hi ? hi : v);
  }
}
