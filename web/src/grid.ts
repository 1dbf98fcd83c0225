/**
 * A 2-D grid of numbers: small ones as DOM cells showing their values, large ones as a canvas heatmap.
 * Either way the caller marks cells (window taps, the pinned output, ...) and draws a box without
 * rebuilding the grid, so stepping through outputs can animate.
 */
import { h } from './dom.js';
import { fmt } from './format.js';

export type Role = 'input' | 'filter' | 'output' | 'spectrum' | 'plain';

export interface GridOptions {
  rows: number;
  cols: number;
  value: (r: number, c: number) => number;
  role: Role;
  /** Show numbers in DOM cells (true) or draw a heatmap (false). */
  numbers: boolean;
  isPadding?: (r: number, c: number) => boolean;
  /** Tooltip text for a cell. */
  title?: (r: number, c: number) => string;
  /** Makes cells clickable (buttons in number mode). */
  onPick?: (r: number, c: number) => void;
  /** data-testid put on every cell (number mode). */
  cellTestId?: string;
  /** data-index of a cell (number mode), e.g. "0,1,0,0". */
  cellIndex?: (r: number, c: number) => string;
  /** aria-label of the grid. */
  label: string;
  /** Largest side of a heatmap in CSS pixels. */
  maxPx?: number;
  /**
   * Longest badge (mark()'s second argument) the cells must fit, in characters; cells of grids up to
   * BADGE_MAX_SIDE a side grow to show badges legibly, larger grids show none.
   */
  badgeChars?: number;
  /** How a heatmap's colour scale writes its end values (default: the values themselves). */
  scaleLabel?: (value: number) => string;
  /** A word on the heatmap's scale, e.g. "log scale". */
  scaleNote?: string;
}

/** Grids up to this many cells a side have room for badges. */
const BADGE_MAX_SIDE = 8;

export interface Rect {
  r0: number;
  c0: number;
  r1: number;
  c1: number;
}

export interface GridHandle {
  element: HTMLElement;
  /**
   * Sets the marks: class name -> cells, and optional small badges (e.g. the weight a cell is
   * multiplied by) keyed "r,c". Replaces earlier marks.
   */
  mark(marks: Record<string, [number, number][]>, badges?: Map<string, string>): void;
  /** A box around a block of cells, or none. */
  box(rect: Rect | null): void;
}

/** Cell colour: the role's hue for positive values, a contrasting one for negative ones. */
const HUES: Record<Role, [number, number]> = {
  input: [212, 350],
  filter: [32, 280],
  output: [152, 350],
  spectrum: [262, 262],
  plain: [212, 350],
};

function scaleOf(options: GridOptions): { maxAbs: number; min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < options.rows; r++)
    for (let c = 0; c < options.cols; c++) {
      if (options.isPadding?.(r, c)) continue;
      const v = options.value(r, c);
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  if (min === Infinity) return { maxAbs: 1, min: 0, max: 1 };
  return { maxAbs: Math.max(Math.abs(min), Math.abs(max)) || 1, min, max };
}

export function renderGrid(options: GridOptions): GridHandle {
  return options.numbers ? numberGrid(options) : heatmapGrid(options);
}

function numberGrid(options: GridOptions): GridHandle {
  const { rows, cols, role } = options;
  const scale = scaleOf(options);
  const [pos, neg] = HUES[role];
  const cells: HTMLElement[] = [];
  let longest = 1;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) longest = Math.max(longest, fmt(options.value(r, c)).length);
  // Small grids get big cells; cells grow with their longest number, so -0.955 fits as well as 4.
  const side = Math.max(rows, cols);
  const hasBadges = (options.badgeChars ?? 0) > 0 && side <= BADGE_MAX_SIDE;
  const base = side <= 5 ? 40 : side <= 8 ? 34 : 28;
  // A badged cell holds its value over an 11px badge line: taller, not wider, so a 7x7 grid fits a phone.
  const height = base + (hasBadges ? 12 : 0);
  const width = Math.max(
    base,
    Math.round(12 + longest * 7.6),
    hasBadges ? Math.round(10 + (options.badgeChars ?? 0) * 6.7) : 0,
  );
  const grid = h('div', {
    class: `grid role-${role}${side <= 5 ? ' big' : ''}${hasBadges ? ' badged' : ''}`,
    attrs: { role: 'group', 'aria-label': options.label },
    style: { '--cols': String(cols), '--rows': String(rows), '--cw': `${width}px`, '--ch': `${height}px` },
  });
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = options.value(r, c);
      const padding = options.isPadding?.(r, c) ?? false;
      const strength = Number.isFinite(v) ? Math.min(Math.abs(v) / scale.maxAbs, 1) : 0;
      const hue = v < 0 ? neg : pos;
      const tag = options.onPick ? 'button' : 'div';
      const cell = h(tag, {
        class: `cell${padding ? ' pad' : ''}`,
        attrs: {
          type: options.onPick ? 'button' : undefined,
          title: options.title?.(r, c),
          'data-testid': options.cellTestId,
          'data-index': options.cellIndex?.(r, c),
          'aria-label': options.onPick ? options.title?.(r, c) : undefined,
        },
        style: padding ? {} : { '--tint': `hsl(${hue} 80% 50% / ${(0.08 + 0.42 * strength).toFixed(3)})` },
        on: options.onPick ? { click: () => options.onPick?.(r, c) } : {},
      });
      cell.textContent = fmt(v);
      cells.push(cell);
      grid.appendChild(cell);
    }
  }
  const boxEl = h('div', { class: 'window-box', attrs: { 'aria-hidden': 'true', hidden: true } });
  grid.appendChild(boxEl);
  let marked: HTMLElement[] = [];
  let markedClasses: string[] = [];
  let badged: HTMLElement[] = [];
  return {
    element: grid,
    mark(marks, badges) {
      for (const el of marked) el.classList.remove(...markedClasses);
      for (const el of badged) el.removeAttribute('data-badge');
      badged = [];
      for (const [key, text] of hasBadges ? (badges ?? []) : []) {
        const [r, c] = key.split(',').map(Number);
        const el = cells[r * cols + c];
        if (!el) continue;
        el.setAttribute('data-badge', text);
        badged.push(el);
      }
      marked = [];
      markedClasses = Object.keys(marks);
      for (const [name, list] of Object.entries(marks)) {
        for (const [r, c] of list) {
          const el = cells[r * cols + c];
          if (!el) continue;
          el.classList.add(name);
          marked.push(el);
        }
      }
    },
    box(rect) {
      boxEl.hidden = rect === null;
      if (!rect) return;
      boxEl.style.setProperty('--r0', String(rect.r0));
      boxEl.style.setProperty('--c0', String(rect.c0));
      boxEl.style.setProperty('--rspan', String(rect.r1 - rect.r0 + 1));
      boxEl.style.setProperty('--cspan', String(rect.c1 - rect.c0 + 1));
    },
  };
}

type Rgb = [number, number, number];
const PADDING_RGB: Rgb = [231, 229, 240];
const NEGATIVE_RGB: Rgb = [44, 105, 200];
const POSITIVE_RGB: Rgb = [214, 48, 39];

function towards(target: Rgb, t: number): Rgb {
  return [255 + (target[0] - 255) * t, 255 + (target[1] - 255) * t, 255 + (target[2] - 255) * t];
}

/** A colour for a heatmap value: grey ramp for non-negative data (images), blue-white-red otherwise. */
function heatColour(v: number, scale: { maxAbs: number; min: number; max: number }, role: Role): Rgb {
  if (!Number.isFinite(v)) return [255, 0, 255];
  if (role === 'spectrum') return inferno(scale.max > 0 ? v / scale.max : 0);
  if (scale.min >= 0) {
    const t = scale.max > 0 ? v / scale.max : 0;
    return [12 + 233 * t, 14 + 232 * t, 20 + 230 * t];
  }
  const t = Math.min(Math.abs(v) / scale.maxAbs, 1);
  return towards(v < 0 ? NEGATIVE_RGB : POSITIVE_RGB, t);
}

/** A dark-to-bright ramp (after matplotlib's "inferno") for spectrum magnitudes. */
const INFERNO = [
  [0, 0, 4],
  [40, 11, 84],
  [101, 21, 110],
  [159, 42, 99],
  [212, 72, 66],
  [245, 125, 21],
  [250, 193, 39],
  [252, 255, 164],
];

function inferno(t: number): Rgb {
  const x = Math.min(Math.max(t, 0), 1) * (INFERNO.length - 1);
  const i = Math.min(Math.floor(x), INFERNO.length - 2);
  const f = x - i;
  const [a, b] = [INFERNO[i], INFERNO[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

const css = ([r, g, b]: Rgb): string => `rgb(${Math.round(r)} ${Math.round(g)} ${Math.round(b)})`;

/**
 * The colour key under a heatmap: the ramp heatColour uses for this grid, with the values at its ends
 * (and 0 in the middle of a blue-white-red one), so a colour can be read back as a number.
 */
function colourScale(
  options: GridOptions,
  scale: { maxAbs: number; min: number; max: number },
  widthPx: number,
): HTMLElement {
  const label = options.scaleLabel ?? fmt;
  let stops: Rgb[];
  let ends: string[];
  if (options.role === 'spectrum') {
    stops = INFERNO as Rgb[];
    ends = [label(0), label(scale.max)];
  } else if (scale.min >= 0) {
    stops = [heatColour(0, scale, options.role), heatColour(scale.max, scale, options.role)];
    ends = [label(0), label(scale.max)];
  } else {
    stops = [NEGATIVE_RGB, [255, 255, 255], POSITIVE_RGB];
    ends = [label(-scale.maxAbs), '0', label(scale.maxAbs)];
  }
  const gradient = `linear-gradient(to right, ${stops.map(css).join(', ')})`;
  return h(
    'div',
    {
      class: 'colour-scale',
      attrs: {
        'data-testid': 'colour-scale',
        role: 'img',
        'aria-label': `colour scale from ${ends[0]} to ${ends[ends.length - 1]}${options.scaleNote ? `, ${options.scaleNote}` : ''}`,
      },
      style: { width: `${Math.max(widthPx, 120)}px` },
    },
    h('span', { class: 'scale-bar', style: { background: gradient } }),
    h(
      'span',
      { class: 'scale-labels', attrs: { 'aria-hidden': 'true' } },
      ends.map((e) => h('span', {}, e)),
    ),
    options.scaleNote
      ? h('span', { class: 'scale-note', attrs: { 'aria-hidden': 'true' } }, options.scaleNote)
      : null,
  );
}

function heatmapGrid(options: GridOptions): GridHandle {
  const { rows, cols } = options;
  const maxPx = options.maxPx ?? 260;
  const cell = Math.max(1, Math.min(36, Math.floor(maxPx / Math.max(rows, cols))));
  const ratio = Math.min(window.devicePixelRatio || 1, 2);
  const canvas = h('canvas', {
    class: 'heatmap',
    attrs: {
      width: Math.round(cols * cell * ratio),
      height: Math.round(rows * cell * ratio),
      role: 'img',
      'aria-label': options.label,
    },
    style: { width: `${cols * cell}px`, height: `${rows * cell}px` },
  });
  const scale = scaleOf(options);
  let marks: Record<string, [number, number][]> = {};
  let rect: Rect | null = null;

  // The values are painted once, one pixel per cell, then scaled up on every redraw.
  const base = document.createElement('canvas');
  base.width = cols;
  base.height = rows;
  const baseCtx = base.getContext('2d');
  if (baseCtx && rows * cols > 0) {
    const image = baseCtx.createImageData(cols, rows);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const padding = options.isPadding?.(r, c) ?? false;
        const rgb = padding ? PADDING_RGB : heatColour(options.value(r, c), scale, options.role);
        const i = (r * cols + c) * 4;
        image.data[i] = rgb[0];
        image.data[i + 1] = rgb[1];
        image.data[i + 2] = rgb[2];
        image.data[i + 3] = 255;
      }
    baseCtx.putImageData(image, 0, 0);
  }
  const draw = (): void => {
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, cols * cell, rows * cell);
    if (rows * cols > 0) ctx.drawImage(base, 0, 0, cols * cell, rows * cell);
    const styles: Record<string, string> = {
      tap: 'rgba(255, 196, 0, 0.55)',
      hot: 'rgba(255, 80, 0, 0.9)',
      pinned: 'rgba(255, 160, 0, 0.95)',
      centre: 'rgba(220, 30, 90, 0.95)',
    };
    for (const [name, list] of Object.entries(marks)) {
      ctx.fillStyle = styles[name] ?? 'rgba(255, 196, 0, 0.5)';
      for (const [r, c] of list) ctx.fillRect(c * cell, r * cell, cell, cell);
    }
    if (rect) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#ff9f0a';
      ctx.strokeRect(
        rect.c0 * cell + 1,
        rect.r0 * cell + 1,
        (rect.c1 - rect.c0 + 1) * cell - 2,
        (rect.r1 - rect.r0 + 1) * cell - 2,
      );
    }
  };
  draw();

  const cellAt = (event: MouseEvent): [number, number] | null => {
    const bounds = canvas.getBoundingClientRect();
    const c = Math.floor(((event.clientX - bounds.left) / bounds.width) * cols);
    const r = Math.floor(((event.clientY - bounds.top) / bounds.height) * rows);
    return r >= 0 && r < rows && c >= 0 && c < cols ? [r, c] : null;
  };
  if (options.onPick) {
    canvas.classList.add('pickable');
    canvas.addEventListener('click', (event) => {
      const at = cellAt(event);
      if (at) options.onPick?.(at[0], at[1]);
    });
  }
  if (options.title) {
    canvas.addEventListener('mousemove', (event) => {
      const at = cellAt(event);
      canvas.title = at ? (options.title?.(at[0], at[1]) ?? '') : '';
    });
  }
  return {
    element: h('div', { class: 'heatmap-frame' }, canvas, colourScale(options, scale, cols * cell)),
    mark(next) {
      marks = next;
      draw();
    },
    box(next) {
      rect = next;
      draw();
    },
  };
}
