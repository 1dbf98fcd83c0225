/** Debian's Chromium for the browser tests, headless, with the flags this sandboxed machine needs. */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Starts headless Chromium; throws a clear Error when it is not installed. `webgpu`: with WebGPU
 * (--enable-unsafe-webgpu, which gives a SwiftShader adapter where there is no GPU).
 */
export async function launchChromium({ webgpu = false }: { webgpu?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: the browser tests need it (apt-get install chromium). CI installs it.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      ...(webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-gpu']),
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
