/**
 * Reusable buffers for training steps. A fresh large Float32Array is not free: the allocator maps new
 * pages for it, and the first write to each 4 KiB page faults (about 0.9 ms per MiB measured here),
 * which in a small model's step costs more than the arithmetic. Sequential.computeGradients therefore
 * runs each step inside a workspace: the layers take their activation and gradient buffers from it,
 * and at the start of the next step every buffer the previous step took is handed out again.
 *
 * So a tensor a layer produced inside computeGradients (its outputs, lastPreActivation()) is only
 * valid until the model's next training step. Outside a workspace (forward, predict) every buffer is
 * new, and tensors keep their values for good.
 */

export class Workspace {
  private readonly free = new Map<number, Float32Array[]>();
  private taken: Float32Array[] = [];

  /** A buffer of `length` floats, contents undefined. */
  take(length: number): Float32Array {
    const buffer = this.free.get(length)?.pop() ?? new Float32Array(length);
    this.taken.push(buffer);
    return buffer;
  }

  /** Makes every buffer taken so far available again (their old contents are then garbage). */
  recycle(): void {
    for (const buffer of this.taken) {
      let list = this.free.get(buffer.length);
      if (!list) this.free.set(buffer.length, (list = []));
      list.push(buffer);
    }
    this.taken = [];
  }
}

let active: Workspace | null = null;

/** Runs `step` with `workspace` active, after recycling what the previous step took from it. */
export function inWorkspace<T>(workspace: Workspace, step: () => T): T {
  // Re-entered from inside its own step: the buffers in use must not be handed out again.
  if (active === workspace) return step();
  const outer = active;
  workspace.recycle();
  active = workspace;
  try {
    return step();
  } finally {
    active = outer;
  }
}

/** `length` floats from the active workspace (contents undefined), or a new zeroed array outside one. */
export function scratchFloats(length: number): Float32Array {
  return active ? active.take(length) : new Float32Array(length);
}

/** `length` floats, all zero. */
export function zeroedFloats(length: number): Float32Array {
  return active ? active.take(length).fill(0) : new Float32Array(length);
}
