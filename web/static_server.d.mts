import type { Server } from 'node:http';

/** Serves the files under `root` on host:port (port 0 picks a free one). */
export function serveDirectory(
  root: string,
  options?: { host?: string; port?: number },
): Promise<{ server: Server; url: string }>;
