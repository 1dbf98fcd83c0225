/** convkit against each peer: speed-up = peer median ms / convkit median ms (above 1: convkit is faster). */
import type { EngineResult, ShapeResult } from './results.js';
import { geometricMean } from './stats.js';

/** Each peer against the fastest correct convkit engine that uses no more threads than the peer. */
export function addSpeedups(results: EngineResult[]): void {
  for (const peer of results) {
    if (peer.family !== 'peer' || peer.ms === undefined) continue;
    const best = results
      .filter((r) => r.family === 'convkit' && r.status === 'ok' && r.ms && r.threads <= peer.threads)
      .sort((a, b) => (a.ms?.median ?? Infinity) - (b.ms?.median ?? Infinity))[0];
    if (!best?.ms) continue;
    peer.speedup = peer.ms.median / best.ms.median;
    peer.speedupAgainst = best.engine;
  }
}

export function geomeanSpeedups(shapes: readonly ShapeResult[]): Record<string, number> {
  const byPeer = new Map<string, number[]>();
  for (const s of shapes) {
    for (const r of s.results) {
      if (r.speedup === undefined || r.status !== 'ok') continue;
      byPeer.set(r.engine, [...(byPeer.get(r.engine) ?? []), r.speedup]);
    }
  }
  return Object.fromEntries([...byPeer].map(([peer, values]) => [peer, geometricMean(values)]));
}
