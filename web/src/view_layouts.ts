/**
 * Layout guide: what NHWC and NCHW mean for the input in memory, and TensorFlow's HWIO filter versus
 * PyTorch's OIHW, with the transposes that convert between them.
 */
import { h, section } from './dom.js';
import { fmtList } from './format.js';
import { dimsOf, flatIndex, type Position } from './layout.js';
import type { Model } from './model.js';

const MEMORY_CELLS = 24;
const CHANNEL_HUES = [212, 32, 152, 280, 350, 190, 60, 250];

/** The first cells of the flat buffer in one layout, labelled with the (y, x, c) they hold. */
function memoryStrip(model: Model, format: 'NHWC' | 'NCHW'): HTMLElement {
  const d = model.inputDims;
  const count = Math.min(MEMORY_CELLS, d.n * d.h * d.w * d.c);
  const cells: HTMLElement[] = [];
  // Inverse of flatIndex for the first `count` positions of batch 0.
  const positions = new Map<number, Position>();
  for (let y = 0; y < d.h; y++)
    for (let x = 0; x < d.w; x++)
      for (let c = 0; c < d.c; c++) {
        const i = flatIndex(format, d, [0, y, x, c]);
        if (i < count) positions.set(i, [0, y, x, c]);
      }
  for (let i = 0; i < count; i++) {
    const p = positions.get(i);
    if (!p) continue;
    const hue = CHANNEL_HUES[p[3] % CHANNEL_HUES.length];
    cells.push(
      h(
        'span',
        {
          class: 'mem',
          style: { '--hue': String(hue) },
          attrs: { title: `flat index ${i}: y=${p[1]}, x=${p[2]}, channel ${p[3]}` },
        },
        h('small', {}, `c${p[3]}`),
        `${p[1]},${p[2]}`,
      ),
    );
  }
  return h(
    'div',
    { class: 'memory' },
    h('div', { class: 'mem-label' }, format),
    h(
      'div',
      { class: 'mem-strip' },
      cells,
      count < d.n * d.h * d.w * d.c ? h('span', { class: 'mem more' }, '…') : null,
    ),
  );
}

function stridesText(format: 'NHWC' | 'NCHW', model: Model): string {
  const d = model.inputDims;
  return format === 'NHWC'
    ? `index = ((b·${d.h} + y)·${d.w} + x)·${d.c} + c`
    : `index = ((b·${d.c} + c)·${d.h} + y)·${d.w} + x`;
}

export function renderLayouts(model: Model): HTMLElement {
  const e = model.explanation;
  const s = model.state;
  const [kh, kw, ic, oc] = e.filterShape;
  const nhwc = s.dataFormat === 'NHWC' ? e.inputShape : null;
  const other = s.dataFormat === 'NHWC' ? 'NCHW' : 'NHWC';
  const d = dimsOf(e.inputShape, s.dataFormat);
  const axisRow = (a: { name: string; size: number; meaning: string }): HTMLElement =>
    h(
      'tr',
      {},
      h('th', { attrs: { scope: 'row' } }, h('code', {}, a.name)),
      h('td', { class: 'num' }, a.size),
      h('td', {}, a.meaning),
    );
  return section(
    'layouts',
    'Layouts: NHWC or NCHW, HWIO or OIHW',
    'The same numbers can sit in memory in different orders. TensorFlow defaults to NHWC (channels last); PyTorch uses NCHW (channels first). Filters differ too.',
    h(
      'div',
      { class: 'layout-cols' },
      h(
        'div',
        {},
        h('h3', {}, 'Input ', h('span', { class: 'shape' }, fmtList(e.inputShape)), ` (${s.dataFormat})`),
        h('table', { class: 'axes' }, h('tbody', {}, e.axes.input.map(axisRow))),
        h(
          'p',
          {},
          'The first values in memory, in each layout. Each box is one number: its channel on top, its row,column below.',
          d.c === 1 ? ' With one channel the two orders coincide.' : '',
        ),
        memoryStrip(model, 'NHWC'),
        memoryStrip(model, 'NCHW'),
        h(
          'p',
          { class: 'dim' },
          h('code', {}, stridesText('NHWC', model)),
          ' versus ',
          h('code', {}, stridesText('NCHW', model)),
        ),
        h(
          'p',
          {},
          `The same input in ${other} is `,
          h(
            'code',
            { class: 'shape' },
            fmtList(other === 'NCHW' ? [d.n, d.c, d.h, d.w] : [d.n, d.h, d.w, d.c]),
          ),
          nhwc ? '.' : ' (convkit and TensorFlow take either with dataFormat / data_format).',
        ),
      ),
      h(
        'div',
        {},
        h('h3', {}, 'Filter ', h('span', { class: 'shape' }, fmtList(e.filterShape))),
        h('table', { class: 'axes' }, h('tbody', {}, e.axes.filter.map(axisRow))),
        // In a scroller: 3-digit shapes (the seed's [100, 100, 3, 7]) are wider than a phone.
        h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { class: 'compare' },
            h(
              'thead',
              {},
              h('tr', {}, h('th', {}, ''), h('th', {}, 'TensorFlow / convkit'), h('th', {}, 'PyTorch')),
            ),
            h(
              'tbody',
              {},
              h(
                'tr',
                {},
                h('th', { attrs: { scope: 'row' } }, 'filter'),
                h('td', {}, h('code', {}, 'HWIO ', h('span', { class: 'shape' }, fmtList([kh, kw, ic, oc])))),
                h('td', {}, h('code', {}, 'OIHW ', h('span', { class: 'shape' }, fmtList([oc, ic, kh, kw])))),
              ),
              h(
                'tr',
                {},
                h('th', { attrs: { scope: 'row' } }, 'images'),
                h('td', {}, h('code', {}, 'NHWC (default) or NCHW')),
                h('td', {}, h('code', {}, 'NCHW')),
              ),
            ),
          ),
        ),
        h(
          'pre',
          { class: 'code small', attrs: { tabindex: 0 } },
          h(
            'code',
            {},
            [
              '# filters: TensorFlow HWIO <-> PyTorch OIHW',
              'w_oihw = w_hwio.permute(3, 2, 0, 1)',
              'w_hwio = w_oihw.permute(2, 3, 1, 0)',
              '# (NumPy: np.transpose(w, (3, 2, 0, 1)))',
              '',
              '# images: NHWC <-> NCHW',
              'x_nchw = x_nhwc.permute(0, 3, 1, 2)',
              'x_nhwc = x_nchw.permute(0, 2, 3, 1)',
              '# (TensorFlow: tf.transpose(x, [0, 3, 1, 2]))',
              '',
              '// convkit',
              "import { transpose } from 'convkit';",
              'const xNchw = transpose(xNhwc, [0, 3, 1, 2]);',
            ].join('\n'),
          ),
        ),
      ),
    ),
  );
}
