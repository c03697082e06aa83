/**
 * Freezing and unfreezing by position or name, the fine-tuning recipe of documents 000
 * ("freeze all, train, then freeze the first 100 layers") and 002 (train only
 * denseblock3, denseblock4 and the classifier). tfjs-layers reads the trainable weights
 * when a model is compiled: compile again after calling these.
 */
import * as tfl from '@tensorflow/tfjs-layers';

/** A model, or a list of its layers (e.g. one trunk from {@link fusionTrunks}). */
export type LayerSource = tfl.LayersModel | tfl.layers.Layer[];

function layersOf(source: LayerSource): tfl.layers.Layer[] {
  return Array.isArray(source) ? source : source.layers;
}

function indexOf(layers: tfl.layers.Layer[], at: string | number, fn: string): number {
  if (typeof at === 'number') {
    if (!Number.isInteger(at) || at < 0)
      throw new Error(`${fn}: 'layerNameOrIndex' must be a non-negative integer or a layer name; got ${at}`);
    return Math.min(at, layers.length);
  }
  const i = layers.findIndex((l) => l.name === at);
  if (i < 0) throw new Error(`${fn}: no layer named '${at}'`);
  return i;
}

/**
 * Freezes the first layers: an index `n` freezes layers `[0, n)` (Keras' `layers[:n]`); a
 * name freezes up to and including that layer. Other layers are left as they are.
 */
export function freezeUpTo(source: LayerSource, layerNameOrIndex: string | number): void {
  const layers = layersOf(source);
  const i = indexOf(layers, layerNameOrIndex, 'freezeUpTo');
  const end = typeof layerNameOrIndex === 'number' ? i : i + 1;
  for (let k = 0; k < end; k++) layers[k].trainable = false;
}

/**
 * Makes the last layers trainable: an index `n` unfreezes layers `[n, end)` (Keras'
 * `layers[n:]`); a name unfreezes from that layer (inclusive) on. Others are left as they are.
 */
export function unfreezeFrom(source: LayerSource, layerNameOrIndex: string | number): void {
  const layers = layersOf(source);
  const i = indexOf(layers, layerNameOrIndex, 'unfreezeFrom');
  for (let k = i; k < layers.length; k++) layers[k].trainable = true;
}

/** One row of {@link summary}. */
export interface LayerSummary {
  /** Layer name. */
  name: string;
  /** tfjs-layers class name. */
  className: string;
  /** Output shape (batch dimension `null`). */
  outputShape: (number | null)[] | (number | null)[][];
  /** Number of weights of the layer. */
  params: number;
  /** Whether the layer trains. */
  trainable: boolean;
}

/** Parameter counts of a model, as Keras' `model.summary()` prints them. */
export interface ModelSummary {
  /** All weights (trainable + non-trainable). */
  total: number;
  /** Weights updated by training. */
  trainable: number;
  /** Frozen weights plus BN moving statistics. */
  nonTrainable: number;
  /** One row per layer. */
  layers: LayerSummary[];
}

function size(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((a, d) => a * (d ?? 1), 1);
}

/** Counts the trainable and non-trainable parameters of `model`, per layer and in total. */
export function summary(model: tfl.LayersModel): ModelSummary {
  const trainable = model.trainableWeights.reduce((a, w) => a + size(w.shape), 0);
  const nonTrainable = model.nonTrainableWeights.reduce((a, w) => a + size(w.shape), 0);
  const layers = model.layers.map((l) => ({
    name: l.name,
    className: l.getClassName(),
    outputShape: l.outputShape as LayerSummary['outputShape'],
    params: l.countParams(),
    trainable: l.trainable,
  }));
  return { total: trainable + nonTrainable, trainable, nonTrainable, layers };
}
