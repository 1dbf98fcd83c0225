/**
 * Non-finite values on the GPU: every conv2d kernel gives what the CPU direct loop (TensorFlow's rule:
 * a sum of products, padding a multiplied zero) gives when the input or the filter holds NaN or an
 * infinity. Winograd's transforms mix a whole tile, so infinity - infinity would make NaN where the
 * sum is an infinity; its non-finite outputs are recomputed as sums (as the CPU Winograd does).
 */
import { test } from 'node:test';
import { assertSameSpecials } from './helpers/assert_close.js';
import { GPU_CONV2D_KERNELS, conv2d, randomNormal, Tensor } from '../src/index.js';
import { sharedBackend } from './helpers/webgpu.js';

const gpu = await sharedBackend();

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

/** The input and filter gradients' direct references (float64 sums; padding a multiplied zero in dw). */
async function gradientCase(special: number, strides: number) {
  const { conv2dBackpropFilterDirect, conv2dBackpropInputDirect } =
    await import('../src/algorithms/backprop_direct.js');
  const { filterGradientGeometry } = await import('../src/ops/conv2d_backprop_filter.js');
  const { BACKPROP_INPUT_NAMES, inputGradientGeometry } = await import('../src/ops/conv2d_backprop_input.js');
  const inputShape = [2, 20, 20, 16];
  const filter = randomNormal([3, 3, 16, 24], { seed: 2 });
  const dy = randomNormal([2, 20 / strides, 20 / strides, 24], { seed: 3 });
  const x = randomNormal(inputShape, { seed: 4 });
  const options = { padding: 'SAME' as const, strides };
  const badFilter = new Tensor(filter.data.slice(), filter.shape);
  badFilter.data[100] = special;
  const badDy = new Tensor(dy.data.slice(), dy.shape);
  badDy.data[50] = special;
  const gi = inputGradientGeometry(BACKPROP_INPUT_NAMES, inputShape, badFilter, dy, options);
  const { g: gf } = filterGradientGeometry('test', inputShape, filter.shape, badDy, options);
  return {
    inputShape,
    options,
    filter: badFilter,
    dy,
    x,
    badDy,
    dxWant: conv2dBackpropInputDirect(gi, badFilter.data, dy.data),
    dwWant: conv2dBackpropFilterDirect(gf, x.data, badDy.data),
  };
}

for (const special of [Infinity, NaN]) {
  test(`webgpu gradients on ${special} (filter for dx, dy for dw) agree with the CPU direct references`, async () => {
    for (const strides of [1, 2]) {
      const c = await gradientCase(special, strides);
      for (const algorithm of ['direct', 'igemm'] as const) {
        const label = `${algorithm}, strides ${strides}, ${special}`;
        const opts = { ...c.options, algorithm };
        const f = gpu.upload(c.filter);
        const dy = gpu.upload(c.dy);
        assertSameSpecials(
          (await gpu.conv2dBackpropInput(c.inputShape, f, dy, opts).read()).data,
          c.dxWant,
          `input gradient ${label}`,
        );
        assertSameSpecials(
          (await gpu.conv2dTranspose(dy, f, c.inputShape, opts).read()).data,
          c.dxWant,
          `transpose ${label}`,
        );
        assertSameSpecials(
          (await gpu.conv2dBackpropFilter(gpu.upload(c.x), [3, 3, 16, 24], gpu.upload(c.badDy), opts).read())
            .data,
          c.dwWant,
          `filter gradient ${label}`,
        );
      }
    }
  });
}
