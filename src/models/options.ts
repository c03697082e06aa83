/**
 * The one option vocabulary of every builder, Keras-applications style: `inputShape`,
 * `includeTop`, `weights`, `pooling`, `classes`, `classifierActivation`, `seed`, `name` (plus
 * `zeroInit`), each family adding its own options on top. Defaults differ by family (an
 * ImageNet backbone starts from `[224, 224, 3]` and 1000 classes, a CT classifier from
 * `[256, 256, 1]` and 2) and are written once, in each builder's defaults; the validation
 * is this file's {@link resolveOptions}.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import type { WeightsSource } from '../weights/read';

/** Activation of a model's classifier; `'linear'` gives logits. */
export type ClassifierActivation = 'softmax' | 'sigmoid' | 'linear';

/** Input shape without the batch dimension: `[height, width, channels]`. */
export type ImageShape = [number, number, number];

/** Global pooling of a model built without its top. */
export type Pooling = 'avg' | 'max';

/** The options every builder accepts. */
export interface BuilderOptions {
  /**
   * `[height, width, channels]` of one image; any size at least the family's minimum, any
   * channel count. Default: the family's (`[224, 224, 3]` for the ImageNet backbones,
   * `[299, 299, 3]` for Inception-v3, `[256, 256, 1]` for the CT classifiers and UNets).
   */
  inputShape?: ImageShape;
  /**
   * Whether to build the classifier (or segmenter) on top. Without it the model ends at the
   * family's feature map `[batch, h', w', channels]`, or its pooled `[batch, channels]` with
   * `pooling`. Default `true`.
   */
  includeTop?: boolean;
  /** Without the top: `'avg'` or `'max'` global pooling; `undefined` keeps the 4-D map. */
  pooling?: Pooling;
  /** Number of classes of the top. Default: the family's (1000 for ImageNet backbones, else 2). */
  classes?: number;
  /** Activation of the top. Default `'softmax'`, or `'sigmoid'` when `classes` is 1. */
  classifierActivation?: ClassifierActivation;
  /**
   * Weights to load after building, as Keras applications' `weights` (default: none, random
   * initialisation). Every form but tensors makes the builder return a Promise:
   * `const model = await ResNet50({ weights: 'imagenet' })`.
   * - `'imagenet'`: the file the builder's ecosystem publishes (keras.applications' `.h5`
   *   with or without top for `variant: 'keras'`, torchvision's `.pth` for
   *   `variant: 'torchvision'`), downloaded once into `$MEDINETS_HOME/weights` (default
   *   `~/.cache/medinets/weights`) with a progress line on a terminal, written atomically and
   *   checked against the publisher's digest, then loaded strictly with `loadWeights`. With
   *   `includeTop` and a `classes` other than 1000 the trunk loads and the new `predictions`
   *   head starts at random (Keras refuses this case; loading by name makes it safe). A
   *   1-channel `inputShape` gets the RGB stem summed. Offline, the error names the URL, the
   *   file and where to put it.
   * - a path, directory, URL or the bytes of any file `loadWeights` reads (`.pth`,
   *   `.safetensors`, Keras `.h5`, TF.js `model.json`): loaded by name where names and shapes
   *   fit (a new head or class count is allowed); a file of which nothing fits is an error.
   * - tensors keyed `layer/weight` (TF.js layout): the same, synchronously.
   *
   * Kernels the weights do not cover are randomly initialised (see `zeroInit`); the load's
   * report is {@link loadedWeightsReport}.
   */
  weights?: 'imagenet' | WeightsSource | tf.NamedTensorMap;
  /** Seed of the random kernel initialisers (and seeded layers): equal seeds build equal weights. Default: unseeded. */
  seed?: number;
  /** Model name. Default: the family's (`resnet50`, `DResUNet`...). */
  name?: string;
  /**
   * Build with all-zero kernels: fast (random initialisation of a big backbone takes seconds
   * on the cpu backend) and right when weights are loaded next. Default: `true` when
   * `weights` is given (kernels the weights do not cover, such as a new classifier, are then
   * randomly initialised), else `false`.
   */
  zeroInit?: boolean;
}

/** What a UNet-family model outputs: a pooled classifier or a per-pixel segmenter. */
export type ModelHead = 'classify' | 'segment';

/** Options whose `weights` load asynchronously, for which builders return a Promise. */
export interface WeightsFromPath {
  /** `'imagenet'`, or a path, URL or the bytes of a weights file. */
  weights: 'imagenet' | WeightsSource;
}

/** What a builder returns: a model, or a Promise of one when `weights` is `'imagenet'`, a path, a URL or bytes. */
export type Built<O> = O extends WeightsFromPath ? Promise<tfl.LayersModel> : tfl.LayersModel;

/** A family's defaults for {@link resolveOptions}. */
export interface FamilyDefaults {
  /** Default input shape. */
  inputShape: ImageShape;
  /** Smallest legal height and width. */
  minSize: number;
  /** Default number of classes. */
  classes: number;
  /** Default model name. */
  name: string;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  /** Input shape. */
  inputShape: ImageShape;
  /** Whether the top is built. */
  includeTop: boolean;
  /** Pooling without top. */
  pooling: Pooling | undefined;
  /** Classes of the top. */
  classes: number;
  /** Classifier activation. */
  classifierActivation: ClassifierActivation;
  /** Model name. */
  name: string;
  /** Seed, if any. */
  seed: number | undefined;
}

/** Throws unless `shape` is `[h, w, c]` of positive integers with `h, w >= minSize`. */
export function checkInputShape(fn: string, shape: readonly number[], minSize: number): void {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(
      `${fn}: 'inputShape' must be [height, width, channels] of positive integers; got ${JSON.stringify(shape)}`,
    );
  }
  if (shape[0] < minSize || shape[1] < minSize) {
    throw new Error(
      `${fn}: 'inputShape' height and width must be at least ${minSize}; got [${shape.join(', ')}]`,
    );
  }
}

/** The classifier's `classes` (default `defaultClasses`) and activation (softmax, or sigmoid for one class), validated. */
export function resolveTop(
  fn: string,
  options: Pick<BuilderOptions, 'classes' | 'classifierActivation'>,
  defaultClasses: number,
): { classes: number; classifierActivation: ClassifierActivation } {
  const { classes = defaultClasses } = options;
  checkPositiveInt(classes, 'classes', fn);
  const classifierActivation = options.classifierActivation ?? (classes === 1 ? 'sigmoid' : 'softmax');
  checkOneOf(classifierActivation, ['softmax', 'sigmoid', 'linear'], 'classifierActivation', fn);
  return { classes, classifierActivation };
}

/** Applies the family's defaults and validates; errors name the builder and the option. */
export function resolveOptions(
  fn: string,
  options: BuilderOptions,
  defaults: FamilyDefaults,
): ResolvedOptions {
  const {
    inputShape = defaults.inputShape,
    includeTop = true,
    pooling,
    name = defaults.name,
    seed,
  } = options;
  checkInputShape(fn, inputShape, defaults.minSize);
  if (typeof includeTop !== 'boolean') {
    throw new Error(`${fn}: 'includeTop' must be true or false; got ${JSON.stringify(includeTop)}`);
  }
  if (pooling !== undefined) checkOneOf(pooling, ['avg', 'max'], 'pooling', fn);
  const { classes, classifierActivation } = resolveTop(fn, options, defaults.classes);
  if (seed !== undefined && !Number.isFinite(seed)) {
    throw new Error(`${fn}: 'seed' must be a finite number; got ${seed}`);
  }
  if (typeof name !== 'string' || name.length === 0) {
    throw new Error(`${fn}: 'name' must be a non-empty string; got ${JSON.stringify(name)}`);
  }
  return { inputShape: [...inputShape], includeTop, pooling, classes, classifierActivation, name, seed };
}
