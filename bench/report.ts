/** The text tables printed at the end of a run: per section the full table, the yardsticks, the summary. */
import type { BenchResults, EngineResult, MachineInfo, ShapeResult, ShapeSectionResults } from './results.js';
import { isAutoEngine } from './speedup.js';

export function formatGflops(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value.toFixed(value < 10 ? 2 : 1);
}

/** Milliseconds with about three significant digits. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toPrecision(3);
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function formatDiff(d: number | undefined): string {
  if (d === undefined) return '-';
  return Number.isFinite(d) ? d.toExponential(1) : 'inf';
}

/** Lays rows out in columns: the columns listed in `leftAligned` (text) left, the others (numbers) right. */
export function layoutTable(
  header: string[],
  rows: string[][],
  leftAligned: readonly number[] = [0, 1],
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (leftAligned.includes(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function engineRow(shape: ShapeResult, r: EngineResult, first: boolean): string[] {
  const ms = r.ms;
  const measured = ms !== undefined;
  let note = r.note ?? '';
  if (r.status === 'wrong') note = `WRONG (max|diff| above tolerance) ${note}`.trim();
  if (r.speedup !== undefined) note = `${note} vs ${r.speedupAgainst}`.trim();
  if (r.bestSpeedup !== undefined && r.bestSpeedupAgainst !== r.speedupAgainst) {
    note = `${note}; best ${r.bestSpeedup.toFixed(2)}x vs ${r.bestSpeedupAgainst}`;
  }
  return [
    first ? shape.name : '',
    r.engine,
    measured ? formatMs(ms.median) : r.status,
    measured ? `${formatMs(ms.q1)}-${formatMs(ms.q3)}` : '',
    measured ? `${formatMs(ms.min)}-${formatMs(ms.max)}` : '',
    measured ? String(ms.count) : '',
    formatGflops(r.gflops),
    formatDiff(r.maxAbsDiff),
    r.speedup !== undefined ? `${r.speedup.toFixed(2)}x` : '',
    r.scratchBytes !== undefined ? formatBytes(r.scratchBytes) : '',
    note,
  ];
}

export function formatTable(results: Pick<ShapeSectionResults, 'shapes'>): string {
  const header = [
    'shape',
    'engine',
    'median ms',
    'IQR ms',
    'min-max ms',
    'n',
    'GFLOP/s',
    'max|diff|',
    'speed-up',
    'scratch',
    'note',
  ];
  const rows: string[][] = [];
  for (const shape of results.shapes) {
    shape.results.forEach((r, i) => rows.push(engineRow(shape, r, i === 0)));
  }
  return layoutTable(header, rows, [0, 1, header.length - 1]);
}

/**
 * Per shape, GFLOP/s of convkit:auto (what users get; the algorithm it ran in brackets), of the best
 * convkit engine (forced algorithms that fell back left out), and of each peer (the yardsticks).
 */
export function formatYardsticks(results: Pick<ShapeSectionResults, 'shapes'>): string {
  const names = (keep: (r: EngineResult) => boolean) => [
    ...new Set(results.shapes.flatMap((s) => s.results.filter(keep).map((r) => r.engine))),
  ];
  const peers = names((r) => r.family === 'peer');
  const autos = names((r) => isAutoEngine(r.engine));
  const header = ['shape', 'MFLOP', ...autos, 'convkit best', ...peers];
  const gflops = (r: EngineResult | undefined) => (r && r.status === 'ok' ? formatGflops(r.gflops) : '-');
  const rows = results.shapes.map((shape) => {
    const best = shape.results
      .filter((r) => r.family === 'convkit' && r.status === 'ok' && !r.fellBack && r.gflops !== undefined)
      .sort((a, b) => (b.gflops ?? 0) - (a.gflops ?? 0))[0];
    const auto = (name: string) => {
      const r = shape.results.find((e) => e.engine === name);
      return r?.status === 'ok' && r.runs ? `${gflops(r)} (${r.runs})` : gflops(r);
    };
    return [
      shape.name,
      (shape.flops / 1e6).toFixed(1),
      ...autos.map(auto),
      best ? `${gflops(best)} (${best.engine.replace('convkit:', '')})` : '-',
      ...peers.map((p) => gflops(shape.results.find((r) => r.engine === p))),
    ];
  });
  const textColumns = [0, ...autos.map((_, i) => 2 + i), 2 + autos.length];
  return layoutTable(header, rows, textColumns);
}

function speedupList(speedups: Record<string, number> | undefined): string {
  return Object.entries(speedups ?? {})
    .map(([peer, s]) => `${peer} ${s.toFixed(2)}x`)
    .join(', ');
}

/** The geometric-mean speed-ups of a section: convkit:auto (the headline) and the best engine. */
export function formatSpeedups(section: ShapeSectionResults): string {
  const lines: string[] = [];
  const headline = speedupList(section.geomeanSpeedup);
  const against = section.shapes.flatMap((s) => s.results.map((r) => r.speedupAgainst)).find(Boolean);
  const auto = against !== undefined && isAutoEngine(against);
  if (headline) {
    lines.push(
      `geometric-mean speed-up of ${auto ? "convkit:auto at the peer's thread count" : 'the best convkit engine'} ` +
        `(peer ms / convkit ms, >1 means convkit is faster): ${headline}`,
    );
  }
  const best = speedupList(section.geomeanBestSpeedup);
  if (auto && best) {
    lines.push(
      `  best convkit engine per shape (no more threads; forced algorithms that fell back excluded): ${best}`,
    );
  }
  return lines.join('\n');
}

export function formatMachine(m: MachineInfo): string {
  return [
    `machine: ${m.cpuModel}, ${m.cores} cores (availableParallelism ${m.availableParallelism}), ` +
      `Node ${m.nodeVersion}, ${m.date}`,
    `load average at start ${m.loadAverageStart.map((l) => l.toFixed(2)).join(' ')}` +
      (m.loadAverageEnd ? `, at end ${m.loadAverageEnd.map((l) => l.toFixed(2)).join(' ')}` : ''),
  ].join('\n');
}

/** The machine and the conv section's speed-ups. */
export function formatSummary(results: BenchResults): string {
  return [formatMachine(results.machine), formatSpeedups(results)].filter(Boolean).join('\n');
}

/** A section's table, yardsticks, speed-ups and any wrong results, under a heading. */
export function formatSection(heading: string, section: ShapeSectionResults): string {
  const parts = [
    `== ${heading} ==`,
    formatTable(section),
    '',
    'GFLOP/s per shape (median):',
    formatYardsticks(section),
    '',
    formatSpeedups(section),
  ];
  const wrong = section.shapes.flatMap((s) =>
    s.results.filter((r) => r.status === 'wrong').map((r) => `${s.name}/${r.engine}`),
  );
  if (wrong.length > 0) parts.push(`WRONG results (above tolerance): ${wrong.join(', ')}`);
  return parts.join('\n');
}
