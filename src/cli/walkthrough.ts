/** `convkit walkthrough` (what `npm start` runs): the seed question's examples, one after another. */
import type { Command } from 'commander';
import { styleFor, type Style } from './style.js';
import { wrapProse } from './explain_text.js';
import { walkthroughExamples, type WalkthroughExample } from './walkthrough_examples.js';

function renderExample(example: WalkthroughExample, number: number, style: Style): string {
  const lines = [
    style.heading(`${number}. ${example.title}`),
    `  ${example.pythonLabel ?? 'TensorFlow (as the seed writes it)'}:`,
    ...example.python.map((line) => style.python(`    ${line}`)),
    '  convkit:',
    ...example.typescript.map((line) => style.code(`    ${line}`)),
    style.code(`    $ ${example.cli}`),
    '  result:',
    ...example.run(style).map((line) => `    ${line}`),
  ];
  return lines.join('\n') + '\n';
}

/** The seed's literal question, answered in one sentence before any example. */
export const ONE_SENTENCE_ANSWER =
  'conv2d slides each filter over the image and, at every position, multiplies the filter element-wise ' +
  'with the patch under it and sums the products (one dot product over height, width and channels); ' +
  'TensorFlow computes all those dot products at once as one matrix multiplication, patches x flattened filter.';

export function renderWalkthrough(style: Style): string {
  const intro = [
    style.heading('What does tf.nn.conv2d do? A walk through the question, in convkit'),
    ...wrapProse(`In one sentence: ${ONE_SENTENCE_ANSWER}`),
    ...wrapProse(
      'So, element-wise or matrix multiplication? Both: element-wise products summed within each window, ' +
        'which is a matrix multiplication once every window is laid out as a row (examples 1 to 10 show ' +
        'the windows, 12 the matrices).',
    ),
    '',
    'Input is [batch, height, width, channels]; the filter is [filter_height, filter_width, in_channels, out_channels].',
    'Random inputs use fixed seeds. Each `npx convkit ...` line below prints the full explanation.',
    '',
  ];
  const examples = walkthroughExamples(style).map((example, i) => renderExample(example, i + 1, style));
  const outro = [
    style.heading('Next'),
    ...wrapProse(
      'npm run web opens the explainer page (http://127.0.0.1:5173): the filter sliding over the padded ' +
        'input, each output as a sum you can click, and the im2col matrices, for any shapes you type.',
    ),
  ];
  return intro.join('\n') + '\n' + examples.join('\n') + '\n' + outro.join('\n') + '\n';
}

export function registerWalkthroughCommand(program: Command): void {
  program
    .command('walkthrough')
    .summary("the seed question's examples, run and explained one by one")
    .action(() => {
      process.stdout.write(renderWalkthrough(styleFor(process.stdout)));
    });
}
