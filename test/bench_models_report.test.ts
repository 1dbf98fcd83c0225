// The models section's tables (bench/models_report.ts formatModels), from hand-made results (no network runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelBenchResult } from '../bench/models.js';
import { formatModels, modelsHeading } from '../bench/models_report.js';
import type { TimedSteps } from '../bench/results.js';
import { summarize } from '../bench/stats.js';

function steps(...samplesMs: number[]): TimedSteps {
  return { callsPerSample: 1, samplesMs, ms: summarize(samplesMs) };
}

function checked(diff: number, ...samplesMs: number[]) {
  return { ...steps(...samplesMs), logitsRelativeDifference: diff };
}

function result(batch: number, scale: number, withOnnx: boolean): ModelBenchResult {
  return {
    model: 'resnet50',
    batch,
    threads: 1,
    params: 25636712,
    convkit: steps(100 * scale, 100 * scale, 100 * scale),
    convkitT2: checked(1e-6, 80 * scale, 80 * scale, 80 * scale),
    tfjsWasm: steps(200 * scale, 200 * scale, 200 * scale),
    onnxNode: withOnnx ? checked(2e-6, 30 * scale, 30 * scale, 30 * scale) : null,
    onnxNodeT2: withOnnx ? checked(3e-4, 20 * scale, 20 * scale, 20 * scale) : null,
    onnxWeb: withOnnx ? checked(2e-6, 150 * scale, 150 * scale, 150 * scale) : null,
    onnxError: withOnnx ? undefined : 'onnxruntime-web: no wasm',
    speedup: 2,
    ratios: {
      tfjsWasm: 2,
      onnxWeb: withOnnx ? 1.5 : null,
      onnxNodeT1: withOnnx ? 0.3 : null,
      convkitT2OverT1: 1.25,
      onnxNodeT2: withOnnx ? 0.25 : null,
    },
    logitsRelativeDifference: 1e-6,
    logitsAgree: withOnnx ? false : true,
    arenaBytes: 2 ** 20,
    peakLiveBytes: 2 ** 19,
    steps: 70,
    layers: 177,
  };
}

test('formatModels: a row per network and batch in the timing, ratio and check tables', () => {
  const text = formatModels([result(1, 1, true), result(8, 8, false)]);
  const rows = text.split('\n').filter((l) => l.startsWith('resnet50'));
  assert.equal(rows.length, 6, `two rows in each of three tables:\n${text}`);
  // Timing table: medians with their quartiles; a peer that did not run is '-'.
  assert.match(
    rows[0],
    /^resnet50\s+1\s+100 \(100-100\)\s+80\.0 \(80\.0-80\.0\)\s+200 \(200-200\)\s+150/,
    rows[0],
  );
  assert.match(
    rows[1],
    /^resnet50\s+8\s+800 \(800-800\)\s+640 \(640-640\)\s+1600 \(1600-1600\)\s+-\s+-\s+-$/,
    rows[1],
  );
  // Ratio table: tfjs-wasm, ort-web, ort-node t1 over convkit t1; convkit t1 / t2; ort-node t2 over convkit t2.
  assert.match(rows[2], /^resnet50\s+1\s+2\.00x\s+1\.50x\s+0\.30x\s+1\.25x\s+0\.25x$/, rows[2]);
  assert.match(rows[3], /^resnet50\s+8\s+2\.00x\s+-\s+-\s+1\.25x\s+-$/, rows[3]);
  // Checks: a logits difference above 1e-4 is flagged; samples; steps/layers; arena.
  assert.match(rows[4], /3\.0e-4 \(!\)\s+3-3\s+70\/177\s+1\.0 \/ 0\.5 MiB$/, rows[4]);
  assert.match(text, /resnet50, batch 8: onnxruntime-web: no wasm/, 'the peer error is printed');
  assert.match(modelsHeading([1, 8]), /batch 1 and 8/, 'the heading names the batches');
});
