/**
 * The settings panel: presets from the seed, shapes, strides, padding, dilations, layout, and where the
 * values come from (a seeded draw, pasted numbers or a picture with a classic filter). Built once; sync()
 * writes the state into it without disturbing the field being edited.
 */
import type { AppApi } from './app_api.js';
import { h } from './dom.js';
import { exact } from './format.js';
import { CLASSIC_FILTERS, imageFileToGray, sampleImage, type GrayImage } from './image.js';
import { convertShape, convertValues } from './layout.js';
import { PRESETS, presetOf } from './presets.js';
import { VALUES_NAME, type PageState, type RejectedValues } from './state.js';
import { readShape, readValues } from './values_text.js';

const IMAGE_SIDE = 32;
/** Values are copied into the paste boxes only while there are this few. */
const MAX_VALUES_IN_BOXES = 400;

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

function numberInput(testId: string, label: string, min: number): HTMLInputElement {
  return h('input', {
    class: 'num-input',
    attrs: {
      type: 'number',
      min,
      step: 1,
      inputmode: 'numeric',
      'data-testid': testId,
      'aria-label': label,
      id: testId,
    },
  });
}

function labelled(
  text: string,
  field: HTMLElement,
  hint?: HTMLElement | string,
  error?: HTMLElement,
): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { attrs: { for: field.id } }, text),
    field,
    error,
    hint ? h('div', { class: 'hint' }, hint) : null,
  );
}

function valueError(id: string): HTMLElement {
  return h('p', { class: 'field-error', attrs: { id, 'data-testid': id, role: 'alert', hidden: true } });
}

export class Controls {
  readonly element: HTMLElement;
  private state: PageState | null = null;
  private readonly preset = h('select', { attrs: { id: 'preset', 'data-testid': 'preset' } });
  private readonly presetNote = h('p', { class: 'preset-note', attrs: { 'data-testid': 'preset-note' } });
  private readonly inputShape = h('input', {
    attrs: {
      id: 'input-shape',
      'data-testid': 'input-shape',
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-describedby': 'input-shape-error',
    },
  });
  private readonly inputHint = h('span', {});
  private readonly filterShape = h('input', {
    attrs: {
      id: 'filter-shape',
      'data-testid': 'filter-shape',
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-describedby': 'filter-shape-error',
    },
  });
  private readonly format = h(
    'select',
    { attrs: { id: 'format', 'data-testid': 'format' } },
    h('option', { attrs: { value: 'NHWC' } }, 'NHWC (channels last, TensorFlow default)'),
    h('option', { attrs: { value: 'NCHW' } }, 'NCHW (channels first, PyTorch)'),
  );
  private readonly strideH = numberInput('stride-h', 'stride height', 1);
  private readonly strideW = numberInput('stride-w', 'stride width', 1);
  private readonly dilationH = numberInput('dilation-h', 'dilation height', 1);
  private readonly dilationW = numberInput('dilation-w', 'dilation width', 1);
  private readonly padding = h(
    'select',
    { attrs: { id: 'padding', 'data-testid': 'padding' } },
    h('option', { attrs: { value: 'VALID' } }, 'VALID (no padding)'),
    h('option', { attrs: { value: 'SAME' } }, 'SAME (pad to keep size / stride)'),
    h('option', { attrs: { value: 'EXPLICIT' } }, 'Explicit (choose each side)'),
  );
  private readonly pads = {
    top: numberInput('pad-top', 'padding top', 0),
    bottom: numberInput('pad-bottom', 'padding bottom', 0),
    left: numberInput('pad-left', 'padding left', 0),
    right: numberInput('pad-right', 'padding right', 0),
  };
  private readonly explicitBox: HTMLElement;
  private readonly seed = numberInput('seed', 'random seed', 0);
  private readonly dist = h(
    'select',
    { attrs: { id: 'dist', 'data-testid': 'dist', 'aria-label': 'random values' } },
    h('option', { attrs: { value: 'int' } }, 'small whole numbers'),
    h('option', { attrs: { value: 'normal' } }, 'normal (like tf.random.normal)'),
  );
  private readonly xBox = h('textarea', {
    attrs: {
      id: 'x-values',
      'data-testid': 'x-values',
      rows: 3,
      spellcheck: 'false',
      'aria-describedby': 'x-values-error',
    },
  });
  private readonly wBox = h('textarea', {
    attrs: {
      id: 'w-values',
      'data-testid': 'w-values',
      rows: 3,
      spellcheck: 'false',
      'aria-describedby': 'w-values-error',
    },
  });
  /** Inline messages under the paste boxes, naming the entry that is not a number. */
  private readonly valueErrors = {
    x: valueError('x-values-error'),
    w: valueError('w-values-error'),
  };
  private readonly pasteBox: HTMLDetailsElement;
  /** Inline messages under the shape fields, naming an entry that is not a size. */
  private readonly shapeErrors = {
    inputShape: valueError('input-shape-error'),
    filterShape: valueError('filter-shape-error'),
  };
  private readonly file = h('input', {
    attrs: {
      type: 'file',
      accept: 'image/*',
      id: 'image-file',
      // The label before it is the keyboard handle; one tab stop is enough.
      tabindex: -1,
      'data-testid': 'image-file',
      class: 'visually-hidden',
    },
  });
  private readonly classic = h(
    'select',
    { attrs: { id: 'classic', 'data-testid': 'classic-filter' } },
    h('option', { attrs: { value: '' } }, 'choose…'),
    CLASSIC_FILTERS.map((f) => h('option', { attrs: { value: f.id } }, `${f.name}: ${f.note}`)),
  );
  private readonly imageStatus = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } });

  constructor(private readonly app: AppApi) {
    this.preset.append(
      ...PRESETS.map((p) => h('option', { attrs: { value: p.id } }, p.title)),
      h('option', { attrs: { value: '' } }, 'Your own settings'),
    );
    this.preset.addEventListener('change', () => {
      const p = PRESETS.find((x) => x.id === this.preset.value);
      if (p) this.app.update({ ...p.state });
    });
    const commitShape = (field: HTMLInputElement, key: 'inputShape' | 'filterShape'): void => {
      field.addEventListener('change', () => {
        const reading = readShape(field.value, key === 'inputShape' ? 'Input shape' : 'Filter shape');
        this.showFieldError(field, this.shapeErrors[key], reading.ok ? null : reading.message);
        // An entry that is not a size: said under the field, and the page stays as it was.
        if (!reading.ok) return;
        const shape = reading.values;
        const old = this.state?.[key] ?? [];
        // New shape, new values (unless the count still fits): keep what can be kept.
        const same = shape.join() === old.join();
        this.app.update(
          key === 'inputShape'
            ? { inputShape: shape, x: same ? (this.state?.x ?? null) : null }
            : { filterShape: shape, w: same ? (this.state?.w ?? null) : null },
        );
      });
    };
    commitShape(this.inputShape, 'inputShape');
    commitShape(this.filterShape, 'filterShape');
    this.format.addEventListener('change', () => {
      const s = this.state;
      if (!s) return;
      const to = this.format.value === 'NCHW' ? 'NCHW' : 'NHWC';
      // Same image, other layout: reorder the shape and the given values.
      this.app.update({
        dataFormat: to,
        inputShape: convertShape(s.inputShape, s.dataFormat, to),
        x:
          s.x && s.x.length === s.inputShape.reduce((a, b) => a * b, 1)
            ? convertValues(s.x, s.inputShape, s.dataFormat, to)
            : s.x,
      });
    });
    const pair = (a: HTMLInputElement, b: HTMLInputElement, key: 'strides' | 'dilations'): void => {
      const onInput = (): void => {
        if (a.value === '' || b.value === '') return;
        this.app.update({ [key]: [Number(a.value), Number(b.value)] });
      };
      a.addEventListener('input', onInput);
      b.addEventListener('input', onInput);
    };
    pair(this.strideH, this.strideW, 'strides');
    pair(this.dilationH, this.dilationW, 'dilations');
    const onPadding = (): void => {
      const mode = this.padding.value;
      if (mode === 'SAME' || mode === 'VALID') {
        this.app.update({ padding: { mode } });
        return;
      }
      const v = (i: HTMLInputElement): number => (i.value === '' ? 0 : Number(i.value));
      this.app.update({
        padding: {
          mode: 'EXPLICIT',
          top: v(this.pads.top),
          bottom: v(this.pads.bottom),
          left: v(this.pads.left),
          right: v(this.pads.right),
        },
      });
    };
    this.padding.addEventListener('change', onPadding);
    for (const field of Object.values(this.pads)) field.addEventListener('input', onPadding);
    this.explicitBox = h(
      'div',
      { class: 'explicit-pads' },
      labelled('top', this.pads.top),
      labelled('bottom', this.pads.bottom),
      labelled('left', this.pads.left),
      labelled('right', this.pads.right),
    );

    this.seed.addEventListener('change', () =>
      this.app.update({ seed: Number(this.seed.value) || 0, x: null, w: null }),
    );
    this.dist.addEventListener('change', () =>
      this.app.update({ dist: this.dist.value === 'normal' ? 'normal' : 'int', x: null, w: null }),
    );
    const newDraw = h(
      'button',
      {
        class: 'btn',
        attrs: { type: 'button', 'data-testid': 'new-draw' },
        on: {
          click: () => this.app.update({ seed: ((this.state?.seed ?? 0) + 1) % 100000, x: null, w: null }),
        },
      },
      'New draw',
    );
    const usePasted = h(
      'button',
      {
        class: 'btn',
        attrs: { type: 'button', 'data-testid': 'use-values' },
        on: {
          click: () => {
            const x = this.readBox('x');
            const w = this.readBox('w');
            // Either box not numbers: say so next to it and keep the page as it was.
            if (x === undefined || w === undefined) return;
            this.app.update({ x, w });
          },
        },
      },
      'Use these numbers',
    );
    this.pasteBox = h(
      'details',
      { class: 'paste' },
      h('summary', {}, 'Paste your own numbers'),
      labelled('Input values (in layout order)', this.xBox, undefined, this.valueErrors.x),
      labelled('Filter values (HWIO order)', this.wBox, undefined, this.valueErrors.w),
      usePasted,
    );
    const loadImage = (image: GrayImage, source: string): void => {
      const kernel = CLASSIC_FILTERS.find((f) => f.id === this.classic.value) ?? CLASSIC_FILTERS[2];
      this.classic.value = kernel.id;
      const format = this.state?.dataFormat ?? 'NHWC';
      this.app.update({
        inputShape: format === 'NHWC' ? [1, image.height, image.width, 1] : [1, 1, image.height, image.width],
        x: image.values,
        filterShape: [3, 3, 1, 1],
        w: kernel.kernel,
        strides: [1, 1],
        dilations: [1, 1],
        padding: { mode: 'SAME' },
        pin: null,
      });
      this.imageStatus.textContent = `${source}: ${image.width} × ${image.height} pixels, grayscale 0–255.`;
    };
    this.file.addEventListener('change', () => {
      const chosen = this.file.files?.[0];
      if (!chosen) return;
      imageFileToGray(chosen, IMAGE_SIDE).then(
        (image) => loadImage(image, chosen.name),
        () => (this.imageStatus.textContent = 'That file could not be read as an image.'),
      );
    });
    this.classic.addEventListener('change', () => {
      const kernel = CLASSIC_FILTERS.find((f) => f.id === this.classic.value);
      const s = this.state;
      if (!kernel || !s) return;
      // The same 3x3 kernel on every input channel, one output channel.
      const channels =
        s.dataFormat === 'NHWC'
          ? s.inputShape[s.inputShape.length - 1]
          : s.inputShape[s.inputShape.length === 4 ? 1 : 0];
      const c = Number.isSafeInteger(channels) && channels > 0 ? channels : 1;
      const w: number[] = [];
      for (const v of kernel.kernel) for (let i = 0; i < c; i++) w.push(v);
      this.app.update({ filterShape: [3, 3, c, 1], w });
    });
    const copyLink = h('button', { class: 'btn small', attrs: { type: 'button' } }, 'Copy link');
    copyLink.addEventListener('click', () => {
      void navigator.clipboard?.writeText(location.href).then(
        () => (copyLink.textContent = 'Link copied'),
        () => (copyLink.textContent = 'Copy failed'),
      );
    });

    this.element = h(
      'form',
      {
        class: 'controls',
        attrs: { 'aria-label': 'convolution settings', novalidate: true },
        on: { submit: (e) => e.preventDefault() },
      },
      h('fieldset', {}, h('legend', {}, 'Start from an example'), this.preset, this.presetNote),
      // On a phone the settings fold away under the examples, so the pictures come first.
      h(
        'details',
        { class: 'more-settings', attrs: { open: !window.matchMedia('(max-width: 920px)').matches } },
        h('summary', {}, 'Shapes, strides, padding and values'),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Shapes'),
          labelled('Input shape', this.inputShape, this.inputHint, this.shapeErrors.inputShape),
          labelled(
            'Filter shape',
            this.filterShape,
            '[height, width, in_channels, out_channels]',
            this.shapeErrors.filterShape,
          ),
          labelled('Layout', this.format),
        ),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Sliding'),
          h(
            'div',
            { class: 'pair' },
            h('span', { class: 'pair-label' }, 'Strides'),
            labelled('h', this.strideH),
            labelled('w', this.strideW),
          ),
          h(
            'div',
            { class: 'pair' },
            h('span', { class: 'pair-label' }, 'Dilations'),
            labelled('h', this.dilationH),
            labelled('w', this.dilationW),
          ),
          labelled('Padding', this.padding),
          this.explicitBox,
        ),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Values'),
          h('div', { class: 'row' }, labelled('Random seed', this.seed), labelled('Kind', this.dist)),
          newDraw,
          this.pasteBox,
          h(
            'div',
            { class: 'image-row' },
            h(
              'label',
              {
                class: 'btn',
                attrs: { for: 'image-file', tabindex: 0, role: 'button' },
                on: {
                  keydown: (e) =>
                    (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), this.file.click()),
                },
              },
              'Upload a picture',
            ),
            this.file,
            h(
              'button',
              {
                class: 'btn',
                attrs: { type: 'button', 'data-testid': 'sample-image' },
                on: { click: () => loadImage(sampleImage(IMAGE_SIDE), 'Sample picture') },
              },
              'Sample picture',
            ),
          ),
          labelled('Classic filter', this.classic),
          this.imageStatus,
        ),
      ),
      h('div', { class: 'share' }, copyLink),
    );
    this.keepOpenWhenWide();
  }

  /** Keeps the folded settings open whenever the screen is wide (its summary is hidden there). */
  private keepOpenWhenWide(): void {
    const narrow = window.matchMedia('(max-width: 920px)');
    const details = this.element.querySelector('details.more-settings');
    narrow.addEventListener('change', () => {
      if (!narrow.matches && details instanceof HTMLDetailsElement) details.open = true;
    });
  }

  /** Writes a state into the fields (leaving the one being typed in alone). */
  sync(state: PageState): void {
    this.state = state;
    const active = document.activeElement;
    const set = (field: Field, value: string): void => {
      if (field !== active && field.value !== value) field.value = value;
    };
    const p = presetOf(state);
    set(this.preset, p?.id ?? '');
    this.presetNote.textContent =
      p?.note ??
      'Your own settings. Every change is in the address bar: copy the link to share exactly this.';
    // Shapes are committed on change (Enter or leaving the field), never while typing, so the state's
    // shape always replaces the field's text, and with it any refused entry and its message.
    for (const [field, key] of [
      [this.inputShape, 'inputShape'],
      [this.filterShape, 'filterShape'],
    ] as const) {
      const text = state[key].join(', ');
      if (field.value !== text) field.value = text;
      this.showFieldError(field, this.shapeErrors[key], null);
    }
    this.inputHint.textContent =
      state.dataFormat === 'NHWC' ? '[batch, height, width, channels]' : '[batch, channels, height, width]';
    set(this.format, state.dataFormat);
    const [sh, sw] = spatial(state.strides, state.dataFormat);
    set(this.strideH, String(sh));
    set(this.strideW, String(sw));
    const [dh, dw] = spatial(state.dilations, state.dataFormat);
    set(this.dilationH, String(dh));
    set(this.dilationW, String(dw));
    set(this.padding, state.padding.mode);
    this.explicitBox.hidden = state.padding.mode !== 'EXPLICIT';
    if (state.padding.mode === 'EXPLICIT') {
      set(this.pads.top, String(state.padding.top));
      set(this.pads.bottom, String(state.padding.bottom));
      set(this.pads.left, String(state.padding.left));
      set(this.pads.right, String(state.padding.right));
    }
    set(this.seed, String(state.seed));
    set(this.dist, state.dist);
  }

  /**
   * Reads one paste box: null when it is empty (draw values), undefined when an entry is not a number
   * (then shown under the box), else the numbers.
   */
  private readBox(which: 'x' | 'w'): number[] | null | undefined {
    const box = which === 'x' ? this.xBox : this.wBox;
    if (box.value.trim() === '') {
      this.showValueError(which, null);
      return null;
    }
    const reading = readValues(box.value, VALUES_NAME[which]);
    this.showValueError(which, reading.ok ? null : reading.message);
    return reading.ok ? reading.values : undefined;
  }

  private showValueError(which: 'x' | 'w', message: string | null): void {
    this.showFieldError(which === 'x' ? this.xBox : this.wBox, this.valueErrors[which], message);
  }

  private showFieldError(field: Field, error: HTMLElement, message: string | null): void {
    error.textContent = message ?? '';
    error.hidden = message === null;
    if (message === null) field.removeAttribute('aria-invalid');
    else field.setAttribute('aria-invalid', 'true');
  }

  /**
   * Shows the values in use in the paste boxes (when there are few enough to read). Values the address
   * gave that are not numbers stay in their box as written, with the message under it.
   */
  showValues(
    x: ArrayLike<number> | null,
    w: ArrayLike<number> | null,
    rejected: RejectedValues | null,
  ): void {
    const text = (v: ArrayLike<number> | null): string =>
      v && v.length <= MAX_VALUES_IN_BOXES ? Array.from(v, exact).join(', ') : '';
    for (const [which, box, values] of [
      ['x', this.xBox, x],
      ['w', this.wBox, w],
    ] as const) {
      const bad = rejected?.[which];
      if (bad) {
        box.value = bad.text;
        this.showValueError(which, bad.message);
        this.pasteBox.open = true;
        const settings = this.element.querySelector('details.more-settings');
        if (settings instanceof HTMLDetailsElement) settings.open = true;
      } else {
        if (document.activeElement !== box) box.value = text(values);
        this.showValueError(which, null);
      }
    }
  }
}

/** [h, w] from 1, 2 or 4 numbers (4 in the layout's order). */
function spatial(list: number[], format: 'NHWC' | 'NCHW'): [number, number] {
  if (list.length === 1) return [list[0], list[0]];
  if (list.length === 4) return format === 'NHWC' ? [list[1], list[2]] : [list[2], list[3]];
  return [list[0], list[1]];
}
