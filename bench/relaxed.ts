/**
 * The relaxed-SIMD pass: convkit:auto with relaxed SIMD (fused multiply-add) next to plain SIMD, on the
 * conv2d suite's shapes. One of the two runs in a child node, next to tfjs-wasm and onnxruntime:t1
 * (interleaved within the child as usual), the other is this process's conv section:
 *   - where this node runs plain SIMD (Node 20: relaxed SIMD only behind
 *     --experimental-wasm-relaxed-simd), the child runs relaxed SIMD, started with the flag;
 *   - where this node already runs relaxed SIMD (Node 22+, Chrome: on by default; Node 24 rejects the
 *     flag), the child runs plain SIMD (CONVKIT_WASM=simd), without flags.
 * bench/relaxed_flags.ts decides about the flag by validating a tiny relaxed module. The child checks
 * which kernel module convkit really picked and writes its results to a file; the parent puts relaxed
 * and plain side by side (tfjs-wasm, which has no relaxed build, should not change between the two).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import type { WasmVariant } from '../src/kernels/wasm/features.js';
import type { TimingSettings } from './measure.js';
import { engineSelected, type BenchOptions } from './options.js';
import { formatMs, layoutTable } from './report.js';
import type { RelaxedComparison, RelaxedSimdResults, SectionResults } from './results.js';
import { runShapeSection, shapesIn } from './section.js';
import { sectionEngines, sectionShapes, sectionSpec } from './sections.js';
import { RELAXED_FLAG, relaxedSimdNodeFlags } from './relaxed_flags.js';
import { geometricMean } from './stats.js';

/** The section's title, by the module its child runs. */
export function relaxedTitle(childVariant: WasmVariant): string {
  return childVariant === 'relaxed-simd'
    ? 'relaxed SIMD (FMA) in a child node: Node 20 with --experimental-wasm-relaxed-simd; default in Node 22+/Chrome'
    : 'plain SIMD in a child node (CONVKIT_WASM=simd): this node runs relaxed SIMD (FMA) by default, as Node 22+/Chrome do';
}
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

function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
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
  const mainVariant = wasmEngine()?.variant ?? null;
  const relaxedHere = mainVariant === 'relaxed-simd';
  const childVariant: WasmVariant = relaxedHere ? 'simd' : 'relaxed-simd';
  const flags = childVariant === 'relaxed-simd' ? relaxedSimdNodeFlags() : [];
  if (!flags) {
    throw new Error(
      `bench: node ${process.version} has relaxed SIMD neither by default nor with ${RELAXED_FLAG}; run --no-relaxed`,
    );
  }
  const nodeFlags = [...flags];
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
    const code = await runChild(args, { ...process.env, CONVKIT_WASM: childVariant });
    if (code !== 0)
      throw new Error(
        `bench: the relaxed SIMD section's child (CONVKIT_WASM=${childVariant} node ${args.join(' ')}) exited with ${code}`,
      );
    const child = JSON.parse(readFileSync(file, 'utf8')) as ChildOutput;
    const comparison: RelaxedComparison[] = child.section.shapes.map((s) => {
      const inChild = median(child.section, s.name, 'convkit:auto');
      const inMain = median(main, s.name, 'convkit:auto');
      return {
        shape: s.name,
        kernel: s.results.find((r) => r.engine === 'convkit:auto')?.kernel,
        convkitRelaxedMs: relaxedHere ? inMain : inChild,
        convkitPlainMs: relaxedHere ? inChild : inMain,
        tfjsWasmChildMs: median(child.section, s.name, 'tfjs-wasm'),
        tfjsWasmMainMs: median(main, s.name, 'tfjs-wasm'),
      };
    });
    return {
      ...child.section,
      title: relaxedTitle(childVariant),
      nodeFlags,
      childVariant,
      convkitVariant: child.variant,
      mainVariant,
      relaxedActive:
        child.variant === childVariant && mainVariant === (relaxedHere ? 'relaxed-simd' : 'simd'),
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
  const relaxedHere = r.childVariant === 'simd';
  const where = (variant: WasmVariant) =>
    variant === r.childVariant ? 'child' : 'this process, conv section';
  const lines = [
    `child: CONVKIT_WASM=${r.childVariant} node ${[...r.nodeFlags, '--import tsx bench/run.ts'].join(' ')}; ` +
      `convkit's kernel module there: ${r.convkitVariant ?? 'none (no WebAssembly SIMD)'}, ` +
      `here: ${r.mainVariant ?? 'none'} ` +
      (r.relaxedActive
        ? '(relaxed and plain SIMD side by side: checked)'
        : relaxedHere
          ? '(NOT relaxed next to plain SIMD: the child did not run plain SIMD)'
          : '(NOT relaxed next to plain SIMD: the flag did not take effect, or this process does not run plain SIMD)'),
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
    `convkit:auto with relaxed SIMD (${where('relaxed-simd')}) vs plain SIMD (${where('simd')}); tfjs-wasm in both:`,
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
