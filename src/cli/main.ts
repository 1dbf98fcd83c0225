#!/usr/bin/env node
/**
 * convkit's command line: `convkit explain | run | walkthrough | train-mnist`. Exit codes: 0 success, 2 a mistake in
 * the command line or its inputs (a one-line message, no stack trace), 1 anything unexpected.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerExplainCommand } from './explain_command.js';
import { registerRunCommand } from './run_command.js';
import { registerModelCommand } from './model_command.js';
import { registerWalkthroughCommand } from './walkthrough.js';
import { trainMnistCommand } from './train_mnist.js';
import { reportError } from './report_error.js';

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

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error, (text) => process.stderr.write(text), packageVersion());
  }
}

await main(process.argv);
