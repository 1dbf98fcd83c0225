// `npm run bench` end to end on small shapes with tiny budgets: every section runs its engines, they
// agree with the reference, and the results files are written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults, EngineResult } from '../bench/results.js';
import { relaxedSimdValidates } from '../bench/relaxed_flags.js';

function bench(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { encoding: 'utf8' });
}

/** Runs the bench into a fresh folder and returns its stdout and latest.json. */
function benchResults(args: string[]): { stdout: string; results: BenchResults; svg?: string } {
  const out = mkdtempSync(join(tmpdir(), 'convkit-bench-'));
  try {
    const run = bench([...args, '--out', out]);
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
    let svg: string | undefined;
    try {
      svg = readFileSync(join(out, 'latest.svg'), 'utf8');
    } catch {
      svg = undefined;
    }
    return { stdout: run.stdout, results, svg };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function engine(results: readonly EngineResult[], name: string): EngineResult {
  const r = results.find((e) => e.engine === name);
  assert.ok(r, `${name} missing`);
  return r;
}

function assertMeasuredOk(r: EngineResult, maxDiff = 1e-4): void {
  assert.equal(r.status, 'ok', `${r.engine}: ${r.note}`);
  assert.ok((r.maxAbsDiff ?? Infinity) < maxDiff, `${r.engine} max|diff| ${r.maxAbsDiff}`);
  assert.ok((r.ms?.count ?? 0) >= 3, '(r.ms?.count ?? 0) >= 3');
  assert.ok((r.gflops ?? 0) > 0, '(r.gflops ?? 0) > 0');
}

test('the conv section runs every engine on one shape and writes latest.json and latest.svg', () => {
  const { stdout, results, svg } = benchResults(['--quick', '--shapes', 'seed-5x5-s2', '--budget', '5']);
  assert.deepEqual(
    results.shapes.map((s) => s.name),
    ['seed-5x5-s2'],
  );
  const engines = results.shapes[0].results;
  for (const name of [
    'convkit:auto',
    'convkit:direct',
    'convkit:im2col',
    'tfjs-wasm',
    'tfjs-cpu',
    'onnxruntime:t1',
    'onnxruntime:t2',
  ]) {
    assertMeasuredOk(engine(engines, name));
  }
  // The headline compares each peer with convkit:auto at the peer's thread count.
  assert.equal(engine(engines, 'tfjs-wasm').speedupAgainst, 'convkit:auto');
  const t2 = availableParallelism() > 1 ? `convkit:auto:t${availableParallelism()}` : 'convkit:auto';
  assert.equal(engine(engines, 'onnxruntime:t2').speedupAgainst, t2);
  // The FFT needs stride 1: on this stride-2 shape the forced engine falls back and says so (Winograd
  // takes it through space-to-depth).
  const fft = engine(engines, 'convkit:fft');
  assert.equal(fft.fellBack, true);
  assert.equal(fft.runs, 'igemm');
  assert.match(fft.note ?? '', /fell back: runs igemm \(it supports stride 1 only/);
  assert.notEqual(engine(engines, 'tfjs-wasm').bestSpeedupAgainst, 'convkit:fft');
  assert.equal(engine(engines, 'convkit:winograd').fellBack, false);
  assert.equal(results.shapes[0].flops, 2 * 3 * 3 * 7 * 3 * 3 * 5);
  assert.ok(results.machine.cores >= 1, 'results.machine.cores >= 1');
  // --shapes named conv shapes only: the other sections did not run (relaxed: --quick skips it).
  assert.deepEqual(results.settings.sections, ['conv']);
  assert.equal(results.depthwise, undefined);
  assert.equal(results.trainStep, undefined);
  assert.equal(results.relaxedSimd, undefined);
  assert.match(svg ?? '', /^<\?xml[\s\S]*<\/svg>\n$/);
  assert.match(stdout, /seed-5x5-s2\s+convkit:auto/);
});

test('the depthwise, grouped and train sections run and land in latest.json', () => {
  const { stdout, results } = benchResults([
    '--quick',
    '--sections',
    'depthwise,grouped,train',
    '--shapes',
    'mnv1-dw-112x32-s1,resnext-g32-28x256',
    '--engines',
    'convkit:auto,convkit:fast,convkit:igemm,convkit:fft,tfjs-wasm,onnxruntime:t1',
    '--budget',
    '5',
  ]);
  assert.deepEqual(results.settings.sections, ['depthwise', 'grouped', 'train']);
  assert.deepEqual(results.shapes, []);

  const depthwise = results.depthwise;
  assert.ok(depthwise, 'depthwise');
  assert.deepEqual(
    depthwise.shapes.map((s) => s.name),
    ['mnv1-dw-112x32-s1'],
  );
  const dw = depthwise.shapes[0];
  assert.equal(dw.groups, 32);
  assert.equal(dw.flops, 2 * 112 * 112 * 32 * 9);
  for (const name of ['convkit:auto', 'convkit:fast', 'tfjs-wasm', 'onnxruntime:t1']) {
    assertMeasuredOk(engine(dw.results, name), 1e-5);
  }
  const wasm = engine(dw.results, 'tfjs-wasm');
  assert.equal(depthwise.target.shapes.length, 1);
  assert.ok(
    Math.abs(
      depthwise.target.shapes[0].ratio -
        (wasm.ms?.median ?? NaN) / (engine(dw.results, 'convkit:auto').ms?.median ?? NaN),
    ) < 1e-9,
    "Math.abs(depthwise.target.shapes[0].ratio - (wasm.ms?.median ?? NaN) / (engine(dw.results, 'convkit:auto').ms?.median ?? NaN),) < 1e-9",
  );
  assert.match(stdout, /depthwise target: convkit:auto >= 1\.5x tfjs-wasm/);

  const grouped = results.grouped;
  assert.ok(grouped, 'grouped');
  const g = grouped.shapes[0];
  assert.equal(g.name, 'resnext-g32-28x256');
  assert.equal(g.groups, 32);
  assert.equal(g.flops, 2 * 28 * 28 * 256 * 3 * 3 * 8);
  for (const name of ['convkit:auto', 'convkit:igemm', 'onnxruntime:t1'])
    assertMeasuredOk(engine(g.results, name));
  assert.equal(engine(g.results, 'tfjs-wasm').status, 'unsupported');
  assert.match(engine(g.results, 'tfjs-wasm').note ?? '', /no grouped conv2d/);
  const fft = engine(g.results, 'convkit:fft');
  assert.equal(fft.fellBack, true);

  const train = results.trainStep;
  assert.ok(train, 'train');
  assert.equal(train.batch, 64);
  assert.ok(
    train.convkit.ms.median > 0 && train.tfjsWasm.ms.median > 0,
    'train.convkit.ms.median > 0 && train.tfjsWasm.ms.median > 0',
  );
  assert.ok(
    Math.abs(train.speedup - train.tfjsWasm.ms.median / train.convkit.ms.median) < 1e-9,
    'Math.abs(train.speedup - train.tfjsWasm.ms.median / train.convkit.ms.median) < 1e-9',
  );
  assert.ok(
    train.gradientRelativeDifference < 1e-4,
    `gradients differ by ${train.gradientRelativeDifference}`,
  );
  assert.match(stdout, /LeNet training step, batch 64: convkit [\d.]+ ms/);
});

test('the relaxed section runs convkit:auto on the other kernel module in a child node', () => {
  const { stdout, results } = benchResults([
    '--quick',
    '--sections',
    'conv,relaxed',
    '--shapes',
    'seed-5x5-s2',
    '--engines',
    'convkit:auto,tfjs-wasm,onnxruntime:t1',
    '--budget',
    '5',
  ]);
  const relaxed = results.relaxedSimd;
  assert.ok(relaxed, 'relaxed');
  // Node 20 runs plain SIMD here and relaxed SIMD in a child with the flag; Node 22+ the other way round.
  const relaxedHere = relaxedSimdValidates();
  assert.equal(relaxed.mainVariant, relaxedHere ? 'relaxed-simd' : 'simd');
  assert.equal(relaxed.childVariant, relaxedHere ? 'simd' : 'relaxed-simd');
  assert.equal(relaxed.convkitVariant, relaxed.childVariant);
  assert.deepEqual(relaxed.nodeFlags, relaxedHere ? [] : ['--experimental-wasm-relaxed-simd']);
  assert.equal(relaxed.relaxedActive, true);
  assert.deepEqual(
    relaxed.shapes[0].results.map((r) => r.engine),
    ['convkit:auto', 'tfjs-wasm', 'onnxruntime:t1'],
  );
  for (const r of relaxed.shapes[0].results) assertMeasuredOk(r);
  const childKernel = relaxed.shapes[0].results[0].kernel ?? '';
  const mainKernel = engine(results.shapes[0].results, 'convkit:auto').kernel ?? '';
  // Both numbers sit side by side: the relaxed kernels in one process, the plain ones in the other.
  assert.match(relaxedHere ? mainKernel : childKernel, /wasmrelaxedsimd/);
  assert.match(relaxedHere ? childKernel : mainKernel, /wasmsimd/);
  assert.ok(
    (relaxed.comparison[0].convkitPlainMs ?? 0) > 0 && (relaxed.comparison[0].convkitRelaxedMs ?? 0) > 0,
    '(relaxed.comparison[0].convkitPlainMs ?? 0) > 0 && (relaxed.comparison[0].convkitRelaxedMs ?? 0) > 0',
  );
  assert.ok(
    (relaxed.comparison[0].tfjsWasmMainMs ?? 0) > 0 && (relaxed.comparison[0].tfjsWasmChildMs ?? 0) > 0,
    '(relaxed.comparison[0].tfjsWasmMainMs ?? 0) > 0 && (relaxed.comparison[0].tfjsWasmChildMs ?? 0) > 0',
  );
  assert.ok(stdout.includes(relaxed.title), `stdout has the section title ${JSON.stringify(relaxed.title)}`);
  assert.match(
    relaxed.title,
    relaxedHere ? /^plain SIMD in a child node/ : /^relaxed SIMD \(FMA\) in a child node/,
  );
  assert.match(stdout, /relaxed and plain SIMD side by side: checked/);
});

test('an unknown shape name fails with a message that lists the known shapes', () => {
  const run = bench(['--shapes', 'no-such-shape', '--out', join(tmpdir(), 'convkit-bench-unused')]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /unknown shape "no-such-shape"; known shapes: seed-5x5-s2, /);
});
