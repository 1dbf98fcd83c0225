import type { Server } from 'node:http';

/**
 * Serves the files under `root` on host:port (port 0 picks a free one); `isolated` adds the COOP/COEP
 * headers of a cross-origin isolated page (SharedArrayBuffer, so convkit's worker pool).
 */
export function serveDirectory(
  root: string,
  options?: { host?: string; port?: number; isolated?: boolean },
): Promise<{ server: Server; url: string }>;
