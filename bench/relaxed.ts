/**
 * The relaxed-SIMD pass. On Node 20 convkit's kernels use fused multiply-add (WebAssembly relaxed SIMD)
 * only when node runs with --experimental-wasm-relaxed-simd (the default in Node 22+ and Chrome). So
 * the conv2d suite's convkit:auto (one thread) is run again, next to tfjs-wasm and onnxruntime:t1, in
 * a child node started with that flag, interleaved within the child as usual. The child checks which
 * kernel module convkit really picked and writes its results to a file; the parent compares them with
 * its own conv section (convkit:auto plain vs relaxed; tfjs-wasm, which has no relaxed build, should
 * not change).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import type { TimingSettings } from './measure.js';
import { engineSelected, type BenchOptions } from './options.js';
import { formatMs, layoutTable } from './report.js';
import type { RelaxedComparison, RelaxedSimdResults, SectionResults } from './results.js';
import { runShapeSection, shapesIn } from './section.js';
import { sectionEngines, sectionShapes, sectionSpec } from './sections.js';
import { geometricMean } from './stats.js';

export const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
export const RELAXED_TITLE =
  'relaxed SIMD (FMA): Node 20 with --experimental-wasm-relaxed-simd; default in Node 22+/Chrome';
/** The engines the child runs (exact names). */
export const RELAXED_ENGINES = ['convkit:auto', 'tfjs-wasm', 'onnxruntime:t1'];
/** tfjs-wasm child/main within this factor of 1 reads as unaffected on this noisy, shared machine. */
const UNAFFECTED_WITHIN = 0.15;
/** Shapes faster than this are left out of the means (see ratioMean). */
const MIN_MS_FOR_MEANS = 0.5;

const RUN_SCRIPT = fileURLToPath(new URL('./run.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

interface ChildOutput {
  variant: string | null;
  section: SectionResults;
}

/** In the child (run.ts --relaxed-child <file>): the conv section with RELAXED_ENGINES, into <file>. */
export async function runRelaxedChild(options: BenchOptions, file: string, timing: TimingSettings) {
  const names = options.engines ?? RELAXED_ENGINES;
  const engines = sectionEngines('conv', { ...options, engines: undefined }).filter((e) =>
    names.includes(e.name),
  );
  const variant = wasmEngine()?.variant ?? null;
  const specs = shapesIn(sectionShapes('conv'), options.shapes);
  const section = await runShapeSection(sectionSpec('conv', options), specs, engines, timing);
  const output: ChildOutput = { variant, section };
  writeFileSync(file, JSON.stringify(output));
}

function runChild(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

function median(section: SectionResults | undefined, shape: string, engine: string): number | undefined {
  const r = section?.shapes.find((s) => s.name === shape)?.results.find((e) => e.engine === engine);
  return r?.status === 'ok' ? r.ms?.median : undefined;
}

/**
 * Geometric mean of a / b over the shapes that have both, leaving out shapes where `b` takes under
 * MIN_MS_FOR_MEANS (call overhead and timer noise, not the arithmetic, decide those); all shapes when
 * that leaves none.
 */
function ratioMean(
  pairs: RelaxedComparison[],
  a: 'convkitPlainMs' | 'tfjsWasmChildMs',
  b: 'convkitRelaxedMs' | 'tfjsWasmMainMs',
) {
  const both = pairs.filter((p) => p[a] !== undefined && p[b] !== undefined);
  const long = both.filter((p) => (p[b] as number) >= MIN_MS_FOR_MEANS);
  const used = long.length > 0 ? long : both;
  return used.length > 0 ? geometricMean(used.map((p) => (p[a] as number) / (p[b] as number))) : undefined;
}

/**
 * In the parent: starts the child on the given conv shapes and compares its numbers with `main`
 * (this process's conv section, when it ran). Returns undefined when --engines leaves nothing to run.
 */
export async function runRelaxedSection(
  options: BenchOptions,
  shapes: readonly string[],
  main: SectionResults | undefined,
): Promise<RelaxedSimdResults | undefined> {
  const engines = RELAXED_ENGINES.filter((name) => engineSelected(name, options.engines));
  if (engines.length === 0 || shapes.length === 0) return undefined;
  // Where this node already has relaxed SIMD (Node 22+), the flag is not needed (and may be gone).
  const nodeFlags = wasmEngine()?.variant === 'relaxed-simd' ? [] : [RELAXED_FLAG];
  const dir = mkdtempSync(join(tmpdir(), 'convkit-bench-relaxed-'));
  const file = join(dir, 'child.json');
  try {
    const args = [
      ...nodeFlags,
      '--import',
      'tsx',
      RUN_SCRIPT,
      '--relaxed-child',
      file,
      '--shapes',
      shapes.join(','),
      '--engines',
      engines.join(','),
      '--budget',
      String(options.budgetMs),
      '--direct-max-mflop',
      String(options.directMaxFlops / 1e6),
      ...(options.quick ? ['--quick'] : []),
    ];
    const code = await runChild(args);
    if (code !== 0)
      throw new Error(`bench: the relaxed SIMD child (node ${args.join(' ')}) exited with ${code}`);
    const child = JSON.parse(readFileSync(file, 'utf8')) as ChildOutput;
    const comparison: RelaxedComparison[] = child.section.shapes.map((s) => ({
      shape: s.name,
      kernel: s.results.find((r) => r.engine === 'convkit:auto')?.kernel,
      convkitRelaxedMs: median(child.section, s.name, 'convkit:auto'),
      convkitPlainMs: median(main, s.name, 'convkit:auto'),
      tfjsWasmChildMs: median(child.section, s.name, 'tfjs-wasm'),
      tfjsWasmMainMs: median(main, s.name, 'tfjs-wasm'),
    }));
    return {
      ...child.section,
      title: RELAXED_TITLE,
      nodeFlags,
      convkitVariant: child.variant,
      relaxedActive: child.variant === 'relaxed-simd',
      comparison,
      convkitPlainOverRelaxed: ratioMean(comparison, 'convkitPlainMs', 'convkitRelaxedMs'),
      tfjsWasmChildOverMain: ratioMean(comparison, 'tfjsWasmChildMs', 'tfjsWasmMainMs'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checks and the relaxed-vs-plain comparison printed under the section's table. */
export function formatRelaxedChecks(r: RelaxedSimdResults): string {
  const lines = [
    `child: node ${[...r.nodeFlags, '--import tsx bench/run.ts'].join(' ')}; convkit's kernel module there: ` +
      `${r.convkitVariant ?? 'none (no WebAssembly SIMD)'} ` +
      (r.relaxedActive
        ? '(relaxed SIMD active: checked)'
        : '(NOT relaxed SIMD: the flag did not take effect)'),
  ];
  const x = (a?: number, b?: number) => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : '-');
  const rows = r.comparison.map((c) => [
    c.shape,
    c.kernel ?? '-',
    formatMs(c.convkitRelaxedMs),
    formatMs(c.convkitPlainMs),
    x(c.convkitPlainMs, c.convkitRelaxedMs),
    formatMs(c.tfjsWasmChildMs),
    formatMs(c.tfjsWasmMainMs),
    x(c.tfjsWasmChildMs, c.tfjsWasmMainMs),
  ]);
  lines.push(
    'convkit:auto with relaxed SIMD (child) vs plain SIMD (this process, conv section); tfjs-wasm in both:',
    layoutTable(
      [
        'shape',
        'convkit:auto kernel (child)',
        'relaxed ms',
        'plain ms',
        'plain/relaxed',
        'tfjs-wasm child ms',
        'main ms',
        'child/main',
      ],
      rows,
      [0, 1],
    ),
  );
  const mean = (v?: number) =>
    v === undefined ? 'n/a (the conv section did not run these shapes)' : `${v.toFixed(2)}x`;
  const tfjs = r.tfjsWasmChildOverMain;
  const verdict =
    tfjs === undefined
      ? ''
      : Math.abs(tfjs - 1) <= UNAFFECTED_WITHIN
        ? ` (unaffected: within ${UNAFFECTED_WITHIN * 100}%)`
        : ` (differs by more than ${UNAFFECTED_WITHIN * 100}%: noise on this shared machine, or an effect; rerun)`;
  lines.push(
    `geometric means over shapes of ${MIN_MS_FOR_MEANS} ms or more: convkit:auto plain ms / relaxed ms ${mean(r.convkitPlainOverRelaxed)}; ` +
      `tfjs-wasm child ms / main ms ${mean(tfjs)}${verdict}`,
  );
  return lines.join('\n');
}
