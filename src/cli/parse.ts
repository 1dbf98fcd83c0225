/**
 * Parsers for flag values, in the form commander's argParser takes: each returns the parsed value or
 * throws commander's InvalidArgumentError, which commander prints naming the flag
 * ("error: option '--strides <list>' argument '1,2,3' is invalid. ...").
 */
import { InvalidArgumentError as FlagValueError } from 'commander';

/** Float32's largest finite value: numbers beyond it become Infinity when stored. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Splits "1,4,4,1", "1 4 4 1", or Python's "[1, 4, 4, 1]" / "(1, 4, 4, 1)" into entries. An empty entry
 * ("1,,4,1", a leading or trailing comma) is refused: dropping it would silently read another shape.
 */
function splitList(text: string): string[] {
  const entries = text
    .replace(/[[\]()]/g, ' ')
    .trim()
    .split(/\s*,\s*|\s+/);
  if (entries.length === 1 && entries[0] === '') return [];
  const empty = entries.indexOf('');
  if (empty >= 0) {
    throw new FlagValueError(
      `Entry ${empty + 1} of ${entries.length} is empty (two commas with nothing between, or a comma at ` +
        `an end): give every number.`,
    );
  }
  return entries;
}

/**
 * "1.5,-2,3e-1" -> numbers; an entry that is not a number, or not finite as a float32 (1e400, 1e39:
 * convkit computes in float32, as tf.nn.conv2d on float32 tensors), is refused.
 */
export function parseNumberList(text: string): number[] {
  const parts = splitList(text);
  if (parts.length === 0) throw new FlagValueError('Expected a comma-separated list of numbers.');
  return parts.map((part) => {
    const value = Number(part);
    if (Number.isNaN(value)) throw new FlagValueError(`"${part}" is not a number.`);
    if (/^[+-]?inf/i.test(part)) throw new FlagValueError(`"${part}" is not finite: give finite numbers.`);
    if (!Number.isFinite(Math.fround(value))) {
      throw new FlagValueError(
        `"${part}" overflows float32: values are float32 (as tf.nn.conv2d's), whose largest is about ` +
          `${FLOAT32_MAX.toPrecision(3)}.`,
      );
    }
    return value;
  });
}

/** Integers with a lower bound, e.g. a shape (>= 0) or strides (>= 1). */
function integerList(text: string, min: number, what: string): number[] {
  const parts = splitList(text);
  if (parts.length === 0) throw new FlagValueError(`Expected a comma-separated list of ${what}.`);
  return parts.map((part) => {
    const value = Number(part);
    if (/^\+?\d+$/.test(part) && !Number.isSafeInteger(value)) {
      throw new FlagValueError(`"${part}" is too large (integers up to ${Number.MAX_SAFE_INTEGER}).`);
    }
    if (!/^[+-]?\d+$/.test(part) || !Number.isSafeInteger(value) || value < min) {
      throw new FlagValueError(
        `"${part}" is not ${what === 'sizes' ? 'a size (integer >= 0)' : `an integer >= ${min}`}.`,
      );
    }
    return value;
  });
}

/** A tensor shape such as "1,4,4,1". */
export function parseShape(text: string): number[] {
  return integerList(text, 0, 'sizes');
}

/** Strides or dilations: 1 value (both axes), 2 (height, width) or 4 (in data-format order). */
export function parseWindowSteps(text: string): number[] {
  const values = integerList(text, 1, 'integers >= 1');
  if (![1, 2, 4].includes(values.length)) {
    throw new FlagValueError(`Expected 1, 2 or 4 integers (e.g. 2, 1,2 or 1,2,2,1), got ${values.length}.`);
  }
  return values;
}

/** Explicit padding: top,bottom,left,right. */
export function parsePads(text: string): number[] {
  const values = integerList(text, 0, 'integers >= 0');
  if (values.length !== 4) {
    throw new FlagValueError(`Expected 4 integers top,bottom,left,right, got ${values.length}.`);
  }
  return values;
}

/** An output index such as "0,1,1,0". */
export function parseIndex(text: string): number[] {
  return integerList(text, 0, 'integers >= 0');
}

export function parseNonNegativeInteger(text: string): number {
  const values = integerList(text, 0, 'integers >= 0');
  if (values.length !== 1) throw new FlagValueError('Expected one integer >= 0.');
  return values[0];
}

/** A random seed: any integer. */
export function parseSeed(text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new FlagValueError(`"${text}" is not an integer seed.`);
  }
  return Number(text);
}

/** One of a fixed set of words, case-insensitive; returns the canonical spelling. */
export function oneOf<T extends string>(choices: readonly T[]): (text: string) => T {
  return (text: string) => {
    const found = choices.find((c) => c.toLowerCase() === text.trim().toLowerCase());
    if (found === undefined) throw new FlagValueError(`Expected one of ${choices.join(', ')}.`);
    return found;
  };
}

/** Whether `text` reads as a shape ("1,4,4,1", "[1, 4, 4, 1]") rather than a file name. */
export function looksLikeShape(text: string): boolean {
  return /^\s*[[(]?\s*\d+(\s*[,\s]\s*\d+)*\s*,?\s*[\])]?\s*$/.test(text);
}

/** The extension of something that reads as a file name ("x.txt" -> ".txt"), else undefined. */
export function fileExtension(text: string): string | undefined {
  return /(\.[A-Za-z][A-Za-z0-9]*)$/.exec(text.trim())?.[1];
}
