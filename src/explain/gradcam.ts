/**
 * Class activation maps: Grad-CAM, Grad-CAM++ and CAM, for any functional tfjs-layers graph.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { isModel, lastConvLayer, resolveLayer, runGraph } from './graph';
import { type LayerOptions, layerGradients } from './gradients';
import {
  inputList,
  outputIndexOf,
  resolveTargets,
  sigmoidThresholdOf,
  spatialSize,
  checkActivation4D,
} from './target';

/** Post-processing shared by the CAM family. */
export interface MapOptions {
  /** Apply ReLU to the weighted sum (keep only evidence for the class). Default true. */
  relu?: boolean;
  /** Resize bilinearly (half-pixel centres) to the input's height and width. Default true. */
  upsample?: boolean;
  /** Min-max normalise each map to [0, 1] (a constant map becomes 0). Default true. */
  normalize?: boolean;
}

/** Options of {@link gradCam} and {@link gradCamPlusPlus}. */
export interface GradCamOptions extends LayerOptions, MapOptions {}

/** Resize `[N, h, w]` maps to `[N, H, W]` and min-max normalise them; takes ownership of `maps`. */
export function finishMaps(maps: tf.Tensor3D, size: [number, number], options: MapOptions): tf.Tensor3D {
  const out = tf.tidy(() => {
    let m: tf.Tensor3D = maps;
    if ((options.upsample ?? true) && (m.shape[1] !== size[0] || m.shape[2] !== size[1])) {
      m = tf.squeeze(tf.image.resizeBilinear(tf.expandDims(m, 3) as tf.Tensor4D, size, false, true), [3]);
    }
    if (options.normalize ?? true) m = normalizeMaps(m);
    return m;
  });
  if (out !== maps) maps.dispose();
  return out;
}

/** Per-map min-max scaling to [0, 1]; constant maps become 0. */
export function normalizeMaps(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const lo = tf.min(maps, [1, 2], true);
    const range = tf.sub(tf.max(maps, [1, 2], true), lo);
    const safe = tf.where(tf.greater(range, 0), range, tf.onesLike(range));
    return tf.mul(tf.div(tf.sub(maps, lo), safe), tf.cast(tf.greater(range, 0), 'float32')) as tf.Tensor3D;
  });
}

function weightedSum(activations: tf.Tensor4D, weights: tf.Tensor, relu: boolean): tf.Tensor3D {
  const [n, , , c] = activations.shape;
  const m = tf.sum(tf.mul(activations, tf.reshape(weights, [n, 1, 1, c])), 3) as tf.Tensor3D;
  return relu ? tf.relu(m) : m;
}

/**
 * Grad-CAM (Selvaraju et al., ICCV 2017): L^c = ReLU(sum_k alpha_k^c A^k) with
 * alpha_k^c = mean_{i,j} dy^c / dA^k_{ij}, A the layer's activations.
 * @param inputs `[batch, height, width, channels]` images (or one tensor per model input).
 * @returns heat maps `[batch, height, width]` at the input size, each in [0, 1] by default.
 * @throws when the layer is not 4-D or the gradient is identically zero for a sample.
 */
export function gradCam(
  model: tfl.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  options: GradCamOptions = {},
): tf.Tensor3D {
  const fn = 'gradCam';
  const size = spatialSize(inputList(model, inputs, fn), fn);
  const g = layerGradients(model, inputs, options, fn);
  try {
    const raw = tf.tidy(() => weightedSum(g.activations, tf.mean(g.gradients, [1, 2]), options.relu ?? true));
    return finishMaps(raw, size, options);
  } finally {
    tf.dispose([g.activations, g.gradients]);
  }
}

/**
 * Grad-CAM++ (Chattopadhay et al., WACV 2018) in pytorch-grad-cam's closed form:
 * a_ij = g^2 / (2 g^2 + sum_ab A_ab g^3 + 1e-6) (0 where g = 0), w_k = sum_ij a_ij ReLU(g_ij),
 * L = ReLU(sum_k w_k A^k), with g = dy^c/dA^k.
 * @returns heat maps `[batch, height, width]`, as {@link gradCam}.
 */
export function gradCamPlusPlus(
  model: tfl.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  options: GradCamOptions = {},
): tf.Tensor3D {
  const fn = 'gradCamPlusPlus';
  const size = spatialSize(inputList(model, inputs, fn), fn);
  const g = layerGradients(model, inputs, options, fn);
  try {
    const raw = tf.tidy(() => {
      const gr = g.gradients;
      const g2 = tf.square(gr);
      const g3 = tf.mul(g2, gr);
      const sumA = tf.sum(g.activations, [1, 2], true);
      const aij = tf.div(g2, tf.add(tf.add(tf.mul(g2, 2), tf.mul(sumA, g3)), 1e-6));
      const alpha = tf.where(tf.notEqual(gr, 0), aij, tf.zerosLike(aij));
      const w = tf.sum(tf.mul(tf.relu(gr), alpha), [1, 2]);
      return weightedSum(g.activations, w, options.relu ?? true);
    });
    return finishMaps(raw, size, options);
  } finally {
    tf.dispose([g.activations, g.gradients]);
  }
}

/** Options of {@link cam}. */
export interface CamOptions extends LayerOptions, MapOptions {
  /**
   * The classifier `Dense` layer whose weights weight the feature maps. Default: the layer producing
   * the explained output (it must see the pooled maps directly: conv -> GAP -> Dense).
   */
  denseLayer?: string;
}

/**
 * CAM (Zhou et al., CVPR 2016) for global-average-pooling + dense heads:
 * M_c = sum_k w_{k,c} A^k, w the dense kernel `[channels, classes]`. No gradients needed.
 * @returns heat maps `[batch, height, width]`, as {@link gradCam}.
 */
export function cam(
  model: tfl.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  options: CamOptions = {},
): tf.Tensor3D {
  const fn = 'cam';
  const xs = inputList(model, inputs, fn);
  const size = spatialSize(xs, fn);
  const idx = outputIndexOf(model, options, fn);
  const path =
    options.layer === undefined ? lastConvLayer(model, fn).path : resolveLayer(model, options.layer, fn).path;
  const dense =
    options.denseLayer === undefined
      ? model.outputs[idx]!.sourceLayer
      : resolveLayer(model, options.denseLayer, fn).layer;
  if (dense.getClassName() !== 'Dense' || isModel(dense)) {
    throw new Error(
      `${fn}: layer '${dense.name}' is a ${dense.getClassName()}, not a Dense classifier; pass 'denseLayer' or use gradCam`,
    );
  }
  const raw = tf.tidy(() => {
    const r = runGraph(model, xs, { capture: [path] });
    const a = r.captured[0];
    if (!a)
      throw new Error(`${fn}: layer '${path.join('/')}' is not on any path from the inputs to the outputs`);
    checkActivation4D(a, path.join('/'), fn);
    const kernel = dense.weights[0]!.read() as tf.Tensor2D;
    const [c, k] = kernel.shape;
    if (c !== a.shape[3]) {
      throw new Error(
        `${fn}: layer '${path.join('/')}' has ${a.shape[3]} channels but '${dense.name}' expects ${c} inputs; CAM needs conv -> global pooling -> Dense`,
      );
    }
    const classes = resolveTargets(r.outputs[idx] as tf.Tensor, options, sigmoidThresholdOf(model, idx), fn);
    const cols =
      k === 1
        ? tf.mul(tf.tile(kernel, [1, classes.length]), tf.tensor1d(classes.map((cl) => (cl === 1 ? 1 : -1))))
        : tf.gather(kernel, classes, 1);
    return weightedSum(a as tf.Tensor4D, tf.transpose(cols), options.relu ?? true);
  });
  return finishMaps(raw, size, options);
}
