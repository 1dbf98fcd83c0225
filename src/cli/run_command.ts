/** `convkit run`: conv2d on tensors read from .npy/.json files, result written to a file or printed. */
import type { Command } from 'commander';
import { convGeometry } from '../geometry.js';
import { conv2d } from '../ops/conv2d.js';
import { planConv2d, CONV2D_ALGORITHMS, type AlgorithmChoice } from '../plan/planner.js';
import { ConvkitError } from '../errors.js';
import { formatShape } from '../explain/numbers.js';
import { addConvFlags, convOptionsFrom, type ConvFlags } from './conv_flags.js';
import { oneOf } from './parse.js';
import { checkOutputExtension, readTensorFile, writeTensorFile } from './tensor_files.js';
import { checkOutputFile } from './output_paths.js';
import { shapeHints } from './hints.js';
import { UsageError } from './usage_error.js';

interface RunFlags extends ConvFlags {
  input?: string;
  filter?: string;
  output?: string;
  algorithm?: AlgorithmChoice;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .summary('run conv2d on tensors from .npy/.json files')
    .description(
      'Compute tf.nn.conv2d(input, filter) for tensors stored in NumPy .npy (float32/float64, C order) ' +
        'or JSON (nested arrays, or {"shape": [...], "data": [...]}) files. convkit computes in float32, as ' +
        'tf.nn.conv2d on float32 tensors: float64 inputs are rounded to float32 (with a note on stderr) and ' +
        'the output is float32.',
    )
    // Checked in the action rather than by commander's requiredOption, which reports a missing --input
    // before an unknown flag (so `run --help-me` or a mistyped `--inptu` said "--input not specified").
    .option('--input <file>', 'required: input tensor, .npy or .json')
    .option(
      '--filter <file>',
      'required: filter tensor [height, width, in_channels, out_channels], .npy or .json',
    );
  addConvFlags(command)
    .option('--output <file>', 'where to write the result (.npy or .json); printed when left out')
    .option(
      '--algorithm <name>',
      `auto (default), ${CONV2D_ALGORITHMS.join(', ')}`,
      oneOf(['auto', ...CONV2D_ALGORITHMS]),
    )
    .action((flags: RunFlags) => {
      if (flags.input === undefined) throw missingFile('--input');
      if (flags.filter === undefined) throw missingFile('--filter');
      const options = convOptionsFrom(flags);
      if (flags.output !== undefined) {
        checkOutputExtension('--output', flags.output);
        checkOutputFile('--output', flags.output);
      }
      const notes: string[] = [];
      const input = readTensorFile('--input', flags.input, notes);
      const filter = readTensorFile('--filter', flags.filter, notes);
      let output;
      let algorithm: string;
      try {
        const plan = planConv2d(
          convGeometry('conv2d', input.shape, filter.shape, options),
          flags.algorithm ?? 'auto',
          { precision: options.precision },
        );
        algorithm = plan.algorithm;
        // A forced algorithm that cannot take this geometry falls back; say so where it is seen.
        if (
          flags.algorithm !== undefined &&
          flags.algorithm !== 'auto' &&
          plan.algorithm !== flags.algorithm
        ) {
          notes.push(`--algorithm ${flags.algorithm}: ${plan.reason}`);
        }
        output = conv2d(input, filter, { ...options, algorithm: plan.algorithm });
      } catch (error) {
        if (!(error instanceof ConvkitError)) throw error;
        throw new UsageError(error.message, shapeHints(input.shape, filter.shape, options.dataFormat));
      }
      for (const note of notes) process.stderr.write(`convkit: note: ${note}\n`);
      const summary =
        `conv2d: input ${formatShape(input.shape)} with filter ${formatShape(filter.shape)} -> ` +
        `output ${formatShape(output.shape)} (algorithm: ${algorithm})`;
      if (flags.output === undefined) {
        process.stdout.write(`${summary}\n${output.toString()}\n`);
        return;
      }
      writeTensorFile('--output', flags.output, output);
      process.stdout.write(`${summary}\nwrote ${flags.output}\n`);
    });
}

function missingFile(flag: string): UsageError {
  return new UsageError(`missing ${flag}: give a .npy or .json file`, ['see convkit run --help']);
}
