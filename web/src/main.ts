/**
 * The explainer page: wires the state (kept in the URL), convkit's explanation of it, and the views.
 * Settings changes rebuild everything; pinning an output only redraws what depends on it.
 */
import type { AppApi } from './app_api.js';
import { h, replaceChildren } from './dom.js';
import type { ProductTerm } from './explain_source.js';
import type { Position } from './layout.js';
import { PageGpu, withGpuOutcome, type GpuOutcome } from './gpu_compute.js';
import { breakdownFor, buildModel, focusOf, type Computation, type Model, type Outcome } from './model.js';
import { DEFAULT_STATE } from './presets.js';
import { stateFromUrl, urlFromState, type PageState } from './state.js';
import { renderBreakdown } from './view_breakdown.js';
import { renderCentres } from './view_centres.js';
import { renderCode } from './view_code.js';
import { ComputedOnView } from './view_computed_on.js';
import { Controls } from './view_controls.js';
import { renderError } from './view_error.js';
import { renderFourier } from './view_fourier.js';
import { renderIm2col } from './view_im2col.js';
import { renderLayouts } from './view_layouts.js';
import { renderShape } from './view_shape.js';
import { StageView } from './view_stage.js';

class App implements AppApi {
  private state: PageState;
  private outcome: Outcome;
  private fourierForced = false;
  private readonly controls = new Controls(this);
  private readonly stage = new StageView(this);
  private readonly computedOn = new ComputedOnView();
  private readonly gpu = new PageGpu((computation, outcome) => this.gpuAnswered(computation, outcome));
  private readonly slots = {
    error: h('div', {}),
    shape: h('div', {}),
    centres: h('div', {}),
    im2col: h('div', {}),
    fourier: h('div', {}),
    layouts: h('div', {}),
    code: h('div', {}),
  };
  private readonly views: HTMLElement;

  constructor(controlsRoot: HTMLElement, viewsRoot: HTMLElement) {
    controlsRoot.append(this.controls.element);
    this.views = h(
      'div',
      { class: 'views' },
      this.computedOn.element,
      this.stage.element,
      this.slots.shape,
      this.slots.centres,
      this.slots.im2col,
      this.slots.fourier,
      this.slots.layouts,
      this.slots.code,
    );
    viewsRoot.append(this.slots.error, this.views);
    this.state = stateFromUrl(location.search, DEFAULT_STATE);
    this.outcome = this.compute();
    this.renderAll();
  }

  update(patch: Partial<PageState>): void {
    this.stage.stop();
    this.fourierForced = false;
    const rejected = this.state.rejected;
    this.state = { ...this.state, ...patch };
    // Numbers the address could not give are forgotten once those values are replaced.
    if (rejected && !('rejected' in patch)) {
      const left = { x: 'x' in patch ? undefined : rejected.x, w: 'w' in patch ? undefined : rejected.w };
      this.state.rejected = left.x || left.w ? left : null;
    }
    this.outcome = this.compute();
    this.renderAll();
  }

  pick(position: Position): void {
    if (!this.outcome.ok) return;
    this.state = { ...this.state, pin: [...position] };
    const model = this.outcome.model;
    if (!breakdownFor(model, position)) {
      // A large problem: ask convkit for this output's breakdown (values are reused).
      this.outcome = this.compute(model);
      if (!this.outcome.ok) {
        this.renderAll();
        return;
      }
    }
    this.renderFocus();
    this.writeUrl();
  }

  step(delta: number): void {
    if (!this.outcome.ok) return;
    const model = this.outcome.model;
    const focus = this.focus(model);
    if (!focus) return;
    const d = model.outputDims;
    const [b, oy, ox, oc] = focus;
    const count = d.h * d.w;
    const next = (((oy * d.w + ox + delta) % count) + count) % count;
    this.pick([b, Math.floor(next / d.w), next % d.w, oc]);
  }

  hoverTerm(term: ProductTerm | null): void {
    this.stage.hoverTerm(term);
  }

  /** Builds the model (the CPU's values) and hands it to WebGPU, whose result comes later. */
  private compute(previous?: Model): Outcome {
    const outcome = buildModel(this.state, previous);
    if (!outcome.ok) {
      this.gpu.clear();
      return outcome;
    }
    return { ok: true, model: this.gpu.start(outcome.model) };
  }

  /** WebGPU's answer for the computation shown: its values replace the CPU's when they agree. */
  private gpuAnswered(computation: Computation, answer: GpuOutcome): void {
    if (!this.outcome.ok || this.outcome.model.computation !== computation) return;
    const shown = this.outcome.model;
    const model = withGpuOutcome(shown, answer);
    this.outcome = { ok: true, model };
    this.computedOn.show(model.computedOn);
    if (model.output !== shown.output) this.renderFocus();
  }

  private focus(model: Model): Position | null {
    return focusOf(this.state, model.explanation.outputShape, this.state.dataFormat);
  }

  private writeUrl(): void {
    const url = urlFromState(this.state);
    if (url !== location.search) history.replaceState(null, '', url + location.hash);
  }

  private renderAll(): void {
    this.controls.sync(this.state);
    if (!this.outcome.ok) {
      replaceChildren(this.slots.error, renderError(this.outcome.error, this.state, this));
      this.views.hidden = true;
      this.controls.showValues(this.state.x, this.state.w, this.state.rejected ?? null);
      this.writeUrl();
      return;
    }
    const model = this.outcome.model;
    // A pin that no longer fits the output is dropped.
    const focus = this.focus(model);
    if (this.state.pin && (!focus || focus.join() !== this.state.pin.join()))
      this.state = { ...this.state, pin: null };
    replaceChildren(this.slots.error);
    this.views.hidden = false;
    this.computedOn.show(model.computedOn);
    this.controls.showValues(model.x, model.w, null);
    replaceChildren(this.slots.shape, renderShape(model));
    replaceChildren(this.slots.layouts, renderLayouts(model));
    replaceChildren(this.slots.code, renderCode(model));
    this.renderFocus();
    this.writeUrl();
  }

  private renderFocus(): void {
    if (!this.outcome.ok) return;
    const model = this.outcome.model;
    const focus = this.focus(model);
    this.stage.show(model, focus);
    replaceChildren(
      this.stage.breakdownSlot,
      renderBreakdown(model, focus, focus ? breakdownFor(model, focus) : undefined, this),
    );
    replaceChildren(this.slots.centres, renderCentres(model, focus));
    replaceChildren(this.slots.im2col, renderIm2col(model, focus, this));
    replaceChildren(
      this.slots.fourier,
      renderFourier(model, focus, this.fourierForced, () => {
        this.fourierForced = true;
        this.renderFocus();
      }),
    );
  }
}

const controlsRoot = document.getElementById('controls');
const viewsRoot = document.getElementById('views');
if (controlsRoot && viewsRoot) new App(controlsRoot, viewsRoot);
