/**
 * The walkthrough (`npm start`) as a learner reads it (issue 14, item 8): the answer first, every
 * command copyable after `npm ci`, code that uses only what convkit exports, and where to go next.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as convkitApi from '../src/index.js';
import { walkthroughExamples } from '../src/cli/walkthrough_examples.js';
import { ONE_SENTENCE_ANSWER } from '../src/cli/walkthrough.js';
import { PLAIN_STYLE } from '../src/cli/style.js';
import { convkit } from './helpers/convkit_cli.js';

const walkthrough = convkit('walkthrough');

test('it opens with a one-sentence answer to the seed question: element-wise or matrix multiplication', () => {
  assert.equal(walkthrough.status, 0, walkthrough.stderr);
  const beforeExamples = walkthrough.stdout.slice(0, walkthrough.stdout.indexOf('\n1. '));
  assert.match(ONE_SENTENCE_ANSWER, /^[^.]*\.$/, 'one sentence');
  assert.match(ONE_SENTENCE_ANSWER, /element-wise/);
  assert.match(ONE_SENTENCE_ANSWER, /matrix multiplication/);
  assert.ok(
    beforeExamples.replace(/\s+/g, ' ').includes(`In one sentence: ${ONE_SENTENCE_ANSWER}`),
    beforeExamples,
  );
  assert.match(beforeExamples.replace(/\s+/g, ' '), /element-wise or matrix multiplication\? Both/);
});

test("it includes the seed's Fourier example and the Keras answer, and ends at npm run web", () => {
  const out = walkthrough.stdout;
  assert.ok(out.includes('tf.random_normal([100,100,3,7])'), "the seed's [100,100,3,7] filter");
  assert.match(out, /ok: output \[0, 50, 50, 3\] from the FFT/);
  assert.match(out, /\$ npx convkit train-mnist/);
  assert.match(out, /Keras/);
  const lastLines = out.trimEnd().split('\n').slice(-3).join('\n');
  assert.match(lastLines, /npm run web/);
});

test('every command line is `npx convkit ...`, and effective_k is defined where it first appears', () => {
  const out = walkthrough.stdout;
  const commands = out.split('\n').filter((l) => /^\s*\$ /.test(l));
  assert.ok(commands.length >= 13, `${commands.length} command lines`);
  for (const line of commands) assert.match(line, /^\s*\$ npx convkit (explain|train-mnist) /);
  const first = out.split('\n').find((l) => l.includes('effective_k'))!;
  assert.match(first, /effective_k = \(k - 1\) \* dilation \+ 1/);
});

test("the convkit code lines call only convkit's exported names", () => {
  const exported = new Set(Object.keys(convkitApi));
  const layerNames = new Set(Object.keys(convkitApi.layers));
  const keywords = new Set(['for', 'if', 'while', 'return', 'function']);
  for (const example of walkthroughExamples(PLAIN_STYLE)) {
    for (const line of example.typescript) {
      const code = line.replace(/\/\/.*$/, '').replace(/'[^']*'/g, "''");
      // Calls and constructions that are not methods (a.b(...)) are free names: they must be exports.
      for (const match of code.matchAll(/(?<![.\w])([A-Za-z_]\w*)\s*\(/g)) {
        const name = match[1];
        if (keywords.has(name)) continue;
        assert.ok(exported.has(name), `${example.title}: ${name}(...) is not exported, in: ${line}`);
      }
      for (const match of code.matchAll(/\blayers\.(\w+)/g)) {
        assert.ok(layerNames.has(match[1]), `layers.${match[1]} is not exported, in: ${line}`);
      }
      for (const match of code.matchAll(/\bnew\s+(\w+)/g)) {
        assert.ok(match[1] === 'layers' || exported.has(match[1]), `new ${match[1]} in: ${line}`);
      }
    }
  }
});

test('every explain command it prints runs as printed', () => {
  for (const example of walkthroughExamples(PLAIN_STYLE)) {
    const args = example.cli.split(' ');
    assert.deepEqual(args.slice(0, 2), ['npx', 'convkit'], example.cli);
    if (args[2] === 'train-mnist') {
      // A minute of training: check only that its flags exist.
      const help = convkit('train-mnist', '--help');
      for (const flag of args.slice(3).filter((a) => a.startsWith('--')))
        assert.ok(help.stdout.includes(flag), flag);
      continue;
    }
    const result = convkit(...args.slice(2));
    assert.equal(result.status, 0, `${example.cli}\n${result.stderr}`);
  }
});
