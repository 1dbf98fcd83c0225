// `npm run web`: builds the explainer page with Vite and serves it at http://127.0.0.1:5173
// (set PORT to use another port; PORT=0 picks a free one).
// A mistake (a PORT that is not a port, a port in use) is one message and exit code 2, no stack trace.
import { URL, fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serveDirectory } from './static_server.mjs';

const DEFAULT_PORT = 5173;
const webRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('./dist', import.meta.url));

function fail(message, hints = []) {
  process.stderr.write(`npm run web: ${message}\n${hints.map((h) => `  ${h}\n`).join('')}`);
  process.exit(2);
}

function unexpected(what, error) {
  process.stderr.write(
    `npm run web: ${what}: ${error?.message ?? error}\n` +
      `  This is a bug in convkit, not a mistake of yours. Please report it (an issue in convkit's ` +
      `repository) with the command you ran, Node ${process.version}, and the details below.\n` +
      `${error?.stack ?? error}\n`,
  );
  process.exit(1);
}

/** PORT as a port number: an integer from 0 to 65535 (0: any free port). */
function portFromEnvironment(text) {
  if (text === undefined || text.trim() === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535) {
    fail(`PORT=${text} is not a port number (an integer from 0 to 65535)`, [
      `e.g. PORT=8080 npm run web, or PORT=0 npm run web for any free port`,
    ]);
  }
  return port;
}

const port = portFromEnvironment(process.env.PORT);

// Listen before building, so that a busy port is reported at once rather than after the build.
let served;
try {
  served = await serveDirectory(outDir, { port });
} catch (error) {
  const next = port === 65535 ? 8080 : port + 1;
  if (error?.code === 'EADDRINUSE') {
    fail(
      `port ${port} is busy: another program is listening on it (Vite's dev server uses ${DEFAULT_PORT} ` +
        `too, and so does another npm run web)`,
      [`pick another port: PORT=${next} npm run web (PORT=0 picks any free one)`],
    );
  }
  if (error?.code === 'EACCES') {
    fail(`port ${port} needs privileges this user does not have (ports below 1024 usually do)`, [
      `pick a port from 1024 up: PORT=${DEFAULT_PORT} npm run web`,
    ]);
  }
  unexpected(`cannot serve on port ${port}`, error);
}

try {
  await build({
    root: webRoot,
    configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)),
    logLevel: 'warn',
  });
} catch (error) {
  served.server.close();
  unexpected('the page did not build', error);
}
console.log(`convkit explainer: ${served.url}  (Ctrl+C to stop)`);
