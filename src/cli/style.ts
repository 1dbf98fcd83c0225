/** Terminal styling: ANSI colours when writing to a terminal (and NO_COLOR is unset), plain text otherwise. */

export interface Style {
  heading(text: string): string;
  python(text: string): string;
  code(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
}

const wrap =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const plain = (text: string): string => text;

export const PLAIN_STYLE: Style = {
  heading: plain,
  python: plain,
  code: plain,
  dim: plain,
  good: plain,
  bad: plain,
};

export const COLOR_STYLE: Style = {
  heading: (text) => wrap(1, 22)(wrap(36, 39)(text)),
  python: wrap(33, 39),
  code: wrap(32, 39),
  dim: wrap(2, 22),
  good: wrap(32, 39),
  bad: wrap(31, 39),
};

/** Colour only for a terminal; NO_COLOR turns it off and FORCE_COLOR on (https://no-color.org). */
export function styleFor(stream: NodeJS.WriteStream): Style {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return PLAIN_STYLE;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return COLOR_STYLE;
  return stream.isTTY ? COLOR_STYLE : PLAIN_STYLE;
}
