/**
 * The sum of products behind one output, read from the explanation's breakdown: every input value
 * times its weight, across all channels, "4×1 + 3×0 + … = 14". Hovering a product lights up its cells.
 */
import type { AppApi } from './app_api.js';
import { h } from './dom.js';
import type { OutputBreakdown, ProductTerm } from './explain_source.js';
import { fmt, fmtFactor, plural } from './format.js';
import { positionOf, type Position } from './layout.js';
import type { Model } from './model.js';

/** Longer sums show their first and last products around an ellipsis. */
const MAX_TERMS_SHOWN = 36;
const HEAD_TERMS = 24;
const TAIL_TERMS = 4;

function termElement(term: ProductTerm, app: AppApi): HTMLElement {
  const input = term.padding ? '0' : fmtFactor(term.inputValue);
  const [ky, kx, ic] = term.filterIndex;
  const where = term.padding
    ? `padding (a zero) × filter[${ky}, ${kx}, ${ic}]`
    : `input[${term.inputIndex?.join(', ')}] × filter[${term.filterIndex.join(', ')}]`;
  return h(
    'span',
    {
      class: `term${term.padding ? ' pad' : ''}${term.inputValue * term.weight === 0 ? ' zero' : ''}`,
      attrs: { tabindex: 0, title: where },
      on: {
        mouseenter: () => app.hoverTerm(term),
        mouseleave: () => app.hoverTerm(null),
        focus: () => app.hoverTerm(term),
        blur: () => app.hoverTerm(null),
      },
    },
    `${input}×${fmtFactor(term.weight)}`,
  );
}

/** "a×b + c×d + … = value", eliding the middle of long sums. */
function sumLine(terms: ProductTerm[], total: string, app: AppApi): HTMLElement {
  const line = h('p', { class: 'sum' });
  const shown =
    terms.length <= MAX_TERMS_SHOWN
      ? terms
      : [...terms.slice(0, HEAD_TERMS), null, ...terms.slice(-TAIL_TERMS)];
  shown.forEach((term, i) => {
    if (i > 0) line.append(' + ');
    if (term === null) {
      line.append(
        h(
          'span',
          { class: 'elided' },
          `… ${(terms.length - HEAD_TERMS - TAIL_TERMS).toLocaleString('en')} more products …`,
        ),
      );
    } else line.append(termElement(term, app));
  });
  line.append(' = ', h('strong', { class: 'total' }, total));
  return line;
}

export function renderBreakdown(
  model: Model,
  focus: Position | null,
  breakdown: OutputBreakdown | undefined,
  app: AppApi,
): HTMLElement {
  const box = h('div', { class: 'breakdown', attrs: { 'data-testid': 'breakdown', 'aria-live': 'polite' } });
  if (!focus || !breakdown) {
    box.append(h('p', { class: 'dim' }, focus ? 'No breakdown for this output.' : 'The output is empty.'));
    return box;
  }
  const g = model.explanation.geometry;
  const format = model.state.dataFormat;
  const terms = breakdown.terms;
  const onPadding = terms.filter((t) => t.padding).length;
  const channels = [...new Set(terms.map((t) => t.filterIndex[2]))];
  box.append(
    h('h3', {}, `How output[${focus.join(', ')}] = ${fmt(breakdown.value)} comes about`),
    sumLine(terms, fmt(breakdown.value), app),
    h(
      'p',
      { class: 'dim' },
      `${plural(terms.length, 'product')}: ${g.filterHeight}×${g.filterWidth} filter positions × ` +
        `${plural(g.filterInChannels, 'input channel')}` +
        (onPadding > 0
          ? `; ${onPadding} of them fall on padding, so they add 0.`
          : '; none falls on padding.'),
    ),
  );
  if (channels.length > 1) {
    // Per-channel subtotals: the filter is a cube as deep as the input, one slice per channel.
    const rows = channels.slice(0, 12).map((ic) => {
      const part = terms.filter((t) => t.filterIndex[2] === ic);
      const channel = part.find((t) => t.inputIndex)?.inputIndex;
      const label = channel ? positionOf(format, channel)[3] : ic;
      const subtotal = part.reduce((s, t) => s + t.inputValue * t.weight, 0);
      return h(
        'li',
        {},
        h('span', { class: 'channel-label' }, `channel ${label}`),
        sumLine(part, fmt(subtotal), app),
      );
    });
    box.append(
      h(
        'details',
        { class: 'per-channel' },
        h('summary', {}, `The same sum, one input channel at a time (${channels.length} channels)`),
        h('ol', { class: 'channel-sums' }, rows),
        channels.length > 12
          ? h('p', { class: 'dim' }, `… and ${channels.length - 12} more channels.`)
          : null,
      ),
    );
  }
  return box;
}
