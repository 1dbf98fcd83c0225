/**
 * The page's state: everything needed to redraw it, and its round trip through the URL
 * (`?input=1,4,4,1&filter=3,3,1,1&strides=1,1&padding=VALID&x=...&w=...`).
 */
import type { DataFormat } from 'convkit';
import type { Distribution } from './random.js';
import { exact } from './format.js';
import { readValues } from './values_text.js';

/** Values the address gave that are not numbers: kept as written, so the link is not rewritten into NaN. */
export interface RejectedText {
  /** The parameter's text as it came. */
  text: string;
  /** What is wrong, naming the entry. */
  message: string;
}

/** Rejected values by tensor: x (the input) and w (the filter). */
export type RejectedValues = Partial<Record<'x' | 'w', RejectedText>>;

export type PaddingChoice =
  { mode: 'SAME' | 'VALID' } | { mode: 'EXPLICIT'; top: number; bottom: number; left: number; right: number };

export interface PageState {
  /** In dataFormat order; may hold NaN when a field does not parse (convkit then says what is wrong). */
  inputShape: number[];
  /** Always [filter_height, filter_width, in_channels, out_channels]. */
  filterShape: number[];
  /** [h, w] (or the 1 or 4 numbers the URL gave). */
  strides: number[];
  dilations: number[];
  padding: PaddingChoice;
  dataFormat: DataFormat;
  /** Given values (in the tensor's layout); null means drawn from `seed`. */
  x: number[] | null;
  w: number[] | null;
  seed: number;
  dist: Distribution;
  /** The pinned output as [batch, row, col, channel], or null. */
  pin: number[] | null;
  /** Values from the address that could not be read (the page then says so instead of computing). */
  rejected?: RejectedValues | null;
}

/** "1, 4,4 ,1" -> [1, 4, 4, 1]; anything that is not a number becomes NaN so convkit can name it. */
export function parseList(text: string): number[] {
  const trimmed = text.trim().replace(/^\[|\]$/g, '');
  if (trimmed === '') return [];
  return trimmed
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map(Number);
}

/** What the two value lists are called in messages. */
export const VALUES_NAME = { x: 'Input values', w: 'Filter values' } as const;

function paddingFromText(text: string | null): PaddingChoice {
  const upper = (text ?? 'VALID').trim().toUpperCase();
  if (upper === 'SAME' || upper === 'VALID') return { mode: upper };
  // Explicit padding as top,bottom,left,right (or the word EXPLICIT with no numbers: all zero).
  const [top = 0, bottom = 0, left = 0, right = 0] = parseList(upper.replace(/^EXPLICIT:?/, ''));
  return { mode: 'EXPLICIT', top, bottom, left, right };
}

export function paddingToText(padding: PaddingChoice): string {
  if (padding.mode !== 'EXPLICIT') return padding.mode;
  return [padding.top, padding.bottom, padding.left, padding.right].join(',');
}

/** The options conv2d takes for this padding: explicit pads become 4 [before, after] pairs. */
export function paddingOption(padding: PaddingChoice, format: DataFormat): 'SAME' | 'VALID' | number[][] {
  if (padding.mode !== 'EXPLICIT') return padding.mode;
  const h = [padding.top, padding.bottom];
  const w = [padding.left, padding.right];
  return format === 'NHWC' ? [[0, 0], h, w, [0, 0]] : [[0, 0], [0, 0], h, w];
}

export function stateFromUrl(search: string, fallback: PageState): PageState {
  const params = new URLSearchParams(search);
  if (!params.has('input') && !params.has('filter')) return fallback;
  const list = (name: string, otherwise: number[]): number[] => {
    const text = params.get(name);
    return text === null ? otherwise : parseList(text);
  };
  const format = (params.get('format') ?? 'NHWC').toUpperCase() === 'NCHW' ? 'NCHW' : 'NHWC';
  const seed = Number(params.get('seed') ?? 1);
  const rejected: RejectedValues = {};
  const values = (which: 'x' | 'w'): number[] | null => {
    const text = params.get(which);
    if (text === null) return null;
    const reading = readValues(text, VALUES_NAME[which]);
    if (reading.ok) return reading.values;
    rejected[which] = { text, message: reading.message };
    return null;
  };
  const x = values('x');
  const w = values('w');
  return {
    inputShape: list('input', fallback.inputShape),
    filterShape: list('filter', fallback.filterShape),
    strides: list('strides', [1, 1]),
    dilations: list('dilations', [1, 1]),
    padding: paddingFromText(params.get('padding')),
    dataFormat: format,
    x,
    w,
    seed: Number.isSafeInteger(seed) ? seed : 1,
    dist: params.get('dist') === 'normal' ? 'normal' : 'int',
    pin: params.has('pin') ? list('pin', []) : null,
    rejected: rejected.x || rejected.w ? rejected : null,
  };
}

/** The query string for a state; defaults (dilations 1, NHWC) are left out to keep links short. */
export function urlFromState(state: PageState): string {
  const parts: [string, string][] = [
    ['input', state.inputShape.join(',')],
    ['filter', state.filterShape.join(',')],
    ['strides', state.strides.join(',')],
    ['padding', paddingToText(state.padding)],
  ];
  if (state.dilations.some((d) => d !== 1)) parts.push(['dilations', state.dilations.join(',')]);
  if (state.dataFormat !== 'NHWC') parts.push(['format', state.dataFormat]);
  // Values the address gave (usable or not) need no seed.
  const drawn = (which: 'x' | 'w'): boolean => state[which] === null && !state.rejected?.[which];
  if (drawn('x') || drawn('w')) {
    parts.push(['seed', String(state.seed)]);
    if (state.dist !== 'int') parts.push(['dist', state.dist]);
  }
  const valuesText = (which: 'x' | 'w'): string | null =>
    state.rejected?.[which]?.text ?? state[which]?.map(exact).join(',') ?? null;
  for (const which of ['x', 'w'] as const) {
    const text = valuesText(which);
    if (text !== null) parts.push([which, text]);
  }
  if (state.pin !== null) parts.push(['pin', state.pin.join(',')]);
  // Commas stay readable: only characters that would break the query are escaped.
  return '?' + parts.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ',')}`).join('&');
}
