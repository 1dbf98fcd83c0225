/**
 * Settings the page cannot show: convkit's own message, what it means in plain words, and one-click
 * fixes. Also the page's own refusals: a problem too large to draw, numbers that are not numbers.
 */
import type { AppApi } from './app_api.js';
import { h, section } from './dom.js';
import {
  adviceFor,
  intendedInputShape,
  threeNumberShapeAdvice,
  type Advice,
  type Fix,
} from './error_words.js';
import type { PageError } from './model.js';
import type { PageState } from './state.js';
import { DEFAULT_STATE } from './presets.js';

function patchFor(fix: Fix, state: PageState): Partial<PageState> {
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
    case 'add-dimension':
      return {
        inputShape:
          intendedInputShape(state.inputShape, state.filterShape, state.dataFormat) ?? state.inputShape,
        x: null,
      };
    case 'draw-values':
      return { ...(state.rejected?.x ? { x: null } : {}), ...(state.rejected?.w ? { w: null } : {}) };
    case 'smaller':
      return { ...DEFAULT_STATE };
  }
}

const TITLES: Record<PageError['source'], string> = {
  convkit: 'These settings are impossible',
  'too-large': 'Too large for this page',
  values: 'These numbers cannot be used',
};

/** A size convkit refuses (ResourceExhaustedError) is not impossible settings: TensorFlow takes it, given memory. */
function titleOf(error: PageError): string {
  if (error.source === 'convkit' && error.name === 'ResourceExhaustedError')
    return 'Too large to compute here';
  return TITLES[error.source];
}

function adviceOf(error: PageError, state: PageState): Advice {
  switch (error.source) {
    case 'convkit':
      return (
        threeNumberShapeAdvice(error.message, state.inputShape, state.filterShape, state.dataFormat) ??
        adviceFor(error.message)
      );
    case 'too-large':
      return { words: error.message, fixes: [{ label: 'Use a small example', fix: 'smaller' }] };
    case 'values':
      return {
        words:
          'Every entry must be a number, like 4, -0.5 or 1e-3; fix it under “Paste your own numbers”, or draw random numbers instead.',
        fixes: [{ label: 'Draw random numbers instead', fix: 'draw-values' }],
      };
  }
}

export function renderError(error: PageError, state: PageState, app: AppApi): HTMLElement {
  const advice = adviceOf(error, state);
  return section(
    'error',
    titleOf(error),
    null,
    h(
      'div',
      { class: 'error-box', attrs: { role: 'alert', 'data-testid': 'error' } },
      error.source === 'too-large'
        ? null
        : [
            h(
              'p',
              { class: 'error-label' },
              error.source === 'convkit' ? `convkit says (${error.name}):` : 'The link says:',
            ),
            h('pre', { class: 'error-message', attrs: { 'data-testid': 'error-message' } }, error.message),
          ],
      h(
        'p',
        { class: 'error-words', attrs: { 'data-testid': 'error-words' } },
        error.source === 'too-large' ? null : h('strong', {}, 'In plain words: '),
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
