/** The models section's text: the timing, ratio and check tables and the depthwise profile (bench/models.ts). */
import { DEPTHWISE_PROFILE_RUNS, LOGITS_TOLERANCE, type ModelBenchResult } from './models.js';
import { formatMs, layoutTable } from './report.js';
import type { TimedSteps } from './results.js';

function diffText(d: number | undefined): string {
  if (d === undefined) return '-';
  return `${d.toExponential(1)}${d <= LOGITS_TOLERANCE ? '' : ' (!)'}`;
}

export function formatModels(results: readonly ModelBenchResult[]): string {
  const cell = (s: TimedSteps | null) =>
    s ? `${formatMs(s.ms.median)} (${formatMs(s.ms.q1)}-${formatMs(s.ms.q3)})` : '-';
  const ratio = (r: number | null) => (r === null ? '-' : `${r.toFixed(2)}x`);
  const engines = (r: ModelBenchResult) => [
    r.convkit,
    r.convkitT2,
    r.tfjsWasm,
    r.onnxNode,
    r.onnxNodeT2,
    r.onnxWeb,
  ];
  const lines = [
    'median ms per call (q1-q3); convkit t1 / t2: predict with threads: 1 / 2; ort-node tN: onnxruntime-node, N intra-op threads; ort-web: onnxruntime-web (wasm), one thread',
    layoutTable(
      ['model', 'batch', 'convkit t1', 'convkit t2', 'tfjs-wasm', 'ort-web', 'ort-node t1', 'ort-node t2'],
      results.map((r) => [
        r.model,
        String(r.batch),
        cell(r.convkit),
        cell(r.convkitT2),
        cell(r.tfjsWasm),
        cell(r.onnxWeb),
        cell(r.onnxNode),
        cell(r.onnxNodeT2),
      ]),
    ),
    '',
    'ratios: peer median / convkit median at the same thread count (above 1: convkit is faster); t1 / t2: what convkit gains from the second thread',
    layoutTable(
      [
        'model',
        'batch',
        'tfjs-wasm / t1',
        'ort-web / t1',
        'ort-node t1 / t1',
        'convkit t1 / t2',
        'ort-node t2 / t2',
      ],
      results.map((r) => [
        r.model,
        String(r.batch),
        ratio(r.ratios.tfjsWasm),
        ratio(r.ratios.onnxWeb),
        ratio(r.ratios.onnxNodeT1),
        ratio(r.ratios.convkitT2OverT1),
        ratio(r.ratios.onnxNodeT2),
      ]),
    ),
    '',
    `logits vs tfjs-wasm's (largest |diff| / largest |logit|, (!) above ${LOGITS_TOLERANCE}); samples per engine; convkit's plan`,
    layoutTable(
      [
        'model',
        'batch',
        'params',
        'convkit t1',
        'convkit t2',
        'ort-web',
        'ort-node t1',
        'ort-node t2',
        'samples',
        'steps/layers',
        'arena / peak live',
      ],
      results.map((r) => {
        const counts = engines(r).flatMap((e) => (e ? [e.ms.count] : []));
        return [
          r.model,
          String(r.batch),
          String(r.params),
          diffText(r.logitsRelativeDifference),
          diffText(r.convkitT2.logitsRelativeDifference),
          diffText(r.onnxWeb?.logitsRelativeDifference),
          diffText(r.onnxNode?.logitsRelativeDifference),
          diffText(r.onnxNodeT2?.logitsRelativeDifference),
          `${Math.min(...counts)}-${Math.max(...counts)}`,
          `${r.steps}/${r.layers}`,
          `${(r.arenaBytes / 2 ** 20).toFixed(1)} / ${(r.peakLiveBytes / 2 ** 20).toFixed(1)} MiB`,
        ];
      }),
    ),
  ];
  for (const r of results) if (r.onnxError) lines.push(`  ${r.model}, batch ${r.batch}: ${r.onnxError}`);
  for (const r of results) {
    if (!r.depthwise) continue;
    lines.push(
      '',
      `${r.model}, batch ${r.batch}: depthwise layers, fastest of ${DEPTHWISE_PROFILE_RUNS} profiled runs (convkit: predict's profile, the fused step; tfjs: tf.profile kernel times)`,
    );
    for (const d of r.depthwise) {
      const ratio = d.tfjsWasmMs === null ? '' : `  ${(d.tfjsWasmMs / d.convkitMs).toFixed(2)}x`;
      lines.push(
        `  ${d.layer.padEnd(60)} convkit ${d.convkitMs.toFixed(3).padStart(7)} ms  tfjs-wasm ${d.tfjsWasmMs?.toFixed(3).padStart(7) ?? '      -'} ms${ratio}`,
      );
    }
  }
  return lines.join('\n');
}

/** The section's heading, naming the batch sizes. */
export function modelsHeading(batches: readonly number[]): string {
  return `== whole networks (bench/models.ts: Keras applications layouts, seeded weights; batch ${batches.join(' and ')}; convkit on one thread and two) ==`;
}
