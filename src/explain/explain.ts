/**
 * explainConv2d: a plain-data account of one conv2d (see types.ts). Sizes and padding come from
 * convGeometry, the algorithm from the planner, the output values from conv2d itself; this module only
 * puts them into words and walks the filter taps for the sums of products.
 */
import { convGeometry, type ConvGeometry } from '../geometry.js';
import { ResourceExhaustedError, invalid, show } from '../errors.js';
import { Tensor, checkShape, sizeOf } from '../tensor.js';
import { conv2d } from '../ops/conv2d.js';
import { checkOptionKeys } from '../ops/options.js';
import { planConv2d } from '../plan/planner.js';
import { planMemory } from '../plan/memory.js';
import { accuracyOf, checkPrecision } from '../plan/accuracy.js';
import { checkBackend, planGpuConv2d } from '../gpu/planner.js';
import type { Conv2dExplanation, ExplainOptions, OutputBreakdown } from './types.js';
import { filterAxes, inputAxes, outputAxes } from './axes.js';
import { emptyOutputWarnings, outputSizes, paddingExplanation } from './sizes.js';
import { centreMap } from './centres.js';
import { im2colSteps } from './im2col_steps.js';
import { allOutputIndexes, breakdownAt } from './breakdown.js';

const OP = 'explainConv2d';
const EXPLAIN_OPTIONS = [
  'strides',
  'padding',
  'dataFormat',
  'dilations',
  'precision',
  'at',
  'maxBreakdowns',
  'backend',
] as const;

/** Break down every output when there are at most this many. */
export const DEFAULT_MAX_BREAKDOWNS = 64;

/** `values.output` lists the whole output up to this many values; beyond it only `values.stats`. */
export const MAX_LISTED_OUTPUTS = 1 << 20;

/**
 * An explanation with values computes conv2d and keeps input, filter and output: refused beyond this
 * many values in any of them (64 MiB of float32 each), since no one reads an explanation that large.
 */
export const MAX_EXPLAINED_VALUES = 1 << 24;

/** Refuses, before any value is computed, a problem too large to explain with values. */
export function checkExplainableWithValues(g: ConvGeometry): void {
  const sizes: [string, readonly number[]][] = [
    ['input', g.inputShape],
    ['filter', g.filterShape],
    ['output', g.outputShape],
  ];
  for (const [what, shape] of sizes) {
    const count = sizeOf(shape);
    if (count > MAX_EXPLAINED_VALUES) {
      throw new ResourceExhaustedError(
        `${OP}: the ${what} ${show(shape)} has ${count} values, more than the ${MAX_EXPLAINED_VALUES} ` +
          `an explanation with values computes; explain the shapes alone (pass shapes, not tensors), ` +
          `or a smaller problem (conv2d itself takes it)`,
      );
    }
  }
}

/**
 * Breaking down every output lists each of its products: refused beyond this many products in all (a
 * few MB of text), since a request for more (a large maxBreakdowns on a large problem) would take
 * minutes and gigabytes before printing anything. `at` picks single outputs of any problem.
 */
export const MAX_BROKEN_DOWN_PRODUCTS = 1 << 18;

/** Refuses, before any value is computed, a maxBreakdowns that would list too many products. */
export function checkBreakdownSize(g: ConvGeometry, maxBreakdowns: number): void {
  const outputs = sizeOf(g.outputShape);
  if (outputs > maxBreakdowns) return; // only one output (at) is broken down
  const terms = g.filterHeight * g.filterWidth * g.filterInChannels;
  if (outputs * terms > MAX_BROKEN_DOWN_PRODUCTS) {
    throw new ResourceExhaustedError(
      `${OP}: maxBreakdowns ${maxBreakdowns} breaks down all ${outputs} outputs, ${terms} products each: ` +
        `${outputs * terms} products, more than the ${MAX_BROKEN_DOWN_PRODUCTS} an explanation lists; ` +
        `use a maxBreakdowns below ${outputs} and pick outputs with at`,
    );
  }
}

/** Smallest, largest and mean value, over the whole output, without copying it. */
function outputStats(output: Float32Array): { min: number; max: number; mean: number } | undefined {
  if (output.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < output.length; i++) {
    const v = output[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  // A NaN output makes every stat NaN (as reduce_min / reduce_max do), not the others' extremes.
  if (Number.isNaN(sum) && output.some(Number.isNaN)) return { min: NaN, max: NaN, mean: NaN };
  return { min, max, mean: sum / output.length };
}

/** A Tensor (values given) or a shape (number[]: geometry only). */
function shapeOf(arg: string, value: Tensor | number[]): readonly number[] {
  if (value instanceof Tensor) return value.shape;
  if (Array.isArray(value)) return checkShape(OP, arg, value);
  return invalid(OP, arg, `must be a Tensor (values) or a shape (array of integers), got ${show(value)}`);
}

/** `at` as a rank-4 output layout index; a rank-3 output's index may leave out the batch 0. */
function checkAt(g: ConvGeometry, at: unknown): number[] | undefined {
  if (at === undefined) return undefined;
  const rank4 = g.batched ? g.outputShape : [1, ...g.outputShape];
  const layout = g.dataFormat === 'NHWC' ? '[b, y, x, c]' : '[b, c, y, x]';
  const expected = `an index ${layout} into the output of shape ${show(g.outputShape)}`;
  if (!Array.isArray(at) || (at.length !== 4 && at.length !== g.outputShape.length)) {
    invalid(OP, 'at', `must be ${expected}, got ${show(at)}`);
  }
  const index = at.length === 4 ? [...at] : [0, ...at];
  index.forEach((v, axis) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= rank4[axis]) {
      invalid(
        OP,
        'at',
        `${show(at)} is outside the output: must be ${expected}, each entry in [0, size - 1]`,
      );
    }
  });
  return index as number[];
}

function checkMaxBreakdowns(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_BREAKDOWNS;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    invalid(OP, 'maxBreakdowns', `must be an integer >= 0, got ${show(value)}`);
  }
  return value;
}

function explainValues(
  g: ConvGeometry,
  input: Tensor,
  filter: Tensor,
  options: ExplainOptions,
  at: number[] | undefined,
  maxBreakdowns: number,
): NonNullable<Conv2dExplanation['values']> {
  const { strides, padding, dataFormat, dilations } = options;
  checkExplainableWithValues(g);
  checkBreakdownSize(g, maxBreakdowns);
  const output = conv2d(input, filter, { strides, padding, dataFormat, dilations }).data;
  const count = sizeOf(g.outputShape);
  const everyOutput = count <= maxBreakdowns;
  const indexes = everyOutput ? allOutputIndexes(g) : at ? [at] : [];
  const breakdowns: OutputBreakdown[] = indexes.map((index) =>
    breakdownAt(g, input.data, filter.data, output, index),
  );
  const listed = count <= MAX_LISTED_OUTPUTS;
  return {
    output: listed ? Array.from(output) : [],
    outputListed: listed,
    stats: outputStats(output),
    breakdowns,
    summarised: !everyOutput,
  };
}

/**
 * Explains conv2d(input, filter, options): axes, output sizes, padding, filter centres, the im2col
 * steps, the planned algorithm and, when both arguments are Tensors, every output's sum of products
 * (or only the one at `options.at` when there are more than `maxBreakdowns` outputs).
 * A shape (number[]) in place of a Tensor explains the geometry alone.
 */
export function explainConv2d(
  input: Tensor | number[],
  filter: Tensor | number[],
  options?: ExplainOptions,
): Conv2dExplanation {
  const opts = checkOptionKeys(OP, options, EXPLAIN_OPTIONS);
  const inputShape = shapeOf('input', input);
  const filterShape = shapeOf('filter', filter);
  const { strides, padding, dataFormat, dilations } = opts;
  const g = convGeometry(OP, inputShape, filterShape, { strides, padding, dataFormat, dilations });
  const at = checkAt(g, opts.at);
  const maxBreakdowns = checkMaxBreakdowns(opts.maxBreakdowns);
  const precision = checkPrecision(OP, opts.precision);
  const plan = planConv2d(g, 'auto', { precision }); // as conv2d with the same options would
  const explanation: Conv2dExplanation = {
    geometry: g,
    dataFormat: g.dataFormat,
    inputShape: [...g.inputShape],
    filterShape: [...g.filterShape],
    outputShape: [...g.outputShape],
    axes: { input: inputAxes(g), filter: filterAxes(g), output: outputAxes(g) },
    outputSize: outputSizes(g),
    padding: paddingExplanation(g),
    centres: centreMap(g),
    im2col: im2colSteps(g),
    plan: {
      algorithm: plan.algorithm,
      reason: plan.reason,
      precision,
      accuracy: accuracyOf(plan.algorithm, g),
      ...planMemory(g, plan.algorithm),
    },
    warnings: emptyOutputWarnings(g),
  };
  if (checkBackend(OP, opts.backend) === 'webgpu') {
    const gpu = planGpuConv2d(g, 'auto', undefined, precision);
    delete gpu.variant; // the kernel's name says it; the explanation stays plain data
    explanation.gpu = gpu;
  }
  if (input instanceof Tensor && filter instanceof Tensor) {
    explanation.values = explainValues(g, input, filter, opts, at, maxBreakdowns);
  }
  return explanation;
}
