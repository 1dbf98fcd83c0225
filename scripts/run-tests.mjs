// Runs every test/**/*.test.ts file with Node's built-in test runner (TypeScript through tsx).
// Node 20's runner does not discover .ts files by itself, so we list them here.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : findTests('test');
// The WebGPU tests (test/gpu_*.test.ts) run on SwiftShader where no driver is configured: Dawn finds
// Chromium's SwiftShader Vulkan driver through these, which the loader reads when the process starts.
const env = { ...process.env };
const swiftShader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (env.VK_ICD_FILENAMES === undefined && existsSync(swiftShader)) {
  env.VK_ICD_FILENAMES = swiftShader;
  env.LD_LIBRARY_PATH = ['/usr/lib/chromium', env.LD_LIBRARY_PATH].filter(Boolean).join(':');
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env,
});
process.exit(result.status ?? 1);
