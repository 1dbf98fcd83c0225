/**
 * TensorFlow's own three steps: flatten the filter into a matrix, unroll every window of the input
 * into a row of the patch matrix, multiply. The pinned output's row and column are highlighted.
 */
import type { AppApi } from './app_api.js';
import { h, section } from './dom.js';
import { fmt, fmtList } from './format.js';
import { flatIndex, positionOf, type Position } from './layout.js';
import type { Model } from './model.js';
import type { OutputBreakdown } from './explain_source.js';

const MAX_COLS = 27;
const MAX_OUT_COLS = 10;

/** Which of `count` indexes to show: all when few, else the ends and the ones around `focus`. */
function pickIndexes(count: number, focus: number, max: number): (number | null)[] {
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  const keep = new Set<number>();
  for (let i = 0; i < Math.min(3, count); i++) keep.add(i);
  for (let i = focus - 1; i <= focus + 1; i++) if (i >= 0 && i < count) keep.add(i);
  keep.add(count - 1);
  const sorted = [...keep].sort((a, b) => a - b);
  const out: (number | null)[] = [];
  sorted.forEach((v, i) => {
    if (i > 0 && v !== sorted[i - 1] + 1) out.push(null);
    out.push(v);
  });
  return out;
}

function pickColumns(count: number, max: number, focus = -1): (number | null)[] {
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  const head = Array.from({ length: max - 4 }, (_, i) => i);
  const tail = [count - 2, count - 1];
  const middle = focus >= head.length && focus < count - 2 ? [null, focus] : [];
  return [...head, ...middle, null, ...tail];
}

export function renderIm2col(model: Model, focus: Position | null, app: AppApi): HTMLElement {
  const e = model.explanation;
  const g = e.geometry;
  const steps = e.im2col;
  const format = model.state.dataFormat;
  const oc = focus?.[3] ?? 0;
  const taps = g.filterHeight * g.filterWidth * g.filterInChannels;

  // One patch row per output pixel (b, oy, ox): read from the breakdowns of output channel `oc`.
  const rowsByIndex = new Map<number, OutputBreakdown>();
  for (const b of e.values?.breakdowns ?? []) {
    const [bb, oy, ox, c] = positionOf(format, b.outputIndex);
    if (c === oc) rowsByIndex.set((bb * g.outHeight + oy) * g.outWidth + ox, b);
  }
  const rowCount = steps.patchMatrixShape[0];
  const focusRow = focus ? (focus[0] * g.outHeight + focus[1]) * g.outWidth + focus[2] : -1;
  const available = [...rowsByIndex.keys()].sort((a, b) => a - b);
  const rows: (number | null)[] =
    available.length === rowCount
      ? pickIndexes(rowCount, focusRow, 12)
      : available.filter((r) => r === focusRow);
  const cols = pickColumns(taps, MAX_COLS);
  const outCols = pickColumns(g.outChannels, MAX_OUT_COLS, oc);

  const tapLabel = (k: number): string => {
    const ic = k % g.filterInChannels;
    const kx = Math.floor(k / g.filterInChannels) % g.filterWidth;
    const ky = Math.floor(k / (g.filterInChannels * g.filterWidth));
    return g.filterInChannels > 1 ? `${ky},${kx},${ic}` : `${ky},${kx}`;
  };
  const rowLabel = (r: number): string => {
    const ox = r % g.outWidth;
    const oy = Math.floor(r / g.outWidth) % g.outHeight;
    const b = Math.floor(r / (g.outWidth * g.outHeight));
    return g.batch > 1 ? `${b}:(${oy},${ox})` : `(${oy},${ox})`;
  };
  const withOp = (op: string, figure: HTMLElement): HTMLElement =>
    h(
      'div',
      { class: 'panel-with-op' },
      h('div', { class: 'op', attrs: { 'aria-hidden': 'true' } }, op),
      figure,
    );
  const gap = (): HTMLElement => h('td', { class: 'gap' }, '…');
  const pick = (r: number, c: number): void => {
    const ox = r % g.outWidth;
    const oy = Math.floor(r / g.outWidth) % g.outHeight;
    const b = Math.floor(r / (g.outWidth * g.outHeight));
    app.pick([b, oy, ox, c]);
  };

  const patchTable = h(
    'table',
    { class: 'matrix patches', attrs: { 'aria-label': 'patch matrix' } },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        cols.map((k) => h('th', { class: 'tap-label' }, k === null ? '…' : tapLabel(k))),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        r === null
          ? h(
              'tr',
              { class: 'gap-row' },
              h('th', {}, '⋮'),
              cols.map(() => h('td', {}, '')),
            )
          : h(
              'tr',
              { class: r === focusRow ? 'focus' : '' },
              h('th', { attrs: { scope: 'row' } }, rowLabel(r)),
              cols.map((k) => {
                if (k === null) return gap();
                const term = rowsByIndex.get(r)?.terms[k];
                return h('td', { class: term?.padding ? 'pad' : '' }, term ? fmt(term.inputValue) : '');
              }),
            ),
      ),
    ),
  );
  const filterRows = pickColumns(taps, MAX_COLS);
  const filterTable = h(
    'table',
    { class: 'matrix filter-matrix', attrs: { 'aria-label': 'filter matrix' } },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        outCols.map((c) => h('th', { class: c === oc ? 'focus-col' : '' }, c === null ? '…' : `f${c}`)),
      ),
    ),
    h(
      'tbody',
      {},
      filterRows.map((k) =>
        k === null
          ? h(
              'tr',
              { class: 'gap-row' },
              h('th', {}, '⋮'),
              outCols.map(() => h('td', {}, '')),
            )
          : h(
              'tr',
              {},
              h('th', { class: 'tap-label', attrs: { scope: 'row' } }, tapLabel(k)),
              outCols.map((c) =>
                c === null
                  ? gap()
                  : h('td', { class: c === oc ? 'focus-col' : '' }, fmt(model.w[k * g.outChannels + c])),
              ),
            ),
      ),
    ),
  );
  const outputTable = h(
    'table',
    { class: 'matrix output-matrix', attrs: { 'aria-label': 'output matrix' } },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        outCols.map((c) => h('th', { class: c === oc ? 'focus-col' : '' }, c === null ? '…' : `f${c}`)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        r === null
          ? h(
              'tr',
              { class: 'gap-row' },
              h('th', {}, '⋮'),
              outCols.map(() => h('td', {}, '')),
            )
          : h(
              'tr',
              { class: r === focusRow ? 'focus' : '' },
              h('th', { attrs: { scope: 'row' } }, rowLabel(r)),
              outCols.map((c) => {
                if (c === null) return gap();
                const ox = r % g.outWidth;
                const oy = Math.floor(r / g.outWidth) % g.outHeight;
                const b = Math.floor(r / (g.outWidth * g.outHeight));
                const v = model.output[flatIndex(format, model.outputDims, [b, oy, ox, c])];
                return h(
                  'td',
                  {
                    class: `${c === oc ? 'focus-col' : ''}${r === focusRow && c === oc ? ' focus-cell' : ''}`,
                  },
                  h(
                    'button',
                    {
                      class: 'linkish',
                      attrs: { type: 'button', title: `pin output (${rowLabel(r)}, channel ${c})` },
                      on: { click: () => pick(r, c) },
                    },
                    fmt(v),
                  ),
                );
              }),
            ),
      ),
    ),
  );
  const note =
    available.length === rowCount
      ? null
      : h(
          'p',
          { class: 'dim' },
          `This problem is large, so only the pinned output’s row is shown (of ${rowCount.toLocaleString('en')} rows).`,
        );
  return section(
    'im2col',
    'The same thing as one matrix product',
    'TensorFlow’s documentation describes conv2d in three steps. They compute exactly the numbers above: each row of the patch matrix holds the input values under one window position, each column of the filter matrix holds one filter.',
    h(
      'ol',
      { class: 'steps' },
      steps.steps.map((s) => h('li', {}, s)),
    ),
    h(
      'div',
      { class: 'matmul' },
      h(
        'figure',
        {},
        h('figcaption', {}, 'patches ', h('code', { class: 'shape' }, fmtList(steps.patchMatrixShape))),
        h('div', { class: 'scroll' }, patchTable),
      ),
      withOp(
        '×',
        h(
          'figure',
          {},
          h(
            'figcaption',
            {},
            'filter matrix ',
            h('code', { class: 'shape' }, fmtList(steps.filterMatrixShape)),
          ),
          h('div', { class: 'scroll' }, filterTable),
        ),
      ),
      withOp(
        '=',
        h(
          'figure',
          {},
          h('figcaption', {}, 'output ', h('code', { class: 'shape' }, fmtList(steps.productShape))),
          h('div', { class: 'scroll' }, outputTable),
        ),
      ),
    ),
    focus && focusRow >= 0
      ? h(
          'p',
          { class: 'linkage' },
          `Row ${rowLabel(focusRow)} of the patches times column f${oc} of the filter matrix is one dot product of ${taps} terms: `,
          h('strong', {}, fmt(model.output[flatIndex(format, model.outputDims, focus)])),
          ', the same products as the sum under the stage.',
        )
      : null,
    note,
    h(
      'p',
      { class: 'dim' },
      `convkit would run this with the ${e.plan.algorithm} algorithm: ${e.plan.reason}.`,
    ),
  );
}
