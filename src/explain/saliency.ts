/**
 * Model-agnostic attributions: input-gradient saliency and occlusion sensitivity.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt } from '../util/checks';
import { runGraph } from './graph';
import { type MapOptions, finishMaps } from './gradcam';
import {
  type TargetOptions,
  inputList,
  outputIndexOf,
  resolveTargets,
  sigmoidThresholdOf,
  targetScore,
} from './target';

/** Options of {@link saliency}. */
export interface SaliencyOptions extends TargetOptions, Pick<MapOptions, 'normalize'> {
  /** Which model input to attribute to (a 4-D image input). Default 0. */
  inputIndex?: number;
}

function imageInputIndex(xs: tf.Tensor[], index: number | undefined, fn: string): number {
  const i = index ?? 0;
  const x = xs[i];
  if (!x || x.rank !== 4)
    throw new Error(`${fn}: 'inputIndex' ${i} must name a 4-D [batch, height, width, channels] input`);
  return i;
}

/**
 * Vanilla gradient saliency (Simonyan et al., 2014): max over channels of |dy^c / dx|.
 * @returns `[batch, height, width]` maps, min-max normalised per sample by default.
 */
export function saliency(
  model: tfl.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  options: SaliencyOptions = {},
): tf.Tensor3D {
  const fn = 'saliency';
  const xs = inputList(model, inputs, fn);
  const idx = outputIndexOf(model, options, fn);
  const ii = imageInputIndex(xs, options.inputIndex, fn);
  const raw = tf.tidy(() => {
    const classes = resolveTargets(
      runGraph(model, xs).outputs[idx] as tf.Tensor,
      options,
      sigmoidThresholdOf(model, idx),
      fn,
    );
    const f = (x: tf.Tensor): tf.Scalar => {
      const all = xs.map((t, i) => (i === ii ? x : t));
      return targetScore(
        runGraph(model, all, { logits: options.logits ?? true }).outputs[idx] as tf.Tensor,
        classes,
      );
    };
    return tf.max(tf.abs(tf.grad(f)(xs[ii] as tf.Tensor)), 3) as tf.Tensor3D;
  });
  return finishMaps(raw, [raw.shape[1], raw.shape[2]], {
    normalize: options.normalize ?? true,
    upsample: false,
  });
}

/** Options of {@link occlusionSensitivity}. */
export interface OcclusionOptions extends TargetOptions, Pick<MapOptions, 'normalize'> {
  /** Side of the square occluding patch in pixels. Default max(1, round(min(H, W) / 8)). */
  patchSize?: number;
  /** Step between patch positions. Default `patchSize` (no overlap). */
  stride?: number;
  /** Value written into the patch. Default: the image's mean. */
  fill?: number;
  /** Occluded images evaluated per forward pass. Default 32. */
  batchSize?: number;
  /** Which model input to occlude. Default 0. */
  inputIndex?: number;
}

/**
 * Occlusion sensitivity (Zeiler & Fergus, ECCV 2014): slide a patch over the image and record
 * the drop of the target score, score(x) - score(x with patch), averaged over the patches
 * covering each pixel (positive = the region supports the class). Probabilities are scored unless
 * `logits` is true (default false here, unlike the gradient methods).
 * @returns `[batch, height, width]` maps, raw score drops unless `normalize` is true.
 */
export function occlusionSensitivity(
  model: tfl.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  options: OcclusionOptions = {},
): tf.Tensor3D {
  const fn = 'occlusionSensitivity';
  const xs = inputList(model, inputs, fn);
  const idx = outputIndexOf(model, options, fn);
  const ii = imageInputIndex(xs, options.inputIndex, fn);
  const img = xs[ii] as tf.Tensor4D;
  const [n, h, w, c] = img.shape;
  const patch = options.patchSize ?? Math.max(1, Math.round(Math.min(h, w) / 8));
  const stride = options.stride ?? patch;
  const batchSize = options.batchSize ?? 32;
  checkPositiveInt(patch, 'patchSize', fn);
  checkPositiveInt(stride, 'stride', fn);
  checkPositiveInt(batchSize, 'batchSize', fn);
  const logits = options.logits ?? false;
  const score = (batch: tf.Tensor[], classes: number[]): Float32Array =>
    tf.tidy(() => {
      const out = runGraph(model, batch, { logits }).outputs[idx] as tf.Tensor;
      const m = out.shape[0] as number;
      const k = out.shape[out.rank - 1] as number;
      const flat = tf.sum(tf.reshape(out, [m, -1, k]), 1);
      if (k === 1)
        return tf
          .mul(tf.squeeze(flat, [1]), tf.tensor1d(classes.map((cl) => (cl === 1 ? 1 : -1))))
          .dataSync() as Float32Array;
      return tf.sum(tf.mul(flat, tf.oneHot(tf.tensor1d(classes, 'int32'), k)), 1).dataSync() as Float32Array;
    });
  const classes = tf.tidy(() =>
    resolveTargets(
      runGraph(model, xs).outputs[idx] as tf.Tensor,
      options,
      sigmoidThresholdOf(model, idx),
      fn,
    ),
  );
  const base = score(xs, classes);
  const ys: number[] = [];
  const xsPos: number[] = [];
  for (let y = 0; y + patch <= h || (y === 0 && patch > h); y += stride) ys.push(y);
  for (let x = 0; x + patch <= w || (x === 0 && patch > w); x += stride) xsPos.push(x);
  if (ys[ys.length - 1]! + patch < h) ys.push(h - patch);
  if (xsPos[xsPos.length - 1]! + patch < w) xsPos.push(w - patch);
  const windows = ys.flatMap((y) => xsPos.map((x) => [y, x] as [number, number]));
  const sums = new Float32Array(n * h * w);
  const counts = new Float32Array(h * w);
  for (const [y, x] of windows) {
    for (let yy = y; yy < Math.min(h, y + patch); yy++)
      for (let xx = x; xx < Math.min(w, x + patch); xx++) counts[yy * w + xx]! += 1;
  }
  const fillValues =
    options.fill === undefined
      ? tf.tidy(() => Array.from(tf.mean(img, [1, 2, 3]).dataSync()))
      : new Array<number>(n).fill(options.fill);
  for (let s = 0; s < n; s++) {
    for (let start = 0; start < windows.length; start += batchSize) {
      const chunk = windows.slice(start, start + batchSize);
      const drops = tf.tidy(() => {
        const one = tf.slice(img, [s, 0, 0, 0], [1, h, w, c]);
        const masks = tf.stack(
          chunk.map(([y, x]) =>
            tf.pad(tf.ones([Math.min(patch, h - y), Math.min(patch, w - x), 1]), [
              [y, h - y - Math.min(patch, h - y)],
              [x, w - x - Math.min(patch, w - x)],
              [0, 0],
            ]),
          ),
        );
        const occluded = tf.add(tf.mul(one, tf.sub(1, masks)), tf.mul(masks, fillValues[s] as number));
        const batch = xs.map((t, i) =>
          i === ii
            ? occluded
            : tf.tile(tf.slice(t, [s], [1]), [chunk.length, ...new Array<number>(t.rank - 1).fill(1)]),
        );
        return score(batch, new Array<number>(chunk.length).fill(classes[s] as number));
      });
      chunk.forEach(([y, x], j) => {
        const drop = (base[s] as number) - (drops[j] as number);
        for (let yy = y; yy < Math.min(h, y + patch); yy++)
          for (let xx = x; xx < Math.min(w, x + patch); xx++) sums[s * h * w + yy * w + xx]! += drop;
      });
    }
  }
  for (let s = 0; s < n; s++)
    for (let p = 0; p < h * w; p++)
      sums[s * h * w + p] = (sums[s * h * w + p] as number) / Math.max(1, counts[p] as number);
  const raw = tf.tensor3d(sums, [n, h, w]);
  return finishMaps(raw, [h, w], { normalize: options.normalize ?? false, upsample: false });
}
