/**
 * `convkit model summary <model.json>` and `convkit model run <model.json> --input x.npy [--output
 * y.npy] [--threads N] [--repeat N]`: whole TF.js Layers models on the runtime (src/runtime/). Model
 * problems (an unsupported layer, a missing shard, an input of the wrong shape) are convkit errors:
 * one line, exit code 2.
 */
import type { Command } from 'commander';
import { loadLayersModel } from '../runtime/load.js';
import type { LayersModel } from '../runtime/model.js';
import { formatShape } from '../explain/numbers.js';
import { Tensor } from '../tensor.js';
import { parseNonNegativeInteger } from './parse.js';
import { readTensorFile, writeTensorFile } from './tensor_files.js';
import { UsageError } from './usage_error.js';

interface RunFlags {
  input: string;
  output?: string;
  threads?: number;
  repeat?: number;
  profile?: boolean;
}

function positive(flag: string): (text: string) => number {
  return (text) => {
    const n = parseNonNegativeInteger(text);
    if (n < 1) throw new UsageError(`${flag} must be at least 1, got ${n}`);
    return n;
  };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The input with a batch axis added when the file holds one example. */
function batched(model: LayersModel, x: Tensor): Tensor {
  const rank = model.inputs[0].shape.length;
  return x.rank === rank - 1 ? new Tensor(x.data, [1, ...x.shape]) : x;
}

export function registerModelCommand(program: Command): void {
  const model = program
    .command('model')
    .summary('load a TF.js Layers model (model.json) and summarise or run it')
    .description(
      'Whole networks saved in the TF.js Layers format (tfjs model.save, the Keras converter, train-mnist --save).',
    );
  model
    .command('summary')
    .argument('<model>', 'model.json (or its folder)')
    .description("Print the model's layers, output shapes and parameters, and convkit's choices per layer.")
    .action(async (path: string) => {
      const m = await loadLayersModel(path);
      process.stdout.write(`${m.summary()}\n`);
    });
  model
    .command('run')
    .argument('<model>', 'model.json (or its folder)')
    .description(
      'Run the model on a tensor from a .npy/.json file ([batch, ...input shape], or one example).',
    )
    .requiredOption('--input <file>', 'input tensor, .npy or .json')
    .option('--output <file>', 'where to write the output (.npy or .json); printed when left out')
    .option('--threads <n>', 'threads for the convolutions', positive('--threads'))
    .option('--repeat <n>', 'run this many times and report the median time', positive('--repeat'))
    .option('--profile', "print each step's time")
    .action(async (path: string, flags: RunFlags) => {
      const started = performance.now();
      log(`loading ${path} ...`);
      const m = await loadLayersModel(path);
      const x = batched(m, readTensorFile('--input', flags.input));
      log(
        `loaded '${m.name}' in ${(performance.now() - started).toFixed(0)} ms; running on input ${formatShape(x.shape)}`,
      );
      const repeat = flags.repeat ?? 1;
      const times: number[] = [];
      let y: Tensor | undefined;
      for (let i = 0; i < repeat; i++) {
        const t0 = performance.now();
        y = m.predict(x, { threads: flags.threads, profile: flags.profile === true && i === repeat - 1 });
        times.push(performance.now() - t0);
        if (repeat > 1) log(`run ${i + 1}/${repeat}: ${times[i].toFixed(1)} ms`);
      }
      const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
      const output = y!;
      if (flags.profile && m.lastProfile) {
        for (const s of m.lastProfile)
          log(`  ${s.ms.toFixed(3).padStart(9)} ms  ${s.name} (${s.className}, ${s.algorithm})`);
      }
      const summary = `model '${m.name}': input ${formatShape(x.shape)} -> output ${formatShape(output.shape)} in ${median.toFixed(1)} ms${repeat > 1 ? ` (median of ${repeat})` : ''}`;
      if (flags.output === undefined) {
        process.stdout.write(`${summary}\n${output.toString()}\n`);
        return;
      }
      writeTensorFile('--output', flags.output, output);
      process.stdout.write(`${summary}\nwrote ${flags.output}\n`);
    });
}
