/**
 * Every tf.nn.conv2d call in the seed question (seed/000_f3b3cd44ed4a6a3f.txt), in the order it asks
 * and answers them: the Python as the seed writes it, the convkit equivalent, and what convkit computes.
 * Random inputs use fixed seeds, so the walkthrough prints the same numbers every time.
 */
import { Tensor, randomNormal, tensor } from '../tensor.js';
import { conv2d, nn } from '../ops/conv2d.js';
import { extractImagePatches } from '../ops/extract_image_patches.js';
import { multiply } from '../ops/multiply.js';
import { reduceSum } from '../ops/reduce_sum.js';
import { concat } from '../ops/concat.js';
import { squeeze } from '../ops/squeeze.js';
import { explainConv2d } from '../explain/explain.js';
import type { Conv2dExplanation } from '../explain/types.js';
import { formatNumber, formatShape } from '../explain/numbers.js';
import { breakdownLine, centreMapLines } from './explain_text.js';
import { createLenet } from '../train/lenet.js';
import { Conv2D } from '../layers/conv2d_layer.js';
import type { Style } from './style.js';

export interface WalkthroughExample {
  title: string;
  /** The seed's code, as it writes it (TensorFlow 1.x Python). */
  python: string[];
  /** What the Python lines are, when not the seed's own code as it writes it. */
  pythonLabel?: string;
  /** The same thing with convkit's API. */
  typescript: string[];
  /** The same thing with the convkit command, as typed after `npm ci` (npx convkit ...). */
  cli: string;
  /** Runs it and describes the result, one line per entry. */
  run(style: Style): string[];
}

/** Largest |a - b| over two equally long arrays. */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function indented(text: string, indent = '    '): string[] {
  return text.split('\n').map((line) => (indent + line).trimEnd());
}

function sizeLines(e: Conv2dExplanation): string[] {
  return e.outputSize.map((d) => `out ${d.axis}: ${d.formula} -> ${d.substituted}`);
}

/** Checks a result against a claim and says so, green or red. */
function verdict(style: Style, ok: boolean, text: string): string {
  return ok ? style.good(`ok: ${text}`) : style.bad(`MISMATCH: ${text}`);
}

function shapeQuestion(): WalkthroughExample {
  return {
    title: 'The question: what shape does this give?',
    python: [
      'op = tf.shape(tf.nn.conv2d(tf.random_normal([1,10,10,10]),',
      '                           tf.random_normal([2,10,10,10]),',
      "                           strides=[1, 2, 2, 1], padding='SAME'))",
    ],
    typescript: [
      "nn.conv2d(randomNormal([1, 10, 10, 10]), randomNormal([2, 10, 10, 10]), [1, 2, 2, 1], 'SAME').shape",
    ],
    cli: 'npx convkit explain --input 1,10,10,10 --filter 2,10,10,10 --strides 1,2,2,1 --padding SAME',
    run: () => {
      const y = nn.conv2d(
        randomNormal([1, 10, 10, 10], { seed: 1 }),
        randomNormal([2, 10, 10, 10], { seed: 2 }),
        [1, 2, 2, 1],
        'SAME',
      );
      const e = explainConv2d([1, 10, 10, 10], [2, 10, 10, 10], { strides: [1, 2, 2, 1], padding: 'SAME' });
      return [
        `result shape: ${formatShape(y.shape)}`,
        ...sizeLines(e),
        `effective_k = (k - 1) * dilation + 1 is how many input pixels the filter spans along an axis: ` +
          `k itself without dilation (here ${e.geometry.filterHeight} rows, ${e.geometry.filterWidth} columns)`,
        ...e.padding.notes.slice(1),
        `the filter's in_channels ${e.filterShape[2]} matches the input's ${e.inputShape[3]} channels; its last ` +
          `number, ${e.filterShape[3]}, is how many filters there are, hence ${e.outputShape[3]} output channels`,
      ];
    },
  };
}

function oneByOne(style: Style): WalkthroughExample {
  const seedInput = [1.60314465, -0.55022103, 0.00595062, -0.69889867];
  const seedFilter = -0.59594476;
  const seedResult = [-0.95538563, 0.32790133, -0.00354624, 0.41650501];
  return {
    title: 'A 2x2 image, one channel, a 1x1 filter',
    python: [
      'input = tf.Variable(tf.random_normal([1,2,2,1]))',
      'filter = tf.Variable(tf.random_normal([1,1,1,1]))',
      "op = tf.nn.conv2d(input, filter, strides=[1, 1, 1, 1], padding='SAME')",
    ],
    typescript: [
      `const input = tensor([${seedInput.join(', ')}], [1, 2, 2, 1]);`,
      `const filter = tensor([${seedFilter}], [1, 1, 1, 1]);`,
      "nn.conv2d(input, filter, [1, 1, 1, 1], 'SAME');",
    ],
    cli:
      `npx convkit explain --input 1,2,2,1 --input-values ${seedInput.join(',')} ` +
      `--filter 1,1,1,1 --filter-values ${seedFilter} --padding SAME`,
    run: () => {
      const input = tensor(seedInput, [1, 2, 2, 1]);
      const filter = tensor([seedFilter], [1, 1, 1, 1]);
      const y = nn.conv2d(input, filter, [1, 1, 1, 1], 'SAME');
      const diff = maxDifference(y.data, Float32Array.from(seedResult));
      const e = explainConv2d(input, filter, { padding: 'SAME' });
      return [
        'input (the values the seed printed)',
        ...indented(input.toString()),
        'filter',
        ...indented(filter.toString()),
        'result',
        ...indented(y.toString()),
        verdict(
          style,
          diff <= 1e-6,
          `equals the seed's printed result [${seedResult.join(', ')}] within float32 rounding ` +
            `(largest difference ${diff.toExponential(1)})`,
        ),
        'each output is the filter value times one pixel:',
        ...(e.values?.breakdowns ?? []).map((b) => `  ${breakdownLine(b)}`),
      ];
    },
  };
}

function pointwiseChannels(style: Style): WalkthroughExample {
  return {
    title: 'More channels: a 3x3 image and a 1x1 filter, 5 channels each',
    python: [
      'input = tf.Variable(tf.random_normal([1,3,3,5]))',
      'filter = tf.Variable(tf.random_normal([1,1,5,1]))',
      "op = tf.nn.conv2d(input, filter, strides=[1, 1, 1, 1], padding='VALID')",
    ],
    typescript: ["nn.conv2d(randomNormal([1, 3, 3, 5]), randomNormal([1, 1, 5, 1]), [1, 1, 1, 1], 'VALID')"],
    cli: 'npx convkit explain --input 1,3,3,5 --filter 1,1,5,1 --padding VALID --random 3',
    run: () => {
      const x = randomNormal([1, 3, 3, 5], { seed: 3 });
      const w = randomNormal([1, 1, 5, 1], { seed: 4 });
      const y = nn.conv2d(x, w, [1, 1, 1, 1], 'VALID');
      const e = explainConv2d(x, w, { padding: 'VALID' });
      const first = e.values!.breakdowns[0];
      return [
        `result shape: ${formatShape(y.shape)}`,
        `each pixel is the dot product of the filter's 5 channels with that pixel's 5 channels, e.g.`,
        `  ${breakdownLine(first)}`,
        verdict(style, first.terms.length === 5, `${first.terms.length} products per output`),
      ];
    },
  };
}

function singleWindow(style: Style): WalkthroughExample {
  return {
    title: 'A 3x3 filter on a 3x3 image: one output',
    python: [
      'input = tf.Variable(tf.random_normal([1,3,3,5]))',
      'filter = tf.Variable(tf.random_normal([3,3,5,1]))',
      "op = tf.nn.conv2d(input, filter, strides=[1, 1, 1, 1], padding='VALID')",
    ],
    typescript: ["nn.conv2d(randomNormal([1, 3, 3, 5]), randomNormal([3, 3, 5, 1]), [1, 1, 1, 1], 'VALID')"],
    cli: 'npx convkit explain --input 1,3,3,5 --filter 3,3,5,1 --padding VALID --random 5',
    run: () => {
      const x = randomNormal([1, 3, 3, 5], { seed: 5 });
      const w = randomNormal([3, 3, 5, 1], { seed: 6 });
      const e = explainConv2d(x, w, { padding: 'VALID' });
      const only = e.values!.breakdowns[0];
      const sum = only.terms.reduce((acc, t) => acc + t.inputValue * t.weight, 0);
      return [
        `result shape: ${formatShape(e.outputShape)}`,
        `the one value, ${formatNumber(only.value)}, is the sum of 9 five-element dot products: ` +
          `a single ${only.terms.length}-element dot product`,
        verdict(
          style,
          only.terms.length === 45 && Math.abs(sum - only.value) <= 1e-5 * Math.max(1, Math.abs(sum)),
          `the ${only.terms.length} products add up to ${formatNumber(sum)}`,
        ),
      ];
    },
  };
}

function centresExample(
  style: Style,
  title: string,
  filterShape: number[],
  strides: number[],
  padding: 'SAME' | 'VALID',
  seedPicture: string[] | undefined,
  extra: (e: Conv2dExplanation, run: { x: Tensor; w: Tensor; y: Tensor }) => string[],
  batch = 1,
): WalkthroughExample {
  const shape = `[${batch},5,5,5]`;
  const filter = `[${filterShape.join(',')}]`;
  return {
    title,
    python: [
      `input = tf.Variable(tf.random_normal(${shape}))`,
      `filter = tf.Variable(tf.random_normal(${filter}))`,
      `op = tf.nn.conv2d(input, filter, strides=[${strides.join(', ')}], padding='${padding}')`,
    ],
    typescript: [
      `nn.conv2d(randomNormal([${batch}, 5, 5, 5]), randomNormal([${filterShape.join(', ')}]), ` +
        `[${strides.join(', ')}], '${padding}')`,
    ],
    cli:
      `npx convkit explain --input ${batch},5,5,5 --filter ${filterShape.join(',')} ` +
      `--strides ${strides.join(',')} --padding ${padding} --random 7`,
    run: () => {
      const x = randomNormal([batch, 5, 5, 5], { seed: 7 });
      const w = randomNormal(filterShape, { seed: 8 });
      const y = nn.conv2d(x, w, strides, padding);
      const e = explainConv2d(x, w, { strides, padding, maxBreakdowns: 0, at: [0, 0, 0, 0] });
      const lines = [`result shape: ${formatShape(y.shape)}`];
      if (seedPicture) {
        const drawn = e.centres.inputGrid ?? e.centres.grid;
        lines.push("where the filter's centre sits for each output (x), as the seed draws it:");
        lines.push(...centreMapLines(e.centres, '    '));
        lines.push(
          verdict(
            style,
            drawn.join('\n') === seedPicture.join('\n'),
            `the input-alone map is the seed's picture`,
          ),
        );
      }
      return [...lines, ...extra(e, { x, w, y })];
    },
  };
}

function workedExample(style: Style): WalkthroughExample {
  const k = [
    [1, 0, 1],
    [2, 1, 0],
    [0, 0, 1],
  ];
  const i = [
    [4, 3, 1, 0],
    [2, 1, 0, 1],
    [1, 2, 4, 1],
    [3, 1, 0, 2],
  ];
  return {
    title: 'The worked example: a 4x4 image and a 3x3 kernel, by hand and by conv2d',
    python: [
      "k = tf.constant([[1, 0, 1], [2, 1, 0], [0, 0, 1]], dtype=tf.float32, name='k')",
      "i = tf.constant([[4, 3, 1, 0], [2, 1, 0, 1], [1, 2, 4, 1], [3, 1, 0, 2]], dtype=tf.float32, name='i')",
      "kernel = tf.reshape(k, [3, 3, 1, 1], name='kernel')",
      "image = tf.reshape(i, [1, 4, 4, 1], name='image')",
      'res = tf.squeeze(tf.nn.conv2d(image, kernel, [1, 1, 1, 1], "VALID"))',
    ],
    typescript: [
      'const kernel = tensor([[1, 0, 1], [2, 1, 0], [0, 0, 1]]).reshape([3, 3, 1, 1]);',
      'const image = tensor([[4, 3, 1, 0], [2, 1, 0, 1], [1, 2, 4, 1], [3, 1, 0, 2]]).reshape([1, 4, 4, 1]);',
      "const res = squeeze(nn.conv2d(image, kernel, [1, 1, 1, 1], 'VALID'));",
    ],
    cli:
      'npx convkit explain --input 1,4,4,1 --input-values 4,3,1,0,2,1,0,1,1,2,4,1,3,1,0,2 ' +
      '--filter 3,3,1,1 --filter-values 1,0,1,2,1,0,0,0,1 --padding VALID',
    run: () => {
      const kernel = tensor(k).reshape([3, 3, 1, 1]);
      const image = tensor(i).reshape([1, 4, 4, 1]);
      const res = squeeze(nn.conv2d(image, kernel, [1, 1, 1, 1], 'VALID'));
      const e = explainConv2d(image, kernel, { padding: 'VALID' });
      const byHand = [14, 6, 6, 12];
      return [
        'res',
        ...indented(res.toString()),
        'each output as the seed computes it by hand:',
        ...e.values!.breakdowns.map((b) => `  - ${b.text}`),
        verdict(
          style,
          maxDifference(res.data, byHand) === 0,
          `conv2d gives the hand-computed ${byHand.join(', ')}`,
        ),
      ];
    },
  };
}

/** The last answer's own conv(ix, w): patches, one multiply + reduce_sum per filter column, concat. */
function handWrittenConv(ix: Tensor, w: Tensor): Tensor {
  const [filterHeight, filterWidth, inChannels, outChannels] = w.shape;
  const [, ixHeight, ixWidth, ixChannels] = ix.shape;
  const flatW = w.reshape([filterHeight * filterWidth * inChannels, outChannels]);
  const patches = extractImagePatches(ix, {
    sizes: [1, filterHeight, filterWidth, 1],
    strides: [1, 1, 1, 1],
    rates: [1, 1, 1, 1],
    padding: 'SAME',
  });
  const patchesReshaped = patches.reshape([-1, ixHeight, ixWidth, filterHeight * filterWidth * ixChannels]);
  const featureMaps: Tensor[] = [];
  for (let i = 0; i < outChannels; i++) {
    // flat_w[:, i]: column i of the flattened filter
    const column = tensor(Array.from({ length: flatW.shape[0] }, (_, r) => flatW.data[r * outChannels + i]));
    featureMaps.push(reduceSum(multiply(column, patchesReshaped), 3, true));
  }
  return concat(featureMaps, 3);
}

function handWritten(style: Style): WalkthroughExample {
  return {
    title: "The last answer's hand-written conv: patches x each filter column, summed",
    python: [
      'flat_w = tf.reshape(w, [filter_height * filter_width * in_channels, out_channels])',
      'patches = tf.extract_image_patches(ix, ksizes=[1, filter_height, filter_width, 1],',
      "                                   strides=[1, 1, 1, 1], rates=[1, 1, 1, 1], padding='SAME')",
      'patches_reshaped = tf.reshape(patches, [-1, ix_height, ix_width, filter_height * filter_width * ix_channels])',
      'for i in range(out_channels):',
      '    feature_map = tf.reduce_sum(tf.multiply(flat_w[:, i], patches_reshaped), axis=3, keep_dims=True)',
      '    feature_maps.append(feature_map)',
      'features = tf.concat(feature_maps, axis=3)',
    ],
    typescript: [
      'const flatW = w.reshape([fh * fw * inChannels, outChannels]);',
      "const patches = extractImagePatches(ix, { sizes: [1, fh, fw, 1], strides: [1, 1, 1, 1], rates: [1, 1, 1, 1], padding: 'SAME' });",
      'const patchesReshaped = patches.reshape([-1, ixHeight, ixWidth, fh * fw * ixChannels]);',
      'const columns = transpose(flatW, [1, 0]); // row i of columns is flat_w[:, i]',
      'const k = fh * fw * inChannels;',
      'for (let i = 0; i < outChannels; i++) {',
      '  const column = tensor(columns.data.subarray(i * k, (i + 1) * k));',
      '  featureMaps.push(reduceSum(multiply(column, patchesReshaped), 3, true));',
      '}',
      'const features = concat(featureMaps, 3);',
    ],
    cli: 'npx convkit explain --input 1,5,5,5 --filter 3,3,5,7 --padding SAME --random 9',
    run: () => {
      const ix = randomNormal([1, 5, 5, 5], { seed: 9 });
      const w = randomNormal([3, 3, 5, 7], { seed: 10 });
      const features = handWrittenConv(ix, w);
      const reference = conv2d(ix, w, { padding: 'SAME' });
      const diff = maxDifference(features.data, reference.data);
      const e = explainConv2d(ix.shape as number[], w.shape as number[], { padding: 'SAME' });
      return [
        `features shape: ${formatShape(features.shape)}; conv2d(ix, w, { padding: 'SAME' }) shape: ${formatShape(reference.shape)}`,
        verdict(
          style,
          diff <= 1e-5,
          `the hand-written conv equals conv2d within float32 rounding (largest difference ${diff.toExponential(1)})`,
        ),
        "it is TensorFlow's three steps, one filter column at a time:",
        ...e.im2col.steps.map((s, n) => `  ${n + 1}. ${s}`),
      ];
    },
  };
}

/** The Fourier answer: a filter as large as the image; conv becomes a pointwise product per channel. */
function fourierView(style: Style): WalkthroughExample {
  return {
    title: 'The Fourier view: seven 100x100x3 filters on a 100x100x3 image',
    pythonLabel: "TensorFlow (the seed's filter, with an image to match)",
    python: [
      'input = tf.Variable(tf.random_normal([1,100,100,3]))',
      'filter = tf.Variable(tf.random_normal([100,100,3,7]))',
      "op = tf.nn.conv2d(input, filter, strides=[1, 1, 1, 1], padding='SAME')",
    ],
    typescript: [
      "conv2d(randomNormal([1, 100, 100, 3]), randomNormal([100, 100, 3, 7]), { padding: 'SAME', algorithm: 'fft' })",
    ],
    cli: 'npx convkit explain --input 1,100,100,3 --filter 100,100,3,7 --padding SAME',
    run: () => {
      const x = randomNormal([1, 100, 100, 3], { seed: 11 });
      const w = randomNormal([100, 100, 3, 7], { seed: 12 });
      const y = conv2d(x, w, { padding: 'SAME', algorithm: 'fft' });
      // One output, summed directly (in double precision) from its 30000 products.
      const at = [0, 50, 50, 3];
      const e = explainConv2d(x, w, { padding: 'SAME', at, maxBreakdowns: 0 });
      const b = e.values!.breakdowns[0];
      let direct = 0;
      let scale = 0;
      for (const t of b.terms) {
        direct += t.inputValue * t.weight;
        scale += Math.abs(t.inputValue * t.weight);
      }
      const fromFft = y.data[(50 * 100 + 50) * 7 + 3];
      const diff = Math.abs(fromFft - direct);
      return [
        `result shape: ${formatShape(y.shape)}: 7 feature maps of 100x100, one per 100x100x3 filter cube`,
        'in the Fourier domain, sliding a filter over an image becomes a pointwise product of their ' +
          'transforms; the 3 channel products are summed, and one inverse transform gives a 100x100 map',
        "convkit's 'fft' algorithm computes conv2d that way (zero-padding the transforms, so the result is " +
          "conv2d's own and not a circular convolution); 'auto' picks it for large filters",
        verdict(
          style,
          diff <= 1e-5 * scale,
          `output ${formatShape(at)} from the FFT, ${formatNumber(fromFft)}, equals the direct sum of its ` +
            `${b.terms.length} products within float32 rounding (difference ${diff.toExponential(1)})`,
        ),
      ];
    },
  };
}

/** The Keras answer: the filter count is chosen, the filter weights are learned. */
function kerasLearnsFilters(style: Style): WalkthroughExample {
  return {
    title: 'Keras: you choose how many filters, training finds their weights',
    pythonLabel: "Keras (the seed's last answer, as code)",
    python: [
      "model.add(keras.layers.Conv2D(filters=8, kernel_size=5, activation='relu', input_shape=(28, 28, 1)))",
    ],
    typescript: ["new layers.Conv2D({ filters: 8, kernelSize: 5, activation: 'relu' })"],
    cli: 'npx convkit train-mnist --filters-png filters.png',
    run: () => {
      const model = createLenet({ seed: 1 });
      const conv = model.layers.find((l): l is Conv2D => l instanceof Conv2D)!;
      const kernel = conv.parameters().find((p) => p.name === 'kernel')!;
      return [
        `Conv2D({ filters: 8, kernelSize: 5 }) on 28x28x1 digits holds a kernel ${formatShape(kernel.shape)}: ` +
          'the filter argument of tf.nn.conv2d, 8 filters of 5x5x1',
        "they start random; each training step's gradient (conv2dBackpropFilter) moves them to lower the " +
          'loss, so the network finds its own edge and stroke detectors',
        'npx convkit train-mnist trains a small network on MNIST digits this way (about a minute), reports ' +
          'its accuracy on held-out digits and, with --filters-png, draws the 8 learned filters',
        verdict(style, kernel.shape.join() === '5,5,1,8', `the first layer's kernel is [5, 5, 1, 8]`),
      ];
    },
  };
}

export function walkthroughExamples(style: Style): WalkthroughExample[] {
  return [
    shapeQuestion(),
    oneByOne(style),
    pointwiseChannels(style),
    singleWindow(style),
    centresExample(
      style,
      'A bigger image: 5x5, 3x3 filter, VALID',
      [3, 3, 5, 1],
      [1, 1, 1, 1],
      'VALID',
      ['.....', '.xxx.', '.xxx.', '.xxx.', '.....'],
      () => ['each of the 9 outputs is the sum of 9 five-element dot products; the filter never sticks out'],
    ),
    centresExample(style, '"SAME" padding', [3, 3, 5, 1], [1, 1, 1, 1], 'SAME', undefined, (e) => {
      const corner = e.values!.breakdowns[0];
      const onImage = corner.terms.filter((t) => !t.padding).length / 5;
      return [
        'the filter is centred on every pixel; taps that stick out over the edge read zero padding',
        ...centreMapLines(e.centres, '    '),
        `the corner output [0, 0, 0, 0] is the sum of ${onImage} five-element dot products ` +
          `(${9 - onImage} of the 9 filter positions are on padding)`,
        verdict(style, onImage === 4, 'the seed says: the corners are sums of 4 five-element dot products'),
      ];
    }),
    centresExample(
      style,
      'Several filters: [3,3,5,7]',
      [3, 3, 5, 7],
      [1, 1, 1, 1],
      'SAME',
      undefined,
      (e) => [
        `filter ${formatShape(e.filterShape)}: ${e.axes.filter[3].meaning}`,
        `  (${e.axes.filter[2].meaning})`,
        `output ${formatShape(e.outputShape)}: ${e.axes.output[3].meaning}`,
      ],
    ),
    centresExample(
      style,
      'Stride 2',
      [3, 3, 5, 7],
      [1, 2, 2, 1],
      'SAME',
      ['x.x.x', '.....', 'x.x.x', '.....', 'x.x.x'],
      (e) => sizeLines(e),
    ),
    centresExample(
      style,
      'A batch of 10 images',
      [3, 3, 5, 7],
      [1, 2, 2, 1],
      'SAME',
      undefined,
      (e, { x, w, y }) => {
        // Image 3 on its own gives exactly the batch result's image 3: images never mix.
        const imageSize = x.size / x.shape[0];
        const image3 = new Tensor(x.data.slice(3 * imageSize, 4 * imageSize), [1, ...x.shape.slice(1)]);
        const alone = nn.conv2d(image3, w, [1, 2, 2, 1], 'SAME');
        const inBatch = y.data.subarray(3 * alone.size, 4 * alone.size);
        // The planner may pick another algorithm for the batch (summing in another order): compare
        // within float32 rounding.
        const diff = maxDifference(alone.data, inBatch);
        return [
          `input ${formatShape(e.inputShape)}: ${e.axes.input[0].meaning}; output: ${e.axes.output[0].meaning}`,
          verdict(
            style,
            diff <= 1e-5,
            'image 3 convolved on its own equals image 3 of the batch result within float32 rounding ' +
              `(largest difference ${diff.toExponential(1)})`,
          ),
        ];
      },
      10,
    ),
    workedExample(style),
    fourierView(style),
    handWritten(style),
    kerasLearnsFilters(style),
  ];
}
