/** The conv2d option flags shared by `convkit explain` and `convkit run`, and their conversion to options. */
import type { Command } from 'commander';
import type { ConvOptions, DataFormat } from '../geometry.js';
import { PRECISIONS, type Precision } from '../plan/accuracy.js';
import { oneOf, parsePads, parseWindowSteps } from './parse.js';
import { UsageError } from './usage_error.js';

const PADDING_MODES = ['VALID', 'SAME', 'EXPLICIT'] as const;

export interface ConvFlags {
  strides?: number[];
  padding?: (typeof PADDING_MODES)[number];
  pads?: number[];
  dilations?: number[];
  dataFormat?: DataFormat;
  precision?: Precision;
}

/** conv2d's options as the flags give them: the geometry, and the precision the plan must keep to. */
export type ConvFlagOptions = ConvOptions & { precision?: Precision };

export function addConvFlags(command: Command): Command {
  return command
    .option(
      '--strides <list>',
      'filter step: 2, or h,w (1,2), or 4 values in data-format order (1,2,2,1)',
      parseWindowSteps,
    )
    .option(
      '--padding <mode>',
      'VALID (default: no padding), SAME (out = ceil(in / stride)) or EXPLICIT (with --pads)',
      oneOf(PADDING_MODES),
    )
    .option(
      '--pads <t,b,l,r>',
      'explicit zero padding: top,bottom,left,right (implies --padding EXPLICIT)',
      parsePads,
    )
    .option('--dilations <list>', 'spacing between filter taps, same forms as --strides', parseWindowSteps)
    .option(
      '--data-format <layout>',
      'NHWC (default) or NCHW; the filter is always HWIO',
      oneOf(['NHWC', 'NCHW'] as const),
    )
    .option(
      '--precision <level>',
      'auto (default: Winograd or the FFT where faster) or highest (only direct, im2col and igemm: ' +
        'sums of products, as TensorFlow)',
      oneOf(PRECISIONS),
    );
}

/** A single number stays a number (both axes); 2 or 4 values stay a list, as conv2d takes them. */
function steps(values: number[] | undefined): number | number[] | undefined {
  if (values === undefined) return undefined;
  return values.length === 1 ? values[0] : values;
}

export function convOptionsFrom(flags: ConvFlags): ConvFlagOptions {
  const mode = flags.padding ?? (flags.pads ? 'EXPLICIT' : 'VALID');
  let padding: ConvOptions['padding'];
  if (mode === 'EXPLICIT') {
    if (!flags.pads) {
      throw new UsageError('--padding EXPLICIT needs --pads top,bottom,left,right (e.g. --pads 1,1,1,1)');
    }
    const [top, bottom, left, right] = flags.pads;
    padding = [
      [top, bottom],
      [left, right],
    ];
  } else {
    if (flags.pads) {
      throw new UsageError(`--pads only goes with --padding EXPLICIT, not --padding ${mode}`);
    }
    padding = mode;
  }
  return {
    strides: steps(flags.strides),
    padding,
    dataFormat: flags.dataFormat,
    dilations: steps(flags.dilations),
    precision: flags.precision,
  };
}
