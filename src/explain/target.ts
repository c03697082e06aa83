/**
 * What an explainer explains: the model inputs, the output and class whose score is
 * differentiated, and the scalar score itself (pytorch-grad-cam's "targets").
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkRank } from '../util/checks';

/** Options shared by every explainer that scores a class. */
export interface TargetOptions {
  /**
   * Class to explain: one index for the whole batch or one per sample. Default: the predicted
   * class (argmax; for a one-unit sigmoid head, 1 when the output is >= 0.5 and 0 otherwise,
   * class 0 being explained through the negated score).
   */
  targets?: number | number[];
  /** Which model output to explain when the model has several. Default 0. */
  outputIndex?: number;
  /**
   * Differentiate the logits rather than the probabilities when the explained output ends in a
   * softmax / sigmoid `Dense` or `Activation` layer (avoids vanishing gradients of saturated
   * heads, as the Grad-CAM paper uses pre-softmax scores). Default true.
   */
  logits?: boolean;
}

/** The model inputs as a list, validated against the model. */
export function inputList(model: tfl.LayersModel, inputs: tf.Tensor | tf.Tensor[], fn: string): tf.Tensor[] {
  const xs = Array.isArray(inputs) ? inputs : [inputs];
  if (xs.length !== model.inputs.length) {
    throw new Error(
      `${fn}: the model has ${model.inputs.length} input(s); got ${xs.length} tensor(s) in 'inputs'`,
    );
  }
  const n = xs[0]?.shape[0];
  xs.forEach((x, i) => {
    if (x.shape[0] !== n)
      throw new Error(`${fn}: 'inputs[${i}]' has batch ${x.shape[0]}; inputs[0] has ${n}`);
  });
  return xs;
}

/** Validate `outputIndex` and return it. */
export function outputIndexOf(model: tfl.LayersModel, options: TargetOptions, fn: string): number {
  const idx = options.outputIndex ?? 0;
  if (!Number.isInteger(idx) || idx < 0 || idx >= model.outputs.length) {
    throw new Error(`${fn}: 'outputIndex' must be an integer in [0, ${model.outputs.length}); got ${idx}`);
  }
  return idx;
}

/** The input whose height and width heat maps are resized to: the first 4-D input. */
export function spatialSize(xs: tf.Tensor[], fn: string): [number, number] {
  const x = xs.find((t) => t.rank === 4);
  if (!x)
    throw new Error(`${fn}: no 4-D image input ([batch, height, width, channels]) to size the heat map`);
  return [x.shape[1] as number, x.shape[2] as number];
}

/** Per-sample class indices: explicit targets, or the prediction read from `output`. */
export function resolveTargets(
  output: tf.Tensor,
  options: TargetOptions,
  sigmoidThreshold: number,
  fn: string,
): number[] {
  const n = output.shape[0] as number;
  const k = output.shape[output.rank - 1] as number;
  const t = options.targets;
  let classes: number[];
  if (t === undefined) {
    classes = tf.tidy(() => {
      const flat = tf.reshape(output, [n, -1, k]);
      if (k === 1)
        return Array.from(tf.greaterEqual(tf.mean(flat, [1, 2]), sigmoidThreshold).dataSync(), Number);
      return Array.from(tf.argMax(tf.mean(flat, 1), 1).dataSync(), Number);
    });
  } else {
    classes = typeof t === 'number' ? new Array<number>(n).fill(t) : [...t];
  }
  if (classes.length !== n)
    throw new Error(`${fn}: 'targets' has ${classes.length} entries for a batch of ${n}`);
  const kk = k === 1 ? 2 : k;
  classes.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= kk)
      throw new Error(`${fn}: 'targets[${i}]' must be a class in [0, ${kk}); got ${c}`);
  });
  return classes;
}

/**
 * Sum over the batch of each sample's target score: `y[n, c_n]` (summed over any spatial axes),
 * or `+y` / `-y` for a one-unit head and class 1 / 0. Samples are independent in inference mode,
 * so the gradient of this sum holds every sample's own gradient.
 */
export function targetScore(output: tf.Tensor, classes: number[]): tf.Scalar {
  const n = output.shape[0] as number;
  const k = output.shape[output.rank - 1] as number;
  const flat = tf.reshape(output, [n, -1, k]);
  const weights =
    k === 1
      ? tf.reshape(tf.tensor1d(classes.map((c) => (c === 1 ? 1 : -1))), [n, 1, 1])
      : tf.reshape(tf.oneHot(tf.tensor1d(classes, 'int32'), k), [n, 1, k]);
  return tf.sum(tf.mul(flat, weights));
}

/** Threshold that turns the explained output into a positive prediction for a one-unit head. */
export function sigmoidThresholdOf(model: tfl.LayersModel, outputIndex: number): number {
  const layer = model.outputs[outputIndex]?.sourceLayer;
  return layer && String(layer.getConfig().activation) === 'sigmoid' ? 0.5 : 0;
}

/** Throw unless the activation is `[batch, height, width, channels]`. */
export function checkActivation4D(a: tf.Tensor, layerName: string, fn: string): void {
  if (a.rank !== 4) {
    throw new Error(
      `${fn}: layer '${layerName}' outputs shape [${a.shape.join(', ')}], not a 4-D [batch, height, width, channels] map; choose a convolutional layer`,
    );
  }
  checkRank(a, 4, 'activation', fn);
}
