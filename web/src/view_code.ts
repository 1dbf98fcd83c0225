/** The code panel: the page's convolution in convkit, TensorFlow and PyTorch, with a copy button. */
import { h, section } from './dom.js';
import { convkitCode, pytorchCode, tensorflowCode } from './code_snippets.js';
import type { Model } from './model.js';

const TABS = [
  { id: 'convkit', label: 'convkit (TypeScript)', code: convkitCode },
  { id: 'tensorflow', label: 'TensorFlow', code: tensorflowCode },
  { id: 'pytorch', label: 'PyTorch', code: pytorchCode },
] as const;

let selected: (typeof TABS)[number]['id'] = 'convkit';

export function renderCode(model: Model): HTMLElement {
  const pre = h('pre', { class: 'code', attrs: { tabindex: 0, 'data-testid': 'code' } });
  const code = h('code', {});
  pre.append(code);
  const copy = h('button', { class: 'btn small', attrs: { type: 'button' } }, 'Copy');
  const tabs = TABS.map((tab) =>
    h(
      'button',
      {
        class: 'tab',
        attrs: { type: 'button', role: 'tab', id: `code-tab-${tab.id}`, 'aria-controls': 'code-panel' },
        on: { click: () => show(tab.id) },
      },
      tab.label,
    ),
  );
  const show = (id: typeof selected): void => {
    selected = id;
    const tab = TABS.find((t) => t.id === id) ?? TABS[0];
    code.textContent = tab.code(model);
    tabs.forEach((el, i) => {
      const on = TABS[i].id === id;
      el.setAttribute('aria-selected', String(on));
      el.tabIndex = on ? 0 : -1;
    });
  };
  const tablist = h('div', {
    class: 'tabs',
    attrs: { role: 'tablist', 'aria-label': 'language' },
    on: {
      keydown: (event) => {
        // Arrow keys move between tabs, as in any tab list.
        const i = TABS.findIndex((t) => t.id === selected);
        const next = event.key === 'ArrowRight' ? i + 1 : event.key === 'ArrowLeft' ? i - 1 : null;
        if (next === null) return;
        const j = (next + TABS.length) % TABS.length;
        show(TABS[j].id);
        tabs[j].focus();
      },
    },
  });
  tablist.append(...tabs);
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(code.textContent ?? '').then(
      () => (copy.textContent = 'Copied'),
      () => (copy.textContent = 'Copy failed'),
    );
  });
  show(selected);
  return section(
    'code',
    'The same convolution in code',
    'Copy it and you get the numbers on this page. TensorFlow and convkit keep the filter as [height, width, in, out] (HWIO); PyTorch wants [out, in, height, width] (OIHW) and NCHW images.',
    h('div', { class: 'code-head' }, tablist, copy),
    h('div', { attrs: { id: 'code-panel', role: 'tabpanel' } }, pre),
  );
}
