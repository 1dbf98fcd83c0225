/** Helpers of the thread tests: bitwise comparison and the pool's work counter. */
import assert from 'node:assert/strict';
import { parallelEngine } from '../../src/parallel/parallel_engine.js';

/** Bit-for-bit equality (NaN payloads and the sign of zero included). */
export function assertSameBits(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const at = a.findIndex((bits, i) => bits !== b[i]);
  assert.equal(at, -1, `${label}: element ${at} is ${actual[at]}, expected ${expected[at]}`);
}

/** Kernel calls the pool's workers (not the calling thread) have run so far. */
export function workerCalls(): number {
  return (
    parallelEngine()
      ?.pool.callsRunByWorkers()
      .reduce((sum, n) => sum + n, 0) ?? 0
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
