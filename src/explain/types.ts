/**
 * Conv2dExplanation: a plain-data account of one conv2d, built by explainConv2d from ConvGeometry (and
 * the values, when given). Renderers (the CLI's text, the web page) only read it; they compute nothing.
 * Everything is JSON-serialisable (no Tensor objects, no functions).
 */
import type { GpuConvPlan } from '../gpu/planner.js';
import type { ConvGeometry, DataFormat, PaddingMode } from '../geometry.js';

/** One axis of a tensor: its name in TensorFlow's docs, its size, and what it means here. */
export interface AxisMeaning {
  /** e.g. "batch", "in_height", "filter_width", "in_channels", "out_channels" */
  name: string;
  size: number;
  /** A plain sentence, e.g. "1 image in the batch" or "7 filters, one output channel each". */
  meaning: string;
}

/** How one output spatial size comes about: the formula, with the numbers put in, and its value. */
export interface OutputSizeDerivation {
  axis: 'height' | 'width';
  /** e.g. "out = ceil(in / stride)" */
  formula: string;
  /** e.g. "ceil(10 / 2) = 5" */
  substituted: string;
  value: number;
  inSize: number;
  kernel: number;
  stride: number;
  dilation: number;
  effectiveKernel: number;
}

export interface PaddingExplanation {
  mode: PaddingMode;
  top: number;
  bottom: number;
  left: number;
  right: number;
  /** Plain sentences: how the total was found and why an odd extra row/column goes bottom/right. */
  notes: string[];
}

/**
 * Where the filter's centre lands on the padded input for each output, drawn as in the seed:
 * 'x' where some output's filter centre sits, '.' for other input cells, 'o' for padding cells.
 */
export interface CentreMap {
  paddedHeight: number;
  paddedWidth: number;
  /** One string per padded row, one character per padded column. */
  grid: string[];
  /** For each output position (oy, ox): the centre (row, col) in padded coordinates. */
  centres: { oy: number; ox: number; row: number; col: number }[];
  /** How "centre" is defined for even filter sizes (the top-left of the two middle taps). */
  note: string;
  /**
   * The same map over the input alone (padding rows/columns dropped): the view the seed draws, e.g.
   * `x.x.x` for SAME, stride 2, 3x3 on 5x5. Centres that fall on padding do not appear here.
   */
  inputGrid?: string[];
  /** true when the input is too large to draw: grid, inputGrid and centres are then empty. */
  omitted?: boolean;
}

/** The three steps of TensorFlow's conv2d, with their matrix shapes. */
export interface Im2colSteps {
  /** [filter_height * filter_width * in_channels, out_channels] */
  filterMatrixShape: [number, number];
  /** [batch, out_height, out_width, filter_height * filter_width * in_channels] */
  patchesShape: [number, number, number, number];
  /** The patches as a matrix: [batch * out_height * out_width, filter_height * filter_width * in_channels] */
  patchMatrixShape: [number, number];
  /** [batch * out_height * out_width, out_channels], reshaped to the output shape */
  productShape: [number, number];
  /**
   * Grouped convolution only: each group multiplies its own slice of the patches by its own filter
   * columns, [rows, taps] x [taps, out_channels / groups]; the groups' products side by side make
   * productShape. (patchMatrixShape holds every channel, so it does not match filterMatrixShape.)
   */
  perGroup?: {
    groups: number;
    patchMatrixShape: [number, number];
    filterMatrixShape: [number, number];
    productShape: [number, number];
  };
  /** One sentence per step, with the numbers in it. */
  steps: [string, string, string];
}

/** One product term of an output's sum. `inputIndex` is null when the tap falls on padding. */
export interface ProductTerm {
  /** Index into the input in its own layout ([b, y, x, c] for NHWC, [b, c, y, x] for NCHW); null on padding. */
  inputIndex: number[] | null;
  /** [ky, kx, ic, oc] into the filter */
  filterIndex: [number, number, number, number];
  /** 0 on padding */
  inputValue: number;
  weight: number;
  padding: boolean;
}

/** One output value as its sum of products. */
export interface OutputBreakdown {
  /** Index into the output in its own layout (rank 4; rank-3 inputs get batch 0 prepended). */
  outputIndex: number[];
  value: number;
  terms: ProductTerm[];
  /**
   * e.g. "14 = 4*1 + 3*0 + 1*1 + 2*2 + 1*1 + 0*0 + 1*0 + 2*0 + 4*1": terms in filter order (row, column,
   * then in_channel), each "input*weight". A tap on padding is written "0(pad)*w". Numbers are printed
   * shortest (0.5, -1.25); values needing more than 4 decimals are rounded to 4 (4 significant digits
   * below 1) in the text only, and negative factors are parenthesised: "2*(-0.5)".
   */
  text: string;
}

export interface Conv2dExplanation {
  geometry: ConvGeometry;
  dataFormat: DataFormat;
  inputShape: number[];
  filterShape: number[];
  outputShape: number[];
  axes: { input: AxisMeaning[]; filter: AxisMeaning[]; output: AxisMeaning[] };
  outputSize: [OutputSizeDerivation, OutputSizeDerivation];
  padding: PaddingExplanation;
  centres: CentreMap;
  im2col: Im2colSteps;
  /**
   * Which algorithm convkit would use for this geometry, and why; with the memory it takes: scratch
   * (one call's working memory) and the filter's prepared form (packed once, kept between calls).
   */
  plan: {
    algorithm: string;
    reason: string;
    /** The precision option the plan was made for ('auto' unless ExplainOptions.precision says). */
    precision: 'auto' | 'highest';
    /**
     * The algorithm's float32 error bound on max |y - exact| / max |exact| (README, "Accuracy"), and a
     * note on how it comes about and where it does not hold.
     */
    accuracy: { relativeErrorBound: number; note: string };
    scratchBytes: number;
    preparedFilterBytes: number;
  };
  /** Things a reader should not miss, one sentence each: today, why the output is empty when it is. */
  warnings: string[];
  /**
   * With `backend: 'webgpu'`: the WGSL kernel the GPU planner picks (for an adapter with WebGPU's
   * default limits), its workgroup size, output tile, dispatch size and why.
   */
  gpu?: GpuConvPlan;
  /** Present when input and filter values were given. */
  values?: {
    /**
     * The whole output, flat, in the output's layout, when it has at most 2^20 values
     * (`outputListed`); empty beyond that, where `stats` summarises it.
     */
    output: number[];
    /** false when the output was too large to list in `output`. */
    outputListed: boolean;
    /** Smallest, largest and mean output value; absent when the output is empty. */
    stats?: { min: number; max: number; mean: number };
    /**
     * The breakdowns shown: every output when the problem is small, else only the one at `at` (or none).
     */
    breakdowns: OutputBreakdown[];
    /** true when not every output got a breakdown (problem too large and no `at` given). */
    summarised: boolean;
  };
}

/** Options of explainConv2d: conv2d's options, plus which output to break down for large problems. */
export interface ExplainOptions {
  strides?: number | number[];
  padding?: 'SAME' | 'VALID' | 'same' | 'valid' | number[][];
  dataFormat?: DataFormat;
  dilations?: number | number[];
  /** As conv2d's: 'highest' plans only GEMM-accurate algorithms (direct, im2col, igemm). */
  precision?: 'auto' | 'highest';
  /** Output index [b, y, x, c] (in the output's layout) to break down when the problem is large. */
  at?: number[];
  /**
   * Break down every output when there are at most this many (default 64); refused (ResourceExhaustedError)
   * when that would list more than MAX_BROKEN_DOWN_PRODUCTS (2^18) products in all.
   */
  maxBreakdowns?: number;
  /** 'webgpu' adds `gpu`: the WebGPU backend's plan (default 'wasm': the CPU plan only). */
  backend?: 'wasm' | 'webgpu';
}
