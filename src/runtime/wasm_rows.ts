/**
 * The model runtime's layers that move or transform values one element (or one row) at a time, in
 * WebAssembly SIMD (wasm/assembly/rows.ts) when the inputs and the output all live in one heap's memory
 * (the model runtime's arena, WasmHeap.addressOf): Concatenate (one strided copy per input),
 * ZeroPadding2D (per image the rows copied into the padded output and only its border zeroed),
 * broadcasting Add / Multiply (the output's last two axes a call per index of the others),
 * BatchNormalization and Rescaling (float64 lanes), and the activations linear, ReLU, ReLU6, the
 * general ReLU and the hard sigmoid. Elsewhere (no engine, an arena outside wasm memory) kernels.ts'
 * TypeScript runs, with the same results: copies move bits, a float32 add or multiply is what the
 * TypeScript's float64 one gives once rounded, and the rest compute in float64 as its doubles do.
 *
 * Why: the TypeScript concatenation copies one pixel's channels of one input at a time (a subarray and
 * a set each: two 56x56x64 inputs took 0.31 ms, in wasm 0.04 ms, Node 24, 2-core Xeon), and its
 * broadcast computes every element's index.
 */
import type { WasmHeap } from '../kernels/wasm/heap.js';
import { float32Bits } from '../kernels/wasm/bits.js';
import { engineFor } from '../parallel/engine_for.js';
import { sizeOf } from '../tensor.js';
import { broadcastBinary, broadcastStrides, concatChunks, scaleShift, zeroPad } from './kernels.js';
import type { Pointwise } from './layers.js';

interface RowExports {
  f32_copy_rows(
    dst: number,
    dstStride: number,
    src: number,
    srcStride: number,
    rows: number,
    n: number,
  ): void;
  f32_zero_rows(dst: number, dstStride: number, rows: number, n: number): void;
  f32_binary_rows(
    dst: number,
    a: number,
    aRow: number,
    aCol: number,
    b: number,
    bRow: number,
    bCol: number,
    rows: number,
    n: number,
    mode: number,
  ): void;
  f32_clamp_rows(x: number, y: number, n: number, loBits: number, hiBits: number): void;
  f32_affine_rows(x: number, y: number, pixels: number, c: number, s: number): void;
  f32_relu_general_rows(x: number, y: number, n: number, slope: number, threshold: number, max: number): void;
  f32_hard_sigmoid_rows(x: number, y: number, n: number): void;
}

const ROW_KERNELS = [
  'f32_copy_rows',
  'f32_zero_rows',
  'f32_binary_rows',
  'f32_clamp_rows',
  'f32_affine_rows',
  'f32_relu_general_rows',
  'f32_hard_sigmoid_rows',
];

/** The row kernels and their heap for an output `out` (see engineFor), or null. */
function rowKernels(out: Float32Array): { exports: RowExports; heap: WasmHeap } | null {
  const engine = engineFor(out);
  const exports = engine?.kernels as Partial<RowExports> | undefined;
  if (!engine || !exports || !hasRowKernels(exports)) return null;
  return { exports: exports as RowExports, heap: engine.heap };
}

/** Whether the row kernels exist here (the engine is on and its module has them). */
export function rowsWasmAvailable(): boolean {
  return rowKernels(new Float32Array(0)) !== null;
}

/**
 * concatChunks (kernels.ts): inputs [outer, chunk_i] side by side into out [outer, sum of chunks], in
 * place in wasm memory where every array is there.
 */
export function concatFast(
  inputs: readonly Float32Array[],
  chunks: readonly number[],
  outer: number,
  out: Float32Array,
): Float32Array {
  const width = chunks.reduce((a, b) => a + b, 0);
  const k = rowKernels(out);
  const outAt = k ? k.heap.addressOf(out) : -1;
  const at = inputs.map((x, i) => (k && x.length === outer * chunks[i] ? k.heap.addressOf(x) : -1));
  if (!k || outAt < 0 || out.length !== outer * width || at.some((a) => a < 0))
    return concatChunks(inputs, chunks, outer, out);
  let column = 0;
  inputs.forEach((_, i) => {
    k.exports.f32_copy_rows(outAt + column * 4, width, at[i], chunks[i], outer, chunks[i]);
    column += chunks[i];
  });
  return out;
}

/** zeroPad (kernels.ts): NHWC images with `pads` rows and columns of zeros around each, in place where it can. */
export function zeroPadFast(
  x: Float32Array,
  batch: number,
  h: number,
  w: number,
  c: number,
  pads: [[number, number], [number, number]],
  out: Float32Array,
): Float32Array {
  const [[top, bottom], [left, right]] = pads;
  const oh = h + top + bottom;
  const ow = w + left + right;
  const k = rowKernels(out);
  const outAt = k ? k.heap.addressOf(out) : -1;
  const xAt = k && x.length === batch * h * w * c ? k.heap.addressOf(x) : -1;
  if (!k || outAt < 0 || xAt < 0 || out.length !== batch * oh * ow * c)
    return zeroPad(x, batch, h, w, c, pads, out);
  const row = ow * c;
  for (let b = 0; b < batch; b++) {
    const image = outAt + b * oh * row * 4;
    const first = image + top * row * 4; // the first image row's first byte in the output
    k.exports.f32_zero_rows(image, row, top, row);
    k.exports.f32_zero_rows(first, row, h, left * c);
    k.exports.f32_copy_rows(first + left * c * 4, row, xAt + b * h * w * c * 4, w * c, h, w * c);
    k.exports.f32_zero_rows(first + (left + w) * c * 4, row, h, right * c);
    k.exports.f32_zero_rows(first + h * row * 4, row, bottom, row);
  }
  return out;
}

/** f32_binary_rows' modes. */
const COPY = 0;
const MODES = { add: 1, multiply: 2 } as const;

/**
 * broadcastBinary (kernels.ts): inputs of the output's rank, each axis its size or 1, combined in order
 * (out = x0, then out = out + x1 or out * x1, ...), in place in wasm memory where every array is there.
 */
export function binaryFast(
  mode: 'add' | 'multiply',
  inputs: readonly Float32Array[],
  shapes: readonly (readonly number[])[],
  outShape: readonly number[],
  out: Float32Array,
): Float32Array {
  const size = sizeOf(outShape);
  const k = rowKernels(out);
  const outAt = k && out.length === size ? k.heap.addressOf(out) : -1;
  const at = inputs.map((x, i) => (k && x.length === sizeOf(shapes[i]) ? k.heap.addressOf(x) : -1));
  if (!k || outAt < 0 || size === 0 || at.some((a) => a < 0))
    return broadcastBinary(mode, inputs, shapes, outShape, out);
  // The last two axes go to the kernel (a row axis and a column axis; rank 1 is one row); the others
  // are counted here. Each input's stride along an axis is 0 where it is broadcast.
  const rank = outShape.length;
  const n = outShape[rank - 1];
  const rows = rank > 1 ? outShape[rank - 2] : 1;
  const outer = outShape.slice(0, Math.max(0, rank - 2));
  const strides = shapes.map(broadcastStrides);
  const index = new Array<number>(outer.length).fill(0);
  const images = size / (rows * n);
  for (let img = 0; img < images; img++) {
    const dst = outAt + img * rows * n * 4;
    inputs.forEach((_, i) => {
      const s = strides[i];
      let offset = 0;
      for (let d = 0; d < outer.length; d++) offset += index[d] * s[d];
      const src = at[i] + offset * 4;
      const rowStep = rank > 1 ? s[rank - 2] : 0;
      if (i === 0) k.exports.f32_binary_rows(dst, src, rowStep, s[rank - 1], 0, 0, 0, rows, n, COPY);
      else k.exports.f32_binary_rows(dst, dst, n, 1, src, rowStep, s[rank - 1], rows, n, MODES[mode]);
    });
    for (let d = outer.length - 1; d >= 0 && ++index[d] === outer[d]; d--) index[d] = 0;
  }
  return out;
}

/** The activations pointwiseFast runs in WebAssembly: the clamps, the general ReLU, the hard sigmoid. */
export function pointwiseInWasm(op: Pointwise): boolean {
  return op.fn in CLAMPS || op.fn === 'relu_general' || op.fn === 'hard_sigmoid';
}

/** Activations that are a clamp, as [lo, hi] (kernels.ts' rules: `v < lo ? lo : v`, then `v > hi ? hi : v`). */
const CLAMPS: Partial<Record<string, [number, number]>> = {
  linear: [-Infinity, Infinity],
  relu: [0, Infinity],
  relu6: [0, 6],
};

/**
 * out = act(x) for the activations of pointwiseInWasm, in place in wasm memory (x and out may be the
 * same array), with applyPointwise's bits (the clamps as pmax / pmin; the general ReLU and the hard
 * sigmoid in float64 lanes as its doubles, rounded once); false, with nothing written, where the
 * activation is another or x or out is not there (the caller then runs applyPointwise).
 */
export function pointwiseFast(op: Pointwise, x: Float32Array, out: Float32Array): boolean {
  if (!pointwiseInWasm(op)) return false;
  const k = rowKernels(out);
  const outAt = k && out.length === x.length ? k.heap.addressOf(out) : -1;
  const xAt = outAt >= 0 ? k!.heap.addressOf(x) : -1;
  if (xAt < 0) return false;
  runPointwise(k!.exports, op, xAt, outAt, out.length);
  return true;
}

/** Whether a kernel module has the row kernels (engines built before them do not). */
export function hasRowKernels(kernels: object): boolean {
  return ROW_KERNELS.every((name) => name in kernels);
}

/**
 * pointwiseInWasm's activation `op` over n floats at byte address xAt into yAt of the memory of
 * `kernels` (a module with the row kernels, see hasRowKernels): for a caller that took the addresses
 * before something could grow the memory and detach its views.
 */
export function runPointwise(kernels: object, op: Pointwise, xAt: number, yAt: number, n: number): void {
  const k = kernels as RowExports;
  const bounds = CLAMPS[op.fn];
  if (bounds) k.f32_clamp_rows(xAt, yAt, n, float32Bits(bounds[0]), float32Bits(bounds[1]));
  else if (op.fn === 'relu_general')
    k.f32_relu_general_rows(xAt, yAt, n, op.slope, op.threshold, op.max ?? Infinity);
  else if (op.fn === 'hard_sigmoid') k.f32_hard_sigmoid_rows(xAt, yAt, n);
  else throw new Error(`convkit: no row kernel for the activation ${op.fn}`);
}

/**
 * A step's per-channel scale and shift, packed once ([scale, shift]) so that the weights arena keeps
 * them in wasm memory between calls (WasmHeap.placeWeights).
 */
export function packAffine(scale: Float32Array, shift: Float32Array): Float32Array {
  const packed = new Float32Array(2 * scale.length);
  packed.set(scale);
  packed.set(shift, scale.length);
  return packed;
}

/** scaleShift (kernels.ts) with the same values, in place in wasm memory where it can. */
export function affineFast(x: Float32Array, packed: Float32Array, out: Float32Array): Float32Array {
  const c = packed.length / 2;
  const k = rowKernels(out);
  const outAt = k && out.length === x.length && x.length % c === 0 ? k.heap.addressOf(out) : -1;
  const xAt = outAt >= 0 ? k!.heap.addressOf(x) : -1;
  if (xAt < 0) return scaleShift(x, packed.subarray(0, c), packed.subarray(c), out);
  // Placing may grow the memory (detaching views, not moving data): the addresses stay good.
  const s = k!.heap.placeWeights(packed);
  k!.exports.f32_affine_rows(xAt, outAt, x.length / c, c, s);
  return out;
}
