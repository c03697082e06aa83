/**
 * Feature maps and learned filters for inspection (the "visualise feature maps and learned
 * filters" step of chest X-ray CNN studies).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt, checkRank } from '../util/checks';
import { resolveLayer, runGraph } from './graph';
import { inputList } from './target';

/**
 * Outputs of the named layers (names may reach into nested models, `'backbone/conv1'`) for
 * `inputs`, in one pass through the graph, in inference mode. The caller disposes the tensors.
 * @returns `{ [layerName]: activation }`, e.g. `[batch, height, width, channels]` for conv layers.
 */
export function layerActivations(
  model: tfl.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  layerNames: string[],
): Record<string, tf.Tensor> {
  const fn = 'layerActivations';
  const xs = inputList(model, inputs, fn);
  if (!Array.isArray(layerNames) || layerNames.length === 0)
    throw new Error(`${fn}: 'layerNames' must be a non-empty array`);
  const paths = layerNames.map((n) => resolveLayer(model, n, fn).path);
  const captured = tf.tidy(() => {
    const r = runGraph(model, xs, { capture: paths });
    r.captured.forEach((t, i) => {
      if (!t) throw new Error(`${fn}: layer '${layerNames[i]}' is not reached from the model inputs`);
    });
    // Inputs passed through unchanged (e.g. an InputLayer name) must not be handed out as ours.
    return r.captured.map((t) => (xs.includes(t as tf.Tensor) ? tf.clone(t as tf.Tensor) : (t as tf.Tensor)));
  });
  const out: Record<string, tf.Tensor> = {};
  layerNames.forEach((n, i) => (out[n] = captured[i] as tf.Tensor));
  return out;
}

/** Options of {@link filterWeights}. */
export interface FilterWeightsOptions {
  /** `'global'` (default): one min-max over the whole kernel; `'perFilter'`: each filter separately; `'none'`: raw weights. */
  normalize?: 'global' | 'perFilter' | 'none';
}

/**
 * The kernel of a convolution layer as one image per filter.
 * @returns `[outChannels, kernelHeight, kernelWidth, inChannels]`, scaled to [0, 1] by default.
 */
export function filterWeights(
  model: tfl.LayersModel,
  layerName: string,
  options: FilterWeightsOptions = {},
): tf.Tensor4D {
  const fn = 'filterWeights';
  const mode = options.normalize ?? 'global';
  checkOneOf(mode, ['global', 'perFilter', 'none'], 'normalize', fn);
  const { layer } = resolveLayer(model, layerName, fn);
  const kernel = layer.weights.map((w) => w.read()).find((w) => w.rank === 4);
  if (!kernel)
    throw new Error(`${fn}: layer '${layerName}' (${layer.getClassName()}) has no 4-D convolution kernel`);
  return tf.tidy(() => {
    const k = tf.transpose(kernel, [3, 0, 1, 2]) as tf.Tensor4D;
    if (mode === 'none') return k;
    const axes = mode === 'global' ? [0, 1, 2, 3] : [1, 2, 3];
    const lo = tf.min(k, axes, true);
    const range = tf.sub(tf.max(k, axes, true), lo);
    return tf.div(tf.sub(k, lo), tf.where(tf.greater(range, 0), range, tf.onesLike(range))) as tf.Tensor4D;
  });
}

/** Options of {@link activationGrid}. */
export interface ActivationGridOptions {
  /** Tiles per row. Default ceil(sqrt(channels)). */
  columns?: number;
  /** Pixels between tiles. Default 1. */
  gap?: number;
}

/**
 * Tile the channels of one activation `[height, width, channels]` (or `[1, h, w, c]`) into a
 * grayscale mosaic, each channel min-max scaled to [0, 1], for saving with `encodePng`.
 * @returns `[gridHeight, gridWidth]` in [0, 1] (gaps are 0).
 */
export function activationGrid(activation: tf.Tensor, options: ActivationGridOptions = {}): tf.Tensor2D {
  const fn = 'activationGrid';
  checkRank(activation, [3, 4], 'activation', fn);
  if (activation.rank === 4 && activation.shape[0] !== 1)
    throw new Error(`${fn}: 'activation' must hold one sample; got batch ${activation.shape[0]}`);
  const [h, w, c] = activation.shape.slice(-3) as [number, number, number];
  const cols = options.columns ?? Math.ceil(Math.sqrt(c));
  checkPositiveInt(cols, 'columns', fn);
  const gap = options.gap ?? 1;
  const rows = Math.ceil(c / cols);
  return tf.tidy(() => {
    const a = tf.reshape(activation, [h, w, c]);
    const lo = tf.min(a, [0, 1], true);
    const range = tf.sub(tf.max(a, [0, 1], true), lo);
    const norm = tf.div(tf.sub(a, lo), tf.where(tf.greater(range, 0), range, tf.onesLike(range)));
    const padded = tf.pad(norm, [
      [0, gap],
      [0, gap],
      [0, rows * cols - c],
    ]);
    // [h+g, w+g, rows*cols] -> [rows, h+g, cols, w+g]
    const t = tf.transpose(tf.reshape(padded, [h + gap, w + gap, rows, cols]), [2, 0, 3, 1]);
    const grid = tf.reshape(t, [rows * (h + gap), cols * (w + gap)]);
    return tf.slice(grid, [0, 0], [rows * (h + gap) - gap, cols * (w + gap) - gap]) as tf.Tensor2D;
  });
}
