/**
 * The worker pool's control block: one Int32Array over a SharedArrayBuffer that the calling thread and
 * every worker read and write with Atomics. It holds the current job (a list of kernel calls), the
 * counters that hand calls out and count them done, and one wake word per worker. worker_source.ts
 * reads the same indices (they are written into its source text), so both sides agree by construction.
 *
 * A job is a list of calls to one exported kernel, each with its arguments. Calls are claimed one at
 * a time with compareExchange on CLAIM, which holds the job's tag next to the next call's index, so a
 * worker that wakes late for a finished job cannot claim a call of the next one.
 */

/** (job tag << 16) | index of the next call to claim. */
export const CLAIM = 0;
/** Calls in the current job. */
export const COUNT = 1;
/** Calls finished (or cancelled after a failure) in the current job; the caller waits on this word. */
export const DONE = 2;
/** 0, or why the current job failed (FAILED_THROW, FAILED_EXIT). */
export const FAILED = 3;
/** Bitwise OR of the return values of the job's calls (e.g. a kernel's "saw a non-finite value" flag). */
export const RESULT = 4;
/** 1 when the worker that finishes the job must also post { type: 'done', job } (asynchronous jobs). */
export const NOTIFY = 5;
/** Test hook: (worker index + 1) | (fault << 8); the worker fails that way on its next claimed call. */
export const FAULT = 6;
/** The current job's id. */
export const JOB = 7;
/** Never written: a worker told to hang waits on it forever. */
export const NEVER = 8;
/** Length of the failure message, then the message itself as UTF-16 code units, one per word. */
export const MESSAGE_LENGTH = 15;
export const MESSAGE = 16;
export const MESSAGE_WORDS = 240;

/** Workers one pool may have. */
export const MAX_WORKERS = 64;
/** One word per worker: the id of the job it should join (STOP: leave). */
export const WAKE = 256;
/** One word per worker: calls it has run since it started (statistics, tests). */
export const CALLS_RUN = WAKE + MAX_WORKERS;

/** The call table: CALL_WORDS words a call, the kernel's index in the pool's export list, then its arguments. */
export const TABLE = 512;
export const CALL_WORDS = 22;
export const MAX_ARGS = CALL_WORDS - 1;
/** Calls one job may hold (CLAIM keeps the index in 16 bits); longer lists run as several jobs. */
export const MAX_CALLS = 4096;
export const CONTROL_WORDS = TABLE + MAX_CALLS * CALL_WORDS;
/** CLAIM's index while a job is being written: past any call count, so nothing can be claimed. */
export const CLOSED = 0xffff;

export const FAILED_THROW = 1;
export const FAILED_EXIT = 2;
/**
 * What a worker that exits adds to DONE (more than any job's call count). The caller sleeps in
 * Atomics.wait on DONE; a notify that comes before it sleeps is lost, but a changed DONE is not, so the
 * exit must change the word the caller waits on, not only FAILED.
 */
export const EXIT_MARK = 1 << 24;

export const FAULT_EXIT = 1;
export const FAULT_HANG = 2;
export const FAULT_THROW = 3;

/**
 * Milliseconds a thread watches a word (a worker its wake word after a job, the caller DONE) before it
 * sleeps in Atomics.wait: the jobs of one convolution come back to back.
 */
export const SPIN_MS = 0.2;

/** Wake word value that makes a worker leave its loop. */
export const STOP = -1;
