// A tiny static file server for the built page: used by `npm run web` and by the browser tests.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** Resolves a request path inside `root`, or null when it would escape it. */
function fileFor(root, urlPath) {
  const path = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  const full = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
  return full === root || full.startsWith(root.endsWith(sep) ? root : root + sep) ? full : null;
}

/**
 * Serves the files under `root` on host:port (port 0 picks a free one). With `isolated`, every response
 * carries the COOP/COEP headers that make the page cross-origin isolated, which browsers require for
 * SharedArrayBuffer (convkit's worker pool). Resolves to the server and its base URL once it listens.
 */
export function serveDirectory(root, { host = '127.0.0.1', port = 0, isolated = false } = {}) {
  const base = normalize(root);
  const server = createServer(async (request, response) => {
    const file = fileFor(base, request.url ?? '/');
    try {
      if (file === null || !(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
        ...(isolated
          ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
          : {}),
      });
      response.end(body);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({ server, url: `http://${host}:${address.port}/` });
    });
  });
}
