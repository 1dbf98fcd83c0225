/**
 * The graph rewritten into the operations the executor runs, once per model (batch-independent):
 * with `fuse`, BatchNormalization is folded into the preceding convolution's or Dense's weights and
 * bias, and a following residual Add and activation become that convolution's epilogue (bias +
 * residual + activation in one pass over its output). Without `fuse` every layer is its own operation
 * (the unfused reference the tests compare against).
 */
import type { Graph, GraphNode } from './graph.js';
import type { LayerDef, Pointwise } from './layers.js';
import { batchNormAffine } from './kernels.js';

export type ConvDef = Extract<LayerDef, { kind: 'conv' | 'depthwise' | 'separable' | 'transpose' | 'dense' }>;

/** A convolution-like layer with its epilogue. */
export interface ConvOp {
  type: 'conv';
  def: ConvDef;
  /** The graph nodes it stands for (the convolution first), for summaries and profiles. */
  names: string[];
  input: number;
  output: number;
  filter: Float32Array;
  /** SeparableConv2D's 1x1 filter. */
  pointwise: Float32Array | null;
  bias: Float32Array | null;
  residual: number | null;
  activation: Pointwise | null;
}

/** Any other layer, run by its kernel. */
export interface LayerOp {
  type: 'layer';
  def: LayerDef;
  names: string[];
  inputs: number[];
  output: number;
  weights: Map<string, Float32Array>;
}

export type Op = ConvOp | LayerOp;

const CONV_KINDS = new Set(['conv', 'depthwise', 'separable', 'transpose', 'dense']);

function isConv(def: LayerDef): def is ConvDef {
  return CONV_KINDS.has(def.kind);
}

/** Scales each output channel of a filter (output channel = index mod channels for HWIO, HWCM, [in, units]). */
function scaleOutputs(filter: Float32Array, scale: Float32Array): Float32Array {
  const out = new Float32Array(filter.length);
  const c = scale.length;
  for (let i = 0; i < filter.length; i++) out[i] = filter[i] * scale[i % c];
  return out;
}

export function buildOps(graph: Graph, weights: Map<string, Map<string, Float32Array>>, fuse: boolean): Op[] {
  const consumers = new Map<number, GraphNode[]>();
  const nodeIndex = new Map<GraphNode, number>();
  const position = new Map<Op, number>();
  graph.nodes.forEach((n, i) => {
    nodeIndex.set(n, i);
    for (const t of n.inputs) consumers.set(t, [...(consumers.get(t) ?? []), n]);
  });
  const outputs = new Set(graph.outputs);
  const absorbed = new Set<GraphNode>();
  const ops: Op[] = [];
  graph.nodes.forEach((node, index) => {
    if (absorbed.has(node)) return;
    const w = weights.get(node.layer.key) ?? new Map<string, Float32Array>();
    const def = node.layer.def;
    if (!isConv(def)) {
      const layer: LayerOp = {
        type: 'layer',
        def,
        names: [def.name],
        inputs: node.inputs,
        output: node.output,
        weights: w,
      };
      ops.push(layer);
      position.set(layer, index);
      return;
    }
    const op: ConvOp = {
      type: 'conv',
      def,
      names: [def.name],
      input: node.inputs[0],
      output: node.output,
      filter:
        def.kind === 'depthwise' || def.kind === 'separable' ? w.get('depthwise_kernel')! : w.get('kernel')!,
      pointwise: def.kind === 'separable' ? w.get('pointwise_kernel')! : null,
      bias: w.get('bias') ?? null,
      residual: null,
      activation: def.activation === 'linear' ? null : { fn: def.activation },
    };
    ops.push(op);
    position.set(op, index);
    if (!fuse) return;
    // Follow the single-consumer chain after the convolution while its next layer can join the epilogue.
    for (;;) {
      const next = consumers.get(op.output);
      if (!next || next.length !== 1 || outputs.has(op.output)) break;
      const n = next[0];
      if (absorbed.has(n)) break;
      const nd = n.layer.def;
      const nw = weights.get(n.layer.key) ?? new Map<string, Float32Array>();
      if (
        nd.kind === 'batchnorm' &&
        op.activation === null &&
        op.residual === null &&
        def.kind !== 'transpose'
      ) {
        const { scale, shift } = batchNormAffine(
          nw.get('moving_mean')!,
          nw.get('moving_variance')!,
          nw.get('gamma'),
          nw.get('beta'),
          nd.epsilon,
        );
        if (op.pointwise) op.pointwise = scaleOutputs(op.pointwise, scale);
        else op.filter = scaleOutputs(op.filter, scale);
        const bias = new Float32Array(scale.length);
        for (let k = 0; k < bias.length; k++) bias[k] = (op.bias ? op.bias[k] * scale[k] : 0) + shift[k];
        op.bias = bias;
      } else if (
        nd.kind === 'add' &&
        n.inputs.length === 2 &&
        op.activation === null &&
        op.residual === null &&
        n.inputs[0] !== n.inputs[1]
      ) {
        const other = n.inputs[0] === op.output ? n.inputs[1] : n.inputs[0];
        // Same shape only (no broadcasting in the epilogue). The other operand exists by the Add's
        // position, which is where the fused operation runs (see `position` below).
        if (graph.shapes[other].join() !== graph.shapes[op.output].join()) break;
        op.residual = other;
      } else if (nd.kind === 'pointwise' && op.activation === null) {
        op.activation = nd.op;
      } else if (
        nd.kind === 'softmax' &&
        op.activation === null &&
        (nd.axis === -1 || nd.axis === graph.shapes[op.output].length)
      ) {
        op.activation = { fn: 'softmax' };
      } else if (nd.kind === 'identity') {
        // Dropout at inference: nothing to do.
      } else break;
      absorbed.add(n);
      op.names.push(nd.name);
      op.output = n.output;
      position.set(op, nodeIndex.get(n)!);
    }
  });
  // A fused operation runs where its last layer was: every input it reads (the residual too) is made
  // before that in topological order, and everything reading its output comes after.
  return ops
    .map((o) => ({ o, at: position.get(o)! }))
    .sort((a, b) => a.at - b.at)
    .map(({ o }) => o);
}
