/**
 * A mistake in how the command line was written (a flag missing, values or shapes that do not fit):
 * exit code 2. `hints` are plain-words sentences printed under the message.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly hints: string[];

  constructor(message: string, hints: string[] = []) {
    super(message);
    this.hints = hints;
  }
}
