/** The text table printed at the end of a run, and the yardstick summary under it. */
import type { BenchResults, EngineResult, ShapeResult } from './results.js';

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

export function formatTable(results: BenchResults): string {
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

/** Per shape, the GFLOP/s of each peer (the yardsticks) next to convkit's best. */
export function formatYardsticks(results: BenchResults): string {
  const peers = [
    ...new Set(
      results.shapes.flatMap((s) => s.results.filter((r) => r.family === 'peer').map((r) => r.engine)),
    ),
  ];
  const header = ['shape', 'MFLOP', 'convkit best', ...peers];
  const rows = results.shapes.map((shape) => {
    const gflops = (r: EngineResult | undefined) => (r && r.status === 'ok' ? formatGflops(r.gflops) : '-');
    const convkit = shape.results
      .filter((r) => r.family === 'convkit' && r.status === 'ok' && r.gflops !== undefined)
      .sort((a, b) => (b.gflops ?? 0) - (a.gflops ?? 0))[0];
    return [
      shape.name,
      (shape.flops / 1e6).toFixed(1),
      convkit ? `${gflops(convkit)} (${convkit.engine.replace('convkit:', '')})` : '-',
      ...peers.map((p) => gflops(shape.results.find((r) => r.engine === p))),
    ];
  });
  return layoutTable(header, rows, [0, 2]);
}

export function formatSummary(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `machine: ${m.cpuModel}, ${m.cores} cores (availableParallelism ${m.availableParallelism}), ` +
      `Node ${m.nodeVersion}, ${m.date}`,
    `load average at start ${m.loadAverageStart.map((l) => l.toFixed(2)).join(' ')}` +
      (m.loadAverageEnd ? `, at end ${m.loadAverageEnd.map((l) => l.toFixed(2)).join(' ')}` : ''),
  ];
  const speedups = Object.entries(results.geomeanSpeedup);
  if (speedups.length > 0) {
    lines.push(
      'geometric-mean speed-up of convkit (peer ms / convkit ms, >1 means convkit is faster): ' +
        speedups.map(([peer, s]) => `${peer} ${s.toFixed(2)}x`).join(', '),
    );
  }
  return lines.join('\n');
}
