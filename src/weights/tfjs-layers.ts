/**
 * Reading the TF.js layers format: `model.json` (`modelTopology` + `weightsManifest`) and its
 * binary shards, or a bare weights manifest. Decoding, including the uint8/uint16
 * quantisation and float16 that `tensorflowjs_converter --quantize_*` writes, is done by
 * tfjs-core's own `io.decodeWeights`, so it dequantises exactly as `loadLayersModel` does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from './errors';
import type { RawWeights } from './raw';

/** A layer of a Keras topology as tensorflowjs_converter writes it. */
export interface TopologyLayer {
  /** Keras class name, e.g. `Conv2D`. */
  className: string;
  /** Layer name, e.g. `conv2d_1`. */
  name: string;
}

/** What a `model.json` holds, for the loader. */
export interface LayersModelJson {
  /** Weight groups, each with its shard paths. */
  manifest: tf.io.WeightsManifestConfig;
  /** Layers of the topology in order (empty for a bare manifest). */
  layers: TopologyLayer[];
}

// Collects layers in topology order, descending into nested models (Functional/Sequential).
function collectLayers(config: unknown, out: TopologyLayer[]): void {
  const c = config as { class_name?: string; config?: { layers?: unknown[]; name?: string } };
  const layers = c?.config?.layers;
  if (!Array.isArray(layers)) return;
  for (const l of layers as { class_name?: string; config?: { name?: string; layers?: unknown[] } }[]) {
    if (Array.isArray(l.config?.layers)) collectLayers(l, out);
    else out.push({ className: String(l.class_name), name: String(l.config?.name ?? l.config) });
  }
}

/**
 * Parses a `model.json` or a bare weights-manifest array.
 * @param text The JSON text.
 * @param file The file's name for error messages.
 * @param fn The public function reading it, for error messages.
 */
export function parseModelJson(text: string, file = '<bytes>', fn = 'readTfjsLayers'): LayersModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WeightsError(fn, file, 'corrupt JSON; expected a TF.js model.json');
  }
  const obj = json as { weightsManifest?: unknown; modelTopology?: { model_config?: unknown } };
  const manifest = Array.isArray(json) ? json : obj?.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new WeightsError(
      fn,
      file,
      "expected a TF.js model.json with 'weightsManifest' (or a manifest array)",
    );
  }
  const layers: TopologyLayer[] = [];
  const topo = obj?.modelTopology;
  collectLayers(topo?.model_config ?? topo, layers);
  return { manifest: manifest as tf.io.WeightsManifestConfig, layers };
}

/**
 * Decodes the weights of a manifest from its shards (in manifest order, concatenated per
 * group), dequantising as tfjs does. Keys are the manifest's names (`conv2d_1/kernel`).
 * @param manifest The weights manifest.
 * @param shards Each group's shard bytes, in `paths` order.
 * @param file The file's name for error messages.
 * @param fn The public function reading it, for error messages.
 */
export function decodeManifest(
  manifest: tf.io.WeightsManifestConfig,
  shards: Uint8Array[][],
  file = '<bytes>',
  fn = 'readTfjsLayers',
): RawWeights {
  const out: RawWeights = new Map();
  manifest.forEach((group, g) => {
    const parts = shards[g] ?? [];
    const total = parts.reduce((a, p) => a + p.length, 0);
    const buf = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      buf.set(p, at);
      at += p.length;
    }
    let tensors: tf.NamedTensorMap;
    try {
      tensors = tf.io.decodeWeights(buf.buffer, group.weights);
    } catch (e) {
      throw new WeightsError(
        fn,
        file,
        `shards of group ${g} do not match the manifest (${(e as Error).message})`,
      );
    }
    for (const [name, t] of Object.entries(tensors)) {
      out.set(name, { shape: [...t.shape], data: Float32Array.from(t.dataSync()) });
      t.dispose();
    }
  });
  return out;
}
