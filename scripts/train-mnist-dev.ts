// Runs `convkit train-mnist` from the TypeScript sources (before src/cli/main.ts registers it):
//   node --import tsx scripts/train-mnist-dev.ts --epochs 2 --train-size 2000
import { trainMnistCommand } from '../src/cli/train_mnist.js';

await trainMnistCommand().parseAsync(process.argv);
