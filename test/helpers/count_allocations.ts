/**
 * Child process for runtime_allocations.test.ts: counts the Float32Arrays that get new memory (made
 * with a length or from values; views of existing buffers do not count) during LayersModel.predict
 * after warm-up. Float32Array is replaced before any module loads, so every `new Float32Array(n)` and
 * every `.slice()` in convkit goes through the counting subclass. Prints JSON.
 */
let counting = false;
let count = 0;
const Base = globalThis.Float32Array;
class CountingFloat32Array extends Base {
  constructor(...args: unknown[]) {
    // @ts-expect-error -- forwarding every constructor form
    super(...args);
    const first = args[0];
    const view =
      first instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== 'undefined' && first instanceof SharedArrayBuffer);
    if (counting && !view) count++;
  }
}
globalThis.Float32Array = CountingFloat32Array as unknown as Float32ArrayConstructor;

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
const tfl = await import('@tensorflow/tfjs-layers');
const { artifactsOf, randomInput, seedWeights } = await import('./tfjs_models.js');
const { loadLayersModel } = await import('../../src/runtime/index.js');

await tf.setBackend('cpu');
const L = tfl.layers;
type Sym = import('@tensorflow/tfjs-layers').SymbolicTensor;
const ap = (layer: import('@tensorflow/tfjs-layers').layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
const input = tfl.input({ shape: [16, 16, 8] });
let x = ap(L.rescaling({ scale: 0.5, offset: 0.1 }), input);
x = ap(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false }), x);
x = ap(L.reLU({ maxValue: 6 }), ap(L.batchNormalization(), x));
const branch = ap(L.separableConv2d({ filters: 16, kernelSize: 3, padding: 'same' }), x);
x = ap(L.add(), [x, branch]);
x = ap(
  L.batchNormalization(),
  ap(L.concatenate(), [x, ap(L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }), x)]),
);
x = ap(L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), ap(L.zeroPadding2d({ padding: 1 }), x));
x = ap(L.averagePooling2d({ poolSize: 2, padding: 'same' }), x);
const gate = ap(
  L.reshape({ targetShape: [1, 1, 32] }),
  ap(L.dense({ units: 32, activation: 'sigmoid' }), ap(L.globalMaxPooling2d({}), x)),
);
x = ap(L.softmax({ axis: -1 }), ap(L.multiply(), [x, gate]));
x = ap(L.dense({ units: 5 }), ap(L.dropout({ rate: 0.5 }), ap(L.flatten(), x)));
const model = tfl.model({ inputs: input, outputs: x });
seedWeights(model, 3);
const ours = await loadLayersModel(await artifactsOf(model));
const xs = randomInput([2, 16, 16, 8], 1);
const result: Record<string, number> = { outputs: ours.outputs.length, steps: ours.steps(2).length };
/** New Float32Arrays per warm predict of `m` on `threads` threads. */
function perPredict(m: typeof ours, x: typeof xs, threads: number): number {
  for (let i = 0; i < 3; i++) m.predict(x, { threads });
  count = 0;
  counting = true;
  for (let i = 0; i < 20; i++) m.predict(x, { threads });
  counting = false;
  return count / 20;
}
for (const threads of [1, 2]) result[`threads${threads}`] = perPredict(ours, xs, threads);

// Steps that write their slot themselves: Conv2DTranspose (direct at batch 1, wasm at batch 2) and the
// FFT (11x11 filters; 14 input channels staged into a padded copy).
const edgeInput = tfl.input({ shape: [8, 8, 4] });
let e = ap(L.conv2dTranspose({ filters: 6, kernelSize: 2, strides: 3, activation: 'relu' }), edgeInput);
e = ap(L.conv2d({ filters: 14, kernelSize: 1 }), e);
e = ap(L.conv2d({ filters: 24, kernelSize: 11, padding: 'same' }), e);
e = ap(L.conv2dTranspose({ filters: 8, kernelSize: 2, strides: 3 }), e);
const edgeModel = tfl.model({ inputs: edgeInput, outputs: e });
seedWeights(edgeModel, 4);
const edge = await loadLayersModel(await artifactsOf(edgeModel));
result.edgeAlgorithms = edge.steps().filter((s) => /^(fft|conv2dTranspose)/.test(s.algorithm)).length;
for (const batch of [1, 2])
  result[`edgeBatch${batch}`] = perPredict(edge, randomInput([batch, 8, 8, 4], 2), 1);

// A 1x1 convolution and the depthwise layer reading it, run in row bands on one thread (1.1 MB of
// expanded rows an image).
const bandInput = tfl.input({ shape: [40, 40, 8] });
let band = ap(L.conv2d({ filters: 176, kernelSize: 1, activation: 'relu6' }), bandInput);
band = ap(L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }), band);
const bandModel = tfl.model({ inputs: bandInput, outputs: band });
seedWeights(bandModel, 5);
const banded = await loadLayersModel(await artifactsOf(bandModel));
result.bandSteps = banded.steps(2, 1).filter((s) => s.parts).length;
result.bandBatch2 = perPredict(banded, randomInput([2, 40, 40, 8], 3), 1);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
