/**
 * "Slide the filter": the padded input with the filter window over it, the filter, and the output maps.
 * Click an output to pin it; Play steps through every output. Padding cells are hatched.
 */
import type { AppApi } from './app_api.js';
import { h, replaceChildren, section } from './dom.js';
import { fmt, fmtList, plural } from './format.js';
import { renderGrid, type GridHandle } from './grid.js';
import { flatIndex, positionOf, type Position } from './layout.js';
import type { Model } from './model.js';
import type { ProductTerm } from './explain_source.js';
import { windowRect, windowTaps } from './window_taps.js';

/** Grids up to this many cells a side show their numbers; larger ones are heatmaps. */
export const NUMBER_GRID_MAX_SIDE = 16;
/**
 * Input channels (and filter slices) drawn: every channel the focused output's sum reads, up to this
 * many; the tiles wrap (or scroll sideways on a phone) rather than leave a product without its cell.
 */
export const MAX_CHANNELS_DRAWN = 16;
const MAX_OUTPUT_CHANNELS_DRAWN = 8;
/** Heatmap side when many channels are drawn, so a row still holds several. */
const MANY_CHANNELS = 4;
const SMALL_HEATMAP_PX = 160;
const STEP_MS = 900;

interface Drawn {
  model: Model;
  batch: number;
  outChannel: number;
  inputs: { channel: number; numbers: boolean; grid: GridHandle }[];
  filters: { inChannel: number; grid: GridHandle }[];
  outputs: { channel: number; grid: GridHandle }[];
}

export class StageView {
  readonly element: HTMLElement;
  private readonly panels: HTMLElement;
  private readonly status: HTMLElement;
  private readonly playButton: HTMLButtonElement;
  private readonly batchPicker: HTMLElement;
  private readonly shapes: HTMLElement;
  readonly breakdownSlot: HTMLElement;
  private drawn: Drawn | null = null;
  private timer: number | null = null;
  private focus: Position | null = null;

  constructor(private readonly app: AppApi) {
    this.playButton = h(
      'button',
      {
        class: 'btn primary',
        attrs: { type: 'button', 'data-testid': 'play' },
        on: { click: () => this.togglePlay() },
      },
      '▶ Play',
    );
    this.status = h('p', {
      class: 'stage-status',
      attrs: { 'aria-live': 'polite', 'data-testid': 'stage-status' },
    });
    this.batchPicker = h('span', { class: 'batch-picker' });
    this.shapes = h('span', { class: 'stage-shapes', attrs: { 'data-testid': 'stage-shapes' } });
    this.panels = h('div', { class: 'stage-panels' });
    this.breakdownSlot = h('div', { class: 'breakdown-slot' });
    this.element = section(
      'stage',
      'Slide the filter',
      [
        'conv2d slides the filter over the (padded) input. At each stop it multiplies the numbers under the ',
        'filter by the filter’s weights and adds them all up: that sum is one output number. ',
        h('strong', {}, 'Click any output'),
        ' to see where it came from, or press Play.',
      ],
      h(
        'div',
        { class: 'stage-toolbar' },
        h(
          'button',
          {
            class: 'btn',
            attrs: { type: 'button', 'aria-label': 'previous output' },
            on: { click: () => this.app.step(-1) },
          },
          '◀ Step',
        ),
        this.playButton,
        h(
          'button',
          {
            class: 'btn',
            attrs: { type: 'button', 'aria-label': 'next output', 'data-testid': 'step-next' },
            on: { click: () => this.app.step(1) },
          },
          'Step ▶',
        ),
        this.batchPicker,
        this.shapes,
      ),
      this.status,
      this.panels,
      h(
        'ul',
        { class: 'legend', attrs: { 'aria-label': 'legend' } },
        h('li', {}, h('span', { class: 'swatch tap' }), 'under the filter'),
        h('li', {}, h('span', { class: 'swatch pad' }), 'padding (zeros TensorFlow adds)'),
        h('li', {}, h('span', { class: 'swatch centre' }), 'filter centre'),
        h('li', {}, h('span', { class: 'swatch pinned' }), 'the output being explained'),
      ),
      this.breakdownSlot,
    );
  }

  /** Stops the animation (on any change the user makes). */
  stop(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    this.playButton.textContent = '▶ Play';
    this.playButton.setAttribute('aria-pressed', 'false');
  }

  private togglePlay(): void {
    if (this.timer !== null) {
      this.stop();
      return;
    }
    this.playButton.textContent = '❚❚ Pause';
    this.playButton.setAttribute('aria-pressed', 'true');
    this.app.step(1);
    this.timer = window.setInterval(() => this.app.step(1), STEP_MS);
  }

  /** Draws the stage for a model and focuses one output (rebuilding grids only when needed). */
  show(model: Model, focus: Position | null): void {
    this.focus = focus;
    const g = model.explanation.geometry;
    const batch = focus?.[0] ?? 0;
    const outChannel = focus?.[3] ?? 0;
    const d = this.drawn;
    if (!d || d.model !== model || d.batch !== batch || d.outChannel !== outChannel) {
      this.build(model, batch, outChannel);
    }
    this.markFocus(model, focus);
    if (!focus) {
      this.status.textContent =
        g.outHeight * g.outWidth === 0
          ? 'The output is empty: the filter fits nowhere, so there is nothing to slide.'
          : '';
      return;
    }
    const [b, oy, ox, oc] = focus;
    const rect = windowRect(g, oy, ox);
    const value = model.output[flatIndex(model.state.dataFormat, model.outputDims, focus)];
    const padded = g.padTop + g.padBottom + g.padLeft + g.padRight > 0;
    const span = (one: string, many: string, from: number, to: number): string =>
      from === to ? `${one} ${from}` : `${many} ${from}–${to}`;
    replaceChildren(
      this.status,
      h('strong', {}, `output[${b}, ${oy}, ${ox}, ${oc}] = ${fmt(value)}`),
      ` — the window covers ${padded ? 'padded ' : ''}${span('row', 'rows', rect.r0, rect.r1)} and ` +
        `${span('column', 'columns', rect.c0, rect.c1)}`,
      g.batch > 1 ? ` of image ${b}` : '',
      g.outChannels > 1 ? `, using filter ${oc}` : '',
      '.',
    );
  }

  /** Highlights the cells of one product term (from the breakdown). */
  hoverTerm(term: ProductTerm | null): void {
    const d = this.drawn;
    if (!d || !this.focus) return;
    this.markFocus(d.model, this.focus, term);
  }

  private build(model: Model, batch: number, outChannel: number): void {
    const e = model.explanation;
    const g = e.geometry;
    const format = model.state.dataFormat;
    const hp = g.padTop + g.inHeight + g.padBottom;
    const wp = g.padLeft + g.inWidth + g.padRight;
    const numbers = (rows: number, cols: number): boolean =>
      rows <= NUMBER_GRID_MAX_SIDE && cols <= NUMBER_GRID_MAX_SIDE;
    const inside = (r: number, c: number): boolean =>
      r >= g.padTop && r < g.padTop + g.inHeight && c >= g.padLeft && c < g.padLeft + g.inWidth;
    /** Filter `outChannel`'s weight at tap k (row-major over the window) of its input channel ic. */
    const weightAt = (k: number, ic: number): number =>
      model.w[(k * g.filterInChannels + ic) * g.outChannels + outChannel];

    /** Characters of the longest weight badge ("×-0.5") the cells of filter slice ic can wear. */
    const badgeChars = (ic: number): number => {
      let longest = 1;
      for (let k = 0; k < g.filterHeight * g.filterWidth; k++) {
        longest = Math.max(longest, fmt(weightAt(k, ic)).length);
      }
      return 1 + longest;
    };
    // The input channels this filter reads: all of them, or its group's in a grouped convolution.
    const firstInChannel = Math.floor(outChannel / (g.outChannels / g.groups)) * g.filterInChannels;
    const drawnChannels = Math.min(g.filterInChannels, MAX_CHANNELS_DRAWN);
    const heatmapPx = drawnChannels > MANY_CHANNELS ? SMALL_HEATMAP_PX : undefined;
    const inputs = range(drawnChannels)
      .map((i) => firstInChannel + i)
      .map((channel) => ({
        channel,
        numbers: numbers(hp, wp),
        grid: renderGrid({
          rows: hp,
          cols: wp,
          role: 'input',
          numbers: numbers(hp, wp),
          maxPx: heatmapPx,
          badgeChars: badgeChars(channel - firstInChannel),
          label: `input channel ${channel}, padded`,
          isPadding: (r, c) => !inside(r, c),
          value: (r, c) =>
            inside(r, c)
              ? model.x[flatIndex(format, model.inputDims, [batch, r - g.padTop, c - g.padLeft, channel])]
              : 0,
          title: (r, c) =>
            inside(r, c)
              ? `input[${batch}, ${r - g.padTop}, ${c - g.padLeft}, ${channel}] = ${fmt(model.x[flatIndex(format, model.inputDims, [batch, r - g.padTop, c - g.padLeft, channel])])}`
              : 'padding: 0',
        }),
      }));
    const filters = range(drawnChannels).map((inChannel) => ({
      inChannel,
      grid: renderGrid({
        rows: g.filterHeight,
        cols: g.filterWidth,
        role: 'filter',
        numbers: numbers(g.filterHeight, g.filterWidth),
        maxPx: heatmapPx,
        label: `filter ${outChannel}, input channel ${inChannel}`,
        value: (r, c) =>
          model.w[((r * g.filterWidth + c) * g.filterInChannels + inChannel) * g.outChannels + outChannel],
        title: (r, c) =>
          `filter[${r}, ${c}, ${inChannel}, ${outChannel}] = ${fmt(model.w[((r * g.filterWidth + c) * g.filterInChannels + inChannel) * g.outChannels + outChannel])}`,
      }),
    }));
    const outputs = range(Math.min(g.outChannels, MAX_OUTPUT_CHANNELS_DRAWN)).map((channel) => ({
      channel,
      grid: renderGrid({
        rows: g.outHeight,
        cols: g.outWidth,
        role: 'output',
        numbers: numbers(g.outHeight, g.outWidth),
        label: `output channel ${channel}`,
        value: (r, c) => model.output[flatIndex(format, model.outputDims, [batch, r, c, channel])],
        onPick: (r, c) => {
          this.stop();
          this.app.pick([batch, r, c, channel]);
        },
        cellTestId: 'output-cell',
        cellIndex: (r, c) => `${batch},${r},${c},${channel}`,
        title: (r, c) =>
          `output[${batch}, ${r}, ${c}, ${channel}] = ${fmt(model.output[flatIndex(format, model.outputDims, [batch, r, c, channel])])}`,
      }),
    }));
    this.drawn = { model, batch, outChannel, inputs, filters, outputs };

    const more = (shown: number, total: number, what: string): HTMLElement | null =>
      total > shown
        ? h('p', { class: 'more' }, `+ ${plural(total - shown, what)} not drawn (the sum includes them)`)
        : null;
    const padded = hp !== g.inHeight || wp !== g.inWidth;
    const inputSize = `${g.inHeight} × ${g.inWidth}${padded ? `, padded to ${hp} × ${wp}` : ''}`;
    const groupNote =
      g.groups > 1
        ? h(
            'p',
            { class: 'more' },
            `Filter ${outChannel} reads input channels ${firstInChannel}–${firstInChannel + g.filterInChannels - 1} ` +
              `(group ${Math.floor(firstInChannel / g.filterInChannels)} of ${g.groups}); ` +
              `the other ${plural(g.inChannels - g.filterInChannels, 'channel')} feed other filters.`,
          )
        : null;

    const tile = (caption: string, grid: GridHandle): HTMLElement =>
      h('figure', { class: 'tile' }, grid.element, h('figcaption', {}, caption));

    // Each operator symbol travels with the panel after it, so a wrapped row never ends in "=".
    const withOp = (op: string, panel: HTMLElement): HTMLElement =>
      h(
        'div',
        { class: 'panel-with-op' },
        h('div', { class: 'panel-op', attrs: { 'aria-hidden': 'true' } }, op),
        panel,
      );
    replaceChildren(
      this.panels,
      h(
        'div',
        { class: 'panel panel-input' },
        h('h3', {}, 'Input', h('span', { class: 'dim' }, g.inChannels > 1 ? ` (${inputSize})` : '')),
        h(
          'div',
          { class: 'tiles channel-tiles', attrs: { 'data-testid': 'input-tiles' } },
          inputs.map((i) => tile(g.inChannels > 1 ? `channel ${i.channel}` : inputSize, i.grid)),
        ),
        inputs.length > 1
          ? h(
              'p',
              { class: 'more scroll-hint' },
              `${plural(inputs.length, 'channel')} side by side: scroll sideways to see them all →`,
            )
          : null,
        more(inputs.length, g.filterInChannels, 'channel'),
        groupNote,
      ),
      withOp(
        '⊛',
        h(
          'div',
          { class: 'panel panel-filter' },
          h('h3', {}, g.outChannels > 1 ? `Filter ${outChannel}` : 'Filter'),
          h(
            'div',
            { class: 'tiles channel-tiles', attrs: { 'data-testid': 'filter-tiles' } },
            filters.map((f) =>
              tile(
                g.groups > 1
                  ? `for channel ${firstInChannel + f.inChannel}`
                  : g.filterInChannels > 1
                    ? `channel ${f.inChannel}`
                    : `${g.filterHeight} × ${g.filterWidth}`,
                f.grid,
              ),
            ),
          ),
          more(filters.length, g.filterInChannels, 'channel'),
        ),
      ),
      withOp(
        '=',
        h(
          'div',
          { class: 'panel panel-output' },
          h('h3', {}, 'Output'),
          h(
            'div',
            { class: 'tiles' },
            outputs.map((o) =>
              tile(g.outChannels > 1 ? `channel ${o.channel}` : `${g.outHeight} × ${g.outWidth}`, o.grid),
            ),
          ),
          more(outputs.length, g.outChannels, 'channel'),
        ),
      ),
    );
    this.buildBatchPicker(model, batch);
    replaceChildren(
      this.shapes,
      h('code', { class: 'shape shape-in' }, fmtList(e.inputShape)),
      ' ⊛ ',
      h('code', { class: 'shape shape-filter' }, fmtList(e.filterShape)),
      ' → ',
      h('code', { class: 'shape shape-out' }, fmtList(e.outputShape)),
      h('span', { class: 'dim' }, ` · ${e.padding.mode} · stride ${g.strideHeight}×${g.strideWidth}`),
    );
  }

  private buildBatchPicker(model: Model, batch: number): void {
    const g = model.explanation.geometry;
    if (g.batch <= 1) {
      this.batchPicker.replaceChildren();
      return;
    }
    const select = h(
      'select',
      {
        attrs: { 'aria-label': 'image in the batch' },
        on: {
          change: () => {
            const f = this.focus ?? [0, 0, 0, 0];
            this.app.pick([Number(select.value), f[1], f[2], f[3]]);
          },
        },
      },
      range(g.batch).map((b) =>
        h('option', { attrs: { value: b, selected: b === batch } }, `image ${b} of ${g.batch}`),
      ),
    );
    replaceChildren(this.batchPicker, h('label', {}, 'Batch: ', select));
  }

  private markFocus(model: Model, focus: Position | null, hot: ProductTerm | null = null): void {
    const d = this.drawn;
    if (!d) return;
    const g = model.explanation.geometry;
    if (!focus) {
      for (const x of [...d.inputs, ...d.outputs, ...d.filters]) {
        x.grid.mark({});
        x.grid.box(null);
      }
      return;
    }
    const [, oy, ox, oc] = focus;
    const taps = windowTaps(g, oy, ox);
    const centre = model.explanation.centres.centres.find((c) => c.oy === oy && c.ox === ox);
    const hotInput: [number, number][] = [];
    const hotFilter: [number, number][] = [];
    let hotChannel = -1;
    let hotInChannel = -1;
    if (hot) {
      const [ky, kx, ic] = hot.filterIndex;
      hotFilter.push([ky, kx]);
      hotInChannel = ic;
      const tap = taps.find((t) => t.ky === ky && t.kx === kx);
      if (tap) hotInput.push([tap.row, tap.col]);
      hotChannel = hot.inputIndex ? positionOf(model.state.dataFormat, hot.inputIndex)[3] : ic;
    }
    // Each cell under the filter wears the weight it is multiplied by.
    const firstInChannel = Math.floor(oc / (g.outChannels / g.groups)) * g.filterInChannels;
    for (const input of d.inputs) {
      const ic = input.channel - firstInChannel;
      const badges = new Map<string, string>();
      if (ic >= 0 && ic < g.filterInChannels) {
        for (const t of taps) {
          const weight =
            model.w[((t.ky * g.filterWidth + t.kx) * g.filterInChannels + ic) * g.outChannels + oc];
          badges.set(`${t.row},${t.col}`, `×${fmt(weight)}`);
        }
      }
      input.grid.mark(
        {
          // On a heatmap the box alone shows a solid window; filling it would hide the picture.
          tap: input.numbers || g.dilationHeight * g.dilationWidth > 1 ? taps.map((t) => [t.row, t.col]) : [],
          centre: centre ? [[centre.row, centre.col]] : [],
          hot: input.channel === hotChannel ? hotInput : [],
        },
        badges,
      );
      input.grid.box(windowRect(g, oy, ox));
    }
    for (const filter of d.filters) {
      filter.grid.mark({ hot: filter.inChannel === hotInChannel ? hotFilter : [] });
      filter.grid.box(null);
    }
    for (const output of d.outputs) {
      output.grid.mark(output.channel === oc ? { pinned: [[oy, ox]] } : { echo: [[oy, ox]] });
    }
  }
}

function range(n: number): number[] {
  return Array.from({ length: Math.max(0, n) }, (_, i) => i);
}
