/**
 * Accuracy of algorithm: 'fft' on the suite's large-kernel shape ([1,64,64,16] x [15,15,16,16], SAME),
 * unit-normal data, against a float64 reference computed here: max |err| / max |ref| must stay within
 * 1e-4 (measured: about 2e-7 on the WebAssembly kernels, where float32 igemm is about 2e-6), on the
 * kernels conv2d uses and on the TypeScript kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conv2d, convGeometry, randomNormal } from '../src/index.js';
import { conv2dFftWith, fftBackend } from '../src/algorithms/fft.js';

const inputShape = [1, 64, 64, 16];
const filterShape = [15, 15, 16, 16];

/** conv2d, NHWC, stride 1, SAME, summed in float64. */
function reference(x: Float32Array, w: Float32Array): Float64Array {
  const [, h, wd, c] = inputShape;
  const [kh, kw, , k] = filterShape;
  const padTop = (kh - 1) >> 1;
  const padLeft = (kw - 1) >> 1;
  const out = new Float64Array(h * wd * k);
  const acc = new Float64Array(k);
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < wd; ox++) {
      acc.fill(0);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy - padTop + ky;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox - padLeft + kx;
          if (ix < 0 || ix >= wd) continue;
          for (let ch = 0; ch < c; ch++) {
            const v = x[(iy * wd + ix) * c + ch];
            const at = ((ky * kw + kx) * c + ch) * k;
            for (let oc = 0; oc < k; oc++) acc[oc] += v * w[at + oc];
          }
        }
      }
      out.set(acc, (oy * wd + ox) * k);
    }
  }
  return out;
}

function scaledError(y: Float32Array, ref: Float64Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(y[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return err / scale;
}

test('large-kernel shape: fft within 1e-4 of a float64 reference (max |err| / max |ref|)', (t) => {
  const x = randomNormal(inputShape, { seed: 1 });
  const w = randomNormal(filterShape, { seed: 2 });
  const ref = reference(x.data, w.data);
  const y = conv2d(x, w, { padding: 'SAME', algorithm: 'fft' });
  const error = scaledError(y.data, ref);
  const g = convGeometry('conv2d', inputShape, filterShape, { padding: 'SAME' });
  const viaTypescript = conv2dFftWith(g, x.data, w.data, fftBackend(true));
  const typescriptError = scaledError(viaTypescript, ref);
  t.diagnostic(
    `max|err|/max|ref|: ${fftBackend().isa} ${error.toExponential(2)}, typescript ${typescriptError.toExponential(2)}`,
  );
  assert.ok(error <= 1e-4, `fft (${fftBackend().isa}): ${error}`);
  assert.ok(typescriptError <= 1e-4, `fft (typescript): ${typescriptError}`);
  // Not a constant or empty answer: the reference has scale, and the result follows it everywhere.
  assert.ok(
    ref.some((v) => Math.abs(v) > 10),
    'ref.some((v) => Math.abs(v) > 10)',
  );
});
