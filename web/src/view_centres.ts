/** Where the filter's centre lands on the padded input for each output, drawn as in the seed answer. */
import { h, section } from './dom.js';
import type { Position } from './layout.js';
import type { Model } from './model.js';

export function renderCentres(model: Model, focus: Position | null): HTMLElement {
  const map = model.explanation.centres;
  if (map.omitted || map.grid.length === 0) {
    return section(
      'centres',
      'Where the filter’s centre lands',
      `The padded input is ${map.paddedHeight} × ${map.paddedWidth}: too large to draw one cell per pixel here.`,
    );
  }
  const focused = focus ? map.centres.find((c) => c.oy === focus[1] && c.ox === focus[2]) : undefined;
  const cols = map.paddedWidth;
  const small = map.paddedHeight <= 40 && cols <= 40;
  const cells = map.grid.flatMap((line, row) =>
    [...line].map((ch, col) =>
      h('span', {
        class: `c c-${ch === 'x' ? 'x' : ch === 'o' ? 'o' : 'dot'}${focused && focused.row === row && focused.col === col ? ' focus' : ''}`,
        attrs: {
          title:
            ch === 'x' ? `a filter centre (row ${row}, column ${col})` : ch === 'o' ? 'padding' : 'input',
        },
      }),
    ),
  );
  return section(
    'centres',
    'Where the filter’s centre lands',
    [
      'Each ',
      h('span', { class: 'c-inline c-x' }),
      ' is a spot the filter is centred on to make one output, ',
      h('span', { class: 'c-inline c-o' }),
      ' is padding. The seed’s answer draws the same picture with x and . characters.',
    ],
    h(
      'div',
      { class: 'centres-row' },
      h(
        'div',
        {
          class: `centre-map${small ? '' : ' tiny'}`,
          style: { '--cols': String(cols) },
          attrs: { role: 'img', 'aria-label': `filter centres: ${map.centres.length}` },
        },
        cells,
      ),
      map.inputGrid && map.inputGrid.length > 0 && map.inputGrid.length <= 24
        ? h(
            'figure',
            { class: 'ascii' },
            h('pre', {}, map.inputGrid.join('\n')),
            h('figcaption', {}, 'the input alone, as the seed writes it'),
          )
        : null,
    ),
    h('p', { class: 'dim' }, `${map.centres.length} centres, one per output position. ${map.note}.`),
  );
}
