/**
 * Vite config of the explainer page. The page imports convkit straight from the repository's TypeScript
 * sources (no build of the package needed), so what it shows is always the library as it is now.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  // Relative asset URLs, so the built page works from any folder or sub-path.
  base: './',
  resolve: { alias: { convkit: here('../src/index.ts') } },
  build: { outDir: here('dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 5173 },
});
