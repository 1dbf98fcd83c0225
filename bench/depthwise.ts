/**
 * `node --import tsx bench/depthwise.ts`: the depthwise section of `npm run bench` on its own (the same as
 * `npm run bench -- --sections depthwise`), kept for scripts that call it. Takes `npm run bench`'s
 * flags (--shapes, --engines, --budget, --quick, --all, ...) plus --json <file>, which writes the
 * section in latest.json's format with its shapes at the top level.
 */
import { writeFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { parseBenchOptions } from './options.js';
import type { BenchResults } from './results.js';
import { runSuite } from './suite.js';

/** Takes `--json <file>` out of the arguments. */
function jsonFlag(argv: string[]): { json?: string; rest: string[] } {
  const i = argv.indexOf('--json');
  if (i < 0) return { rest: argv };
  return { json: argv[i + 1], rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
}

try {
  const { json, rest } = jsonFlag(process.argv.slice(2));
  const results = await runSuite(parseBenchOptions(['--sections', 'depthwise', ...rest]));
  if (json) {
    const section = results.depthwise;
    const out: BenchResults = {
      ...results,
      shapes: section?.shapes ?? [],
      geomeanSpeedup: section?.geomeanSpeedup ?? {},
    };
    writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote ${json}`);
  }
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode;
  else {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
