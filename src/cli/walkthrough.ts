/** `convkit walkthrough` (what `npm start` runs): the seed question's examples, one after another. */
import type { Command } from 'commander';
import { styleFor, type Style } from './style.js';
import { walkthroughExamples, type WalkthroughExample } from './walkthrough_examples.js';

function renderExample(example: WalkthroughExample, number: number, style: Style): string {
  const lines = [
    style.heading(`${number}. ${example.title}`),
    '  TensorFlow (as the seed writes it):',
    ...example.python.map((line) => style.python(`    ${line}`)),
    '  convkit:',
    ...example.typescript.map((line) => style.code(`    ${line}`)),
    style.code(`    $ ${example.cli}`),
    '  result:',
    ...example.run(style).map((line) => `    ${line}`),
  ];
  return lines.join('\n') + '\n';
}

export function renderWalkthrough(style: Style): string {
  const intro = [
    style.heading('What does tf.nn.conv2d do? A walk through the question, in convkit'),
    'Input is [batch, height, width, channels]; the filter is [filter_height, filter_width, in_channels, out_channels].',
    'Random inputs use fixed seeds. Run any convkit line below for the full explanation.',
    '',
  ];
  const examples = walkthroughExamples(style).map((example, i) => renderExample(example, i + 1, style));
  return intro.join('\n') + '\n' + examples.join('\n');
}

export function registerWalkthroughCommand(program: Command): void {
  program
    .command('walkthrough')
    .summary("the seed question's examples, run and explained one by one")
    .action(() => {
      process.stdout.write(renderWalkthrough(styleFor(process.stdout)));
    });
}
