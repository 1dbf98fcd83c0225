/**
 * Where a TF.js Layers model comes from: model.json (by path or file:// URL in Node, http(s) URL by
 * fetch) with its weight shards, or an artifacts object already in memory. The topology and manifest
 * are read first; the shards only through `readShards`, which the loader calls after the whole model
 * has been validated, so a model convkit cannot run never costs a weight read.
 */
import { invalid, show } from '../errors.js';
import type { LayersModelArtifacts, WeightSpec } from '../io/tfjs_layers.js';

const op = 'loadLayersModel';

/** One weightsManifest group: its weights, stored back to back across its shard files. */
export interface WeightGroup {
  weights: WeightSpec[];
  /** Shard names (files or URLs relative to model.json); empty for in-memory artifacts. */
  paths: string[];
}

export interface ModelSource {
  /** What to call the model in messages: its path or URL, or 'artifacts'. */
  where: string;
  topology: unknown;
  groups: WeightGroup[];
  /** Each group's shards, concatenated, in group order. Checks each shard is present. */
  readShards(): Promise<ArrayBuffer[]>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function concat(buffers: readonly ArrayBuffer[]): ArrayBuffer {
  if (buffers.length === 1) return buffers[0];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

function checkSpecs(where: string, weights: unknown): WeightSpec[] {
  if (!Array.isArray(weights))
    invalid(op, 'weightsManifest', `of ${where} must list weights, got ${show(weights)}`);
  for (const w of weights) {
    if (
      !isRecord(w) ||
      typeof w.name !== 'string' ||
      !Array.isArray(w.shape) ||
      !w.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
    ) {
      invalid(op, 'weightsManifest', `of ${where} has a malformed weight entry ${JSON.stringify(w)}`);
    }
  }
  return weights as WeightSpec[];
}

/** Parses model.json's text; `fetchShard` reads one shard path relative to it. */
function fromModelJson(
  where: string,
  text: string,
  fetchShard: (path: string) => Promise<ArrayBuffer>,
): ModelSource {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    invalid(op, 'model.json', `at ${where} is not JSON (${(error as Error).message})`);
  }
  if (!isRecord(json) || json.modelTopology === undefined) {
    invalid(op, 'model.json', `at ${where} must hold modelTopology and weightsManifest`);
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    invalid(
      op,
      'model.json',
      `at ${where} has format ${show(json.format)}; loadLayersModel reads 'layers-model'`,
    );
  }
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) invalid(op, 'weightsManifest', `of ${where} must be a list of groups`);
  const groups = manifest.map((group: unknown) => {
    if (!isRecord(group) || !Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string')) {
      invalid(op, 'weightsManifest', `of ${where} has a group without paths: ${JSON.stringify(group)}`);
    }
    return { weights: checkSpecs(where, group.weights), paths: group.paths as string[] };
  });
  return {
    where,
    topology: json.modelTopology,
    groups,
    readShards: async () => {
      const out: ArrayBuffer[] = [];
      for (const group of groups) out.push(concat(await Promise.all(group.paths.map(fetchShard))));
      return out;
    },
  };
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function fromFile(path: string): Promise<ModelSource> {
  const fs = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  let file = path;
  try {
    if ((await fs.stat(path)).isDirectory()) file = join(path, 'model.json');
  } catch {
    invalid(op, 'source', `${show(path)} does not exist (give model.json's path, its folder or a URL)`);
  }
  const text = await fs
    .readFile(file, 'utf8')
    .catch(() => invalid(op, 'source', `cannot read ${show(file)}`));
  return fromModelJson(file, text, async (shard) => {
    const shardPath = join(dirname(file), shard);
    const bytes = await fs
      .readFile(shardPath)
      .catch(() =>
        invalid(op, 'weights', `shard ${show(shard)} listed in ${file} is missing (looked for ${shardPath})`),
      );
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  });
}

async function fromUrl(url: URL): Promise<ModelSource> {
  const get = async (target: URL, what: string): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(target);
    } catch (error) {
      invalid(op, what, `at ${target.href} could not be fetched (${(error as Error).message})`);
    }
    if (!response.ok) invalid(op, what, `at ${target.href} answered HTTP ${response.status}`);
    return response;
  };
  const text = await (await get(url, 'model.json')).text();
  return fromModelJson(url.href, text, async (shard) =>
    (await get(new URL(shard, url), `weights shard ${show(shard)}`)).arrayBuffer(),
  );
}

function fromArtifacts(artifacts: LayersModelArtifacts): ModelSource {
  const specs = checkSpecs('artifacts', artifacts.weightSpecs ?? []);
  return {
    where: 'artifacts',
    topology: artifacts.modelTopology,
    groups: [{ weights: specs, paths: [] }],
    // weightData is touched only here, after the model has been validated.
    readShards: () => {
      const data = artifacts.weightData ?? new ArrayBuffer(0);
      const buffers = Array.isArray(data) ? data : [data];
      if (!buffers.every((b) => b instanceof ArrayBuffer)) {
        invalid(op, 'artifacts.weightData', `must be an ArrayBuffer or a list of them, got ${show(data)}`);
      }
      return Promise.resolve([concat(buffers)]);
    },
  };
}

/** Opens `source`: a path, a file:// or http(s) URL (string or URL), or an artifacts object. */
export async function openModelSource(source: unknown): Promise<ModelSource> {
  if (source instanceof URL || (typeof source === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(source))) {
    const url = new URL(source);
    if (url.protocol === 'file:') {
      if (!isNode()) invalid(op, 'source', `${show(url.href)}: file:// URLs are read in Node only`);
      const { fileURLToPath } = await import('node:url');
      return fromFile(fileURLToPath(url));
    }
    if (url.protocol === 'http:' || url.protocol === 'https:') return fromUrl(url);
    invalid(op, 'source', `has protocol ${show(url.protocol)}; give a path, file://, http:// or https://`);
  }
  if (typeof source === 'string') {
    if (!isNode()) return fromUrl(new URL(source, globalThis.location?.href));
    return fromFile(source);
  }
  if (isRecord(source) && 'modelTopology' in source)
    return fromArtifacts(source as unknown as LayersModelArtifacts);
  return invalid(
    op,
    'source',
    `must be model.json's path, a file:// or http(s) URL, or {modelTopology, weightSpecs, weightData}; got ${show(source)}`,
  );
}
