#!/usr/bin/env node
/**
 * convkit's command line: `convkit explain | run | walkthrough | train-mnist`. Exit codes: 0 success, 2 a mistake in
 * the command line or its inputs (a one-line message, no stack trace), 1 anything unexpected.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerExplainCommand } from './explain_command.js';
import { registerRunCommand } from './run_command.js';
import { registerModelCommand } from './model_command.js';
import { registerWalkthroughCommand } from './walkthrough.js';
import { trainMnistCommand } from './train_mnist.js';
import { UsageError } from './usage_error.js';
import { ConvkitError } from '../errors.js';

const USAGE_EXIT_CODE = 2;

/** The package version, read from package.json (two levels up from both src/cli and dist/cli). */
function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function buildProgram(): Command {
  const program = new Command('convkit')
    .description("TensorFlow's tf.nn.conv2d in TypeScript: run it, and see how every output is made.")
    .version(packageVersion())
    .exitOverride()
    .showSuggestionAfterError(true);
  registerExplainCommand(program);
  registerRunCommand(program);
  registerModelCommand(program);
  registerWalkthroughCommand(program);
  // exitOverride is not inherited by commands added with addCommand.
  program.addCommand(trainMnistCommand().exitOverride());
  return program;
}

function fail(message: string, hints: string[] = []): void {
  process.stderr.write(`convkit: ${message}\n`);
  for (const hint of hints) process.stderr.write(`  ${hint}\n`);
  process.exitCode = USAGE_EXIT_CODE;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (help, version, or the error naming the flag).
      process.exitCode = error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    } else if (error instanceof UsageError) {
      fail(error.message, error.hints);
    } else if (error instanceof ConvkitError) {
      fail(error.message);
    } else {
      process.stderr.write(`convkit: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  }
}

await main(process.argv);
