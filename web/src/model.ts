/**
 * Turns the page state into what the views draw: the values (given or drawn), and convkit's own
 * explanation of the convolution. Any error convkit raises is kept, with its message, for the error view.
 */
import { convGeometry, tensor, type ConvOptions, type Tensor } from 'convkit';
import { explainConv2d, type Conv2dExplanation, type OutputBreakdown } from './explain_source.js';
import { dimsOf, layoutIndex, positionOf, type Dims, type Position } from './layout.js';
import { drawValues } from './random.js';
import { paddingOption, type PageState } from './state.js';

/** The page draws at most this many values per tensor, so the browser stays responsive. */
export const MAX_PAGE_VALUES = 1_000_000;
/** Break down every output (for the im2col view) while the products stay below this count. */
const MAX_TERMS_FOR_ALL_BREAKDOWNS = 60_000;

/**
 * One convolution the page computes: its tensors, options and the CPU's output. Models of the same
 * tensors and options (a pin moved) share the object, so a WebGPU result for one applies to them all.
 */
export interface Computation {
  inputShape: readonly number[];
  filterShape: readonly number[];
  x: Float32Array;
  w: Float32Array;
  options: ConvOptions;
  /** The CPU's output (explainConv2d's `values.output`); empty when the output is too large to list. */
  cpuOutput: number[];
  /** The CPU plan's bound on its relative error (a part of the tolerance the GPU is held to). */
  cpuErrorBound: number;
}

/** Which backend computed the output values the page shows, and why. */
export type ComputedOn =
  /** WebGPU is computing; the CPU's values are shown meanwhile. `adapter` once known. */
  | { on: 'pending'; adapter?: string }
  /** WebGPU's values are shown: they agree with the CPU's within `tolerance` of the output's scale. */
  | { on: 'webgpu'; adapter: string; kernel: string; error: number; tolerance: number }
  /** The CPU's values are shown: `reason` says why not WebGPU's; `detail` is the error text, if any. */
  | { on: 'cpu'; reason: string; detail?: string };

export interface Model {
  state: PageState;
  x: Float32Array;
  w: Float32Array;
  inputDims: Dims;
  outputDims: Dims;
  /** The CPU's exact account (sums of products, breakdowns). */
  explanation: Conv2dExplanation;
  /** Output values, flat, in the output's layout: WebGPU's when it ran and agreed, else the CPU's. */
  output: number[];
  computation: Computation;
  computedOn: ComputedOn;
}

export interface PageError {
  /**
   * 'convkit' when the library refused the settings; 'too-large' for the page's own size limit;
   * 'values' for numbers (from the address) that are not numbers.
   */
  source: 'convkit' | 'too-large' | 'values';
  name: string;
  message: string;
}

export type Outcome = { ok: true; model: Model } | { ok: false; error: PageError };

function convOptions(state: PageState): ConvOptions {
  return {
    strides: state.strides,
    dilations: state.dilations,
    padding: paddingOption(state.padding, state.dataFormat),
    dataFormat: state.dataFormat,
  };
}

function asError(error: unknown): PageError {
  if (error instanceof Error) return { source: 'convkit', name: error.name, message: error.message };
  return { source: 'convkit', name: 'Error', message: String(error) };
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The output position a pin (or the default, the first output) stands for, if the output has any. */
export function focusOf(
  state: PageState,
  outputShape: readonly number[],
  format: PageState['dataFormat'],
): Position | null {
  const d = dimsOf(outputShape, format);
  if (d.n * d.h * d.w * d.c === 0) return null;
  const pin = state.pin;
  if (
    pin &&
    pin.length === 4 &&
    pin.every((v, i) => Number.isInteger(v) && v >= 0 && v < [d.n, d.h, d.w, d.c][i])
  ) {
    return pin as Position;
  }
  return [0, 0, 0, 0];
}

/** Runs convkit for a state. `previous` lets a pin change reuse the values already drawn. */
export function buildModel(state: PageState, previous?: Model): Outcome {
  if (state.rejected) {
    const messages = [state.rejected.x?.message, state.rejected.w?.message].filter(Boolean);
    return { ok: false, error: { source: 'values', name: 'Not a number', message: messages.join('\n') } };
  }
  const options = convOptions(state);
  let geometryOnly: Conv2dExplanation;
  try {
    // conv2d's own checks first, so its messages name the op the page is about; then the explainer's
    // (which also checks that the shapes are whole numbers).
    convGeometry('conv2d', state.inputShape, state.filterShape, options);
    geometryOnly = explainConv2d([...state.inputShape], [...state.filterShape], options);
  } catch (error) {
    return { ok: false, error: asError(error) };
  }
  for (const [what, shape] of [
    ['input', state.inputShape],
    ['filter', state.filterShape],
  ] as const) {
    if (count(shape) > MAX_PAGE_VALUES) {
      return {
        ok: false,
        error: {
          source: 'too-large',
          name: 'Too large for this page',
          message:
            `The ${what} [${shape.join(', ')}] holds ${count(shape).toLocaleString('en')} values; this page ` +
            `draws at most ${MAX_PAGE_VALUES.toLocaleString('en')} per tensor so your browser stays responsive.`,
        },
      };
    }
  }
  let x: Tensor;
  let w: Tensor;
  try {
    const same = previous && sameValues(previous.state, state);
    x = same
      ? tensor(previous.x, state.inputShape)
      : tensor(
          state.x ?? drawValues(count(state.inputShape), state.seed, state.dist, 'input'),
          state.inputShape,
        );
    w = same
      ? tensor(previous.w, state.filterShape)
      : tensor(
          state.w ?? drawValues(count(state.filterShape), state.seed, state.dist, 'filter'),
          state.filterShape,
        );
  } catch (error) {
    return { ok: false, error: asError(error) };
  }
  const g = geometryOnly.geometry;
  const outputs = count(g.outputShape);
  const termsPerOutput = g.filterHeight * g.filterWidth * g.filterInChannels;
  const focus = focusOf(state, g.outputShape, state.dataFormat);
  try {
    // The page's one computation of conv2d (every view reads these values): the place to switch to
    // another backend, e.g. WebGPU when the browser has it.
    // The page's one computation of conv2d on the CPU (every view reads these values, or WebGPU's
    // once gpu_compute.ts has checked them against these).
    const explanation = explainConv2d(x, w, {
      ...options,
      at: focus ? layoutIndex(state.dataFormat, focus) : undefined,
      maxBreakdowns: outputs * termsPerOutput <= MAX_TERMS_FOR_ALL_BREAKDOWNS ? outputs : 0,
    });
    const cpuOutput = explanation.values?.output ?? [];
    // A moved pin keeps the computation, and with it WebGPU's values or the request still running.
    const kept = previous && sameValues(previous.state, state) && sameOptions(previous.state, state);
    return {
      ok: true,
      model: {
        state,
        x: x.data,
        w: w.data,
        inputDims: dimsOf(state.inputShape, state.dataFormat),
        outputDims: dimsOf(g.outputShape, state.dataFormat),
        explanation,
        output: kept ? previous.output : cpuOutput,
        computation: kept
          ? previous.computation
          : {
              inputShape: [...state.inputShape],
              filterShape: [...state.filterShape],
              x: x.data,
              w: w.data,
              options,
              cpuOutput,
              cpuErrorBound: explanation.plan.accuracy.relativeErrorBound,
            },
        // 'pending' until PageGpu.start hands it to WebGPU or says why the CPU's values stay.
        computedOn: kept ? previous.computedOn : { on: 'pending' },
      },
    };
  } catch (error) {
    return { ok: false, error: asError(error) };
  }
}

/** Whether two states hold the same tensors (so values need not be drawn again). */
function sameValues(a: PageState, b: PageState): boolean {
  return (
    a.inputShape.join() === b.inputShape.join() &&
    a.filterShape.join() === b.filterShape.join() &&
    a.dataFormat === b.dataFormat &&
    a.x === b.x &&
    a.w === b.w &&
    a.seed === b.seed &&
    a.dist === b.dist
  );
}

/** Whether two states convolve with the same options. */
function sameOptions(a: PageState, b: PageState): boolean {
  return JSON.stringify(convOptions(a)) === JSON.stringify(convOptions(b));
}

/** The breakdown of the output at `position`, when the explanation has it. */
export function breakdownFor(model: Model, position: Position): OutputBreakdown | undefined {
  return model.explanation.values?.breakdowns.find((b) => {
    const p = positionOf(model.state.dataFormat, b.outputIndex);
    return p.every((v, i) => v === position[i]);
  });
}
