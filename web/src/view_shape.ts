/** The output shape, and the formula behind each of its spatial sizes with this problem's numbers in. */
import { h, section } from './dom.js';
import { fmtShape } from './format.js';
import type { Model } from './model.js';

export function renderShape(model: Model): HTMLElement {
  const e = model.explanation;
  const p = e.padding;
  const axisRow = (a: { name: string; size: number; meaning: string }): HTMLElement =>
    h(
      'tr',
      {},
      h('th', { attrs: { scope: 'row' } }, h('code', {}, a.name)),
      h('td', { class: 'num' }, a.size),
      h('td', {}, a.meaning),
    );
  return section(
    'shape',
    'Output shape',
    'The output’s height and width follow from the input size, the filter size, the stride, the dilation and the padding. Batch stays, and there is one output channel per filter.',
    h(
      'div',
      { class: 'shape-line' },
      h('span', { class: 'shape-label' }, 'Output shape'),
      h(
        'output',
        { class: 'shape-value', attrs: { 'data-testid': 'output-shape' } },
        fmtShape(e.outputShape),
      ),
      h('span', { class: 'dim' }, ` (${e.dataFormat})`),
    ),
    h(
      'div',
      { class: 'formulas', attrs: { 'data-testid': 'output-formula' } },
      e.outputSize.map((d) =>
        h(
          'div',
          { class: 'formula' },
          h('div', { class: 'formula-axis' }, `out_${d.axis}`),
          h('code', { class: 'formula-general' }, d.formula),
          h('code', { class: 'formula-numbers' }, d.substituted),
          d.dilation > 1
            ? h(
                'p',
                { class: 'dim' },
                `effective_k = (${d.kernel} − 1) × ${d.dilation} + 1 = ${d.effectiveKernel} (dilation spreads the taps)`,
              )
            : null,
        ),
      ),
    ),
    h(
      'div',
      { class: 'padding-box' },
      h(
        'h3',
        {},
        `Padding: ${p.mode}`,
        h('span', { class: 'dim' }, ` — top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}`),
      ),
      h(
        'ul',
        {},
        p.notes.map((n) => h('li', {}, n)),
      ),
    ),
    h(
      'table',
      { class: 'axes' },
      h('caption', {}, 'What each output axis means'),
      h('tbody', {}, e.axes.output.map(axisRow)),
    ),
  );
}
