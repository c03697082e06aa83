/**
 * The by-name loader of medinets 0.1 (TF.js manifests only), kept for one release as thin
 * forwards to `loadWeights`, which reads every format: each returns the old report shape
 * (whole layers) computed from the new one (single weights).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { assignWeights, loadWeights, type LoadWeightsReport } from '../weights/load';
import { readWeightsFile } from '../weights/read';
import * as tfc from '@tensorflow/tfjs-core';
import { loadedWeightsReport, recordReport, tensorsAsRead } from './builder-weights';

/** @deprecated Use `LoadWeightsReport` (per weight, with shapes); removed in the next release. */
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

/** @deprecated Use `LoadWeightsOptions`; removed in the next release. */
export interface LoadByNameOptions {
  /** Prefix of the model's layer names that the source lacks. Default `''`. */
  prefix?: string;
  /** Throw when anything is missing or mismatched. Default `false`. */
  strict?: boolean;
}

const layerOf = (name: string): string => name.slice(0, name.lastIndexOf('/'));

/** The old per-layer report of a new per-weight one. */
function oldReport(model: tfl.LayersModel, r: LoadWeightsReport, prefix: string): WeightLoadReport {
  const bad = new Set([...r.missing, ...r.mismatched.map((m) => m.name)].map(layerOf));
  const layers = model.layers.filter((l) => l.name.startsWith(prefix) && l.weights.length > 0);
  return {
    matched: layers.filter((l) => !bad.has(l.name)).map((l) => l.name),
    missing: layers.filter((l) => bad.has(l.name)).map((l) => l.name),
    unexpected: [...new Set(r.unexpected.map((k) => (k.includes('/') ? layerOf(k) : k)))],
    mismatched: r.mismatched.map((m) => m.name),
  };
}

/**
 * @deprecated Use `loadWeights(model, source)`, or a builder's `weights` option; removed in
 * the next release. Sets `model`'s weights from tensors keyed `layer/weight` (forwards to the
 * new loader; `strict` defaults to `false` as before).
 * @param model The model to load into.
 * @param weights Tensors keyed `layer/weight`; not disposed.
 * @param options Prefix and strictness.
 */
export function setWeightsByName(
  model: tfl.LayersModel,
  weights: tf.NamedTensorMap,
  options: LoadByNameOptions = {},
): WeightLoadReport {
  const { prefix = '', strict = false } = options;
  const r = assignWeights(model, tensorsAsRead(weights), { prefix, strict }, 'setWeightsByName');
  recordReport(model, r);
  return oldReport(model, r, prefix);
}

/**
 * @deprecated Use `loadWeights`, which reads this and every other format; removed in the next
 * release. Reads a TF.js `model.json` or weights manifest into tensors the caller disposes.
 * @param location A path or http(s) URL.
 */
export async function readWeightsManifest(location: string): Promise<tf.NamedTensorMap> {
  const read = await readWeightsFile(location, 'readWeightsManifest');
  const out: tf.NamedTensorMap = {};
  for (const [name, t] of read.weights) out[name] = tfc.tensor(t.data, t.shape, 'float32');
  return out;
}

/**
 * @deprecated Use `loadWeights(model, source, { strict: false })`; removed in the next
 * release. Forwards to it (any format now) and returns the old report.
 * @param model The model to load into.
 * @param source A path or URL of any format `loadWeights` reads, or tensors keyed `layer/weight`.
 * @param options Prefix and strictness (default `false`).
 */
export async function loadWeightsByName(
  model: tfl.LayersModel,
  source: string | tf.NamedTensorMap,
  options: LoadByNameOptions = {},
): Promise<WeightLoadReport> {
  if (typeof source !== 'string') return setWeightsByName(model, source, options);
  const { prefix = '', strict = false } = options;
  const r = await loadWeights(model, source, { prefix, strict });
  recordReport(model, r);
  return oldReport(model, r, prefix);
}

/**
 * @deprecated Use {@link loadedWeightsReport} (per weight, with shapes); removed in the next
 * release. The report of the weights a builder loaded, in the old per-layer shape.
 * @param model A model returned by a builder.
 */
export function weightReport(model: tfl.LayersModel): WeightLoadReport | undefined {
  const r = loadedWeightsReport(model);
  return r === undefined ? undefined : oldReport(model, r, '');
}
