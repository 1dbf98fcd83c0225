/**
 * A test page for the browser tests: its folder built with Vite from the sources into a temporary
 * folder, served on 127.0.0.1 (a secure context) and opened in Debian's Chromium. Page errors (and,
 * unless told otherwise, console errors) are collected in `problems`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import type { Page } from 'playwright-core';
import { serveDirectory } from '../../web/static_server.mjs';
import { launchChromium } from './chromium.js';

export interface TestPage {
  page: Page;
  /** The served folder's address. */
  url: string;
  /** The built page (removed by close). */
  outDir: string;
  problems: string[];
  close(): Promise<void>;
}

export interface TestPageOptions {
  /** Names the temporary folder. */
  name: string;
  /** Serve cross-origin isolated (SharedArrayBuffer, so Web Workers share wasm memory). */
  isolated?: boolean;
  /** Start Chromium with --enable-unsafe-webgpu. */
  webgpu?: boolean;
  /** Count console errors as problems (default true). */
  consoleErrors?: boolean;
  /** Runs after the build, before serving: files the page fetches go into outDir here. */
  prepare?: (outDir: string) => void | Promise<void>;
}

export async function openTestPage(pageDir: string, options: TestPageOptions): Promise<TestPage> {
  const outDir = mkdtempSync(join(tmpdir(), `convkit-${options.name}-`));
  await build({
    root: pageDir,
    configFile: false,
    base: './',
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
    // 'error': the worker pool's dynamic import of node:worker_threads is reported as a (harmless) warning.
    logLevel: 'error',
  });
  await options.prepare?.(outDir);
  const served = await serveDirectory(outDir, { isolated: options.isolated ?? false });
  const browser = await launchChromium({ webgpu: options.webgpu ?? false });
  const page = await browser.newPage();
  const problems: string[] = [];
  if (options.consoleErrors ?? true) {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
  }
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(served.url);
  return {
    page,
    url: served.url,
    outDir,
    problems,
    async close() {
      await browser.close();
      served.server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
