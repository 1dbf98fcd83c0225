/**
 * Numbers typed, pasted or linked by the user, read strictly: every entry must be a finite number that
 * fits float32, or the reading fails with a message naming the entry (as the CLI's --input-values does),
 * so "abc" never turns into NaN on its way to the output.
 */

export type ValuesReading = { ok: true; values: number[] } | { ok: false; message: string };

/** Any mix of commas, spaces, semicolons, newlines and brackets separates entries ("[[4, 3], [2, 1]]"). */
function entriesOf(text: string): string[] {
  return text
    .replace(/[[\]()]/g, ' ')
    .split(/[\s,;]+/)
    .filter((entry) => entry !== '');
}

/** What is wrong with one entry, or null when it is a usable float32 number. */
function problemWith(entry: string): string | null {
  const value = Number(entry);
  if (Number.isNaN(value)) return 'is not a number';
  if (/^[+-]?inf(inity)?$/i.test(entry)) return 'is not a finite number';
  // Stored as float32, anything beyond its largest value (about 3.4e38) rounds to Infinity.
  if (!Number.isFinite(Math.fround(value))) {
    return 'is too large for float32 (whose largest value is about 3.4e38)';
  }
  return null;
}

/**
 * Reads `text` as a list of numbers. `what` names the list in messages, e.g. "Input values" gives
 * `Input values: "abc" (entry 3 of 16) is not a number.`
 */
export function readValues(text: string, what: string): ValuesReading {
  const entries = entriesOf(text);
  const values: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const problem = problemWith(entries[i]);
    if (problem !== null) {
      return {
        ok: false,
        message: `${what}: "${entries[i]}" (entry ${i + 1} of ${entries.length}) ${problem}.`,
      };
    }
    values.push(Number(entries[i]));
  }
  return { ok: true, values };
}

/**
 * Reads a shape typed in a field ("1, 4, 4, 1" or "[1,4,4,1]"): every entry must be a whole number
 * >= 0, else the reading names it (as the CLI's --input does). How many entries there are is left to
 * convkit, whose message explains the ranks it takes.
 */
export function readShape(text: string, what: string): ValuesReading {
  const entries = entriesOf(text);
  // "1,,4,1" (or a comma at an end): an entry left out would silently change the rank.
  const between = text
    .replace(/[[\]()]/g, ' ')
    .trim()
    .split(/\s*[,;]\s*/);
  const empty = between.length > 1 ? between.indexOf('') : -1;
  if (empty >= 0) {
    return {
      ok: false,
      message: `${what}: entry ${empty + 1} of ${between.length} is empty: every comma needs a number on each side.`,
    };
  }
  for (let i = 0; i < entries.length; i++) {
    if (!/^\+?\d+$/.test(entries[i]) || !Number.isSafeInteger(Number(entries[i]))) {
      return {
        ok: false,
        message: `${what}: "${entries[i]}" (entry ${i + 1} of ${entries.length}) is not a size (a whole number >= 0).`,
      };
    }
  }
  return { ok: true, values: entries.map(Number) };
}
