/**
 * convkit against each peer: speed-up = peer median ms / convkit median ms (above 1: convkit is faster).
 *
 * The headline compares with convkit:auto, the engine a user gets from conv2d(x, w) without forcing an
 * algorithm, at the peer's thread count (convkit:auto for one-thread peers, convkit:auto:tN for
 * onnxruntime:tN); where there is no auto engine with exactly that many threads, the auto engine with
 * the most threads below it. Next to it, the best case: the fastest correct convkit engine using no
 * more threads than the peer, leaving out forced algorithms whose plan fell back to another one (they
 * run that other algorithm under a misleading name). Without any auto engine (--engines picked
 * others) the headline is the best case.
 */
import type { EngineResult, ShapeResult } from './results.js';
import { geometricMean } from './stats.js';

/** convkit:auto and convkit:auto:tN. */
export function isAutoEngine(name: string): boolean {
  return /^convkit:auto(:t\d+)?$/.test(name);
}

function usable(r: EngineResult): boolean {
  return r.family === 'convkit' && r.status === 'ok' && r.ms !== undefined;
}

function fastest(candidates: EngineResult[]): EngineResult | undefined {
  return [...candidates].sort((a, b) => (a.ms?.median ?? Infinity) - (b.ms?.median ?? Infinity))[0];
}

/** The convkit:auto engine the headline compares a peer with (see the file comment). */
export function headlineEngine(
  results: readonly EngineResult[],
  peer: EngineResult,
): EngineResult | undefined {
  const auto = results.filter((r) => usable(r) && isAutoEngine(r.engine) && r.threads <= peer.threads);
  return auto.find((r) => r.threads === peer.threads) ?? auto.sort((a, b) => b.threads - a.threads)[0];
}

/** The fastest correct convkit engine with no more threads than the peer, fallbacks excluded. */
export function bestEngine(results: readonly EngineResult[], peer: EngineResult): EngineResult | undefined {
  return fastest(results.filter((r) => usable(r) && !r.fellBack && r.threads <= peer.threads));
}

export function addSpeedups(results: EngineResult[]): void {
  const anyAuto = results.some((r) => isAutoEngine(r.engine));
  for (const peer of results) {
    if (peer.family !== 'peer' || peer.ms === undefined) continue;
    const best = bestEngine(results, peer);
    const headline = anyAuto ? headlineEngine(results, peer) : best;
    if (headline?.ms) {
      peer.speedup = peer.ms.median / headline.ms.median;
      peer.speedupAgainst = headline.engine;
    }
    if (best?.ms) {
      peer.bestSpeedup = peer.ms.median / best.ms.median;
      peer.bestSpeedupAgainst = best.engine;
    }
  }
}

/** Geometric mean over shapes of each peer's `speedup` (or `bestSpeedup`). */
export function geomeanSpeedups(
  shapes: readonly ShapeResult[],
  which: 'speedup' | 'bestSpeedup' = 'speedup',
): Record<string, number> {
  const byPeer = new Map<string, number[]>();
  for (const s of shapes) {
    for (const r of s.results) {
      const value = r[which];
      if (value === undefined || r.status !== 'ok') continue;
      byPeer.set(r.engine, [...(byPeer.get(r.engine) ?? []), value]);
    }
  }
  return Object.fromEntries([...byPeer].map(([peer, values]) => [peer, geometricMean(values)]));
}
