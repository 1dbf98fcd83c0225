/**
 * `npm run bench`: every benchmark target in one command. Sections (bench/suite.ts): conv2d on the shape
 * suite, depthwiseConv2d, grouped conv2d, one LeNet training step, and conv2d again in a child node with
 * relaxed SIMD. Each prints its table as it finishes; at the end, latest.json (all sections) and
 * latest.svg (a chart of the conv2d section) go to --out. bench/README.md has the method and flags.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { parseBenchOptions } from './options.js';
import { runRelaxedChild } from './relaxed.js';
import { runSuite, timingSettings } from './suite.js';
import { renderSvg } from './svg.js';

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options.relaxedChild) {
    await runRelaxedChild(options, options.relaxedChild, timingSettings(options));
    return;
  }
  const results = await runSuite(options);
  mkdirSync(options.outDir, { recursive: true });
  const json = join(options.outDir, 'latest.json');
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  // The chart shows the conv2d section, or else the first shape section that ran.
  const charted = results.shapes.length > 0 ? results : (results.depthwise ?? results.grouped);
  if (charted) {
    const svg = join(options.outDir, 'latest.svg');
    const what = charted === results ? 'conv2d' : (charted as { title: string }).title;
    writeFileSync(svg, renderSvg({ machine: results.machine, shapes: charted.shapes }, what));
    console.log(`wrote ${json} and ${svg}`);
  } else {
    console.log(`wrote ${json} (no shape section ran: no chart)`);
  }
}

try {
  await main();
} catch (error) {
  // commander has already printed its own usage errors (and --help); everything else is ours to report.
  if (error instanceof CommanderError) process.exitCode = error.exitCode;
  else {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
