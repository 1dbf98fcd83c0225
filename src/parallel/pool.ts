/**
 * A pool of workers that run kernel calls over one shared WebAssembly.Memory. Node: worker_threads;
 * browsers: Web Workers (these need a cross-origin-isolated page for SharedArrayBuffer). Idle Node
 * workers are unref'd, so a pool never keeps a program alive.
 */
import { WORKER_SOURCE } from './worker_source.js';

interface Reply {
  type: 'ready' | 'done' | 'error';
  id?: number;
  message?: string;
}

/** What the pool needs from a worker, in either environment. */
interface PoolWorker {
  post(message: unknown): void;
  onReply(handler: (reply: Reply) => void): void;
  onError(handler: (error: Error) => void): void;
  /** Keep the program alive while busy (Node). */
  hold(busy: boolean): void;
  terminate(): void;
}

async function spawnWorker(): Promise<PoolWorker> {
  const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
  if (isNode) {
    // A computed specifier keeps browser bundlers from trying to resolve a Node built-in.
    const specifier = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    return {
      post: (message) => worker.postMessage(message),
      onReply: (handler) => worker.on('message', handler),
      onError: (handler) => worker.on('error', handler),
      hold: (busy) => (busy ? worker.ref() : worker.unref()),
      terminate: () => void worker.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  return {
    post: (message) => worker.postMessage(message),
    onReply: (handler) => worker.addEventListener('message', (event) => handler(event.data as Reply)),
    onError: (handler) => worker.addEventListener('error', (event) => handler(new Error(event.message))),
    hold: () => {},
    terminate: () => worker.terminate(),
  };
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class WorkerPool {
  private nextId = 1;
  private readonly pending: Map<number, Pending>[];

  private constructor(private readonly workers: PoolWorker[]) {
    this.pending = workers.map(() => new Map());
    workers.forEach((worker, i) =>
      worker.onReply((reply) => {
        const waiting = this.pending[i];
        const job = reply.id === undefined ? undefined : waiting.get(reply.id);
        if (!job || reply.id === undefined) return;
        waiting.delete(reply.id);
        if (waiting.size === 0) worker.hold(false);
        if (reply.type === 'error') job.reject(new Error(`convkit worker: ${reply.message}`));
        else job.resolve();
      }),
    );
    // A worker that dies fails the jobs it had, instead of leaving them pending forever.
    workers.forEach((worker, i) =>
      worker.onError((error) => {
        for (const job of this.pending[i].values())
          job.reject(new Error(`convkit worker died: ${error.message}`));
        this.pending[i].clear();
        worker.hold(false);
      }),
    );
  }

  /** Starts `size` workers, each with its own instance of `module` over `memory`. */
  static async create(
    size: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
  ): Promise<WorkerPool> {
    const workers = await Promise.all(Array.from({ length: size }, () => spawnWorker()));
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.onReply((reply) => {
              if (reply.type === 'ready') resolve();
            });
            worker.onError(reject);
            worker.hold(true);
            worker.post({ type: 'init', module, memory });
          }),
      ),
    );
    workers.forEach((worker) => worker.hold(false));
    return new WorkerPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs list i of kernel calls on worker i (lists.length <= size); resolves when all are done. */
  run(lists: number[][][]): Promise<void> {
    return Promise.all(
      lists.map(
        (calls, i) =>
          new Promise<void>((resolve, reject) => {
            const id = this.nextId++;
            this.pending[i].set(id, { resolve, reject });
            this.workers[i].hold(true);
            this.workers[i].post({ type: 'run', id, calls });
          }),
      ),
    ).then(() => undefined);
  }

  terminate(): void {
    for (const worker of this.workers) worker.terminate();
  }
}
