/** Command-line flags of `npm run bench`. */
import { Command, Option, InvalidArgumentError as CommanderArgumentError } from 'commander';

export const SECTIONS = ['conv', 'depthwise', 'grouped', 'train', 'relaxed', 'webgpu', 'models'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  all: boolean;
  /** The sections to run, in SECTIONS order; shape sections with none of `shapes` are dropped later. */
  sections: SectionName[];
  /** Shape names (from any suite); undefined: every shape. */
  shapes?: string[];
  engines?: string[];
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
  warmupMs: number;
  directMaxFlops: number;
  outDir: string;
  /** The models section's batch sizes (--batches; default 1 and 8). */
  batches: number[];
  /** Internal: this process is the relaxed-SIMD child and writes its results to this file. */
  relaxedChild?: string;
}

/** Per suite, the shapes --quick runs: small ones, so the smoke test stays a few seconds long. */
export const QUICK_CONV_SHAPES = ['seed-5x5-s2', 'mnist-c1-b64', 'resnet-1x1-56'];
export const QUICK_DEPTHWISE_SHAPES = ['mnv1-dw-112x32-s1'];
export const QUICK_GROUPED_SHAPES = ['resnext-g32-28x256'];
export const QUICK_SHAPES = [...QUICK_CONV_SHAPES, ...QUICK_DEPTHWISE_SHAPES, ...QUICK_GROUPED_SHAPES];
const DEFAULT_BUDGET_MS = 300;
/** The models section's batch sizes: one image, and a small batch (issue 12). */
export const DEFAULT_MODEL_BATCHES: readonly number[] = [1, 8];
const QUICK_BUDGET_MS = 40;

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CommanderArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

/** --batches: positive integers, each once, in the order given. */
export function batchList(value: string): number[] {
  const batches = list(value).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1)
      throw new CommanderArgumentError(`expected batch sizes (positive integers), got "${s}"`);
    return n;
  });
  if (batches.length === 0) throw new CommanderArgumentError('expected at least one batch size');
  return [...new Set(batches)];
}

function sectionList(value: string): SectionName[] {
  const names = list(value);
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new CommanderArgumentError(`unknown section "${name}"; sections: ${SECTIONS.join(', ')}`);
    }
  }
  return SECTIONS.filter((s) => names.includes(s));
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const program = new Command()
    .name('npm run bench --')
    .description(
      'convkit side by side with tfjs-wasm, tfjs-cpu and onnxruntime-node: conv2d, depthwise and grouped ' +
        'shapes, a LeNet training step, and conv2d again with relaxed SIMD (FMA)',
    )
    .option(
      '--sections <names>',
      `comma-separated sections to run (default all: ${SECTIONS.join(',')})`,
      sectionList,
    )
    .option(
      '--quick',
      `small shapes (${QUICK_SHAPES.join(', ')}) with a ${QUICK_BUDGET_MS} ms budget; no relaxed section unless --sections names it`,
      false,
    )
    .option('--no-relaxed', 'skip the relaxed SIMD section')
    .option('--all', 'also run the direct algorithm on large shapes', false)
    .option('--shapes <names>', 'comma-separated shape names from any suite (bench/shapes*.json)', list)
    .option(
      '--engines <names>',
      'comma-separated engine names or prefixes (convkit, convkit:auto, tfjs, onnxruntime:t1, ...)',
      list,
    )
    .option(
      '--budget <ms>',
      `time budget per engine per shape (default ${DEFAULT_BUDGET_MS})`,
      positiveNumber,
    )
    .option(
      '--direct-max-mflop <n>',
      'skip the direct algorithm above this many MFLOP unless --all',
      positiveNumber,
      5,
    )
    .option(
      '--batches <list>',
      `models section: comma-separated batch sizes (default ${DEFAULT_MODEL_BATCHES.join(',')})`,
      batchList,
    )
    .option('--out <dir>', 'where latest.json and latest.svg go', 'bench/results')
    .addOption(new Option('--relaxed-child <file>').hideHelp())
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{
    sections?: SectionName[];
    quick: boolean;
    relaxed: boolean;
    all: boolean;
    shapes?: string[];
    engines?: string[];
    budget?: number;
    directMaxMflop: number;
    batches?: number[];
    out: string;
    relaxedChild?: string;
  }>();
  const budgetMs = o.budget ?? (o.quick ? QUICK_BUDGET_MS : DEFAULT_BUDGET_MS);
  return {
    quick: o.quick,
    all: o.all,
    sections: chooseSections(o),
    shapes: o.shapes ?? (o.quick ? QUICK_SHAPES : undefined),
    engines: o.engines,
    budgetMs,
    minSamples: 3,
    maxSamples: o.quick ? 10 : 50,
    warmupMs: Math.min(100, budgetMs / 3),
    directMaxFlops: o.all ? Infinity : o.directMaxMflop * 1e6,
    outDir: o.out,
    batches: o.batches ?? [...DEFAULT_MODEL_BATCHES],
    relaxedChild: o.relaxedChild,
  };
}

/**
 * --sections, or all of them, less: relaxed under --no-relaxed, or under --quick unless named; train
 * (it has no shapes) when --shapes picks shapes and --sections does not name it; webgpu and models unless named
 * (webgpu needs a GPU, or minutes on an emulator; models takes minutes).
 */
function chooseSections(o: {
  sections?: SectionName[];
  quick: boolean;
  relaxed: boolean;
  shapes?: string[];
}): SectionName[] {
  const named = o.sections !== undefined;
  return (o.sections ?? [...SECTIONS]).filter((s) => {
    if (s === 'relaxed') return o.relaxed && (named || !o.quick);
    if (s === 'train') return named || o.shapes === undefined;
    if (s === 'webgpu') return named;
    // Whole networks take minutes (ResNet-50 in tfjs-wasm is ~0.4 s a call): only when named.
    if (s === 'models') return named;
    return true;
  });
}

/** An engine is selected by its full name or by a prefix ending at a ':' or '-' boundary ('tfjs', 'convkit'). */
export function engineSelected(name: string, selectors: readonly string[] | undefined): boolean {
  if (!selectors) return true;
  return selectors.some((s) => name === s || name.startsWith(`${s}:`) || name.startsWith(`${s}-`));
}
