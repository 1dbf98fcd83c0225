/**
 * How the command line reports an error that reached the top: a mistake in the command (a flag, a
 * value, a shape, a file) is one message and exit code 2, no stack trace; anything else is a bug in
 * convkit, reported with what an issue needs and exit code 1.
 */
import { CommanderError } from 'commander';
import { ConvkitError } from '../errors.js';
import { UsageError } from './usage_error.js';

export const USAGE_EXIT_CODE = 2;
export const BUG_EXIT_CODE = 1;

/** Writes the report for `error` with `write` and returns the exit code. */
export function reportError(error: unknown, write: (text: string) => void, version: string): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (help, version, or the error naming the flag).
    return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
  }
  if (error instanceof UsageError) {
    write(`convkit: ${error.message}\n${error.hints.map((h) => `  ${h}\n`).join('')}`);
    return USAGE_EXIT_CODE;
  }
  if (error instanceof ConvkitError) {
    write(`convkit: ${error.message}\n`);
    return USAGE_EXIT_CODE;
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && error.stack ? error.stack : String(error);
  write(
    `convkit: unexpected error: ${message}\n` +
      `  This is a bug in convkit, not a mistake in your command. Please report it (an issue in ` +
      `convkit's repository) with the command line you ran, convkit ${version}, Node ` +
      `${process.version}, and the details below.\n${stack}\n`,
  );
  return BUG_EXIT_CODE;
}
