/** `convkit explain`: shapes, padding, filter centres, im2col steps and every output's sum of products. */
import type { Command } from 'commander';
import { Tensor, randomNormal, sizeOf } from '../tensor.js';
import { checkBreakdownSize, checkExplainableWithValues, explainConv2d } from '../explain/explain.js';
import { ConvkitError } from '../errors.js';
import { convGeometry, type ConvGeometry, type ConvOptions } from '../geometry.js';
import { addConvFlags, convOptionsFrom, type ConvFlags } from './conv_flags.js';
import { renderExplanation } from './explain_text.js';
import {
  fileExtension,
  looksLikeShape,
  parseIndex,
  parseNonNegativeInteger,
  parseNumberList,
  parseSeed,
  parseShape,
} from './parse.js';
import { isFolder, isTensorFile, readTensorFile } from './tensor_files.js';
import { styleFor } from './style.js';
import { UsageError } from './usage_error.js';
import { shapeHints } from './hints.js';

/**
 * Without --max-breakdowns, every output's sum is listed only while all of them together hold at most
 * this many products (and there are at most 64 outputs); beyond it, one sum is shown as an example.
 */
const MAX_LISTED_TERMS = 256;
const MAX_LISTED_OUTPUTS = 64;

interface ExplainFlags extends ConvFlags {
  input?: string;
  filter?: string;
  inputValues?: number[];
  filterValues?: number[];
  random?: number;
  at?: number[];
  maxBreakdowns?: number;
  json?: boolean;
}

/** What --input / --filter (plus their -values flags) describe: a shape, maybe with values. */
interface Operand {
  shape: number[];
  tensor?: Tensor;
}

function parseShapeFlag(flag: string, text: string): number[] {
  if (!looksLikeShape(text) && isFolder(text)) {
    throw new UsageError(
      `${flag} ${text}: is a folder; give a .npy or .json file (a file name inside it), or a shape such as 1,4,4,1`,
    );
  }
  const ext = fileExtension(text);
  if (ext !== undefined) {
    throw new UsageError(
      `${flag} ${text}: "${ext}" files are not read; give a .npy or .json file, or a shape such as 1,4,4,1`,
    );
  }
  try {
    return parseShape(text);
  } catch (error) {
    throw new UsageError(
      `${flag} ${text}: ${(error as Error).message} Give a shape such as 1,4,4,1 or a .npy/.json file`,
    );
  }
}

function readOperand(flag: string, text: string, values: number[] | undefined): Operand {
  if (isTensorFile(text)) {
    if (values) throw new UsageError(`${flag}-values cannot be combined with a file for ${flag} (${text})`);
    const notes: string[] = [];
    const t = readTensorFile(flag, text, notes);
    for (const note of notes) process.stderr.write(`convkit: note: ${note}\n`);
    return { shape: [...t.shape], tensor: t };
  }
  const shape = parseShapeFlag(flag, text);
  if (!values) return { shape };
  const needed = sizeOf(shape);
  if (values.length !== needed) {
    throw new UsageError(
      `${flag}-values has ${values.length} numbers but ${flag} ${shape.join(',')} needs ${needed}`,
    );
  }
  return { shape, tensor: new Tensor(Float32Array.from(values), shape) };
}

/** Fills in values with --random, or insists that either both or neither operand has values. */
function withValues(input: Operand, filter: Operand, seed: number | undefined): [Operand, Operand] {
  if (seed !== undefined) {
    const fill = (o: Operand, offset: number): Operand =>
      o.tensor ? o : { ...o, tensor: randomNormal(o.shape, { seed: seed + offset }) };
    return [fill(input, 0), fill(filter, 1)];
  }
  if (input.tensor && !filter.tensor) {
    throw new UsageError(
      'the input has values but the filter does not: add --filter-values (or --random SEED)',
    );
  }
  if (filter.tensor && !input.tensor) {
    throw new UsageError(
      'the filter has values but the input does not: add --input-values (or --random SEED)',
    );
  }
  return [input, filter];
}

export function registerExplainCommand(program: Command): void {
  const command = program
    .command('explain')
    .summary('explain one conv2d: shapes, padding, filter centres, im2col, and the sum behind each output')
    .description(
      'Explain tf.nn.conv2d for one input and filter. With shapes only, explains the geometry; with ' +
        'values (--input-values/--filter-values, files, or --random), also shows each output as a sum of ' +
        'products.',
    )
    .option(
      '--input <shape|file>',
      'required: input shape (e.g. 1,4,4,1: batch,height,width,channels; [1,4,4,1] too) or a .npy/.json file',
    )
    .option(
      '--filter <shape|file>',
      'required: filter shape (height,width,in_channels,out_channels) or a .npy/.json file',
    )
    .option('--input-values <list>', 'input values, comma-separated, row-major', parseNumberList)
    .option('--filter-values <list>', 'filter values, comma-separated, row-major', parseNumberList);
  addConvFlags(command)
    .option('--random <seed>', 'fill missing values with seeded normal random numbers', parseSeed)
    .option(
      '--at <b,y,x,c>',
      'output index to break down when there are too many to list (output layout)',
      parseIndex,
    )
    .option(
      '--max-breakdowns <n>',
      'list every output sum when there are at most n outputs (default: up to 64, while all of them ' +
        'together hold at most 256 products)',
      parseNonNegativeInteger,
    )
    .option('--json', 'print the explanation as JSON (the Conv2dExplanation object)')
    .addHelpText(
      'after',
      '\nExample (the worked example of the seed question):\n' +
        '  npx convkit explain --input 1,4,4,1 --input-values 4,3,1,0,2,1,0,1,1,2,4,1,3,1,0,2 \\\n' +
        '    --filter 3,3,1,1 --filter-values 1,0,1,2,1,0,0,0,1 --padding VALID',
    )
    .action((flags: ExplainFlags) => {
      // Checked here rather than by commander's requiredOption, which reports a missing --input
      // before an unknown flag (so `explain --help-me` said "--input not specified").
      if (flags.input === undefined) throw missingFlag('--input', 'a shape such as 1,4,4,1');
      if (flags.filter === undefined) throw missingFlag('--filter', 'a shape such as 3,3,1,1');
      const options = convOptionsFrom(flags);
      const input = readOperand('--input', flags.input, flags.inputValues);
      const filter = readOperand('--filter', flags.filter, flags.filterValues);
      // The geometry first: shape mistakes and problems too large to explain are refused before any
      // value is drawn or computed.
      const g = withHints(input, filter, options, () =>
        convGeometry('explainConv2d', input.shape, filter.shape, options),
      );
      const hasValues =
        flags.random !== undefined || input.tensor !== undefined || filter.tensor !== undefined;
      if (flags.at && !hasValues) {
        throw new UsageError(
          `--at ${flags.at.join(',')} picks an output to break down into its sum of products, which needs values`,
          ['add --random SEED, or --input-values and --filter-values (or .npy/.json files)'],
        );
      }
      if (hasValues) {
        try {
          checkExplainableWithValues(g);
        } catch (error) {
          if (!(error instanceof ConvkitError)) throw error;
          throw new UsageError(error.message, [
            'leave out --random and the values to explain the shapes alone, or use a smaller input; ' +
              'convkit run computes conv2d of any size from .npy/.json files',
          ]);
        }
      }
      const [x, w] = withValues(input, filter, flags.random);
      const outputs = g.batch * g.outHeight * g.outWidth * g.outChannels;
      const maxBreakdowns = flags.maxBreakdowns ?? defaultMaxBreakdowns(g);
      if (hasValues) {
        try {
          checkBreakdownSize(g, maxBreakdowns);
        } catch (error) {
          if (!(error instanceof ConvkitError)) throw error;
          throw new UsageError(
            error.message.replace(/maxBreakdowns/g, '--max-breakdowns').replace(/ with at$/, ' with --at'),
            [
              `leave out --max-breakdowns (one sum is shown as an example), or break down one output ` +
                `with --at b,y,x,c`,
            ],
          );
        }
      }
      // A large problem still shows one sum, the first output's, unless --at picks another.
      const example = hasValues && flags.at === undefined && outputs > maxBreakdowns && outputs > 0;
      const at = flags.at ?? (example ? [0, 0, 0, 0] : undefined);
      const explanation = withHints(input, filter, options, () =>
        explainConv2d(x.tensor ?? x.shape, w.tensor ?? w.shape, { ...options, at, maxBreakdowns }),
      );
      if (flags.json) {
        process.stdout.write(JSON.stringify(explanation, null, 2) + '\n');
        return;
      }
      process.stdout.write(renderExplanation(explanation, styleFor(process.stdout), { example }));
    });
}

function missingFlag(flag: string, example: string): UsageError {
  return new UsageError(`missing ${flag}: give ${example}, or a .npy/.json file`, [
    'see convkit explain --help',
  ]);
}

/** Every output's sum when they are few and short together; else none (one example is shown). */
function defaultMaxBreakdowns(g: ConvGeometry): number {
  const terms = g.filterHeight * g.filterWidth * g.filterInChannels;
  return Math.min(MAX_LISTED_OUTPUTS, Math.floor(MAX_LISTED_TERMS / terms));
}

/** Runs a library call; its ConvkitError becomes a UsageError with plain-words hints about the shapes. */
function withHints<T>(input: Operand, filter: Operand, options: ConvOptions, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof ConvkitError)) throw error;
    throw new UsageError(error.message, shapeHints(input.shape, filter.shape, options.dataFormat));
  }
}
