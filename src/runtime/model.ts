/**
 * LayersModel: a loaded TF.js Layers model, compiled once per batch size and thread request into a
 * list of steps (executor.ts) over the fused operations (fuse.ts). `predict` is synchronous (in Node
 * its convolutions use the worker pool as conv2d does); `summary` prints the Keras table plus what
 * convkit chose for each layer.
 */
import { checkPrecision, type Precision } from '../plan/accuracy.js';
import { invalid, show } from '../errors.js';
import { Tensor, toTensor } from '../tensor.js';
import { checkOptionKeys } from '../ops/options.js';
import { checkThreads } from '../plan/threads.js';
import { loadWorkerThreads } from '../parallel/pool.js';
import type { ArenaPlan } from './arena.js';
import { compilePlan, type CompiledPlan, type Step, type StepPart } from './executor.js';
import type { Op } from './fuse.js';
import type { Graph } from './graph.js';
import { ActivationMemory } from './resident.js';

export interface PredictOptions {
  /** Threads for the convolutions (integer >= 1); default: conv2d's own choice per layer. */
  threads?: number;
  /** Time every step; the times are left in `model.lastProfile`. */
  profile?: boolean;
  /** conv2d's `precision` for every convolution (default: the one the model was loaded with). */
  precision?: Precision;
}

export interface StepTime {
  name: string;
  className: string;
  algorithm: string;
  ms: number;
}

export interface SymbolicShape {
  /** [null, ...per-example shape]: the batch is free. */
  shape: (number | null)[];
}

const PREDICT_OPTIONS = ['threads', 'profile', 'precision'] as const;

/**
 * Where a model loaded with `backend: 'webgpu'` runs (gpu_runner.ts, loaded lazily): the whole
 * network on the GPU for inputs the model has checked.
 */
export interface DeviceRunner {
  /** The adapter's name. */
  readonly device: string;
  run(inputs: readonly Tensor[], precision: Precision): Promise<Tensor[]>;
  dispose(): void;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A batch size argument: an integer >= 1, as predict's inputs must have. */
function checkBatch(op: string, batch: unknown): number {
  if (typeof batch !== 'number' || !Number.isSafeInteger(batch) || batch < 1) {
    invalid(op, 'batch', `must be an integer >= 1, got ${show(batch)}`);
  }
  return batch;
}

export class LayersModel {
  readonly name: string;
  readonly inputs: SymbolicShape[];
  readonly outputs: SymbolicShape[];
  /** Per-step times of the last `predict(x, { profile: true })`. */
  lastProfile: StepTime[] | null = null;
  private graph: Graph | null;
  private ops: readonly Op[];
  private compiled = new Map<string, CompiledPlan>();
  private readonly precision: Precision;
  /** predictAsync calls in flight (they share the plan's arena, so predict waits for them). */
  private asyncRuns = 0;
  private asyncQueue: Promise<unknown> = Promise.resolve();
  private gpu: DeviceRunner | null;
  /** Where the plans' activation arenas live (wasm memory when it can). */
  private readonly activations = new ActivationMemory();

  constructor(
    graph: Graph,
    ops: readonly Op[],
    precision: Precision = 'auto',
    gpu: DeviceRunner | null = null,
    /** loadLayersModel's `fuse`: false also keeps every ZeroPadding2D a step of its own, and no bands. */
    private readonly fold = true,
  ) {
    this.graph = graph;
    this.gpu = gpu;
    this.ops = ops;
    this.precision = precision;
    this.name = graph.name;
    this.inputs = graph.inputs.map((t) => ({ shape: [null, ...graph.shapes[t]] }));
    this.outputs = graph.outputs.map((t) => ({ shape: [null, ...graph.shapes[t]] }));
  }

  private live(op: string): Graph {
    if (this.graph === null) invalid(op, 'model', `'${this.name}' has been disposed`);
    return this.graph;
  }

  /** The compiled plan for a batch size (and thread request), made on first use and kept. */
  private plan(batch: number, threads?: number, precision: Precision = this.precision): CompiledPlan {
    const graph = this.live('LayersModel.plan');
    const key = `${batch}|${threads ?? ''}|${precision}`;
    let plan = this.compiled.get(key);
    if (!plan) {
      // Unfused (fuse: false), every layer is a step of its own: no folds, no bands.
      const unfused = this.fold ? {} : { fold: false, bands: false };
      plan = compilePlan(graph, this.ops, { batch, threads, precision, ...unfused });
      this.compiled.set(key, plan);
    }
    return plan;
  }

  /** The compiled steps for a batch size: what runs, fused, in order. */
  steps(batch = 1, threads?: number): Step[] {
    const op = 'LayersModel.steps';
    return this.plan(checkBatch(op, batch), checkThreads(op, threads)).steps;
  }

  private checkInputs(op: string, x: Tensor | readonly Tensor[]): Tensor[] {
    const graph = this.live(op);
    const list = Array.isArray(x) ? (x as Tensor[]) : [x as Tensor];
    if (list.length !== graph.inputs.length) {
      invalid(
        op,
        'x',
        `has ${list.length} tensors but model '${this.name}' takes ${graph.inputs.length} inputs`,
      );
    }
    let batch = -1;
    return list.map((value, i) => {
      const t = toTensor(op, list.length > 1 ? `x[${i}]` : 'x', value);
      const expected = graph.shapes[graph.inputs[i]];
      const want = `[batch, ${expected.join(', ')}]`;
      const arg = list.length > 1 ? `input ${i}` : 'input';
      if (t.rank !== expected.length + 1 || t.shape.slice(1).some((d, k) => d !== expected[k])) {
        invalid(
          op,
          arg,
          `has shape ${show(t.shape)} but model '${this.name}' expects ${want} (rank ${expected.length + 1})`,
        );
      }
      if (t.shape[0] < 1) invalid(op, arg, `has batch ${t.shape[0]}; the batch must be at least 1`);
      if (batch >= 0 && t.shape[0] !== batch)
        invalid(op, arg, `has batch ${t.shape[0]} but input 0 has ${batch}`);
      batch = t.shape[0];
      return t;
    });
  }

  /** Checks a call and readies the plan: the inputs are in `values`, the steps are to run. */
  private prepare(op: string, x: Tensor | readonly Tensor[], options?: PredictOptions, queued = false) {
    if (this.gpu !== null) {
      this.live(op);
      invalid(
        op,
        'model',
        `'${this.name}' was loaded with backend 'webgpu', which cannot answer synchronously; ` +
          `use await model.predictAsync(x) (or predictAllAsync)`,
      );
    }
    if (!queued && this.asyncRuns > 0) {
      invalid(op, 'model', `'${this.name}' is running predictAsync; await it before calling predict again`);
    }
    const opts = checkOptionKeys(op, options, PREDICT_OPTIONS);
    const threads = checkThreads(op, opts.threads);
    if (opts.profile !== undefined && typeof opts.profile !== 'boolean') {
      invalid(op, 'profile', `must be true or false, got ${show(opts.profile)}`);
    }
    const inputs = this.checkInputs(op, x);
    const graph = this.live(op);
    const batch = inputs[0].shape[0];
    const precision = opts.precision === undefined ? this.precision : checkPrecision(op, opts.precision);
    const plan = this.plan(batch, threads, precision);
    // predict keeps a threaded plan's arena in the worker pool's memory; predictAsync (queued) in the engine's.
    this.activations.bind(plan, plan.threaded && !queued);
    const { steps, values } = plan;
    graph.inputs.forEach((t, i) => (values[t] = inputs[i].data));
    // Outputs leave the arena (or the input, passed through) in one copy each.
    const outputs = () =>
      graph.outputs.map((t) => new Tensor(values[t].slice(), [batch, ...graph.shapes[t]]));
    return { plan, steps, profile: opts.profile === true, outputs };
  }

  private time(s: Step | StepPart, ms: number): StepTime {
    return { name: s.name, className: s.className, algorithm: s.algorithm, ms };
  }

  /** A profiled step's times: its own, or its parts' (band_fusion.ts) from partMs. */
  private times(step: Step, ms: number, partMs: number[] | undefined): StepTime[] {
    return step.parts && partMs
      ? step.parts.map((part, k) => this.time(part, partMs[k]))
      : [this.time(step, ms)];
  }

  /** All outputs, for models with several. */
  predictAll(x: Tensor | readonly Tensor[], options?: PredictOptions): Tensor[] {
    const { plan, steps, profile, outputs } = this.prepare('LayersModel.predict', x, options);
    if (profile) {
      const times: StepTime[] = [];
      for (let i = 0; i < steps.length; i++) {
        const partMs = steps[i].parts?.map(() => 0);
        const start = performance.now();
        this.activations.runStep(plan, i, partMs);
        times.push(...this.times(steps[i], performance.now() - start, partMs));
      }
      this.lastProfile = times;
    } else for (let i = 0; i < steps.length; i++) this.activations.runStep(plan, i);
    return outputs();
  }

  private singleOutput(op: string): void {
    if (this.live(op).outputs.length !== 1) {
      invalid(op, 'model', `'${this.name}' has ${this.outputs.length} outputs; use predictAll`);
    }
  }

  /** The model's output for `x` ([batch, ...input shape]; one tensor per input for several inputs). */
  predict(x: Tensor | readonly Tensor[], options?: PredictOptions): Tensor {
    this.singleOutput('LayersModel.predict');
    return this.predictAll(x, options)[0];
  }

  /**
   * predict as a promise: convolutions that run on several threads (igemm) run on the worker pool while
   * this thread waits without blocking (a browser's main thread stays responsive); the other steps run
   * here. Calls on one model run one after another.
   */
  async predictAsync(x: Tensor | readonly Tensor[], options?: PredictOptions): Promise<Tensor> {
    this.singleOutput('LayersModel.predictAsync');
    return (await this.predictAllAsync(x, options))[0];
  }

  /** predictAll as a promise (see predictAsync). */
  predictAllAsync(x: Tensor | readonly Tensor[], options?: PredictOptions): Promise<Tensor[]> {
    // Counted from now: predict refuses while any predictAsync is queued or running.
    this.asyncRuns++;
    const run = async (): Promise<Tensor[]> => {
      try {
        if (this.gpu !== null) {
          const name = 'LayersModel.predictAsync';
          // On the GPU only the precision applies (threads and profiles are the CPU's).
          for (const key of ['threads', 'profile'] as const) {
            if (options?.[key] !== undefined) {
              invalid(
                name,
                `options.${key}`,
                `applies to the CPU runtime; a model loaded with backend 'webgpu' takes only precision`,
              );
            }
          }
          const opts = checkOptionKeys(name, options, ['precision'] as const);
          const precision =
            opts.precision === undefined ? this.precision : checkPrecision(name, opts.precision);
          return await this.gpu.run(this.checkInputs(name, x), precision);
        }
        const { plan, steps, profile, outputs } = this.prepare('LayersModel.predictAsync', x, options, true);
        if (steps.some((s) => s.runAsync)) await loadWorkerThreads();
        // Another model's call may have grown the memory while this one was loading the workers.
        this.activations.bind(plan);
        const times: StepTime[] = [];
        for (let i = 0; i < steps.length; i++) {
          const partMs = profile ? steps[i].parts?.map(() => 0) : undefined;
          const start = performance.now();
          await this.activations.runStepAsync(plan, i, partMs);
          if (profile) times.push(...this.times(steps[i], performance.now() - start, partMs));
        }
        if (profile) this.lastProfile = times;
        return outputs();
      } finally {
        this.asyncRuns--;
      }
    };
    const result = this.asyncQueue.then(run, run);
    this.asyncQueue = result.catch(() => undefined);
    return result;
  }

  /** The activation arena the plan for `batch` uses, and the peak of simultaneously live activations (bytes). */
  arena(batch = 1): ArenaPlan & { tensors: number } {
    return this.plan(checkBatch('LayersModel.arena', batch)).arena;
  }

  /** The Keras summary table, plus convkit's algorithm per layer, FLOPs and activation bytes (batch 1). */
  summary(): string {
    const graph = this.live('LayersModel.summary');
    const steps = this.steps(1);
    const chosen = new Map<string, { algorithm: string; flops: number }>();
    for (const s of steps.flatMap((step) => step.parts ?? [step])) {
      chosen.set(s.layers[0], { algorithm: s.algorithm, flops: s.flops });
      for (const n of s.layers.slice(1)) chosen.set(n, { algorithm: `fused into ${s.layers[0]}`, flops: 0 });
    }
    const producer = new Map<number, string>();
    const rows: string[][] = [];
    const counted = new Set<string>();
    let params = 0;
    let flops = 0;
    graph.inputs.forEach((t, i) => {
      const name = graph.inputNames[i] ?? `input_${i}`;
      producer.set(t, name);
      rows.push([
        `${name} (InputLayer)`,
        show([null, ...graph.shapes[t]]),
        '0',
        '',
        '-',
        '0',
        String(4 * sizeOf(graph.shapes[t])),
      ]);
    });
    for (const n of graph.nodes) {
      const def = n.layer.def;
      producer.set(n.output, def.name);
      const p = counted.has(n.layer.key) ? 0 : n.layer.needs.reduce((a, w) => a + sizeOf(w.shape), 0);
      counted.add(n.layer.key);
      params += p;
      const c = chosen.get(def.name) ?? { algorithm: '-', flops: 0 };
      flops += c.flops;
      rows.push([
        `${def.name} (${def.className})`,
        show([null, ...graph.shapes[n.output]]),
        String(p),
        n.inputs.map((t) => producer.get(t) ?? '?').join(', '),
        c.algorithm,
        String(c.flops),
        String(4 * sizeOf(graph.shapes[n.output])),
      ]);
    }
    const head = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to', 'convkit', 'FLOPs', 'Bytes'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd();
    const rule = '_'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    const arena = this.arena(1);
    return [
      `Model: "${this.name}"`,
      rule,
      line(head),
      '='.repeat(rule.length),
      ...rows.map(line),
      '='.repeat(rule.length),
      `Total params: ${params} (${(params * 4).toLocaleString('en-US')} bytes)`,
      `FLOPs per example: ${flops.toLocaleString('en-US')}`,
      `Activations: arena ${arena.size.toLocaleString('en-US')} bytes for ${arena.tensors} tensors; peak live ${arena.peak.toLocaleString('en-US')} bytes`,
      ...(this.gpu
        ? [`Runs on WebGPU (${this.gpu.device}); the convkit column and the arena are the CPU runtime's plan`]
        : []),
      rule,
    ].join('\n');
  }

  /** Drops the weights and compiled plans; the model cannot be used afterwards. */
  dispose(): void {
    this.graph = null;
    this.ops = [];
    this.gpu?.dispose();
    this.compiled.clear();
    this.activations.dispose();
  }
}
