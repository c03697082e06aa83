/**
 * Loading weights into a model by layer name, the way Keras' `load_weights(by_name=True)`
 * does: a file weight `conv1_conv/kernel` goes to the weight `kernel` of the layer named
 * `conv1_conv`, whatever the order of layers. This lets weights converted from Keras
 * applications (tensorflowjs_converter) or exported from torchvision
 * (`tools/port-torchvision.py`) load into our builders.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { makeRng } from '../util/random';
import { readFileBytes } from '../util/files';

/** Which layers got weights, by layer name. */
export interface WeightLoadReport {
  /** Model layers whose every weight was found and loaded. */
  matched: string[];
  /** Model layers with weights that the source lacks (left as initialised). */
  missing: string[];
  /** Layers in the source that the model does not have (ignored). */
  unexpected: string[];
  /** Weights present on both sides with incompatible shapes (left as initialised), `layer/weight`. */
  mismatched: string[];
}

/** Options of {@link setWeightsByName} and {@link loadWeightsByName}. */
export interface LoadByNameOptions {
  /**
   * Prefix of the model's layer names that the source lacks, e.g. `'resnet101/'` to load plain
   * ResNet101 weights into the ResNet trunk of `ResDenseFusion`. Model layers without it are
   * not considered. Default `''`.
   */
  prefix?: string;
  /** Throw instead of reporting when anything is missing or mismatched. Default `false`. */
  strict?: boolean;
}

type LayerWeight = tfl.layers.Layer['weights'][number];

// Weights the last load left as initialised, for builders that must re-initialise them.
const unloadedWeights = new WeakMap<tfl.LayersModel, LayerWeight[]>();

function splitName(full: string): [string, string] {
  const i = full.lastIndexOf('/');
  return i < 0 ? ['', full] : [full.slice(0, i), full.slice(i + 1)];
}

/**
 * Sets `model`'s weights from `weights` (keys `layerName/weightName`), matching by name.
 * A 3-channel first-layer kernel loading into a 1-channel model is summed over its input
 * channels (the usual way to start grayscale CT/X-ray models from RGB ImageNet weights).
 * Does not dispose `weights`.
 */
export function setWeightsByName(
  model: tfl.LayersModel,
  weights: tf.NamedTensorMap,
  options: LoadByNameOptions = {},
): WeightLoadReport {
  const { prefix = '', strict = false } = options;
  const report: WeightLoadReport = { matched: [], missing: [], unexpected: [], mismatched: [] };
  const used = new Set<string>();
  const unloaded: LayerWeight[] = [];
  const modelLayers = new Set<string>();
  for (const layer of model.layers) {
    if (!layer.name.startsWith(prefix)) continue;
    const fileLayer = layer.name.slice(prefix.length);
    modelLayers.add(fileLayer);
    if (layer.weights.length === 0) continue;
    let ok = true;
    for (const v of layer.weights) {
      const short = splitName(v.originalName)[1];
      const key = `${fileLayer}/${short}`;
      const src = weights[key];
      if (src === undefined) {
        unloaded.push(v);
        ok = false;
        continue;
      }
      used.add(key);
      const value = adapt(src, v.shape);
      if (value === null) {
        report.mismatched.push(`${layer.name}/${short}`);
        unloaded.push(v);
        ok = false;
        continue;
      }
      v.write(value);
      if (value !== src) value.dispose();
    }
    (ok ? report.matched : report.missing).push(layer.name);
  }
  const extra = new Set<string>();
  for (const key of Object.keys(weights)) {
    const [layerName] = splitName(key);
    if (!used.has(key) && !modelLayers.has(layerName)) extra.add(layerName);
  }
  report.unexpected = [...extra];
  unloadedWeights.set(model, unloaded);
  if (strict && (report.missing.length > 0 || report.mismatched.length > 0)) {
    throw new Error(
      `setWeightsByName: missing weights for [${report.missing.join(', ')}], mismatched [${report.mismatched.join(', ')}]`,
    );
  }
  return report;
}

function sameShape(a: readonly number[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function adapt(src: tf.Tensor, shape: readonly (number | null)[]): tf.Tensor | null {
  if (sameShape(src.shape, shape)) return src;
  const grayscaleStem =
    src.rank === 4 &&
    shape.length === 4 &&
    shape[2] === 1 &&
    src.shape[2] === 3 &&
    src.shape[0] === shape[0] &&
    src.shape[1] === shape[1] &&
    src.shape[3] === shape[3];
  return grayscaleStem ? tf.sum(src, 2, true) : null;
}

async function readBytes(location: string): Promise<ArrayBuffer> {
  if (/^https?:\/\//.test(location)) {
    const res = await fetch(location);
    if (!res.ok) throw new Error(`loadWeightsByName: fetching ${location} failed with HTTP ${res.status}`);
    return res.arrayBuffer();
  }
  const buf = await readFileBytes(location, 'readWeightsManifest');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function dirOf(location: string): string {
  const i = location.lastIndexOf('/');
  return i < 0 ? '' : location.slice(0, i + 1);
}

/**
 * Reads a tfjs weights manifest from a path (Node) or an http(s) URL: either a layers
 * `model.json` (its `weightsManifest`) or a bare manifest array (`weights_manifest.json`),
 * with the shard files beside it. Returns the decoded tensors; the caller disposes them.
 */
export async function readWeightsManifest(location: string): Promise<tf.NamedTensorMap> {
  const text = new TextDecoder().decode(await readBytes(location));
  const json = JSON.parse(text) as
    { weightsManifest?: tf.io.WeightsManifestConfig } | tf.io.WeightsManifestConfig;
  const manifest = Array.isArray(json) ? json : json.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new Error(
      `readWeightsManifest: ${location} holds neither a 'weightsManifest' nor a manifest array`,
    );
  }
  const base = dirOf(location);
  const out: tf.NamedTensorMap = {};
  for (const group of manifest) {
    const shards = await Promise.all(
      group.paths.map((p) => readBytes(/^(https?:)?\/\//.test(p) ? p : base + p)),
    );
    Object.assign(out, tf.io.decodeWeights(shards, group.weights));
  }
  return out;
}

/**
 * Loads weights by layer name from a manifest path/URL or from decoded tensors and reports
 * which layers matched. Tensors it read itself are disposed afterwards.
 */
export async function loadWeightsByName(
  model: tfl.LayersModel,
  source: string | tf.NamedTensorMap,
  options: LoadByNameOptions = {},
): Promise<WeightLoadReport> {
  if (typeof source !== 'string') return setWeightsByName(model, source, options);
  const weights = await readWeightsManifest(source);
  try {
    return setWeightsByName(model, weights, options);
  } finally {
    tf.dispose(weights);
  }
}

const reports = new WeakMap<tfl.LayersModel, WeightLoadReport>();

/** The report of the weights a builder loaded through its `weights` option, if any. */
export function weightReport(model: tfl.LayersModel): WeightLoadReport | undefined {
  return reports.get(model);
}

/** Options of {@link withWeights}. */
export interface WithWeightsOptions {
  /**
   * Re-initialise (Glorot-uniform) the kernels the source did not provide: a model built with
   * zero kernels must not keep dead layers, e.g. a new `predictions` layer for 2 classes
   * on top of 1000-class weights. Default `false`.
   */
  reinitMissing?: boolean;
  /** Seed of that re-initialisation. */
  seed?: number;
}

function reinit(model: tfl.LayersModel, seed: number | undefined): void {
  const rng = makeRng(seed);
  for (const v of unloadedWeights.get(model) ?? []) {
    if (!/kernel$/.test(v.originalName)) continue;
    const init = tfl.initializers.glorotUniform({ seed: rng.int(2 ** 31 - 1) });
    const value = init.apply(v.shape as number[]);
    v.write(value);
    value.dispose();
  }
  unloadedWeights.delete(model);
}

/**
 * Applies a builder's `weights` option: nothing, decoded tensors (synchronously) or a
 * path/URL (returns a Promise). The report is kept for {@link weightReport}.
 */
export function withWeights(
  model: tfl.LayersModel,
  weights: string | tf.NamedTensorMap | undefined,
  options: WithWeightsOptions = {},
): tfl.LayersModel | Promise<tfl.LayersModel> {
  if (weights === undefined) return model;
  const finish = (report: WeightLoadReport): tfl.LayersModel => {
    reports.set(model, report);
    if (options.reinitMissing) reinit(model, options.seed);
    unloadedWeights.delete(model);
    return model;
  };
  if (typeof weights !== 'string') return finish(setWeightsByName(model, weights));
  return loadWeightsByName(model, weights).then(finish);
}
