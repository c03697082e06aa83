/**
 * The options every Keras-applications-style backbone accepts, their defaults and their
 * validation, plus the classifier / pooling head they share.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { applyLayer, type Sym } from '../blocks/conv-bn-act';
import { kernelInit, withKernelInit } from '../blocks/init-scope';
import { withWeights } from './weights';

/** Activation of the final classifier layer. */
export type TopActivation = 'softmax' | 'sigmoid' | 'linear';

/** Input shape without the batch dimension: `[height, width, channels]`. */
export type ImageShape = [number, number, number];

/** Options shared by the classic backbones (VGG, ResNet, DenseNet, Inception-v3). */
export interface BackboneOptions {
  /** `[height, width, channels]`; any size at least the family's minimum, any channel count. Default `[224, 224, 3]` (Inception-v3: `[299, 299, 3]`). */
  inputShape?: ImageShape;
  /** Whether to add the ImageNet-style classifier (`predictions`). Default `true`. */
  includeTop?: boolean;
  /** Without the top: `'avg'` or `'max'` global pooling to `[batch, channels]`, or `undefined` for the 4-D feature map. */
  pooling?: 'avg' | 'max';
  /** Number of classes of the top. Default 1000. */
  classes?: number;
  /** Activation of the top. Default `'softmax'`. */
  classifierActivation?: TopActivation;
  /**
   * Weights to load by layer name after building: a path or URL of a tfjs layers-model
   * manifest (`model.json` or a weights-manifest array; the builder then returns a Promise),
   * or already-decoded tensors keyed `layer/weight`. See {@link loadWeightsByName}.
   */
  weights?: string | tf.NamedTensorMap;
  /** Model name. Default: the builder's name in lower case (`resnet50`). */
  name?: string;
  /** Seed of the random kernel initialisers: equal seeds build equal weights. Default: unseeded. */
  seed?: number;
  /**
   * Build with all-zero kernels: fast (random initialisation of a big backbone takes seconds
   * on the cpu backend) and right when weights are loaded next. Default: `true` when
   * `weights` is given (kernels the weights do not cover, such as a new classifier, are then
   * randomly initialised), else `false`.
   */
  zeroInit?: boolean;
}

/** Options whose `weights` is a path or URL, for which builders return a Promise. */
export interface WeightsFromPath {
  /** Path or URL of a tfjs weights manifest. */
  weights: string;
}

/** What a builder returns: a model, or a Promise of one when `weights` is a path or URL. */
export type Built<O> = O extends WeightsFromPath ? Promise<tfl.LayersModel> : tfl.LayersModel;

/** Resolved options with defaults applied. */
export interface ResolvedBackbone {
  /** Input shape. */
  inputShape: ImageShape;
  /** Whether the top is built. */
  includeTop: boolean;
  /** Pooling without top. */
  pooling: 'avg' | 'max' | undefined;
  /** Classes of the top. */
  classes: number;
  /** Classifier activation. */
  classifierActivation: TopActivation;
  /** Model name. */
  name: string;
}

/**
 * Applies defaults and validates; errors name the builder and the option.
 * `minSize` is the smallest legal height/width of the family.
 */
export function resolveBackbone(
  fn: string,
  options: BackboneOptions,
  minSize: number,
  defaultShape: ImageShape = [224, 224, 3],
): ResolvedBackbone {
  const {
    inputShape = defaultShape,
    includeTop = true,
    pooling,
    classes = 1000,
    classifierActivation = 'softmax',
    name = fn.toLowerCase(),
  } = options;
  checkInputShape(fn, inputShape, minSize);
  if (pooling !== undefined) checkOneOf(pooling, ['avg', 'max'], 'pooling', fn);
  checkPositiveInt(classes, 'classes', fn);
  checkOneOf(classifierActivation, ['softmax', 'sigmoid', 'linear'], 'classifierActivation', fn);
  return { inputShape: [...inputShape], includeTop, pooling, classes, classifierActivation, name };
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

/**
 * The shared head: with `includeTop`, global average pooling (`avg_pool`) then a dense
 * `predictions` layer; otherwise the optional `avg_pool` / `max_pool` global pooling.
 * `prefix` is prepended to the layer names.
 */
export function backboneHead(x: Sym, r: ResolvedBackbone, prefix = ''): Sym {
  if (r.includeTop) {
    const pooled = applyLayer(tfl.layers.globalAveragePooling2d({ name: `${prefix}avg_pool` }), x);
    return applyLayer(
      tfl.layers.dense({
        units: r.classes,
        activation: r.classifierActivation,
        name: `${prefix}predictions`,
        kernelInitializer: kernelInit(),
      }),
      pooled,
    );
  }
  return globalPool(x, r.pooling, prefix);
}

/** `'avg'` / `'max'` global pooling named `avg_pool` / `max_pool`, or `x` unchanged. */
export function globalPool(x: Sym, pooling: 'avg' | 'max' | undefined, prefix = ''): Sym {
  if (pooling === 'avg')
    return applyLayer(tfl.layers.globalAveragePooling2d({ name: `${prefix}avg_pool` }), x);
  if (pooling === 'max') return applyLayer(tfl.layers.globalMaxPooling2d({ name: `${prefix}max_pool` }), x);
  return x;
}

/**
 * Runs `build` under the kernel initialisation the options ask for (`seed`, `zeroInit`),
 * then loads `options.weights` if given.
 */
export function buildBackbone<O extends BackboneOptions>(options: O, build: () => tfl.LayersModel): Built<O> {
  const zeros = options.zeroInit ?? options.weights !== undefined;
  const model = withKernelInit({ zeros, seed: options.seed }, build);
  // Zero kernels were only a shortcut: whatever the weights did not cover gets a random start.
  const reinitMissing = zeros && options.zeroInit === undefined;
  return withWeights(model, options.weights, { reinitMissing, seed: options.seed }) as Built<O>;
}
