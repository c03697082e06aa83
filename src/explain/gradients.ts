/**
 * Activations of a chosen layer and the gradient of a class score with respect to them,
 * on any functional graph (the shared first step of Grad-CAM and Grad-CAM++).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type LayerPath, lastConvLayer, resolveLayer, runGraph } from './graph';
import {
  type TargetOptions,
  checkActivation4D,
  inputList,
  outputIndexOf,
  resolveTargets,
  sigmoidThresholdOf,
  targetScore,
} from './target';

/** Options choosing the explained layer. */
export interface LayerOptions extends TargetOptions {
  /**
   * Name of the layer to explain; `'backbone/conv5_block3_out'` reaches inside a nested model and
   * a plain name is also searched in nested models. Default: the last top-level layer whose output is a 4-D
   * map larger than 1x1 (a `[N, 1, 1, C]` layer after global pooling would give a constant map).
   */
  layer?: string;
}

/** Activations A `[N, h, w, C]`, gradients dS/dA of the same shape, and the explained classes. */
export interface LayerGradients {
  /** Activations of the layer. */
  activations: tf.Tensor4D;
  /** Gradient of each sample's target score with respect to its activations. */
  gradients: tf.Tensor4D;
  /** The class explained for each sample. */
  classes: number[];
  /** Resolved layer path (outer model first). */
  path: LayerPath;
}

/** Resolve `options.layer` or the default: the last layer with a 4-D output larger than 1x1. */
export function targetLayer(model: tfl.LayersModel, options: LayerOptions, fn: string): LayerPath {
  return options.layer === undefined
    ? lastConvLayer(model, fn).path
    : resolveLayer(model, options.layer, fn).path;
}

/**
 * Compute activations and gradients; the caller owns (and must dispose) the returned tensors.
 * Throws when the layer is not 4-D or when a sample's gradient is identically zero (the layer
 * does not influence the explained output, or the head is saturated).
 */
export function layerGradients(
  model: tfl.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  options: LayerOptions,
  fn: string,
): LayerGradients {
  const xs = inputList(model, inputs, fn);
  const idx = outputIndexOf(model, options, fn);
  const path = targetLayer(model, options, fn);
  const name = path.join('/');
  const logits = options.logits ?? true;
  let classes: number[] = [];
  const [activations, gradients] = tf.tidy(() => {
    const first = runGraph(model, xs, { capture: [path] });
    const a = first.captured[0];
    if (!a) throw new Error(`${fn}: layer '${name}' is not on any path from the inputs to the outputs`);
    checkActivation4D(a, name, fn);
    classes = resolveTargets(first.outputs[idx] as tf.Tensor, options, sigmoidThresholdOf(model, idx), fn);
    const f = (act: tf.Tensor): tf.Scalar => {
      const out = runGraph(model, xs, { override: { path, value: act }, logits }).outputs[idx] as tf.Tensor;
      return targetScore(out, classes);
    };
    let g: tf.Tensor;
    try {
      g = tf.grad(f)(a);
    } catch (e) {
      if (/Cannot compute gradient/i.test((e as Error).message)) {
        throw new Error(
          `${fn}: the gradient of the target score with respect to layer '${name}' is empty: output ${idx} does not depend on that layer`,
        );
      }
      throw e;
    }
    return [a as tf.Tensor4D, g as tf.Tensor4D];
  });
  const maxAbs = tf.tidy(() => tf.max(tf.abs(gradients), [1, 2, 3]).dataSync());
  const dead = Array.from(maxAbs).flatMap((v, i) => (v === 0 || !Number.isFinite(v) ? [i] : []));
  if (dead.length > 0) {
    tf.dispose([activations, gradients]);
    throw new Error(
      `${fn}: the gradient of the target score with respect to layer '${name}' is ${Number.isFinite(maxAbs[dead[0] as number] as number) ? 'all zero' : 'not finite'} ` +
        `for sample(s) [${dead.join(', ')}]: the layer does not influence output ${idx}, or the head is saturated (try 'logits: true' or an earlier layer)`,
    );
  }
  return { activations, gradients, classes, path };
}
