/**
 * The depthwise target: on every 3x3 depthwise layer, convkit:auto (what users get) at least 1.5x as
 * fast as tfjs-wasm (XNNPACK), both on one thread.
 */
import { formatGflops, formatMs, layoutTable } from './report.js';
import type { DepthwiseSectionResults, ShapeResult, TargetCheck } from './results.js';
import { geometricMean } from './stats.js';

export const TARGET_PEER = 'tfjs-wasm';
export const TARGET_ENGINE = 'convkit:auto';
export const TARGET_SPEEDUP = 1.5;

export function depthwiseTarget(shapes: readonly ShapeResult[]): DepthwiseSectionResults['target'] {
  const checks: TargetCheck[] = [];
  for (const s of shapes) {
    if (s.filter[0] !== 3 || s.filter[1] !== 3) continue;
    const ours = s.results.find((r) => r.engine === TARGET_ENGINE);
    const peer = s.results.find((r) => r.engine === TARGET_PEER);
    if (!ours?.ms || !peer?.ms || ours.status !== 'ok' || peer.status !== 'ok') continue;
    const ratio = peer.ms.median / ours.ms.median;
    checks.push({ shape: s.name, ratio, met: ratio >= TARGET_SPEEDUP });
  }
  const geomean = checks.length > 0 ? geometricMean(checks.map((c) => c.ratio)) : undefined;
  return { peer: TARGET_PEER, speedup: TARGET_SPEEDUP, shapes: checks, geomean };
}

export function formatDepthwiseTarget(
  target: DepthwiseSectionResults['target'],
  shapes: readonly ShapeResult[],
): string {
  if (target.shapes.length === 0) return '';
  const rows = target.shapes.map((check) => {
    const s = shapes.find((x) => x.name === check.shape);
    const ours = s?.results.find((r) => r.engine === TARGET_ENGINE);
    const peer = s?.results.find((r) => r.engine === TARGET_PEER);
    return [
      check.shape,
      formatMs(ours?.ms?.median),
      formatMs(peer?.ms?.median),
      formatGflops(ours?.gflops),
      formatGflops(peer?.gflops),
      `${check.ratio.toFixed(2)}x`,
      check.met ? 'met' : 'NOT met',
    ];
  });
  const met = target.shapes.filter((c) => c.met).length;
  return (
    `depthwise target: ${TARGET_ENGINE} >= ${TARGET_SPEEDUP}x ${TARGET_PEER} on each 3x3 layer\n` +
    layoutTable(
      [
        '3x3 shape',
        `${TARGET_ENGINE} ms`,
        `${TARGET_PEER} ms`,
        `${TARGET_ENGINE} GFLOP/s`,
        `${TARGET_PEER} GFLOP/s`,
        `${TARGET_PEER} ms / convkit ms`,
        `${TARGET_SPEEDUP}x target`,
      ],
      rows,
      [0, 6],
    ) +
    `\nmet on ${met} of ${target.shapes.length} shapes; geometric mean ${target.geomean?.toFixed(2)}x`
  );
}
