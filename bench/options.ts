/** Command-line flags of `npm run bench`. */
import { Command, InvalidArgumentError as CommanderArgumentError } from 'commander';

export interface BenchOptions {
  quick: boolean;
  all: boolean;
  shapes?: string[];
  engines?: string[];
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
  warmupMs: number;
  directMaxFlops: number;
  outDir: string;
}

/** The shapes --quick runs: tiny, batched-small and 1x1, so the smoke test stays a few seconds long. */
export const QUICK_SHAPES = ['seed-5x5-s2', 'mnist-c1-b64', 'resnet-1x1-56'];
const DEFAULT_BUDGET_MS = 300;
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

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const program = new Command()
    .name('npm run bench --')
    .description('conv2d side by side: convkit algorithms vs tfjs-wasm, tfjs-cpu and onnxruntime-node')
    .option('--quick', `a few shapes (${QUICK_SHAPES.join(', ')}) with a ${QUICK_BUDGET_MS} ms budget`, false)
    .option('--all', 'also run the direct algorithm on large shapes', false)
    .option('--shapes <names>', 'comma-separated shape names from bench/shapes.json', list)
    .option(
      '--engines <names>',
      'comma-separated engine names or prefixes (convkit, tfjs, onnxruntime:t1, ...)',
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
    .option('--out <dir>', 'where latest.json and latest.svg go', 'bench/results')
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{
    quick: boolean;
    all: boolean;
    shapes?: string[];
    engines?: string[];
    budget?: number;
    directMaxMflop: number;
    out: string;
  }>();
  const budgetMs = o.budget ?? (o.quick ? QUICK_BUDGET_MS : DEFAULT_BUDGET_MS);
  return {
    quick: o.quick,
    all: o.all,
    shapes: o.shapes ?? (o.quick ? QUICK_SHAPES : undefined),
    engines: o.engines,
    budgetMs,
    minSamples: 3,
    maxSamples: o.quick ? 10 : 50,
    warmupMs: Math.min(100, budgetMs / 3),
    directMaxFlops: o.all ? Infinity : o.directMaxMflop * 1e6,
    outDir: o.out,
  };
}

/** An engine is selected by its full name or by a prefix ending at a ':' or '-' boundary ('tfjs', 'convkit'). */
export function engineSelected(name: string, selectors: readonly string[] | undefined): boolean {
  if (!selectors) return true;
  return selectors.some((s) => name === s || name.startsWith(`${s}:`) || name.startsWith(`${s}-`));
}
