/** `convkit explain`: shapes, padding, filter centres, im2col steps and every output's sum of products. */
import type { Command } from 'commander';
import { Tensor, randomNormal, sizeOf } from '../tensor.js';
import { explainConv2d } from '../explain/explain.js';
import { ConvkitError } from '../errors.js';
import { addConvFlags, convOptionsFrom, type ConvFlags } from './conv_flags.js';
import { renderExplanation } from './explain_text.js';
import { parseIndex, parseNonNegativeInteger, parseNumberList, parseSeed, parseShape } from './parse.js';
import { isTensorFile, readTensorFile } from './tensor_files.js';
import { styleFor } from './style.js';
import { UsageError } from './usage_error.js';
import { shapeHints } from './hints.js';

interface ExplainFlags extends ConvFlags {
  input: string;
  filter: string;
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
    const t = readTensorFile(flag, text);
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
    .requiredOption(
      '--input <shape|file>',
      'input shape (e.g. 1,4,4,1: batch,height,width,channels) or a .npy/.json file',
    )
    .requiredOption(
      '--filter <shape|file>',
      'filter shape (height,width,in_channels,out_channels) or a .npy/.json file',
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
      'list every output sum when there are at most n outputs (default 64)',
      parseNonNegativeInteger,
    )
    .option('--json', 'print the explanation as JSON (the Conv2dExplanation object)')
    .addHelpText(
      'after',
      '\nExample (the worked example of the seed question):\n' +
        '  convkit explain --input 1,4,4,1 --input-values 4,3,1,0,2,1,0,1,1,2,4,1,3,1,0,2 \\\n' +
        '    --filter 3,3,1,1 --filter-values 1,0,1,2,1,0,0,0,1 --padding VALID',
    )
    .action((flags: ExplainFlags) => {
      const options = convOptionsFrom(flags);
      const [input, filter] = withValues(
        readOperand('--input', flags.input, flags.inputValues),
        readOperand('--filter', flags.filter, flags.filterValues),
        flags.random,
      );
      let explanation;
      try {
        explanation = explainConv2d(input.tensor ?? input.shape, filter.tensor ?? filter.shape, {
          ...options,
          at: flags.at,
          maxBreakdowns: flags.maxBreakdowns,
        });
      } catch (error) {
        if (!(error instanceof ConvkitError)) throw error;
        throw new UsageError(error.message, shapeHints(input.shape, filter.shape, options.dataFormat));
      }
      if (flags.json) {
        process.stdout.write(JSON.stringify(explanation, null, 2) + '\n');
        return;
      }
      process.stdout.write(renderExplanation(explanation, styleFor(process.stdout)));
    });
}
