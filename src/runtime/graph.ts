/**
 * The model's graph, from its Keras topology: Sequential and functional (Model / Functional) configs,
 * layers applied more than once (shared weights), nested Sequential / functional models (inlined, their
 * layers still shared across applications). Tensors are numbered; nodes come out in topological order
 * with each output shape (batch axis left out) inferred and checked. Cycles, references to layers or
 * nodes that do not exist, and outputs nothing produces are clear errors. Nothing here reads weights.
 */
import { invalid, show, UnsupportedModelError } from '../errors.js';
import {
  declaredInputShape,
  LayerReader,
  outputShape,
  readLayer,
  weightNeeds,
  type LayerDef,
  type WeightNeed,
} from './layers.js';

const op = 'loadLayersModel';

/** One layer object: possibly applied at several nodes, always with the same weights. */
export interface GraphLayer {
  /** Unique key: nested models' layer names are prefixed with the model's ('outer/inner'). */
  key: string;
  def: LayerDef;
  needs: WeightNeed[];
}

export interface GraphNode {
  layer: GraphLayer;
  inputs: number[];
  output: number;
}

export interface Graph {
  name: string;
  /** Per-example shape of each tensor, by id. */
  shapes: number[][];
  inputs: number[];
  /** The input layers' names, in input order. */
  inputNames: string[];
  outputs: number[];
  /** Topological order; only nodes the outputs depend on. */
  nodes: GraphNode[];
  layers: GraphLayer[];
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: unknown;
}

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function graphError(problem: string): never {
  throw new UnsupportedModelError(`${op}: ${problem}`);
}

function kerasLayer(value: unknown, where: string): KerasLayer {
  if (!isRecord(value) || typeof value.class_name !== 'string' || !isRecord(value.config)) {
    invalid(
      op,
      'modelTopology',
      `${where} must be {class_name, config} objects, got ${JSON.stringify(value)?.slice(0, 200)}`,
    );
  }
  return value as unknown as KerasLayer;
}

/** [layer name, node index, tensor index] references in an inbound node (Keras 2 / TF.js and Keras 3 forms). */
function nodeRefs(node: unknown, layer: string): [string, number, number][] {
  const refs: [string, number, number][] = [];
  const ref = (v: unknown): boolean => {
    if (
      Array.isArray(v) &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'number' &&
      typeof v[2] === 'number'
    ) {
      refs.push([v[0], v[1], v[2]]);
      return true;
    }
    return false;
  };
  const walk = (v: unknown): void => {
    if (ref(v)) return;
    if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) {
      if (v.class_name === '__keras_tensor__' && isRecord(v.config)) ref(v.config.keras_history);
      else if (Array.isArray(v.args)) walk(v.args);
    }
  };
  walk(node);
  if (refs.length === 0)
    graphError(`layer '${layer}' has an inbound node with no input tensors: ${JSON.stringify(node)}`);
  return refs;
}

function refList(value: unknown, what: string): [string, number, number][] {
  const list = Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0)
    invalid(op, 'modelTopology', `${what} must list [layer, node, tensor] references`);
  return list.map((v) => {
    if (!Array.isArray(v) || typeof v[0] !== 'string')
      invalid(op, 'modelTopology', `${what} has a bad reference ${show(v)}`);
    return [v[0], (v[1] as number) ?? 0, (v[2] as number) ?? 0];
  });
}

class GraphBuilder {
  shapes: number[][] = [];
  nodes: GraphNode[] = [];
  layers = new Map<string, GraphLayer>();
  inputNames: string[] = [];

  tensor(shape: number[]): number {
    this.shapes.push(shape);
    return this.shapes.length - 1;
  }

  /** Applies a (non-model) layer to `inputs`; the layer object is shared by key. */
  apply(key: string, layer: KerasLayer, inputs: number[]): number {
    let g = this.layers.get(key);
    const def =
      g?.def ?? readLayer(layer.class_name, { ...layer.config, name: layer.config.name ?? layer.name });
    const inShapes = inputs.map((t) => this.shapes[t]);
    const shape = outputShape(def, inShapes);
    const needs = weightNeeds(def, inShapes);
    if (!g) {
      g = { key, def, needs };
      this.layers.set(key, g);
    } else if (JSON.stringify(g.needs) !== JSON.stringify(needs)) {
      graphError(
        `shared layer '${def.name}' (${def.className}) is applied to inputs of different shapes ${show(inShapes)}`,
      );
    }
    const output = this.tensor(shape);
    this.nodes.push({ layer: g, inputs, output });
    return output;
  }

  /** Adds a model's layers; `inputs` null at the top level (the model's own input layers make them). */
  model(model: KerasLayer, inputs: number[] | null, scope: string): { outputs: number[]; inputs: number[] } {
    const config = model.config as Record<string, unknown> | unknown[];
    if (model.class_name === 'Sequential') return this.sequential(config, inputs, scope);
    if (!isRecord(config)) invalid(op, 'modelTopology', `${model.class_name} config must be an object`);
    return this.functional(config, inputs, scope);
  }

  private child(layer: KerasLayer, inputs: number[], scope: string): number[] {
    const name = (layer.config.name as string | undefined) ?? layer.name ?? layer.class_name;
    if (MODEL_CLASSES.has(layer.class_name)) {
      const { outputs } = this.model(layer, inputs, `${scope}${name}/`);
      return outputs;
    }
    if (layer.class_name === 'InputLayer') return inputs;
    return [this.apply(`${scope}${name}`, layer, inputs)];
  }

  private sequential(config: Record<string, unknown> | unknown[], inputs: number[] | null, scope: string) {
    // Keras before 2.2.3 stored a Sequential config as the bare list of layers.
    const list = Array.isArray(config) ? config : config.layers;
    if (!Array.isArray(list) || list.length === 0)
      invalid(op, 'modelTopology', 'a Sequential config must hold a non-empty layers list');
    const layers = list.map((l, i) => kerasLayer(l, `Sequential layer ${i}`));
    let current = inputs;
    if (current === null) {
      const first = layers[0];
      const r = new LayerReader(
        String(first.config.name ?? first.class_name),
        first.class_name,
        first.config,
      );
      const shape = declaredInputShape(r);
      if (shape === null) {
        graphError(
          `the first layer '${r.name}' (${r.className}) records no input shape (batch_input_shape); convkit needs it`,
        );
      }
      current = [this.tensor(shape)];
      this.inputNames.push(first.class_name === 'InputLayer' ? r.name : 'input');
    }
    const modelInputs = current;
    for (const layer of layers) {
      current = this.child(layer, current, scope);
      if (current.length !== 1)
        graphError(`a nested model inside a Sequential must have one output, got ${current.length}`);
    }
    return { inputs: modelInputs, outputs: current };
  }

  private functional(config: Record<string, unknown>, inputs: number[] | null, scope: string) {
    const list = config.layers;
    if (!Array.isArray(list) || list.length === 0)
      invalid(op, 'modelTopology', 'a functional config must hold a non-empty layers list');
    const byName = new Map<string, { layer: KerasLayer; nodes: [string, number, number][][] }>();
    for (const [i, raw] of list.entries()) {
      const layer = kerasLayer(raw, `layer ${i}`);
      const name = layer.name ?? (layer.config.name as string | undefined);
      if (typeof name !== 'string')
        invalid(op, 'modelTopology', `layer ${i} (${layer.class_name}) has no name`);
      if (byName.has(name)) graphError(`two layers are named '${name}'`);
      const inbound = layer.inbound_nodes ?? [];
      if (!Array.isArray(inbound))
        invalid(op, 'modelTopology', `layer '${name}' inbound_nodes must be a list`);
      byName.set(name, { layer, nodes: inbound.map((n) => nodeRefs(n, name)) });
    }
    const produced = new Map<string, number[]>();
    const inputRefs = refList(config.input_layers, 'input_layers');
    if (inputs !== null && inputs.length !== inputRefs.length) {
      graphError(
        `nested model '${String(config.name)}' takes ${inputRefs.length} inputs, given ${inputs.length}`,
      );
    }
    const modelInputs: number[] = [];
    for (const [i, [name]] of inputRefs.entries()) {
      const entry = byName.get(name);
      if (!entry || entry.layer.class_name !== 'InputLayer')
        graphError(`input_layers names '${name}', which is not an InputLayer of the model`);
      let t: number;
      if (inputs !== null) t = inputs[i];
      else {
        const def = readLayer('InputLayer', { ...entry.layer.config, name });
        t = this.tensor((def as { shape: number[] }).shape);
        this.inputNames.push(name);
      }
      produced.set(`${name}:0`, [t]);
      modelInputs.push(t);
    }
    // Every reference must name an existing layer's existing node before anything runs.
    const nodeCount = (name: string) => {
      const e = byName.get(name);
      return e === undefined
        ? -1
        : e.layer.class_name === 'InputLayer'
          ? 1
          : e.nodes.length + ownNodes(e.layer);
    };
    const checkRef = ([name, node, tensor]: [string, number, number], user: string) => {
      const count = nodeCount(name);
      if (count < 0)
        graphError(`${user} refers to layer '${name}', which the model does not have (dangling reference)`);
      const first =
        byName.get(name)!.layer.class_name === 'InputLayer' ? 0 : ownNodes(byName.get(name)!.layer);
      if (!(node >= first && node < count))
        graphError(
          `${user} refers to node ${node} of layer '${name}', which has ${count} (dangling reference)`,
        );
      if (tensor !== 0)
        graphError(`${user} refers to output ${tensor} of layer '${name}'; convkit's layers have one output`);
    };
    const pending: { name: string; index: number; refs: [string, number, number][] }[] = [];
    for (const [name, { layer, nodes }] of byName) {
      if (layer.class_name === 'InputLayer') continue;
      nodes.forEach((refs, index) => {
        refs.forEach((r) => checkRef(r, `layer '${name}'`));
        pending.push({ name, index: index + ownNodes(layer), refs });
      });
    }
    const outputRefs = refList(config.output_layers, 'output_layers');
    outputRefs.forEach((r) => checkRef(r, 'output_layers'));
    // Kahn-style: apply every node whose inputs exist, until none is left (or none can run: a cycle).
    while (pending.length > 0) {
      const ready = pending.findIndex((p) => p.refs.every(([n, i]) => produced.has(`${n}:${i}`)));
      if (ready < 0) {
        graphError(
          `the graph has a cycle through layers ${[...new Set(pending.map((p) => `'${p.name}'`))].join(', ')}`,
        );
      }
      const [p] = pending.splice(ready, 1);
      const ins = p.refs.map(([n, i]) => produced.get(`${n}:${i}`)![0]);
      produced.set(`${p.name}:${p.index}`, this.child(byName.get(p.name)!.layer, ins, scope));
    }
    const outputs = outputRefs.map(([n, i]) => produced.get(`${n}:${i}`)![0]);
    return { inputs: modelInputs, outputs };
  }
}

/**
 * Nodes a nested model has of its own (from its input layer to its outputs), which Keras and TF.js
 * count but do not save: references to the model's first saved application say node 1, not 0.
 */
function ownNodes(layer: KerasLayer): number {
  if (!MODEL_CLASSES.has(layer.class_name)) return 0;
  if (layer.class_name !== 'Sequential') return 1;
  const config = layer.config as Record<string, unknown> | unknown[];
  const list = Array.isArray(config) ? config : config.layers;
  const first = Array.isArray(list) ? (list[0] as KerasLayer | undefined) : undefined;
  if (!first || !isRecord(first.config)) return 0;
  return first.class_name === 'InputLayer' || first.config.batch_input_shape || first.config.batch_shape
    ? 1
    : 0;
}

/** The topology's model config (unwrapping the converter's {model_config}). */
function rootModel(topology: unknown): KerasLayer {
  let top = topology;
  if (isRecord(top) && isRecord(top.model_config)) top = top.model_config;
  if (!isRecord(top)) invalid(op, 'modelTopology', `must be an object, got ${show(top)}`);
  if (typeof top.class_name !== 'string' || !MODEL_CLASSES.has(top.class_name)) {
    const what =
      top.class_name === undefined ? 'has no class_name' : `has class_name ${show(top.class_name)}`;
    graphError(`modelTopology ${what}; convkit reads Sequential, Model and Functional models`);
  }
  return { class_name: top.class_name, config: (top.config ?? {}) as Record<string, unknown> };
}

/** Builds and checks the graph of a Keras topology (no weights are touched). */
export function buildGraph(topology: unknown): Graph {
  const root = rootModel(topology);
  const b = new GraphBuilder();
  const { inputs, outputs } = b.model(root, null, '');
  // Keep only what the outputs depend on (Keras configs may carry unused branches).
  const needed = new Set(outputs);
  const nodes: GraphNode[] = [];
  for (let i = b.nodes.length - 1; i >= 0; i--) {
    const n = b.nodes[i];
    if (!needed.has(n.output)) continue;
    nodes.push(n);
    n.inputs.forEach((t) => needed.add(t));
  }
  nodes.reverse();
  const used = new Set(nodes.map((n) => n.layer));
  const rawName = (root.config as Record<string, unknown>).name;
  return {
    name: typeof rawName === 'string' ? rawName : root.class_name.toLowerCase(),
    shapes: b.shapes,
    inputs,
    inputNames: b.inputNames,
    outputs,
    nodes,
    layers: [...b.layers.values()].filter((l) => used.has(l)),
  };
}
