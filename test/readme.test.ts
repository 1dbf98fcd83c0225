/** The README as a newcomer meets it (issue 14, item 12): a title, then the two commands, then how to use it elsewhere. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROOT } from './helpers/convkit_cli.js';

const readme = readFileSync(`${ROOT}README.md`, 'utf8');

test('the README opens with its title, then the install-and-start and test commands', () => {
  const lines = readme.split('\n');
  assert.equal(lines[0], '# convkit');
  const top = lines.slice(0, 8).join('\n');
  assert.match(top, /^npm ci && npm start /m);
  assert.match(top, /^npm test .*minutes/m);
  assert.ok(top.indexOf('```') < top.indexOf('npm ci'), 'the commands are in a fenced block under the title');
});

test('the README says how to use convkit from another project, and what convGeometry takes first', () => {
  assert.match(readme, /## Using convkit from another project/);
  assert.match(readme, /npm pack/);
  assert.match(readme, /npm install path\/to\/convkit\/convkit-0\.1\.0\.tgz/);
  assert.match(readme, /convGeometry\('conv2d', \[1, 10, 10, 10\], \[2, 10, 10, 10\]/);
  assert.match(readme, /first argument is the op name/);
});
