/**
 * The page's convolution as code: convkit, TensorFlow (tf.nn.conv2d) and PyTorch
 * (torch.nn.functional.conv2d). Pads and shapes come from the explanation; values are inlined when
 * there are few of them.
 */
import { exact } from './format.js';
import type { Model } from './model.js';
import { paddingOption } from './state.js';

/** Inline at most this many values per tensor; beyond it the code draws random ones. */
const MAX_INLINE_VALUES = 200;

function list(values: ArrayLike<number>): string {
  return `[${Array.from(values, (v) => exact(v)).join(', ')}]`;
}

function wrapValues(values: ArrayLike<number>, indent: string): string {
  const parts = Array.from(values, (v) => exact(v));
  const lines: string[] = [];
  let line = '';
  for (const p of parts) {
    if (line.length + p.length + 2 > 72) {
      lines.push(line);
      line = '';
    }
    line += (line ? ', ' : '') + p;
  }
  if (line) lines.push(line);
  return lines.length <= 1
    ? `[${lines[0] ?? ''}]`
    : `[\n${lines.map((l) => `${indent}  ${l}`).join(',\n')},\n${indent}]`;
}

const py = (shape: readonly number[]): string => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

export function convkitCode(model: Model): string {
  const s = model.state;
  const e = model.explanation;
  const inline = model.x.length <= MAX_INLINE_VALUES && model.w.length <= MAX_INLINE_VALUES;
  const padding = paddingOption(s.padding, s.dataFormat);
  const options = [
    `strides: ${list(s.strides)}`,
    `padding: ${typeof padding === 'string' ? `'${padding}'` : JSON.stringify(padding)}`,
    s.dataFormat !== 'NHWC' ? `dataFormat: '${s.dataFormat}'` : null,
    s.dilations.some((d) => d !== 1) ? `dilations: ${list(s.dilations)}` : null,
  ].filter(Boolean);
  const values = inline
    ? [
        `const input = tensor(${wrapValues(model.x, '')}, ${list(e.inputShape)});`,
        `const filter = tensor(${wrapValues(model.w, '')}, ${list(e.filterShape)}); // [height, width, in, out]`,
      ]
    : [
        `const input = randomNormal(${list(e.inputShape)}, { seed: 1 });`,
        `const filter = randomNormal(${list(e.filterShape)}, { seed: 2 }); // [height, width, in, out]`,
      ];
  return [
    `import { ${inline ? 'tensor' : 'randomNormal'}, conv2d, explainConv2d } from 'convkit';`,
    '',
    ...values,
    `const output = conv2d(input, filter, { ${options.join(', ')} });`,
    `console.log(output.shape); // ${list(e.outputShape)}`,
    'console.log(output.toString());',
    '',
    '// Everything this page shows, as plain data:',
    `const why = explainConv2d(input, filter, { ${options.join(', ')} });`,
    'console.log(why.values?.breakdowns[0]?.text);',
  ].join('\n');
}

export function tensorflowCode(model: Model): string {
  const s = model.state;
  const e = model.explanation;
  const g = e.geometry;
  const inline = model.x.length <= MAX_INLINE_VALUES && model.w.length <= MAX_INLINE_VALUES;
  const four = (pair: number[]): string =>
    s.dataFormat === 'NHWC' ? `[1, ${pair[0]}, ${pair[1]}, 1]` : `[1, 1, ${pair[0]}, ${pair[1]}]`;
  const padding = paddingOption(s.padding, s.dataFormat);
  const lines = ['import tensorflow as tf', ''];
  if (inline) {
    lines.push(
      `x = tf.reshape(tf.constant(${wrapValues(model.x, '')}, tf.float32), ${list(e.inputShape)})`,
      `w = tf.reshape(tf.constant(${wrapValues(model.w, '')}, tf.float32), ${list(e.filterShape)})  # HWIO`,
    );
  } else {
    lines.push(
      `x = tf.random.normal(${list(e.inputShape)})`,
      `w = tf.random.normal(${list(e.filterShape)})  # HWIO`,
    );
  }
  lines.push(
    `y = tf.nn.conv2d(x, w, strides=${four([g.strideHeight, g.strideWidth])}, padding=${
      typeof padding === 'string' ? `'${padding}'` : JSON.stringify(padding)
    },`,
    `                 data_format='${s.dataFormat}', dilations=${four([g.dilationHeight, g.dilationWidth])})`,
    `print(y.shape)  # ${py(e.outputShape)}`,
  );
  if (s.dataFormat === 'NCHW')
    lines.push('# TensorFlow runs NCHW conv2d on GPUs only; on a CPU transpose to NHWC first.');
  return lines.join('\n');
}

export function pytorchCode(model: Model): string {
  const s = model.state;
  const e = model.explanation;
  const g = e.geometry;
  const p = e.padding;
  const inline = model.x.length <= MAX_INLINE_VALUES && model.w.length <= MAX_INLINE_VALUES;
  const lines = ['import torch', 'import torch.nn.functional as F', ''];
  const toNchw = s.dataFormat === 'NHWC' ? '.permute(0, 3, 1, 2)  # NHWC -> NCHW' : '  # already NCHW';
  if (inline) {
    lines.push(
      `x = torch.tensor(${wrapValues(model.x, '')}, dtype=torch.float32).reshape${py(e.inputShape)}${toNchw}`,
      `w = torch.tensor(${wrapValues(model.w, '')}, dtype=torch.float32).reshape${py(e.filterShape)}`,
    );
  } else {
    lines.push(
      `x = torch.randn${py(e.inputShape)}${toNchw}`,
      `w = torch.randn${py(e.filterShape)}  # TensorFlow's HWIO`,
    );
  }
  lines.push('w = w.permute(3, 2, 0, 1)  # HWIO -> OIHW, the layout PyTorch wants');
  const symmetric = p.top === p.bottom && p.left === p.right;
  if (p.mode === 'SAME') {
    lines.push(
      "# PyTorch has no asymmetric SAME: its padding='same' (stride 1 only) pads both sides alike, while",
      "# TensorFlow's SAME puts an odd extra row/column at the bottom/right. So pass TensorFlow's exact pads.",
    );
  }
  let paddingArg: string;
  if (p.top + p.bottom + p.left + p.right === 0) paddingArg = '0';
  else if (symmetric) paddingArg = `(${p.top}, ${p.left})`;
  else {
    lines.push(
      `# Pads top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right} are uneven, which padding= cannot say:`,
      '# pad first (F.pad takes left, right, top, bottom).',
      `x = F.pad(x, (${p.left}, ${p.right}, ${p.top}, ${p.bottom}))`,
    );
    paddingArg = '0';
  }
  lines.push(
    `y = F.conv2d(x, w, stride=(${g.strideHeight}, ${g.strideWidth}), padding=${paddingArg}, dilation=(${g.dilationHeight}, ${g.dilationWidth}))`,
  );
  if (g.groups > 1) lines[lines.length - 1] = lines[lines.length - 1].replace(/\)$/, `, groups=${g.groups})`);
  if (s.dataFormat === 'NHWC')
    lines.push('y = y.permute(0, 2, 3, 1)  # back to NHWC, as TensorFlow returns it');
  lines.push(`print(y.shape)  # ${py(e.outputShape)}`);
  return lines.join('\n');
}
