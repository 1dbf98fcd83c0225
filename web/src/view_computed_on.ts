/**
 * The one-line indicator of which backend computed the output values shown: WebGPU (with the adapter's
 * name) or the CPU (with the reason). The element stays in place and only its words change, so a
 * result that arrives later does not move the page.
 */
import { h, replaceChildren } from './dom.js';
import type { ComputedOn } from './model.js';

function words(c: ComputedOn): { headline: string; detail: string } {
  switch (c.on) {
    case 'pending':
      return {
        headline: c.adapter ? `Computing on WebGPU (${c.adapter})…` : 'Looking for WebGPU…',
        detail: 'the CPU’s values are shown meanwhile',
      };
    case 'webgpu':
      return {
        headline: `Computed on WebGPU (${c.adapter})`,
        detail:
          `${c.kernel}; agrees with the CPU to ${c.error === 0 ? '0' : c.error.toExponential(1)} of the ` +
          `output’s scale (${c.tolerance.toExponential(0)} allowed)`,
      };
    case 'cpu':
      return { headline: `Computed on the CPU: ${c.reason}`, detail: c.detail ?? '' };
  }
}

export class ComputedOnView {
  readonly element: HTMLElement;
  private readonly headline: HTMLElement;
  private readonly detail: HTMLElement;

  constructor() {
    this.headline = h('strong', { class: 'computed-on-headline', attrs: { 'data-testid': 'computed-on' } });
    this.detail = h('span', { class: 'computed-on-detail', attrs: { 'data-testid': 'computed-on-detail' } });
    this.element = h(
      'p',
      { class: 'computed-on', attrs: { role: 'status', 'data-on': 'pending' } },
      h('span', { class: 'computed-on-dot', attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'computed-on-text' }, this.headline, ' ', this.detail),
    );
  }

  show(c: ComputedOn): void {
    const { headline, detail } = words(c);
    this.element.dataset.on = c.on;
    this.element.setAttribute('aria-busy', String(c.on === 'pending'));
    if (this.headline.textContent !== headline) replaceChildren(this.headline, headline);
    if (this.detail.textContent !== detail) replaceChildren(this.detail, detail);
    this.detail.hidden = detail === '';
    // For tests and tools: the measured agreement, when WebGPU's values are shown.
    if (c.on === 'webgpu') this.element.dataset.error = String(c.error);
    else delete this.element.dataset.error;
  }
}
