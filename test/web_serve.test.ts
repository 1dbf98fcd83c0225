/** `npm run web` (web/serve.mjs): a bad or busy PORT is one message and exit code 2, no stack trace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { ROOT } from './helpers/convkit_cli.js';

function serve(port: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['web/serve.mjs'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PORT: port },
    timeout: 120_000,
  });
  return { status: result.status, stderr: result.stderr };
}

test('PORT that is not a port number is named, with an example of one that is', () => {
  for (const port of ['abc', '-1', '70000', '80.5']) {
    const { status, stderr } = serve(port);
    assert.equal(status, 2, `PORT=${port}: ${stderr}`);
    assert.match(stderr, new RegExp(`PORT=${port.replace('.', '\\.')} is not a port number`));
    assert.match(stderr, /PORT=8080 npm run web/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  }
});

test('a busy port is named, with the command that picks another, before any build', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    const port = (blocker.address() as { port: number }).port;
    const { status, stderr } = serve(String(port));
    assert.equal(status, 2, stderr);
    assert.match(stderr, new RegExp(`port ${port} is busy`));
    assert.match(stderr, new RegExp(`PORT=${port + 1} npm run web`));
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  } finally {
    blocker.close();
  }
});
