/**
 * The worker's code, as source text: a worker made from a string needs no file path, so the same pool
 * works in Node (worker_threads, eval) and in browsers (a Blob URL) with any bundler.
 *
 * A worker gets one message, { module, memory, control, kernels, index }: it instantiates the kernel
 * module over the shared memory and then never returns to its event loop. It sleeps in Atomics.wait on
 * its wake word (after watching it for SPIN_MS, 0.2 ms, once a job ends: one convolution's jobs come
 * back to back; no spinning while idle); when the pool stores a job id there, it claims the job's calls
 * one by one from the control block (see control.ts), runs them, counts them done, and sleeps again.
 * The worker that finishes a job wakes the caller (Atomics.notify) and, for an asynchronous job, posts
 * { type: 'done', job }. A call that throws fails the job: its message goes into the control block and
 * the calls nobody has claimed yet are cancelled, so the job still ends. A Node worker that exits marks
 * the job failed, so a caller blocked in Atomics.wait learns of it at once.
 */
import * as C from './control.js';

const WORDS = {
  CLAIM: C.CLAIM,
  COUNT: C.COUNT,
  DONE: C.DONE,
  FAILED: C.FAILED,
  RESULT: C.RESULT,
  NOTIFY: C.NOTIFY,
  FAULT: C.FAULT,
  NEVER: C.NEVER,
  MESSAGE_LENGTH: C.MESSAGE_LENGTH,
  MESSAGE: C.MESSAGE,
  MESSAGE_WORDS: C.MESSAGE_WORDS,
  WAKE: C.WAKE,
  CALLS_RUN: C.CALLS_RUN,
  TABLE: C.TABLE,
  CALL_WORDS: C.CALL_WORDS,
  FAILED_THROW: C.FAILED_THROW,
  FAILED_EXIT: C.FAILED_EXIT,
  EXIT_MARK: C.EXIT_MARK,
  FAULT_EXIT: C.FAULT_EXIT,
  FAULT_HANG: C.FAULT_HANG,
  STOP: C.STOP,
  SPIN_MS: C.SPIN_MS,
};

export const WORKER_SOURCE = `
'use strict';
const C = ${JSON.stringify(WORDS)};
const isNode = typeof process === 'object' && !!(process.versions && process.versions.node);
let port = null;

function post(message) {
  if (port) port.postMessage(message);
  else self.postMessage(message);
}

function finish(ctl, n, count, job) {
  if (Atomics.add(ctl, C.DONE, n) + n !== count) return;
  Atomics.notify(ctl, C.DONE);
  if (Atomics.load(ctl, C.NOTIFY) === 1) post({ type: 'done', job });
}

function fail(ctl, error) {
  if (Atomics.compareExchange(ctl, C.FAILED, 0, C.FAILED_THROW) !== 0) return;
  const text = String((error && error.message) || error).slice(0, C.MESSAGE_WORDS);
  for (let i = 0; i < text.length; i++) ctl[C.MESSAGE + i] = text.charCodeAt(i);
  ctl[C.MESSAGE_LENGTH] = text.length;
}

// Closes the job to further claims; returns how many calls were still unclaimed.
function cancel(ctl, tag, count) {
  for (;;) {
    const claim = Atomics.load(ctl, C.CLAIM);
    const next = claim & 0xffff;
    if (claim >>> 16 !== tag || next >= count) return 0;
    if (Atomics.compareExchange(ctl, C.CLAIM, claim, (tag << 16) | count) === claim) return count - next;
  }
}

function injectedFault(ctl, me) {
  const fault = Atomics.load(ctl, C.FAULT);
  if (fault === 0 || (fault & 0xff) !== me + 1) return;
  if (Atomics.compareExchange(ctl, C.FAULT, fault, 0) !== fault) return;
  const kind = fault >> 8;
  if (kind === C.FAULT_EXIT) {
    if (isNode) process.exit(1);
    self.close();
  }
  if (kind === C.FAULT_EXIT || kind === C.FAULT_HANG) for (;;) Atomics.wait(ctl, C.NEVER, 0);
  throw new Error('fault injected by a test');
}

function runJob(ctl, fns, me, job) {
  const tag = job & 0x7fff;
  for (;;) {
    const claim = Atomics.load(ctl, C.CLAIM);
    const i = claim & 0xffff;
    if (claim >>> 16 !== tag) return;
    const count = Atomics.load(ctl, C.COUNT);
    if (i >= count) return;
    if (Atomics.compareExchange(ctl, C.CLAIM, claim, claim + 1) !== claim) continue;
    const a = C.TABLE + i * C.CALL_WORDS;
    let result;
    try {
      injectedFault(ctl, me);
      result = fns[ctl[a]](ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[a + 7],
        ctl[a + 8], ctl[a + 9], ctl[a + 10], ctl[a + 11], ctl[a + 12], ctl[a + 13], ctl[a + 14], ctl[a + 15],
        ctl[a + 16], ctl[a + 17], ctl[a + 18], ctl[a + 19], ctl[a + 20], ctl[a + 21]);
    } catch (error) {
      fail(ctl, error);
      finish(ctl, 1 + cancel(ctl, tag, count), count, job);
      return;
    }
    if (result) Atomics.or(ctl, C.RESULT, result | 0);
    Atomics.add(ctl, C.CALLS_RUN + me, 1);
    finish(ctl, 1, count, job);
  }
}

function start(init) {
  const ctl = new Int32Array(init.control);
  const exports = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
  const fns = init.kernels.map((name) => exports[name]);
  const me = init.index;
  if (isNode) {
    process.on('exit', () => {
      Atomics.store(ctl, C.FAILED, C.FAILED_EXIT);
      Atomics.add(ctl, C.DONE, C.EXIT_MARK);
      Atomics.notify(ctl, C.DONE);
    });
  }
  let seen = 0;
  for (;;) {
    // The jobs of one convolution come back to back (Winograd: three phases a block): watch the wake
    // word for SPIN_MS before sleeping, since waking from Atomics.wait costs tens of microseconds.
    let job = Atomics.load(ctl, C.WAKE + me);
    for (const end = performance.now() + C.SPIN_MS; job === seen && performance.now() < end; ) {
      job = Atomics.load(ctl, C.WAKE + me);
    }
    if (job === seen) {
      Atomics.wait(ctl, C.WAKE + me, seen);
      job = Atomics.load(ctl, C.WAKE + me);
    }
    if (job === C.STOP) return;
    if (job === seen) continue;
    seen = job;
    runJob(ctl, fns, me, job);
  }
}

// Node runs an eval'd worker as CommonJS or as an ES module (after --input-type=module): a dynamic
// import works in both. The parent port queues the init message until the listener is attached.
if (isNode) {
  import('node:worker_threads').then((threads) => {
    port = threads.parentPort;
    port.once('message', start);
  });
} else {
  self.onmessage = (event) => start(event.data);
}
`;
