/**
 * conv2d in the Fourier domain: the input's and the kernel's spectra, their product, and the inverse
 * transform, which equals conv2d's output at the window positions. Then the same product without the
 * zero padding, to show the circular wrap-around the padding prevents.
 */
import { h, section } from './dom.js';
import { fmt } from './format.js';
import { circularCorrelation, shiftedMagnitude, type Spectrum } from './fourier.js';
import { renderGrid } from './grid.js';
import { flatIndex, type Position } from './layout.js';
import type { Model } from './model.js';
import { NUMBER_GRID_MAX_SIDE } from './view_stage.js';

/** Above this much work (complex multiply-adds) the spectra wait for a click. */
const AUTO_WORK_LIMIT = 3e7;
const SPECTRUM_PX = 128;

interface FourierResult {
  hp: number;
  wp: number;
  main: ReturnType<typeof circularCorrelation>;
  /** The circular result read at every output position, and conv2d's value there. */
  samples: { oy: number; ox: number; fourier: number; conv: number }[];
  maxDiff: number;
  wrap: { oy: number; ox: number; circular: number; conv: number; wrapped: boolean }[] | null;
}

const cache = new WeakMap<Model, Map<string, FourierResult>>();

function compute(model: Model, batch: number, oc: number): FourierResult {
  const g = model.explanation.geometry;
  const format = model.state.dataFormat;
  const hp = g.padTop + g.inHeight + g.padBottom;
  const wp = g.padLeft + g.inWidth + g.padRight;
  // The input channels this filter reads (all of them unless the convolution is grouped).
  const first = Math.floor(oc / (g.outChannels / g.groups)) * g.filterInChannels;
  const channels = Array.from({ length: g.filterInChannels }, (_, i) => first + i);
  const pixel = (y: number, x: number, c: number): number =>
    model.x[flatIndex(format, model.inputDims, [batch, y, x, c])];
  const kernels = channels.map((_, ic) => {
    const taps: { dy: number; dx: number; weight: number }[] = [];
    for (let ky = 0; ky < g.filterHeight; ky++)
      for (let kx = 0; kx < g.filterWidth; kx++)
        taps.push({
          dy: ky * g.dilationHeight,
          dx: kx * g.dilationWidth,
          weight: model.w[((ky * g.filterWidth + kx) * g.filterInChannels + ic) * g.outChannels + oc],
        });
    return taps;
  });
  const padded = channels.map((c) => (r: number, col: number): number => {
    const y = r - g.padTop;
    const x = col - g.padLeft;
    return y >= 0 && y < g.inHeight && x >= 0 && x < g.inWidth ? pixel(y, x, c) : 0;
  });
  const main = circularCorrelation(hp, wp, padded, kernels);
  const samples: FourierResult['samples'] = [];
  let maxDiff = 0;
  for (let oy = 0; oy < g.outHeight; oy++)
    for (let ox = 0; ox < g.outWidth; ox++) {
      const fourier = main.result.re[oy * g.strideHeight * wp + ox * g.strideWidth];
      const conv = model.output[flatIndex(format, model.outputDims, [batch, oy, ox, oc])];
      maxDiff = Math.max(maxDiff, Math.abs(fourier - conv));
      samples.push({ oy, ox, fourier, conv });
    }
  let wrap: FourierResult['wrap'] = null;
  const padded_ = g.padTop + g.padBottom + g.padLeft + g.padRight > 0;
  if (padded_ && g.inHeight > 0 && g.inWidth > 0) {
    const bare = channels.map(
      (c) =>
        (r: number, col: number): number =>
          pixel(r, col, c),
    );
    const circular = circularCorrelation(g.inHeight, g.inWidth, bare, kernels).result;
    const scale = Math.max(1, ...samples.map((s) => Math.abs(s.conv)));
    wrap = samples.map(({ oy, ox, conv }) => {
      const r = (((oy * g.strideHeight - g.padTop) % g.inHeight) + g.inHeight) % g.inHeight;
      const c = (((ox * g.strideWidth - g.padLeft) % g.inWidth) + g.inWidth) % g.inWidth;
      const value = circular.re[r * g.inWidth + c];
      return { oy, ox, circular: value, conv, wrapped: Math.abs(value - conv) > 1e-4 * scale };
    });
  }
  return { hp, wp, main, samples, maxDiff, wrap };
}

function cached(model: Model, batch: number, oc: number): FourierResult {
  let perModel = cache.get(model);
  if (!perModel) cache.set(model, (perModel = new Map()));
  const key = `${batch},${oc}`;
  let result = perModel.get(key);
  if (!result) perModel.set(key, (result = compute(model, batch, oc)));
  return result;
}

function spectrumTile(caption: string, s: Spectrum, label: string): HTMLElement {
  const grid = renderGrid({
    rows: s.rows,
    cols: s.cols,
    role: 'spectrum',
    numbers: false,
    label,
    maxPx: SPECTRUM_PX,
    value: (r, c) => Math.log1p(shiftedMagnitude(s, r, c)),
    title: (r, c) => `|value| = ${fmt(shiftedMagnitude(s, r, c))}`,
    // The colours follow log(1 + |value|); the key names the magnitudes themselves.
    scaleLabel: (v) => fmt(Math.expm1(v)),
    scaleNote: '|value|, log scale',
  });
  return h('figure', { class: 'tile' }, grid.element, h('figcaption', {}, caption));
}

export function renderFourier(
  model: Model,
  focus: Position | null,
  forced: boolean,
  onForce: () => void,
): HTMLElement {
  const g = model.explanation.geometry;
  const hp = g.padTop + g.inHeight + g.padBottom;
  const wp = g.padLeft + g.inWidth + g.padRight;
  const lead = [
    'Convolution theorem: sliding a filter in space is multiplying spectra in frequency. conv2d does ',
    h('em', {}, 'not'),
    ' flip its filter (it is a cross-correlation), so the filter’s spectrum enters conjugated: ',
    h('code', {}, 'out = IDFT( Σ_c DFT(input_c) · conj(DFT(filter_c)) )'),
    ', read at the window positions.',
  ];
  if (!focus || g.outHeight * g.outWidth === 0 || hp === 0 || wp === 0) {
    return section(
      'fourier',
      'In the Fourier domain',
      lead,
      h('p', { class: 'dim' }, 'The output is empty, so there is nothing to transform.'),
    );
  }
  const [batch, , , oc] = focus;
  const work = hp * wp * (hp + wp) * (2 * g.filterInChannels + 1) * 2;
  if (work > AUTO_WORK_LIMIT && !forced) {
    return section(
      'fourier',
      'In the Fourier domain',
      lead,
      h('p', {}, `The transforms here are ${hp} × ${wp} per channel: a second or two of work.`),
      h(
        'button',
        { class: 'btn primary', attrs: { type: 'button' }, on: { click: onForce } },
        'Compute the spectra',
      ),
    );
  }
  const f = cached(model, batch, oc);
  // Cells that are zero up to the transforms' rounding (1e-15 of the largest) show as 0, not 1.74e-15.
  const largest = f.main.result.re.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const shown = (v: number): number => (Math.abs(v) <= 1e-9 * largest ? 0 : v);
  const inverse = renderGrid({
    rows: f.hp,
    cols: f.wp,
    role: 'output',
    numbers: f.hp <= NUMBER_GRID_MAX_SIDE && f.wp <= NUMBER_GRID_MAX_SIDE,
    label: 'inverse transform of the product',
    maxPx: 220,
    value: (r, c) => shown(f.main.result.re[r * f.wp + c]),
    title: (r, c) => `inverse[${r}, ${c}] = ${fmt(f.main.result.re[r * f.wp + c])}`,
  });
  inverse.mark({
    sample: f.samples.map((s) => [s.oy * g.strideHeight, s.ox * g.strideWidth] as [number, number]),
    pinned: [[focus[1] * g.strideHeight, focus[2] * g.strideWidth]],
  });
  const ok = f.maxDiff <= 1e-3 * Math.max(1, ...f.samples.map((s) => Math.abs(s.conv)));
  const channelNote = g.filterInChannels > 1 ? `, channel 0` : '';
  const withOp = (op: string, tile: HTMLElement): HTMLElement =>
    h(
      'div',
      { class: 'panel-with-op' },
      h('div', { class: 'panel-op', attrs: { 'aria-hidden': 'true' } }, op),
      tile,
    );
  const body: HTMLElement[] = [
    h(
      'div',
      { class: 'tiles fourier-tiles' },
      spectrumTile(`|DFT(input)|${channelNote}`, f.main.inputSpectra[0], 'input spectrum'),
      withOp(
        '·',
        spectrumTile(`|conj(DFT(filter))|${channelNote}`, f.main.kernelSpectra[0], 'filter spectrum'),
      ),
      withOp(
        '→',
        spectrumTile(
          g.filterInChannels > 1 ? `|Σ products|, ${g.filterInChannels} channels` : '|product|',
          f.main.product,
          'product spectrum',
        ),
      ),
      withOp(
        '→',
        h('figure', { class: 'tile' }, inverse.element, h('figcaption', {}, 'inverse DFT (real part)')),
      ),
    ),
    h(
      'p',
      { class: `check ${ok ? 'good' : 'bad'}`, attrs: { 'data-testid': 'fourier-check' } },
      ok ? '✓ ' : '✗ ',
      `The outlined cells of the inverse are conv2d’s ${f.samples.length === 1 ? 'output' : `${f.samples.length} outputs`}` +
        `${g.outChannels > 1 ? ` for filter ${oc}` : ''}: ` +
        (f.maxDiff === 0
          ? 'exactly equal.'
          : `equal up to float rounding (largest difference ${f.maxDiff.toExponential(1)}).`),
    ),
    h(
      'p',
      { class: 'dim' },
      `Spectra are ${f.hp} × ${f.wp}, the size of the padded input, drawn with the zero frequency in the middle (log scale). ` +
        'The other cells of the inverse are windows that run off the bottom or right edge and wrap around to the top or left: conv2d never asks for them.',
    ),
  ];
  if (f.wrap) {
    const wrapped = f.wrap.filter((w) => w.wrapped).length;
    const wrapGrid = renderGrid({
      rows: g.outHeight,
      cols: g.outWidth,
      role: 'output',
      numbers: g.outHeight <= NUMBER_GRID_MAX_SIDE && g.outWidth <= NUMBER_GRID_MAX_SIDE,
      label: 'circular result without zero padding',
      maxPx: 220,
      value: (r, c) => f.wrap?.[r * g.outWidth + c].circular ?? 0,
      title: (r, c) => {
        const w = f.wrap?.[r * g.outWidth + c];
        return w ? `without padding: ${fmt(w.circular)}; conv2d: ${fmt(w.conv)}` : '';
      },
    });
    wrapGrid.mark({ wrapped: f.wrap.filter((w) => w.wrapped).map((w) => [w.oy, w.ox] as [number, number]) });
    body.push(
      h(
        'div',
        { class: 'wrap-demo' },
        h('h3', {}, 'Why the zero padding matters'),
        h(
          'div',
          { class: 'wrap-row' },
          h(
            'figure',
            { class: 'tile' },
            wrapGrid.element,
            h('figcaption', {}, `${g.inHeight} × ${g.inWidth} transforms, no padding`),
          ),
          h(
            'p',
            {},
            'A DFT treats the image as if it repeated forever, so a product of spectra is a ',
            h('em', {}, 'circular'),
            ` correlation. Transform the unpadded ${g.inHeight} × ${g.inWidth} input instead, and a window that hangs over an edge reads pixels from the opposite edge instead of zeros. `,
            h(
              'strong',
              {},
              wrapped === 0
                ? 'Here no output changes (these windows never hang over a non-zero edge).'
                : `Here ${wrapped} of ${f.wrap.length} outputs come out wrong (marked red).`,
            ),
            ' Padding with zeros first — what conv2d’s padding does, and in general at least filter − 1 extra rows and columns — gives the wrapped part only zeros to read.',
          ),
        ),
      ),
    );
  } else {
    body.push(
      h(
        'p',
        { class: 'dim' },
        'No padding here: every window stays inside the input, so no window ever wraps around. Choose SAME padding to see what the zeros are for.',
      ),
    );
  }
  return section('fourier', 'In the Fourier domain', lead, ...body);
}
