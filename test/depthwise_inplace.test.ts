/**
 * The depthwise kernel's in-place path (src/algorithms/depthwise_wasm.ts depthwiseInPlace on
 * f32_dwconv_inplace): an NHWC, multiplier-1 input and output that both live in wasm memory (as the
 * model runtime's arena holds them) are read and written where they are, padding handled in the kernel.
 *   - random geometries (fast-check, fixed seed; SAME / VALID / explicit padding, strides, dilations,
 *     1..37 channels, batches 1-3), with no epilogue, a clamp, and bias + clamp: the same bits as the
 *     banded path (which copies a padded input into scratch), and within 1e-5 of the direct reference;
 *     nothing past the output or in the input is written;
 *   - every channel count 1..37 on 3x3 stride 1 and 2 (the fast rows) with SAME and MobileNet's folded
 *     ZeroPadding2D ((0, 1), (0, 1)), odd widths; images past 1 MiB (rows read ahead);
 *   - NaN and Infinity on the image's border rows and columns, and Infinity taps over padding: NaN and
 *     infinities exactly where the direct reference has them; a sum of -0 products is +0;
 *   - the in-place path really ran: its scratch is a few tables, not the banded input and output;
 *   - the same checks again on the other kernel module, in a child Node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { depthwiseConv2d, tensor } from '../src/index.js';
import { depthwiseGeometry, type DepthwiseGeometry } from '../src/geometry.js';
import {
  depthwiseConv2dWasm,
  dwconvLayout,
  type DwconvOutputClamp,
} from '../src/algorithms/depthwise_wasm.js';
import { wasmEngine } from '../src/kernels/wasm/engine.js';
import { parallelEngine } from '../src/parallel/parallel_engine.js';
import { assertCloseToScale, assertSameSpecials } from './helpers/assert_close.js';
import { childEnvironment, childNodeFlags, otherVariant } from './helpers/wasm_variant_child.js';
import { seededUniform, sizeOfShape } from './helpers/layout.js';
import {
  depthwiseCases,
  describeDepthwise,
  optionsOf,
  outSizes,
  type DepthwiseCase,
} from './helpers/depthwise_cases.js';

const CHILD_VARIANT = process.env.CONVKIT_DEPTHWISE_INPLACE_CHILD;
const IN_USE = wasmEngine()?.variant;
const engineHeap = wasmEngine()!.heap;

/** Floats of a sentinel written after the output in wasm memory: the kernel must leave them alone. */
const GUARD = 16;
const SENTINEL = 12345.5;

/** NHWC, multiplier 1: the geometries the in-place path takes. */
const inPlaceCase = depthwiseCases({ batch: [1, 3], size: [1, 13], channels: [1, 37] })
  .map((c): DepthwiseCase => ({ ...c, dataFormat: 'NHWC', multiplier: 1 }))
  .filter((c) => outSizes(c).every((s) => s > 0));

interface InPlaceRun {
  output: Float32Array;
  /** Scratch bytes the call used (WasmHeap.takeScratchPeak). */
  scratch: number;
}

/**
 * depthwiseConv2dWasm with `input` and the output pinned in wasm memory (as the model runtime's arena
 * holds them), a sentinel after the output; checks that the sentinel and the input are untouched.
 */
function runInPlace(
  g: DepthwiseGeometry,
  input: Float32Array,
  filter: Float32Array,
  clamp: DwconvOutputClamp | undefined,
  label: string,
  threads = 1,
): InPlaceRun {
  // Several threads: input and output in the worker pool's memory, as a threaded plan's arena.
  const heap = threads > 1 ? parallelEngine()!.heap : engineHeap;
  const size = g.batch * g.outHeight * g.outWidth * g.outChannels;
  const inAt = heap.pin(input.length * 4);
  const outAt = heap.pin((size + GUARD) * 4);
  try {
    heap.f32.set(input, inAt >> 2);
    heap.f32.fill(SENTINEL, outAt >> 2, (outAt >> 2) + size + GUARD);
    const x = heap.f32.subarray(inAt >> 2, (inAt >> 2) + input.length);
    const out = heap.f32.subarray(outAt >> 2, (outAt >> 2) + size);
    heap.takeScratchPeak();
    const result = depthwiseConv2dWasm(g, x, filter, out, clamp, undefined, threads);
    const scratch = heap.takeScratchPeak();
    assert.equal(result, out, `${label}: the result is the output array itself`);
    if (clamp) assert.equal(clamp.applied, true, `${label}: the kernel applied the clamp`);
    // The memory may have grown (placing the filter): read back through a fresh view.
    const f32 = heap.f32;
    const guard = f32.subarray((outAt >> 2) + size, (outAt >> 2) + size + GUARD);
    assert.ok(
      guard.every((v) => v === SENTINEL),
      `${label}: nothing written past the output (${[...guard]})`,
    );
    assert.ok(
      f32.subarray(inAt >> 2, (inAt >> 2) + input.length).every((v, i) => Object.is(v, input[i])),
      `${label}: the input is unchanged`,
    );
    return { output: f32.slice(outAt >> 2, (outAt >> 2) + size), scratch };
  } finally {
    heap.unpin(outAt);
    heap.unpin(inAt);
  }
}

/** The banded path (output outside wasm memory) with the same clamp, applied by the caller if not. */
function runBanded(
  g: DepthwiseGeometry,
  input: Float32Array,
  filter: Float32Array,
  clamp: DwconvOutputClamp | undefined,
): Float32Array {
  const copy = clamp ? { ...clamp, applied: false } : undefined;
  const out = new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  depthwiseConv2dWasm(g, input, filter, out, copy);
  assert.ok(!clamp || copy!.applied, 'the banded path applies an NHWC clamp too');
  return out;
}

function sameBits(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Object.is(got[i], want[i]),
      `${label}: value ${i} is ${got[i]}, the banded path gives ${want[i]}`,
    );
  }
}

/** The three output stages: none, ReLU6 without bias, bias + ReLU6. */
function clamps(channels: number, seed: number): [string, DwconvOutputClamp | undefined][] {
  return [
    ['no epilogue', undefined],
    ['clamp', { bias: null, lo: 0, hi: 0.5 }],
    ['bias + clamp', { bias: seededUniform(channels, seed), lo: -0.25, hi: 0.5 }],
  ];
}

function geometryOf(c: DepthwiseCase): DepthwiseGeometry {
  const shape = [c.batch, c.inHeight, c.inWidth, c.channels];
  return depthwiseGeometry(
    'depthwiseConv2d',
    shape,
    [c.filterHeight, c.filterWidth, c.channels, 1],
    optionsOf(c),
  );
}

const SEED = 0x1a_91ce;

test('the kernel module in use is the one this run checks', () => {
  assert.ok(IN_USE, 'WebAssembly SIMD is expected on Node >= 20');
  if (CHILD_VARIANT) assert.equal(IN_USE, CHILD_VARIANT);
});

test('in place: the same bits as the banded path and close to direct, on random geometries', () => {
  fc.assert(
    fc.property(inPlaceCase, (c) => {
      const g = geometryOf(c);
      const label = describeDepthwise(c);
      const x = seededUniform(sizeOfShape([c.batch, c.inHeight, c.inWidth, c.channels]), c.seed);
      const w = seededUniform(c.filterHeight * c.filterWidth * c.channels, c.seed + 1);
      const direct = depthwiseConv2d(
        tensor(x, [c.batch, c.inHeight, c.inWidth, c.channels]),
        tensor(w, [c.filterHeight, c.filterWidth, c.channels, 1]),
        { ...optionsOf(c), algorithm: 'direct' },
      ).data;
      for (const [name, clamp] of clamps(c.channels, c.seed + 2)) {
        const got = runInPlace(g, x, w, clamp, `${label}, ${name}`).output;
        sameBits(got, runBanded(g, x, w, clamp), `${label}, ${name}`);
        if (!clamp) assertCloseToScale(got, direct, 1e-5, `${label} vs direct`);
      }
    }),
    { seed: SEED, numRuns: 150 },
  );
});

test('every channel count 1..37, 3x3 stride 1 and 2, SAME and the folded ZeroPadding2D, batch 3', () => {
  const folded = [
    [0, 0],
    [0, 1],
    [0, 1],
    [0, 0],
  ];
  for (let channels = 1; channels <= 37; channels++) {
    for (const [strides, padding] of [
      [1, 'SAME'],
      [2, 'SAME'],
      [2, folded],
      [1, folded],
    ] as const) {
      // Width 9 and 10: odd and even widths, a last pixel with and without a right padding column.
      const shape = [3, 7, 9 + (channels % 2), channels];
      const g = depthwiseGeometry('depthwiseConv2d', shape, [3, 3, channels, 1], {
        strides,
        padding: padding as 'SAME',
      });
      const x = seededUniform(sizeOfShape(shape), channels);
      const w = seededUniform(9 * channels, channels + 100);
      const label = `${channels} channels, strides ${strides}, padding ${JSON.stringify(padding)}`;
      for (const [name, clamp] of clamps(channels, channels + 200)) {
        const got = runInPlace(g, x, w, clamp, `${label}, ${name}`).output;
        sameBits(got, runBanded(g, x, w, clamp), `${label}, ${name}`);
      }
    }
  }
});

test('3x3 rows with a padding column as a zero vector: strides 1 and 2, widths 4-31, chunked rows', () => {
  // row3x3Padded: a zero column in the first or last step, at stride 1 a last triple moved back over
  // pixels already computed, rows split in chunks (389 channels: 21 pixels a chunk), partial last tiles.
  const paddings: [string, [number, number][] | 'SAME' | 'VALID'][] = [
    ['SAME', 'SAME'],
    ['VALID', 'VALID'],
    [
      'left only',
      [
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 0],
      ],
    ],
    [
      'right only',
      [
        [0, 0],
        [1, 1],
        [0, 1],
        [0, 0],
      ],
    ],
  ];
  for (const strides of [1, 2]) {
    for (const channels of [4, 7, 389]) {
      for (let width = 4; width <= 31; width++) {
        if (channels > 100 && width % 3 !== 0 && width > 16) continue; // keep the large cases few
        for (const [name, padding] of paddings) {
          const shape = [1, 3, width, channels];
          const g = depthwiseGeometry('depthwiseConv2d', shape, [3, 3, channels, 1], {
            strides,
            padding: padding as 'SAME',
          });
          const x = seededUniform(sizeOfShape(shape), width);
          const w = seededUniform(9 * channels, channels + width);
          const clamp = { bias: seededUniform(channels, 7), lo: -0.25, hi: 0.5 };
          const label = `width ${width}, ${channels} channels, strides ${strides}, ${name}`;
          sameBits(runInPlace(g, x, w, clamp, label).output, runBanded(g, x, w, clamp), label);
        }
      }
    }
  }
});

test("images past 1 MiB (each chunk's new rows read ahead): the same bits as the banded path", () => {
  for (const [shape, strides, padding] of [
    [[1, 96, 100, 32], 1, 'SAME'],
    [[1, 97, 96, 30], 1, 'SAME'],
    [
      [2, 80, 80, 44],
      2,
      [
        [0, 0],
        [0, 1],
        [0, 1],
        [0, 0],
      ],
    ],
    [[1, 91, 90, 33], 2, 'SAME'],
  ] as [number[], number, 'SAME'][]) {
    const channels = shape[3];
    assert.ok(shape[1] * shape[2] * channels * 4 > 1 << 20, `${shape}: past 1 MiB`);
    const g = depthwiseGeometry('depthwiseConv2d', shape, [3, 3, channels, 1], { strides, padding });
    const x = seededUniform(sizeOfShape(shape), channels);
    const w = seededUniform(9 * channels, 5);
    const clamp = { bias: seededUniform(channels, 6), lo: 0, hi: 0.5 };
    const label = `${shape}, strides ${strides}`;
    sameBits(runInPlace(g, x, w, clamp, label).output, runBanded(g, x, w, clamp), label);
  }
});

test('NaN and Infinity on the border rows and columns give NaN and infinities where direct does', () => {
  for (const [strides, padding, dilations] of [
    [1, 'SAME', 1],
    [2, 'SAME', 1],
    [
      2,
      [
        [0, 0],
        [0, 1],
        [0, 1],
        [0, 0],
      ],
      1,
    ],
    [1, 'SAME', 2],
  ] as const) {
    for (const channels of [3, 8, 13]) {
      const [h, wd] = [6, 7];
      const shape = [2, h, wd, channels];
      const x = seededUniform(sizeOfShape(shape), channels);
      // Specials on the first and last rows and columns, in different channels and images.
      const put = (b: number, y: number, xx: number, ch: number, v: number) => {
        x[((b * h + y) * wd + xx) * channels + (ch % channels)] = v;
      };
      put(0, 0, 0, 0, NaN);
      put(0, 0, wd - 1, 1, Infinity);
      put(0, h - 1, 0, 2, -Infinity);
      put(1, h - 1, wd - 1, 0, NaN);
      put(1, 2, 0, 1, Infinity);
      put(1, 3, wd - 1, 2, -Infinity);
      const w = seededUniform(9 * channels, 7);
      const options = { strides, padding: padding as 'SAME', dilations };
      const g = depthwiseGeometry('depthwiseConv2d', shape, [3, 3, channels, 1], options);
      const label = `strides ${strides}, dilations ${dilations}, ${channels} channels, ${JSON.stringify(padding)}`;
      const want = depthwiseConv2d(tensor(x, shape), tensor(w, [3, 3, channels, 1]), {
        ...options,
        algorithm: 'direct',
      }).data;
      assert.ok(
        want.some((v) => !Number.isFinite(v)),
        `${label}: the case has non-finite outputs`,
      );
      const got = runInPlace(g, x, w, undefined, label).output;
      assertSameSpecials(got, want, label);
      const clamp = { bias: seededUniform(channels, 3), lo: 0, hi: 6 };
      sameBits(runInPlace(g, x, w, clamp, `${label}, clamp`).output, runBanded(g, x, w, clamp), label);
    }
  }
});

test('padding is a multiplied zero in place: Infinity taps over padding give NaN where direct does', () => {
  for (const channels of [5, 8]) {
    const taps = new Float32Array(9 * channels).fill(1);
    taps[0] = Infinity; // top-left tap of channel 0: over padding on the top row and left column
    taps[8 * channels + channels - 1] = -Infinity; // bottom-right tap of the last channel
    const shape = [1, 5, 6, channels];
    const x = new Float32Array(sizeOfShape(shape)).fill(1);
    for (const strides of [1, 2]) {
      const options = { strides, padding: 'SAME' as const };
      const g = depthwiseGeometry('depthwiseConv2d', shape, [3, 3, channels, 1], options);
      const want = depthwiseConv2d(tensor(x, shape), tensor(taps, [3, 3, channels, 1]), {
        ...options,
        algorithm: 'direct',
      }).data;
      assert.ok(want.some(Number.isNaN), 'the case has padding taps under Infinity');
      const label = `${channels} channels, strides ${strides}`;
      assertSameSpecials(runInPlace(g, x, taps, undefined, label).output, want, label);
    }
  }
});

test('a sum of -0 products is +0 in place, with and without the clamp', () => {
  for (const [shape, strides] of [
    [[1, 6, 7, 2], 1],
    [[2, 6, 7, 8], 2],
    [[1, 5, 9, 13], 1],
  ] as [number[], number][]) {
    const channels = shape[3];
    const g = depthwiseGeometry('depthwiseConv2d', shape, [3, 3, channels, 1], { strides, padding: 'SAME' });
    const x = new Float32Array(sizeOfShape(shape));
    const w = new Float32Array(9 * channels).fill(-1);
    for (const clamp of [undefined, { bias: null, lo: -Infinity, hi: Infinity }]) {
      const y = runInPlace(g, x, w, clamp, `${shape}`).output;
      assert.equal(y.filter((v) => Object.is(v, -0)).length, 0, `${shape}, strides ${strides}: -0 outputs`);
    }
  }
});

test('the in-place path runs: its scratch is the kernel tables and bias, not an input and output band', () => {
  const shape = [1, 40, 48, 24];
  const g = depthwiseGeometry('depthwiseConv2d', shape, [3, 3, 24, 1], { padding: 'SAME' });
  const layout = dwconvLayout(g)!;
  const x = seededUniform(sizeOfShape(shape), 1);
  const w = seededUniform(9 * 24, 2);
  const { scratch } = runInPlace(g, x, w, undefined, 'scratch');
  // The zero row for padding rows is a pinned region kept from call to call, not scratch.
  assert.ok(scratch <= 1024, `in place used ${scratch} scratch bytes`);
  assert.ok(
    layout.inputBytes + layout.outputBytes > 10 * 1024,
    `the bands would take ${layout.inputBytes + layout.outputBytes} bytes`,
  );
});

if (!CHILD_VARIANT) {
  test('the random geometries reach the corners that matter', () => {
    const drawn = fc.sample(inPlaceCase, { seed: SEED, numRuns: 150 });
    const some = (pred: (c: DepthwiseCase) => boolean, what: string): void =>
      assert.ok(drawn.some(pred), what);
    some((c) => c.padding === 'SAME', 'SAME');
    some((c) => c.padding === 'VALID', 'VALID');
    some((c) => typeof c.padding !== 'string' && c.padding[1][0] > 1, 'explicit padding past one column');
    some((c) => c.strides[1] === 2 && c.filterWidth === 3 && c.filterHeight === 3, '3x3 stride 2');
    some((c) => c.strides[1] === 1 && c.filterWidth === 3 && c.filterHeight === 3, '3x3 stride 1');
    some((c) => c.dilations[1] > 1, 'width dilation');
    some((c) => c.channels % 4 !== 0 && c.channels > 4, 'channels past a whole tile');
    some((c) => c.channels < 4, 'fewer than 4 channels');
    some((c) => c.batch === 3, 'batch 3');
  });

  test('the other kernel module passes the same checks, in a child Node', (t) => {
    assert.ok(IN_USE, 'WebAssembly SIMD is expected on Node >= 20');
    const variant = otherVariant(IN_USE);
    const flags = childNodeFlags(variant);
    t.diagnostic(`this process ran ${IN_USE}; the child runs ${variant} (${flags.join(' ') || 'no flags'})`);
    const env = childEnvironment(variant, { CONVKIT_DEPTHWISE_INPLACE_CHILD: variant });
    delete env.NODE_TEST_CONTEXT;
    const child = spawnSync(
      process.execPath,
      [...flags, '--import', 'tsx', '--test', '--test-reporter=tap', fileURLToPath(import.meta.url)],
      { encoding: 'utf8', timeout: 100_000, env },
    );
    assert.equal(child.status, 0, `child failed:\n${child.stdout}\n${child.stderr}`);
    assert.match(child.stdout, /^# pass [1-9]/m);
    assert.match(child.stdout, /^# fail 0$/m);
  });
}

test('on the worker pool: rows split between 2 and 3 threads give the same bits (every channel count, spills)', () => {
  const pool = parallelEngine();
  assert.ok(pool, 'the worker pool is available in Node');
  const workerCalls = () => pool.pool.callsRunByWorkers().reduce((a, b) => a + b, 0);
  const before = workerCalls();
  const folded = [
    [0, 0],
    [0, 1],
    [0, 1],
    [0, 0],
  ];
  for (const channels of [1, 2, 3, 4, 5, 7, 8, 12, 13, 32, 37]) {
    for (const [strides, padding, kernel] of [
      [1, 'SAME', 3],
      [2, folded, 3],
      [2, 'VALID', 5],
    ] as const) {
      const shape = [2, 11, 9 + (channels % 2), channels];
      const g = depthwiseGeometry('depthwiseConv2d', shape, [kernel, kernel, channels, 1], {
        strides,
        padding: padding as 'SAME',
      });
      const x = seededUniform(sizeOfShape(shape), channels + 7);
      const w = seededUniform(kernel * kernel * channels, channels + 107);
      const label = `${channels} channels, ${kernel}x${kernel}, strides ${strides}, ${JSON.stringify(padding)}`;
      for (const [name, clamp] of clamps(channels, channels + 207)) {
        const want = runBanded(g, x, w, clamp);
        for (const threads of [2, 3]) {
          const copy = clamp ? { ...clamp, applied: false } : undefined;
          sameBits(
            runInPlace(g, x, w, copy, `${label}, ${name}`, threads).output,
            want,
            `${label}, ${name}, ${threads} threads`,
          );
        }
      }
    }
  }
  // Which thread claims which call is up to timing (small calls may all go to this thread before a
  // worker wakes): larger images, a few times, until the workers have taken some.
  const big = depthwiseGeometry('depthwiseConv2d', [1, 96, 96, 32], [3, 3, 32, 1], { padding: 'SAME' });
  const bx = seededUniform(96 * 96 * 32, 5);
  const bw = seededUniform(9 * 32, 6);
  for (let i = 0; i < 20 && workerCalls() === before; i++)
    runInPlace(big, bx, bw, undefined, 'large image', 3);
  assert.ok(workerCalls() > before, 'the workers of the pool ran some of the row ranges');
});
