/**
 * Packed-weights cache. Fast paths re-lay the filter once (e.g. into the GEMM's 8-column panels, a
 * Winograd transform, FFT spectra) and keep the result here, keyed by the filter's Float32Array and a
 * packing key, so repeated calls with the same filter pay nothing for packing. A WeakMap holds the
 * entries: when the filter is collected, so are its packed forms.
 *
 * A filter's values can change under the cache: Tensor.data is a public, writable Float32Array
 * (`w.data.fill(0)`, or a training loop updating one array in place). So each user array's entry keeps
 * a snapshot of the values its forms were packed from and compares it with the array, bit for bit, on
 * every use; when they differ, every form is dropped and packed again from the new values. The compare
 * is memory-bound: memcmp through Node's Buffer.compare (tens of GB/s), else a Float64Array loop (eight
 * floats a step, about 5 GB/s). It costs one copy of each cached filter's raw values in memory.
 *
 * Packed forms are made here, never written after packing and never handed to users, so an array that
 * was packed here (space-to-depth's filter, then Winograd's transform of it) needs no snapshot: when its
 * source changes, the source's new form is a new array, hence a new entry. A repacked form remembers the
 * form it replaced (replacedForm), so the wasm heap can put it where the old one lay instead of taking
 * more of its weight arena on every change.
 */

interface Entry {
  /** The values the forms were packed from; null for an array packed here (never written). */
  snapshot: Float32Array | null;
  forms: Map<string, Float32Array>;
  /** The forms dropped at the last change, by key, until their replacements are packed. */
  previous: Map<string, Float32Array> | null;
}

const entries = new WeakMap<Float32Array, Entry>();
/** Every array this cache packed: immutable, so used as a source it needs no snapshot. */
const packedHere = new WeakSet<Float32Array>();
/**
 * A repacked form -> the form of the same filter array and key it replaced. Held weakly, so a filter
 * changed on every step never keeps a chain of its old forms alive.
 */
const predecessors = new WeakMap<Float32Array, WeakRef<Float32Array>>();

type ByteCompare = (a: Uint8Array, b: Uint8Array) => number;
/** Node's Buffer.compare (memcmp); absent in browsers, where the loop below runs. */
const byteCompare = (globalThis as { Buffer?: { compare?: ByteCompare } }).Buffer?.compare;

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Whether a and b hold the same bits (NaN payloads and the sign of zero included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  if (byteCompare) return byteCompare(bytesOf(a), bytesOf(b)) === 0;
  return sameBitsLoop(a, b);
}

/**
 * sameBits without memcmp: four float64 compares (eight floats) a step. Float64 equality is bit
 * equality except for NaN (never equal) and zero (-0 equals +0), so a step whose four pairs are equal
 * and non-zero is settled; any other step is settled by its bits.
 */
export function sameBitsLoop(a: Float32Array, b: Float32Array): boolean {
  const n = a.length;
  const ia = new Int32Array(a.buffer, a.byteOffset, n);
  const ib = new Int32Array(b.buffer, b.byteOffset, n);
  let i = 0;
  if ((a.byteOffset & 7) === 0 && (b.byteOffset & 7) === 0) {
    const pairs = n >> 1;
    const x = new Float64Array(a.buffer, a.byteOffset, pairs);
    const y = new Float64Array(b.buffer, b.byteOffset, pairs);
    for (let p = 0; p + 4 <= pairs; p += 4, i += 8) {
      // Separate constants: a destructured array literal here is allocated on every step.
      const x0 = x[p];
      const x1 = x[p + 1];
      const x2 = x[p + 2];
      const x3 = x[p + 3];
      if (x0 === y[p] && x1 === y[p + 1] && x2 === y[p + 2] && x3 === y[p + 3] && x0 * x1 * x2 * x3 !== 0) {
        continue;
      }
      for (let j = i; j < i + 8; j++) if (ia[j] !== ib[j]) return false;
    }
  }
  for (; i < n; i++) if (ia[i] !== ib[i]) return false;
  return true;
}

function entryOf(filter: Float32Array): Entry {
  let entry = entries.get(filter);
  if (!entry) {
    const before = predecessors.get(filter)?.deref();
    entry = {
      snapshot: packedHere.has(filter) ? null : filter.slice(),
      forms: new Map(),
      // A repacked source (e.g. space-to-depth's filter) hands its forms on to its replacement's entry.
      previous: before ? new Map(entries.get(before)?.forms) : null,
    };
    entries.set(filter, entry);
  } else if (entry.snapshot && !sameBits(entry.snapshot, filter)) {
    entry.previous = entry.forms;
    entry.forms = new Map();
    entry.snapshot.set(filter);
  }
  return entry;
}

/**
 * The packed form of `filter` named `key`, computed by `pack` on first use and again whenever the
 * filter's values have changed since it was packed. `pack` must return a new array.
 */
export function packedWeights(filter: Float32Array, key: string, pack: () => Float32Array): Float32Array {
  const entry = entryOf(filter);
  let packed = entry.forms.get(key);
  if (!packed) {
    packed = pack();
    if (packed !== filter) packedHere.add(packed);
    const replaced = entry.previous?.get(key);
    if (replaced && replaced !== packed) {
      predecessors.set(packed, new WeakRef(replaced));
      entry.previous?.delete(key);
    }
    entry.forms.set(key, packed);
  }
  return packed;
}

/**
 * Declares that `filter` will never be written again (an array convkit made and never hands to users,
 * such as a model runtime's weights): its forms are then kept without a snapshot or a compare. Never
 * for an array a user can reach: a write to it would go unseen.
 */
export function markUnchanging(filter: Float32Array): void {
  packedHere.add(filter);
  const entry = entries.get(filter);
  if (entry) entry.snapshot = null;
}

/**
 * The current form of `filter` named `key` if one is cached (after the same check of the filter's
 * values as packedWeights), else undefined; never packs.
 */
export function currentPackedWeights(filter: Float32Array, key: string): Float32Array | undefined {
  return entries.has(filter) ? entryOf(filter).forms.get(key) : undefined;
}

/** The form `packed` replaced when its filter's values changed (same filter array and key), if any. */
export function replacedForm(packed: Float32Array): Float32Array | undefined {
  return predecessors.get(packed)?.deref();
}

/** Whether a packed form is cached and current for the filter's values (for tests). */
export function hasPackedWeights(filter: Float32Array, key: string): boolean {
  const entry = entries.get(filter);
  if (!entry || !entry.forms.has(key)) return false;
  return entry.snapshot === null || sameBits(entry.snapshot, filter);
}
