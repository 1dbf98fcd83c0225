/**
 * The activation arena: offsets for every intermediate tensor in one buffer, planned from lifetimes
 * (the step that writes a tensor to the last step that reads it) so that tensors alive at the same
 * time never overlap and dead tensors' bytes are reused. Greedy by size, largest first, each placed at
 * the lowest offset clear of every already-placed tensor whose lifetime meets its own (as XNNPACK's and
 * ONNX Runtime's memory planners do). `peak` is the largest total of tensors alive at one step: no
 * arena can be smaller.
 */

export interface Lifetime {
  /** Bytes (or elements: the planner does not care which). */
  size: number;
  /** First step at which it is alive (written), and last (read); inclusive. */
  start: number;
  end: number;
}

export interface ArenaPlan {
  offsets: number[];
  /** The arena's size: max of offset + size. */
  size: number;
  /** The most that is ever alive at once. */
  peak: number;
}

/** Whether two lifetimes share a step. */
export function overlapsInTime(a: Lifetime, b: Lifetime): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function planArena(lifetimes: readonly Lifetime[], alignment = 16): ArenaPlan {
  const align = (n: number) => Math.ceil(n / alignment) * alignment;
  const order = lifetimes
    .map((_, i) => i)
    .sort((a, b) => lifetimes[b].size - lifetimes[a].size || lifetimes[a].start - lifetimes[b].start);
  const offsets = new Array<number>(lifetimes.length).fill(0);
  const placed: number[] = [];
  let size = 0;
  for (const i of order) {
    const t = lifetimes[i];
    // Ranges taken by tensors alive at the same time, by offset.
    const busy = placed
      .filter((j) => overlapsInTime(t, lifetimes[j]))
      .map((j) => [offsets[j], offsets[j] + align(lifetimes[j].size)] as const)
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [from, to] of busy) {
      if (at + align(t.size) <= from) break;
      at = Math.max(at, to);
    }
    offsets[i] = at;
    placed.push(i);
    size = Math.max(size, at + align(t.size));
  }
  let peak = 0;
  const steps = new Set(lifetimes.flatMap((t) => [t.start, t.end]));
  for (const s of steps) {
    let live = 0;
    for (const t of lifetimes) if (t.start <= s && s <= t.end) live += align(t.size);
    peak = Math.max(peak, live);
  }
  return { offsets, size, peak };
}
