/** Runs the convkit command line (src/cli/main.ts through tsx) in a child process, without colour. */
import { spawnSync } from 'node:child_process';

export const ROOT = new URL('../..', import.meta.url).pathname;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function convkit(...args: string[]): CliResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A mistake: exit code 2, a message on stderr, and no stack trace. */
export function assertUsageError(
  result: CliResult,
  message: RegExp,
  assert: typeof import('node:assert/strict'),
): void {
  assert.equal(result.status, 2, `exit code 2 expected; stderr: ${result.stderr}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}
