/** Impossible settings: convkit's own message, what it means in plain words, and one-click fixes. */
import type { AppApi } from './app_api.js';
import { h, section } from './dom.js';
import { adviceFor } from './error_words.js';
import type { PageError } from './model.js';
import type { PageState } from './state.js';
import { DEFAULT_STATE } from './presets.js';

function patchFor(
  fix: ReturnType<typeof adviceFor>['fixes'][number]['fix'],
  state: PageState,
): Partial<PageState> {
  switch (fix) {
    case 'same':
      return { padding: { mode: 'SAME' } };
    case 'stride1':
      return { strides: [1, 1] };
    case 'dilation1':
      return { dilations: [1, 1] };
    case 'channels': {
      const shape = state.inputShape;
      const channels =
        state.dataFormat === 'NHWC' ? shape[shape.length - 1] : shape[shape.length === 4 ? 1 : 0];
      const [kh, kw, , oc] = state.filterShape;
      return { filterShape: [kh, kw, channels, oc], w: null };
    }
    case 'smaller':
      return { ...DEFAULT_STATE };
  }
}

export function renderError(error: PageError, state: PageState, app: AppApi): HTMLElement {
  const advice = error.source === 'convkit' ? adviceFor(error.message) : { words: error.message, fixes: [] };
  return section(
    'error',
    'These settings are impossible',
    null,
    h(
      'div',
      { class: 'error-box', attrs: { role: 'alert', 'data-testid': 'error' } },
      error.source === 'convkit'
        ? [
            h('p', { class: 'error-label' }, `convkit says (${error.name}):`),
            h('pre', { class: 'error-message', attrs: { 'data-testid': 'error-message' } }, error.message),
          ]
        : h('p', { class: 'error-label' }, error.name),
      h(
        'p',
        { class: 'error-words', attrs: { 'data-testid': 'error-words' } },
        h('strong', {}, 'In plain words: '),
        advice.words,
      ),
      advice.fixes.length > 0
        ? h(
            'div',
            { class: 'fixes' },
            advice.fixes.map((f) =>
              h(
                'button',
                {
                  class: 'btn',
                  attrs: { type: 'button' },
                  on: { click: () => app.update(patchFor(f.fix, state)) },
                },
                f.label,
              ),
            ),
          )
        : null,
    ),
  );
}
