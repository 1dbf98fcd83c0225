/**
 * Weights against the manifest. `matchWeights` finds every weight the graph's layers need in the
 * manifest (by Keras name, also under an enclosing scope such as 'model/conv1/kernel') and checks its
 * dtype and shape, before any shard is read; `readWeights` then checks each group's shards hold exactly
 * the bytes the manifest lists and copies the values out. Any mismatch is an error naming the weight:
 * a model is loaded whole or not at all.
 */
import { invalid, show, UnsupportedModelError } from '../errors.js';
import type { WeightSpec } from '../io/tfjs_layers.js';
import type { GraphLayer } from './graph.js';
import type { WeightGroup } from './source.js';

const op = 'loadLayersModel';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, string: 0, complex64: 8 };

interface Located {
  group: number;
  /** Byte offset within the group's concatenated shards. */
  offset: number;
  count: number;
  spec: WeightSpec;
}

export interface WeightPlan {
  /** Per layer key, per weight name: where its values are. */
  located: Map<string, Map<string, Located>>;
  groupBytes: number[];
}

function specBytes(spec: WeightSpec & { quantization?: { dtype?: string } }, where: string): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype ?? 'float32';
  const size = { ...DTYPE_BYTES, uint8: 1, uint16: 2, float16: 2 }[dtype];
  if (size === undefined || (dtype === 'string' && count > 0)) {
    throw new UnsupportedModelError(
      `${op}: weight ${show(spec.name)} in ${where} has dtype ${show(dtype)}, which convkit cannot size`,
    );
  }
  return count * size;
}

/** Locates every needed weight in the manifest and checks dtype and shape; reads nothing. */
export function matchWeights(
  layers: readonly GraphLayer[],
  groups: readonly WeightGroup[],
  where: string,
): WeightPlan {
  const byName = new Map<string, Located>();
  const groupBytes: number[] = [];
  groups.forEach((group, g) => {
    let offset = 0;
    for (const spec of group.weights) {
      const bytes = specBytes(spec, where);
      const located = { group: g, offset, count: spec.shape.reduce((a, b) => a * b, 1), spec };
      // A name listed twice: the last entry wins, as in tfjs' decodeWeights (its values are what tfjs runs).
      byName.set(spec.name, located);
      offset += bytes;
    }
    groupBytes.push(offset);
  });
  const find = (layer: GraphLayer, weight: string): Located | undefined => {
    const scoped = `${layer.key}/${weight}`;
    const plain = `${layer.def.name}/${weight}`;
    const exact = byName.get(scoped) ?? byName.get(plain);
    if (exact) return exact;
    for (const [name, entry] of byName) if (name.endsWith(`/${plain}`)) return entry;
    return undefined;
  };
  const located = new Map<string, Map<string, Located>>();
  for (const layer of layers) {
    const mine = new Map<string, Located>();
    for (const need of layer.needs) {
      const entry = find(layer, need.name);
      const label = `'${layer.def.name}/${need.name}'`;
      if (!entry)
        invalid(
          op,
          'weightsManifest',
          `of ${where} has no weight ${label} (layer '${layer.def.name}', ${layer.def.className})`,
        );
      const spec = entry.spec as WeightSpec & { quantization?: unknown };
      if ((spec.dtype ?? 'float32') !== 'float32' || spec.quantization !== undefined) {
        throw new UnsupportedModelError(
          `${op}: weight ${show(spec.name)} of layer '${layer.def.name}' (${layer.def.className}) is ${show(spec.dtype)}${spec.quantization ? ' (quantized)' : ''}; convkit reads float32 weights`,
        );
      }
      if (spec.shape.join(',') !== need.shape.join(',')) {
        invalid(
          op,
          'weightsManifest',
          `weight ${show(spec.name)} has shape ${show(spec.shape)} but layer '${layer.def.name}' (${layer.def.className}) needs ${show(need.shape)}`,
        );
      }
      mine.set(need.name, entry);
    }
    located.set(layer.key, mine);
  }
  return { located, groupBytes };
}

/** Checks shard sizes against the manifest, then copies every needed weight out (little-endian float32). */
export function readWeights(
  plan: WeightPlan,
  shards: readonly ArrayBuffer[],
  groups: readonly WeightGroup[],
  where: string,
) {
  plan.groupBytes.forEach((expected, g) => {
    const got = shards[g]?.byteLength ?? 0;
    if (got !== expected) {
      const files = groups[g].paths.length > 0 ? `shards ${show(groups[g].paths)}` : 'weightData';
      invalid(
        op,
        'weights',
        `${files} of ${where} hold ${got} bytes but the manifest lists ${expected} (${got < expected ? 'short or missing shard' : 'extra bytes'})`,
      );
    }
  });
  const values = new Map<string, Map<string, Float32Array>>();
  for (const [key, weights] of plan.located) {
    const mine = new Map<string, Float32Array>();
    for (const [name, { group, offset, count }] of weights) {
      const view = new DataView(shards[group], offset, count * 4);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      mine.set(name, out);
    }
    values.set(key, mine);
  }
  return values;
}
