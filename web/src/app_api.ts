/** What views may ask of the page: pin an output, step through outputs, change the settings. */
import type { ProductTerm } from './explain_source.js';
import type { Position } from './layout.js';
import type { PageState } from './state.js';

export interface AppApi {
  /** Pins the output at a position (batch, row, column, channel). */
  pick(position: Position): void;
  /** Moves the focus to the next (+1) or previous (-1) output of the same image and channel. */
  step(delta: number): void;
  /** Changes the settings (a new convolution). */
  update(patch: Partial<PageState>): void;
  /** Highlights the input and filter cells of one product term (null clears it). */
  hoverTerm(term: ProductTerm | null): void;
}
