/**
 * The page's WebGPU path: computes the output the page shows on WebGPU when the browser has an adapter,
 * checks it against the CPU's values, and says which ran. The CPU result is always there first (the
 * page never waits for the GPU); WebGPU's values replace it only when they agree within the backend's
 * documented tolerance. Any failure (no navigator.gpu, no adapter, a refused or lost device, an error
 * in the op) leaves the CPU's values, with the reason.
 *
 * Requests are "latest wins": at most one computation runs on the GPU; one that arrives meanwhile waits,
 * and a newer one replaces it. A result for a computation the page no longer shows is dropped.
 */
import {
  WebGPUDeviceLostError,
  WebGPUUnavailableError,
  tensor,
  webgpu,
  type GpuTensor,
  type WebGPUBackend,
} from 'convkit';
import type { Computation, ComputedOn, Model } from './model.js';

/**
 * The backend's documented agreement with the CPU's direct loop, relative to the output's largest
 * |value|: 1e-5 for the direct and GEMM kernels, 1e-4 for Winograd (README, "On the GPU").
 */
export const GPU_TOLERANCE = 1e-5;
export const GPU_WINOGRAD_TOLERANCE = 1e-4;
/** Longer than this and the page stops waiting (SwiftShader's first shader compiles take seconds). */
const GPU_TIMEOUT_MS = 30_000;

/** What WebGPU gave for a computation (or why it gave nothing). */
export type GpuOutcome =
  | { ok: true; adapter: string; kernel: string; values: Float32Array }
  | { ok: false; reason: string; detail?: string };

/** The largest |gpu - cpu| over the CPU's largest |value| (the absolute error when that is 0). */
export function scaledError(gpu: ArrayLike<number>, cpu: ArrayLike<number>): number {
  if (gpu.length !== cpu.length) return Infinity;
  let [worst, scale] = [0, 0];
  for (let i = 0; i < cpu.length; i++) {
    const [g, c] = [gpu[i], cpu[i]];
    // Non-finite values must match exactly (NaN with NaN, an infinity with the same one).
    if (!Number.isFinite(c) || !Number.isFinite(g)) {
      if (!(Object.is(g, c) || (Number.isNaN(g) && Number.isNaN(c)))) return Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(g - c));
    scale = Math.max(scale, Math.abs(c));
  }
  return scale === 0 ? worst : worst / scale;
}

/** The tolerance a kernel's values are held to against the CPU's (whose own bound is added). */
export function toleranceFor(kernel: string, cpuErrorBound: number): number {
  return (kernel.includes('winograd') ? GPU_WINOGRAD_TOLERANCE : GPU_TOLERANCE) + cpuErrorBound;
}

/** The model to show once WebGPU answered: its values when they agree with the CPU's, else the CPU's. */
export function withGpuOutcome(model: Model, outcome: GpuOutcome): Model {
  const { cpuOutput, cpuErrorBound } = model.computation;
  if (!outcome.ok) {
    return {
      ...model,
      output: cpuOutput,
      computedOn: { on: 'cpu', reason: outcome.reason, detail: outcome.detail },
    };
  }
  const error = scaledError(outcome.values, cpuOutput);
  const tolerance = toleranceFor(outcome.kernel, cpuErrorBound);
  if (!(error <= tolerance)) {
    const by = Number.isFinite(error)
      ? `by ${error.toExponential(1)} of the output’s scale`
      : 'in a NaN or ∞';
    return {
      ...model,
      output: cpuOutput,
      computedOn: {
        on: 'cpu',
        reason: `WebGPU (${outcome.adapter}) disagreed`,
        detail:
          `its values differ from the CPU’s ${by}, more than the ${tolerance.toExponential(0)} allowed; ` +
          `the CPU’s values are shown`,
      },
    };
  }
  const computedOn: ComputedOn = {
    on: 'webgpu',
    adapter: outcome.adapter,
    kernel: outcome.kernel,
    error,
    tolerance,
  };
  // Values equal to the CPU's need no new array: views that compare models by their output keep theirs.
  const same = outcome.values.every((v, i) => Object.is(v, cpuOutput[i]));
  return { ...model, output: same ? cpuOutput : Array.from(outcome.values), computedOn };
}

/** A short reason and the library's message, for any error WebGPU raised. */
function failure(error: unknown): GpuOutcome {
  const message = error instanceof Error ? error.message : String(error);
  // The library's messages start with the op ("webgpu: ..."); the page's own words say what happened.
  const detail = message.replace(/^\w+: /, '');
  if (error instanceof WebGPUDeviceLostError) {
    return {
      ok: false,
      reason: 'the GPU device was lost',
      detail: 'the next change asks WebGPU for a new device',
    };
  }
  if (error instanceof WebGPUUnavailableError) {
    if (/no adapter/.test(message)) return NO_ADAPTER;
    const refused = /refused a device/.test(message);
    return {
      ok: false,
      reason: refused ? 'the GPU adapter refused a device' : 'WebGPU is unavailable',
      detail,
    };
  }
  return {
    ok: false,
    reason: 'WebGPU failed',
    detail: `${error instanceof Error ? error.name : 'Error'}: ${detail}`,
  };
}

const NO_WEBGPU: GpuOutcome = {
  ok: false,
  reason: 'this browser has no WebGPU',
  detail: 'navigator.gpu is missing: WebGPU needs a browser that ships it, on an https or localhost page',
};
const NO_ADAPTER: GpuOutcome = {
  ok: false,
  reason: 'this browser’s WebGPU found no GPU to use',
  detail: 'navigator.gpu.requestAdapter() gave no adapter: there is no usable GPU, or the browser blocks it',
};

function hasNavigatorGpu(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && Boolean(navigator.gpu);
}

/** Runs one computation on a backend: upload, conv2d, read back; every buffer is freed after. */
async function runConv2d(gpu: WebGPUBackend, c: Computation): Promise<GpuOutcome> {
  const kernel = gpu.planConv2d(c.inputShape, c.filterShape, c.options).kernel;
  const made: GpuTensor[] = [];
  try {
    const x = gpu.upload(tensor(c.x, c.inputShape));
    made.push(x);
    const w = gpu.upload(tensor(c.w, c.filterShape));
    made.push(w);
    const y = gpu.conv2d(x, w, c.options);
    made.push(y);
    const values = (await y.read()).data;
    return { ok: true, adapter: gpu.adapterName, kernel, values };
  } finally {
    for (const t of made) t.dispose();
  }
}

export class PageGpu {
  /** The backend once found (null until asked); reset after a loss so the next request asks again. */
  #backend: Promise<WebGPUBackend> | null = null;
  /** Why WebGPU cannot run in this browser at all (no navigator.gpu, no adapter): not asked again. */
  #unavailable: GpuOutcome | null = null;
  #adapter: string | undefined;
  #running: Computation | null = null;
  #waiting: Computation | null = null;
  /** The computation the page shows now: only its result is reported. */
  #latest: Computation | null = null;

  /** `report` gets WebGPU's outcome for the computation the page shows (never for a superseded one). */
  constructor(private readonly report: (computation: Computation, outcome: GpuOutcome) => void) {}

  /**
   * Starts computing a model's output on WebGPU, and returns the model to show meanwhile: pending
   * (the CPU's values) while WebGPU runs, or the CPU's with the reason when it cannot run at all.
   */
  start(model: Model): Model {
    const c = model.computation;
    if (model.computedOn.on !== 'pending') {
      this.#latest = c;
      return model;
    }
    if (!hasNavigatorGpu()) {
      this.#unavailable ??= NO_WEBGPU;
    }
    if (this.#unavailable) {
      this.#latest = c;
      return withGpuOutcome(model, this.#unavailable);
    }
    if (!model.explanation.values?.outputListed) {
      this.#latest = c;
      return withGpuOutcome(model, {
        ok: false,
        reason: 'the output is too large to compare with WebGPU’s',
      });
    }
    // Already asked for (a pin moved while it runs): its result will come.
    if (this.#latest !== c) {
      this.#latest = c;
      if (this.#running) this.#waiting = c;
      else void this.#run(c);
    }
    return { ...model, computedOn: { on: 'pending', adapter: this.#adapter } };
  }

  /** Forgets the computation shown (the page shows an error instead): its result is dropped. */
  clear(): void {
    this.#latest = null;
    this.#waiting = null;
  }

  async #run(c: Computation): Promise<void> {
    this.#running = c;
    const outcome = await this.#compute(c);
    this.#running = null;
    if (c === this.#latest) this.report(c, outcome);
    const next = this.#waiting;
    this.#waiting = null;
    if (next && next === this.#latest) void this.#run(next);
  }

  async #compute(c: Computation): Promise<GpuOutcome> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<GpuOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, reason: `WebGPU took longer than ${GPU_TIMEOUT_MS / 1000} s` }),
        GPU_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.#attempt(c), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The backend, found once; a device lost since the last computation is replaced by a new one. */
  async #device(): Promise<WebGPUBackend> {
    if (this.#backend && (await this.#backend).lost) this.#backend = null;
    this.#backend ??= webgpu();
    return this.#backend;
  }

  async #attempt(c: Computation): Promise<GpuOutcome> {
    let gpu: WebGPUBackend;
    try {
      gpu = await this.#device();
      this.#adapter = gpu.adapterName;
    } catch (error) {
      this.#backend = null;
      const outcome = failure(error);
      // No navigator.gpu or no adapter does not change while the page is open; a refused device may.
      if (error instanceof WebGPUUnavailableError && !/refused a device/.test(String(error))) {
        this.#unavailable = outcome;
      }
      return outcome;
    }
    try {
      return await runConv2d(gpu, c);
    } catch (error) {
      // A device lost while computing is not used again: the next computation asks for a new one.
      if (gpu.lost) {
        this.#backend = null;
        if (!(error instanceof WebGPUDeviceLostError))
          return failure(new WebGPUDeviceLostError(String(error)));
      }
      return failure(error);
    }
  }
}
