/**
 * The WebGPU backend's failures: the same validation and error texts as the CPU ops; GpuTensor misuse
 * (a host Tensor, a disposed tensor, another backend's tensor); buffers over the device's limits refused
 * with ResourceExhaustedError before anything runs; device loss rejecting pending reads (never partial
 * data); and WebGPUUnavailableError naming what is missing (no adapter, no `webgpu` package).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  InvalidArgumentError,
  ResourceExhaustedError,
  WebGPUDeviceLostError,
  WebGPUUnavailableError,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dTranspose,
  depthwiseConv2d,
  extractImagePatches,
  tensor,
  webgpu,
  zeros,
  type GpuTensor,
  type PatchesOptions,
  type Tensor,
} from '../src/index.js';
import { sharedBackend } from './helpers/webgpu.js';

const gpu = await sharedBackend();

/** Asserts that `gpuCall` throws the same error class and message as `cpuCall`. */
function assertSameError(cpuCall: () => unknown, gpuCall: () => unknown, label: string): void {
  let cpuError: Error | undefined;
  try {
    cpuCall();
  } catch (error) {
    cpuError = error as Error;
  }
  assert.ok(cpuError, `${label}: the CPU op should refuse it`);
  assert.throws(gpuCall, (error: Error) => {
    assert.equal(error.constructor, cpuError!.constructor, `${label}: error class`);
    assert.equal(error.message, cpuError!.message, `${label}: message`);
    return true;
  });
}

const up = (t: Tensor): GpuTensor => gpu.upload(t);

test('webgpu ops refuse bad arguments with the CPU ops’ error classes and texts', () => {
  const x = zeros([1, 5, 5, 4]);
  const w = zeros([3, 3, 5, 2]);
  const w4 = zeros([3, 3, 4, 2]);
  const cases: [string, () => unknown, () => unknown][] = [
    ['conv2d channel mismatch', () => conv2d(x, w), () => gpu.conv2d(up(x), up(w))],
    [
      'conv2d negative VALID size',
      () => conv2d(zeros([1, 1, 1, 4]), w4),
      () => gpu.conv2d(up(zeros([1, 1, 1, 4])), up(w4)),
    ],
    [
      'conv2d bad padding',
      () => conv2d(x, w4, { padding: 'FULL' as 'SAME' }),
      () => gpu.conv2d(up(x), up(w4), { padding: 'FULL' as 'SAME' }),
    ],
    [
      'conv2d strides on the channel axis',
      () => conv2d(x, w4, { strides: [1, 1, 1, 2] }),
      () => gpu.conv2d(up(x), up(w4), { strides: [1, 1, 1, 2] }),
    ],
    ['conv2d rank-2 input', () => conv2d(zeros([5, 5]), w4), () => gpu.conv2d(up(zeros([5, 5])), up(w4))],
    [
      'depthwiseConv2d channel mismatch',
      () => depthwiseConv2d(x, zeros([3, 3, 3, 1])),
      () => gpu.depthwiseConv2d(up(x), up(zeros([3, 3, 3, 1]))),
    ],
    [
      'conv2dBackpropInput dy of the wrong shape',
      () => conv2dBackpropInput([1, 5, 5, 4], w4, zeros([1, 2, 2, 2])),
      () => gpu.conv2dBackpropInput([1, 5, 5, 4], up(w4), up(zeros([1, 2, 2, 2]))),
    ],
    [
      'conv2dTranspose filters of the wrong depth',
      () => conv2dTranspose(zeros([1, 5, 5, 3]), w4, [1, 5, 5, 4]),
      () => gpu.conv2dTranspose(up(zeros([1, 5, 5, 3])), up(w4), [1, 5, 5, 4]),
    ],
    [
      'conv2dBackpropFilter filterShape of 3 sizes',
      () => conv2dBackpropFilter(x, [3, 3, 4], zeros([1, 3, 3, 2])),
      () => gpu.conv2dBackpropFilter(up(x), [3, 3, 4], up(zeros([1, 3, 3, 2]))),
    ],
    [
      'extractImagePatches sizes of 2 values',
      () => extractImagePatches(x, { sizes: [2, 2] } as unknown as PatchesOptions),
      () => gpu.extractImagePatches(up(x), { sizes: [2, 2] } as unknown as PatchesOptions),
    ],
  ];
  for (const [label, cpu, gpuCall] of cases) assertSameError(cpu, gpuCall, label);
});

test('webgpu ops name GPU-only mistakes: host tensors, unknown kernels, unknown options', () => {
  const x = tensor([1, 2, 3, 4], [1, 2, 2, 1]);
  const w = tensor([1], [1, 1, 1, 1]);
  assert.throws(
    () => gpu.conv2d(x as unknown as GpuTensor, up(w)),
    (e: Error) =>
      e instanceof InvalidArgumentError && /^conv2d: input must be a GpuTensor .*gpu\.upload/.test(e.message),
    'a host Tensor',
  );
  assert.throws(
    () => gpu.conv2d(up(x), up(w), { algorithm: 'fft' as 'direct' }),
    (e: Error) =>
      e instanceof InvalidArgumentError && /algorithm on the GPU must be one of .*'igemm'/.test(e.message),
    'a CPU-only algorithm',
  );
  assert.throws(
    () => gpu.conv2d(up(x), up(w), { threads: 2 } as never),
    (e: Error) => e instanceof InvalidArgumentError && /unknown option "threads"/.test(e.message),
    'an option the GPU does not take',
  );
  assert.throws(() => gpu.upload([1, 2] as unknown as Tensor), InvalidArgumentError, 'upload of an array');
});

test('a disposed GpuTensor cannot be read or passed to an op', async () => {
  const t = up(tensor([1, 2, 3], [3]));
  assert.deepEqual(Array.from((await t.read()).data), [1, 2, 3], 'readable before dispose');
  t.dispose();
  assert.equal(t.disposed, true, 'disposed flag');
  await assert.rejects(
    t.read(),
    (e: Error) => e instanceof InvalidArgumentError && /disposed/.test(e.message),
    'read after dispose',
  );
  const x = up(zeros([1, 3, 3, 1]));
  const w = up(zeros([1, 1, 1, 1]));
  w.dispose();
  assert.throws(
    () => gpu.conv2d(x, w),
    (e: Error) =>
      e instanceof InvalidArgumentError && /^conv2d: filter is a GpuTensor .* disposed/.test(e.message),
    'op on a disposed filter',
  );
  t.dispose(); // disposing twice is harmless
});

test('buffers over the device limit are refused with ResourceExhaustedError before any work', async () => {
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  // The input gradient of a [1, 16384, 16384, 2] input (2 GiB of float32, under the CPU's 4 GiB cap)
  // from a stride-16384 1x1 filter: tiny arguments, an output larger than the adapter's 1 GiB bindings.
  const height = 16384;
  assert.ok(height * height * 2 * 4 > limit, `the output must pass the ${limit}-byte limit`);
  assert.throws(
    () =>
      gpu.conv2dBackpropInput([1, height, height, 2], up(zeros([1, 1, 2, 1])), up(zeros([1, 1, 1, 1])), {
        strides: height,
      }),
    (e: Error) =>
      e instanceof ResourceExhaustedError &&
      /^conv2dBackpropInput: result of shape \[1,16384,16384,2\] needs 2147483648 bytes on the GPU, more than this device's max(StorageBufferBinding|Buffer)Size/.test(
        e.message,
      ),
    'refused with the size and the limit named',
  );
  // The device is unharmed.
  const y = await gpu.conv2d(up(tensor([1, 2, 3, 4], [1, 2, 2, 1])), up(tensor([2], [1, 1, 1, 1]))).read();
  assert.deepEqual(Array.from(y.data), [2, 4, 6, 8], 'later work still runs');
});

test('webgpu({ limits }) plans and refuses as a smaller device would', async () => {
  const tiny = await webgpu({ limits: { maxStorageBufferBindingSize: 1024 } });
  assert.equal(tiny.limits.maxStorageBufferBindingSize, 1024, 'lowered');
  assert.throws(
    () => tiny.upload(zeros([300])),
    (e: Error) =>
      e instanceof ResourceExhaustedError &&
      e.message ===
        "upload: tensor of shape [300] needs 1200 bytes on the GPU, more than this device's " +
          'maxStorageBufferBindingSize (1024 bytes); split the batch or use the CPU ops',
    'an upload over the lowered limit',
  );
  // Winograd's transformed input would not fit one binding: igemm runs instead, and says why.
  const plan = tiny.planConv2d([1, 6, 6, 4], [3, 3, 4, 4], { padding: 'SAME', algorithm: 'winograd' });
  assert.equal(plan.algorithm, 'igemm', plan.reason);
  assert.match(plan.reason, /transformed data needs \d+ bytes, more than one 1024-byte binding/, plan.reason);
  // The filter gradient's partial sums are cut to the slices that fit: 4 (of the 10 rows) of 54 values.
  const x = tensor(
    Array.from({ length: 2 * 9 * 6 * 2 }, (_, i) => Math.sin(i)),
    [2, 9, 6, 2],
  );
  const dy = tensor(
    Array.from({ length: 2 * 5 * 3 * 3 }, (_, i) => Math.cos(i)),
    [2, 5, 3, 3],
  );
  const options = { strides: 2, padding: 'SAME' as const };
  const got = await tiny.conv2dBackpropFilter(tiny.upload(x), [3, 3, 2, 3], tiny.upload(dy), options).read();
  const want = conv2dBackpropFilter(x, [3, 3, 2, 3], dy, options);
  for (let i = 0; i < want.size; i++) {
    assert.ok(
      Math.abs(got.data[i] - want.data[i]) <= 1e-5 * 8,
      `filter gradient ${i}: ${got.data[i]} vs ${want.data[i]}`,
    );
  }
  await assert.rejects(
    webgpu({ limits: { maxWorkgroups: 4 } as never }),
    (e: Error) => e instanceof InvalidArgumentError && /unknown limit "maxWorkgroups"/.test(e.message),
    'an unknown limit',
  );
  tiny.dispose();
});

test('device loss rejects pending reads with WebGPUDeviceLostError, and later ops too', async () => {
  const other = await webgpu();
  const x = other.upload(
    tensor(
      Array.from({ length: 64 * 64 * 8 }, (_, i) => i % 7),
      [1, 64, 64, 8],
    ),
  );
  const w = other.upload(
    tensor(
      Array.from({ length: 9 * 8 * 8 }, (_, i) => i % 5),
      [3, 3, 8, 8],
    ),
  );
  const y = other.conv2d(x, w, { padding: 'SAME' });
  assert.throws(
    () => gpu.conv2d(x, up(zeros([3, 3, 8, 8]))),
    (e: Error) => e instanceof InvalidArgumentError && /another WebGPU backend/.test(e.message),
    "another backend's tensor",
  );
  const pending = y.read();
  other.dispose();
  await assert.rejects(
    pending,
    (e: Error) =>
      e instanceof WebGPUDeviceLostError && /^GpuTensor\.read: the GPU device was destroyed/.test(e.message),
    'the pending read rejects (no partial data)',
  );
  assert.equal(other.lost, true, 'backend reports the loss');
  await assert.rejects(x.read(), WebGPUDeviceLostError, 'a read started after the loss');
  assert.throws(() => other.conv2d(x, w), WebGPUDeviceLostError, 'an op after the loss');
  assert.throws(() => other.upload(zeros([1])), WebGPUDeviceLostError, 'an upload after the loss');
});

test('webgpu() without an adapter or without the webgpu package says what is missing', async () => {
  const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
  await assert.rejects(
    webgpu({ gpu: noAdapter }),
    (e: Error) => e instanceof WebGPUUnavailableError && /found no adapter/.test(e.message),
    'no adapter',
  );
  await assert.rejects(
    webgpu({ powerPreference: 'fast' as 'low-power' }),
    InvalidArgumentError,
    'bad powerPreference',
  );
  // A Node process where `webgpu` cannot be resolved.
  const script =
    "import('./src/index.ts').then(({ webgpu }) => webgpu()).then(" +
    "() => console.log('no error'), (e) => console.log(e.name + ': ' + e.message))";
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './test/helpers/hide_webgpu_package.mjs',
      '--input-type=module',
      '-e',
      script,
    ],
    { encoding: 'utf8' },
  );
  assert.match(
    child.stdout,
    /^WebGPUUnavailableError: webgpu: Node has no navigator\.gpu and the `webgpu` package \(Dawn\) could not be loaded/,
    `child output: ${child.stdout} ${child.stderr}`,
  );
});
