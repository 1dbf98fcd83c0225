/**
 * Non-finite values on the GPU: every conv2d kernel gives what the CPU direct loop (TensorFlow's rule:
 * a sum of products, padding a multiplied zero) gives when the input or the filter holds NaN or an
 * infinity. Winograd's transforms mix a whole tile, so infinity - infinity would make NaN where the
 * sum is an infinity; its non-finite outputs are recomputed as sums (as the CPU Winograd does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_CONV2D_KERNELS, conv2d, randomNormal, Tensor } from '../src/index.js';
import { sharedBackend } from './helpers/webgpu.js';

const gpu = await sharedBackend();

/** Same value, NaN matching NaN; finite values within 1e-4 of the output's scale. */
function assertSameSpecials(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  let scale = 1;
  for (const v of want) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    const ok = Number.isNaN(b)
      ? Number.isNaN(a)
      : Number.isFinite(b)
        ? Math.abs(a - b) <= 1e-4 * scale
        : a === b;
    assert.ok(ok, `${label}: output ${i} is ${a}, the direct sum is ${b}`);
  }
}

for (const special of [Infinity, -Infinity, NaN]) {
  test(`webgpu conv2d kernels on ${special} in the input or the filter agree with the CPU direct loop`, async () => {
    // 32 channels in and out: Winograd's size (GPU_WINOGRAD_MIN_CHANNELS), 3x3, stride 1.
    const x = randomNormal([2, 10, 10, 32], { seed: 1 });
    const f = randomNormal([3, 3, 32, 32], { seed: 2 });
    const xs = new Tensor(x.data.slice(), x.shape);
    xs.data[(5 * 10 + 5) * 32 + 3] = special;
    xs.data[(10 * 10 + 9 * 10 + 0) * 32 + 7] = special;
    const fs = new Tensor(f.data.slice(), f.shape);
    fs.data[40] = special;
    for (const [label, input, filter] of [
      ['input', xs, f],
      ['filter', x, fs],
    ] as const) {
      const want = conv2d(input, filter, { padding: 'SAME', algorithm: 'direct' }).data;
      const gx = gpu.upload(input);
      const gf = gpu.upload(filter);
      for (const algorithm of GPU_CONV2D_KERNELS) {
        const y = gpu.conv2d(gx, gf, { padding: 'SAME', algorithm });
        assertSameSpecials((await y.read()).data, want, `${algorithm}, ${special} in the ${label}`);
        y.dispose();
      }
      gx.dispose();
      gf.dispose();
    }
  });
}
