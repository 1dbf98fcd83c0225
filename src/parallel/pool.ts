/**
 * A pool of workers that run kernel calls over one shared WebAssembly.Memory. Node: worker_threads;
 * browsers: Web Workers (these need a cross-origin-isolated page for SharedArrayBuffer).
 *
 * A job is a list of calls to one exported kernel; the pool's workers, and in a synchronous run the
 * calling thread too, claim calls one at a time until none is left (control.ts), so a thread that is
 * slow (the machine is busy) simply takes fewer calls. Which thread runs a call never changes what the
 * call computes, so the results do not depend on the thread count.
 *
 * - runSync: the caller claims calls too, then blocks in Atomics.wait until the last call is done.
 *   Only where the calling thread may block (Node; a browser's main thread may not).
 * - runAsync: only workers compute; the caller awaits the finishing worker's message.
 *
 * Idle workers sleep in Atomics.wait and are unref'd (Node), so a pool never keeps a program alive
 * and costs no CPU between jobs. A worker that exits, or a job that makes no progress for stallMs,
 * breaks the pool: the run throws PoolBrokenError, the caller recomputes on its own thread, and the
 * next threaded call starts a new pool over new memory (so a worker that is somehow still running can
 * never write into memory that is in use again).
 */
import * as C from './control.js';
import { WORKER_SOURCE } from './worker_source.js';

/** The pool cannot be used any more (a worker died or a job stalled); the caller should compute alone. */
export class PoolBrokenError extends Error {
  override name = 'PoolBrokenError';
}

export type WorkerFault = 'exit' | 'hang' | 'throw';

const FAULT_CODES: Record<WorkerFault, number> = {
  exit: C.FAULT_EXIT,
  hang: C.FAULT_HANG,
  throw: C.FAULT_THROW,
};

/** Default: a job whose call count has not moved for this long is taken as stuck. */
export const DEFAULT_STALL_MS = 10_000;

/** What the pool needs from a worker, in either environment. */
interface PoolWorker {
  post(message: unknown): void;
  /** Keep the program alive while an asynchronous job runs (Node). */
  hold(busy: boolean): void;
  terminate(): void;
}

interface WorkerEvents {
  message(data: { type?: string; job?: number }): void;
  /** The worker stopped (exited, or failed to start). */
  lost(reason: string): void;
}

type WorkerThreadsModule = typeof import('node:worker_threads');

let loadedWorkerThreads: WorkerThreadsModule | undefined;

/**
 * node:worker_threads, obtained synchronously (process.getBuiltinModule: Node >= 20.16), or as loaded
 * by loadWorkerThreads on older versions.
 */
function nodeWorkerThreads(): WorkerThreadsModule | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  loadedWorkerThreads ??= proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreadsModule | undefined;
  return loadedWorkerThreads;
}

/** Loads node:worker_threads where it cannot be had synchronously (asynchronous callers only). */
export async function loadWorkerThreads(): Promise<void> {
  if (!isNode() || nodeWorkerThreads()) return;
  // A computed specifier keeps browser bundlers from trying to resolve a Node built-in.
  const specifier = 'node:worker_threads';
  loadedWorkerThreads = (await import(/* @vite-ignore */ specifier)) as WorkerThreadsModule;
}

/** Whether this environment can start pool workers now. */
export function workersSupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (isNode()) return nodeWorkerThreads() !== undefined;
  return (
    typeof Worker === 'function' && typeof Blob === 'function' && typeof URL?.createObjectURL === 'function'
  );
}

export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

function spawnWorker(events: WorkerEvents): PoolWorker {
  const threads = isNode() ? nodeWorkerThreads() : undefined;
  if (threads) {
    const worker = new threads.Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (data) => events.message(data));
    worker.on('error', (error) => events.lost(`worker error: ${error.message}`));
    worker.on('exit', (code) => events.lost(`worker exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    return {
      post: (message) => worker.postMessage(message),
      hold: (busy) => (busy ? worker.ref() : worker.unref()),
      terminate: () => void worker.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  worker.addEventListener('message', (event) => events.message(event.data));
  worker.addEventListener('error', (event) => events.lost(`worker error: ${event.message}`));
  return {
    post: (message) => worker.postMessage(message),
    hold: () => {},
    terminate: () => worker.terminate(),
  };
}

interface PendingJob {
  job: number;
  resolve: (result: number) => void;
  reject: (error: Error) => void;
}

type Kernel = (...args: number[]) => number | void;

export class WorkerPool {
  /** The control block (control.ts), over its own SharedArrayBuffer. */
  readonly control = new Int32Array(new SharedArrayBuffer(C.CONTROL_WORDS * 4));
  /** Why the pool broke, or null while it works. */
  broken: string | null = null;
  /** A job whose count of finished calls has not moved for this long breaks the pool. */
  stallMs = DEFAULT_STALL_MS;
  private readonly workers: PoolWorker[] = [];
  private readonly kernelIndex = new Map<string, number>();
  /** The calling thread's own instance of the module over the shared memory. */
  readonly exports: WebAssembly.Exports;
  /** Its functions that jobs may call, by index, for runSync. */
  private readonly kernels: Kernel[];
  private jobId = 0;
  private pending: PendingJob | null = null;

  /** `kernelNames`: the module's exported functions that jobs may call. Starts no worker yet. */
  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly kernelNames: readonly string[],
  ) {
    this.exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    this.kernels = kernelNames.map((name) => this.exports[name] as Kernel);
    kernelNames.forEach((name, i) => this.kernelIndex.set(name, i));
  }

  /** Workers started so far. */
  get size(): number {
    return this.workers.length;
  }

  /** Calls each worker has run since it started. */
  callsRunByWorkers(): number[] {
    return this.workers.map((_, i) => Atomics.load(this.control, C.CALLS_RUN + i));
  }

  /** Starts workers until there are `count` (at most MAX_WORKERS); they boot in the background. */
  ensureWorkers(count: number): void {
    const target = Math.min(count, C.MAX_WORKERS);
    while (!this.broken && this.workers.length < target) {
      const index = this.workers.length;
      const worker = spawnWorker({
        message: (data) => this.onMessage(data),
        lost: (reason) => this.breakPool(`worker ${index}: ${reason}`),
      });
      worker.post({
        module: this.module,
        memory: this.memory,
        control: this.control.buffer,
        kernels: this.kernelNames,
        index,
      });
      this.workers.push(worker);
    }
  }

  /**
   * Runs `kernel` once per argument list on `threads` threads (the caller and threads - 1 workers),
   * blocking until all are done; returns the bitwise OR of the calls' return values. Throws
   * PoolBrokenError if a worker dies or the job stalls, and an Error with the worker's message if a
   * call throws. `meanwhile`, if given, runs on the caller's thread once the workers have started,
   * before it takes its own share of the calls (work that does not touch the job's memory).
   */
  runSync(
    kernel: string,
    argLists: readonly (readonly number[])[],
    threads: number,
    meanwhile?: () => void,
  ): number {
    let result = 0;
    for (let first = 0; first < argLists.length; first += C.MAX_CALLS) {
      const part = argLists.slice(first, first + C.MAX_CALLS);
      const helpers = Math.min(threads - 1, part.length - 1);
      this.ensureWorkers(helpers);
      const job = this.publish(kernel, part, false, helpers);
      let ownError: unknown = null;
      try {
        if (first === 0) meanwhile?.();
      } catch (error) {
        ownError = error;
        this.cancel(job, part.length, 0);
      }
      try {
        if (!ownError) this.claimCalls(job, part.length);
      } catch (error) {
        ownError = error;
        this.cancel(job, part.length, 1);
      }
      this.waitDone(part.length);
      if (ownError) throw ownError;
      this.throwIfFailed();
      result |= Atomics.load(this.control, C.RESULT);
    }
    return result;
  }

  /** Runs `kernel` once per argument list on `workers` workers; the caller's thread stays free. */
  async runAsync(kernel: string, argLists: readonly (readonly number[])[], workers: number): Promise<number> {
    let result = 0;
    for (let first = 0; first < argLists.length; first += C.MAX_CALLS) {
      const part = argLists.slice(first, first + C.MAX_CALLS);
      const helpers = Math.max(1, Math.min(workers, part.length));
      this.ensureWorkers(helpers);
      if (this.broken) throw new PoolBrokenError(this.broken);
      const job = this.publish(kernel, part, true, helpers);
      const done = new Promise<number>((resolve, reject) => {
        this.pending = { job, resolve, reject };
      });
      for (let i = 0; i < helpers; i++) this.workers[i].hold(true);
      const watchdog = this.watchStall(job);
      try {
        result |= await done;
      } finally {
        clearInterval(watchdog);
        this.pending = null;
        for (let i = 0; i < helpers; i++) this.workers[i]?.hold(false);
      }
    }
    return result;
  }

  /** Test hook: worker `index` fails in the given way on the next call it claims. */
  injectFault(index: number, fault: WorkerFault): void {
    Atomics.store(this.control, C.FAULT, (index + 1) | (FAULT_CODES[fault] << 8));
  }

  /** Whether an injected fault is still waiting for its worker to claim a call. */
  faultPending(): boolean {
    return Atomics.load(this.control, C.FAULT) !== 0;
  }

  /** Stops every worker (a stopped pool is broken: it runs nothing more). */
  terminate(): void {
    this.breakPool('the pool was stopped');
  }

  /** Writes the job into the control block and wakes `helpers` workers; returns the job id. */
  private publish(
    kernel: string,
    argLists: readonly (readonly number[])[],
    notify: boolean,
    helpers: number,
  ): number {
    if (this.broken) throw new PoolBrokenError(this.broken);
    const fn = this.kernelIndex.get(kernel);
    if (fn === undefined) throw new Error(`convkit pool: the kernel module exports no ${kernel}`);
    const long = argLists.find((args) => args.length > C.MAX_ARGS);
    if (long) throw new Error(`convkit pool: ${kernel} call with ${long.length} arguments`);
    const ctl = this.control;
    const job = ++this.jobId;
    // Close the call list under the new job's tag before anything else changes: a worker that woke late
    // for the last job may have read CLAIM and be about to read COUNT; once CLAIM has changed its
    // compareExchange fails, so it cannot claim a call with the new COUNT under the old tag (that ran a
    // call twice and counted it done twice: a caller that returned early, or waited on DONE forever).
    Atomics.store(ctl, C.CLAIM, ((job & 0x7fff) << 16) | C.CLOSED);
    argLists.forEach((args, i) => {
      const at = C.TABLE + i * C.CALL_WORDS;
      ctl[at] = fn;
      for (let a = 0; a < C.MAX_ARGS; a++) ctl[at + 1 + a] = args[a] ?? 0;
    });
    Atomics.store(ctl, C.COUNT, argLists.length);
    Atomics.store(ctl, C.DONE, 0);
    Atomics.store(ctl, C.FAILED, 0);
    Atomics.store(ctl, C.RESULT, 0);
    Atomics.store(ctl, C.MESSAGE_LENGTH, 0);
    Atomics.store(ctl, C.NOTIFY, notify ? 1 : 0);
    Atomics.store(ctl, C.JOB, job);
    Atomics.store(ctl, C.CLAIM, (job & 0x7fff) << 16);
    for (let i = 0; i < helpers; i++) {
      Atomics.store(ctl, C.WAKE + i, job);
      Atomics.notify(ctl, C.WAKE + i, 1);
    }
    return job;
  }

  /** The calling thread's share of a synchronous job: claim and run calls until none is left. */
  private claimCalls(job: number, count: number): void {
    const ctl = this.control;
    const tag = (job & 0x7fff) << 16;
    for (;;) {
      const claim = Atomics.load(ctl, C.CLAIM);
      const i = claim & 0xffff;
      if ((claim & ~0xffff) !== tag || i >= count) return;
      if (Atomics.compareExchange(ctl, C.CLAIM, claim, claim + 1) !== claim) continue;
      const a = C.TABLE + i * C.CALL_WORDS;
      const result = this.kernels[ctl[a]](
        ctl[a + 1],
        ctl[a + 2],
        ctl[a + 3],
        ctl[a + 4],
        ctl[a + 5],
        ctl[a + 6],
        ctl[a + 7],
        ctl[a + 8],
        ctl[a + 9],
        ctl[a + 10],
        ctl[a + 11],
        ctl[a + 12],
        ctl[a + 13],
        ctl[a + 14],
        ctl[a + 15],
        ctl[a + 16],
        ctl[a + 17],
        ctl[a + 18],
        ctl[a + 19],
        ctl[a + 20],
        ctl[a + 21],
      );
      if (result) Atomics.or(ctl, C.RESULT, result | 0);
      Atomics.add(ctl, C.DONE, 1);
    }
  }

  /**
   * After the caller failed (`ownCalls`: 1 if in one of its calls): close the job to claims and count
   * its unclaimed calls done, so that waitDone still sees the job end once the workers' calls are.
   */
  private cancel(job: number, count: number, ownCalls: number): void {
    const ctl = this.control;
    const tag = (job & 0x7fff) << 16;
    let cancelled = ownCalls;
    for (;;) {
      const claim = Atomics.load(ctl, C.CLAIM);
      const next = claim & 0xffff;
      if ((claim & ~0xffff) !== tag || next >= count) break;
      if (Atomics.compareExchange(ctl, C.CLAIM, claim, tag | count) === claim) {
        cancelled += count - next;
        break;
      }
    }
    Atomics.add(ctl, C.DONE, cancelled);
  }

  /** Blocks until the job's calls are all done; breaks the pool if a worker dies or nothing moves. */
  private waitDone(count: number): void {
    const ctl = this.control;
    let seen = Atomics.load(ctl, C.DONE);
    let since = Date.now();
    while (seen !== count) {
      if (Atomics.load(ctl, C.FAILED) === C.FAILED_EXIT) {
        this.breakPool('a worker exited during a job');
        throw new PoolBrokenError(this.broken ?? '');
      }
      // The workers' last calls usually end within microseconds: watch DONE briefly before sleeping
      // (a wake from Atomics.wait costs tens of microseconds, a lot for a phase of a few hundred).
      const spinEnd = performance.now() + C.SPIN_MS;
      while (Atomics.load(ctl, C.DONE) === seen && performance.now() < spinEnd);
      if (Atomics.load(ctl, C.DONE) === seen) Atomics.wait(ctl, C.DONE, seen, this.stallMs);
      const now = Atomics.load(ctl, C.DONE);
      if (now !== seen) {
        seen = now;
        since = Date.now();
      } else if (Date.now() - since >= this.stallMs) {
        this.breakPool(`a job made no progress for ${this.stallMs} ms`);
        throw new PoolBrokenError(this.broken ?? '');
      }
    }
  }

  private throwIfFailed(): void {
    const ctl = this.control;
    if (Atomics.load(ctl, C.FAILED) === 0) return;
    const length = Atomics.load(ctl, C.MESSAGE_LENGTH);
    let text = '';
    for (let i = 0; i < length; i++) text += String.fromCharCode(ctl[C.MESSAGE + i]);
    throw new Error(`convkit worker: ${text || 'a kernel call failed'}`);
  }

  private onMessage(data: { type?: string; job?: number }): void {
    const pending = this.pending;
    if (data?.type !== 'done' || !pending || pending.job !== data.job) return;
    try {
      this.throwIfFailed();
      pending.resolve(Atomics.load(this.control, C.RESULT));
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  /** For an asynchronous job: fails it when its call count stops moving for stallMs. */
  private watchStall(job: number): ReturnType<typeof setInterval> {
    let seen = -1;
    const timer = setInterval(() => {
      const done = Atomics.load(this.control, C.DONE);
      if (this.pending?.job === job && done === seen)
        this.breakPool(`a job made no progress for ${this.stallMs} ms`);
      seen = done;
    }, this.stallMs);
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  private breakPool(reason: string): void {
    if (this.broken) return;
    this.broken = reason;
    for (let i = 0; i < this.workers.length; i++) {
      Atomics.store(this.control, C.WAKE + i, C.STOP);
      Atomics.notify(this.control, C.WAKE + i);
      this.workers[i].terminate();
    }
    this.pending?.reject(new PoolBrokenError(reason));
    this.pending = null;
  }
}
