// `npm run web`: builds the explainer page with Vite and serves it at http://127.0.0.1:5173
// (set PORT to use another port).
import { URL, fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serveDirectory } from './static_server.mjs';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('./dist', import.meta.url));
const port = Number(process.env.PORT ?? 5173);

await build({
  root: webRoot,
  configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)),
  logLevel: 'warn',
});
const { url } = await serveDirectory(outDir, { port });
console.log(`convkit explainer: ${url}  (Ctrl+C to stop)`);
