/**
 * A horizontal bar chart of the results as a standalone SVG file, written by hand: one group of bars per
 * shape, one bar per engine, bar length on a log scale of GFLOP/s (decade grid lines).
 */
import type { BenchResults } from './results.js';

const WIDTH = 960;
const LABEL_WIDTH = 190;
const RIGHT_MARGIN = 70;
const BAR_HEIGHT = 11;
const BAR_GAP = 2;
const GROUP_GAP = 12;
const LEGEND_TOP = 36;
const LEGEND_ROW = 16;
const LEGEND_PER_ROW = 5;
/** convkit's engines in blues, the peers in other hues, so the two families read apart. */
const CONVKIT_PALETTE = ['#0b3d73', '#1f5fa8', '#3b8bd9', '#7db5ea', '#a9cdf2'];
const PEER_PALETTE = ['#e08a1e', '#8c8c8c', '#35b087', '#0e7c5a', '#c2452d', '#8e44ad', '#b8a31c'];

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** The log10 axis: whole decades around the data. */
export function logAxis(values: readonly number[]): { lo: number; hi: number } {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return { lo: 0.1, hi: 100 };
  let lo = 10 ** Math.floor(Math.log10(Math.min(...positive)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...positive)));
  if (hi <= lo) hi = lo * 10;
  if (hi / lo < 100) lo = hi / 100;
  return { lo, hi };
}

/** `what` names the section charted, in the title. */
export function renderSvg(results: Pick<BenchResults, 'machine' | 'shapes'>, what = 'conv2d'): string {
  const all = results.shapes.flatMap((s) => s.results);
  const engines = [...new Set(all.map((r) => r.engine))];
  const convkit = [...new Set(all.filter((r) => r.family === 'convkit').map((r) => r.engine))];
  const peers = engines.filter((e) => !convkit.includes(e));
  const colour = (engine: string) =>
    convkit.includes(engine)
      ? CONVKIT_PALETTE[convkit.indexOf(engine) % CONVKIT_PALETTE.length]
      : PEER_PALETTE[peers.indexOf(engine) % PEER_PALETTE.length];
  const measured = results.shapes.flatMap((s) => s.results.map((r) => r.gflops ?? 0));
  const { lo, hi } = logAxis(measured);
  const plotWidth = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
  const top = LEGEND_TOP + Math.ceil(engines.length / LEGEND_PER_ROW) * LEGEND_ROW + 14;
  const x = (g: number) => LABEL_WIDTH + (plotWidth * Math.log10(g / lo)) / Math.log10(hi / lo);

  const parts: string[] = [];
  let y = top;
  for (const shape of results.shapes) {
    const groupHeight = shape.results.length * (BAR_HEIGHT + BAR_GAP);
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${num(y + groupHeight / 2)}" text-anchor="end" dominant-baseline="middle" ` +
        `class="shape">${escapeXml(shape.name)}</text>`,
    );
    for (const r of shape.results) {
      const barY = num(y);
      const textY = num(y + BAR_HEIGHT - 2);
      if (r.gflops !== undefined && r.gflops > 0) {
        const width = Math.max(1, x(r.gflops) - LABEL_WIDTH);
        const wrong = r.status === 'wrong';
        parts.push(
          `<rect class="bar" x="${LABEL_WIDTH}" y="${barY}" width="${num(width)}" height="${BAR_HEIGHT}" ` +
            `fill="${colour(r.engine)}"${wrong ? ' stroke="#d00" stroke-width="2"' : ''}>` +
            `<title>${escapeXml(`${shape.name} ${r.engine}: ${r.gflops.toFixed(2)} GFLOP/s`)}</title></rect>`,
          `<text x="${num(LABEL_WIDTH + width + 4)}" y="${textY}" class="value">` +
            `${escapeXml(r.gflops.toFixed(r.gflops < 10 ? 2 : 1) + (wrong ? ' WRONG' : ''))}</text>`,
        );
      } else {
        parts.push(
          `<text x="${LABEL_WIDTH + 4}" y="${textY}" class="value">${escapeXml(`${r.engine}: ${r.status}`)}</text>`,
        );
      }
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  const height = y + 30;

  const grid: string[] = [];
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    const gx = num(x(decade));
    grid.push(
      `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${y}" class="grid"/>`,
      `<text x="${gx}" y="${y + 14}" text-anchor="middle" class="axis">${escapeXml(String(+decade.toPrecision(3)))}</text>`,
    );
  }
  const legend = engines.map((engine, i) => {
    const lx = LABEL_WIDTH + (i % LEGEND_PER_ROW) * 150;
    const ly = LEGEND_TOP + Math.floor(i / LEGEND_PER_ROW) * LEGEND_ROW;
    return (
      `<rect x="${lx}" y="${ly}" width="12" height="10" fill="${colour(engine)}"/>` +
      `<text x="${lx + 16}" y="${ly + 9}" class="legend">${escapeXml(engine)}</text>`
    );
  });
  const m = results.machine;
  const title = `${what} GFLOP/s (log scale, higher is better): ${m.cpuModel}, Node ${m.nodeVersion}, ${m.date.slice(0, 10)}`;

  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${num(height)}" viewBox="0 0 ${WIDTH} ${num(height)}">`,
    `<style>text{font-family:system-ui,sans-serif;fill:#222}.shape{font-size:12px;font-weight:600}` +
      `.value,.legend,.axis{font-size:10px}.title{font-size:14px;font-weight:600}.grid{stroke:#ddd;stroke-width:1}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" class="title">${escapeXml(title)}</text>`,
    ...legend,
    ...grid,
    ...parts,
    `<text x="${num(LABEL_WIDTH + plotWidth / 2)}" y="${num(height - 4)}" text-anchor="middle" class="axis">GFLOP/s</text>`,
    `</svg>`,
    '',
  ].join('\n');
}
