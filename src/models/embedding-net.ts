/**
 * The metric-learning models of document 002 (DenseNet169 on COVID-CT): a backbone without
 * its classifier, three dense layers and an L2-normalised 512-d embedding trained with a
 * triplet loss (phase 2), then a linear classifier on the embedding (phase 3).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Sym, apply, dense } from '../blocks/graph';
import type { KernelInit } from '../blocks/init';
import { L2Normalize } from '../layers/l2-normalize';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { buildWith, globalPool } from './build';
import {
  type BuilderOptions,
  type Built,
  type ClassifierActivation,
  resolveOptions,
  resolveTop,
} from './options';
import { DENSENET_CONFIGS, DENSENET_MIN_SIZE, densenetTrunk } from './densenet';
import { RESNET_DEPTHS, RESNET_MIN_SIZE, resnetTrunk } from './resnet';

/** Backbones an {@link EmbeddingNet} can sit on. */
export type EmbeddingBackbone = 'DenseNet121' | 'DenseNet169' | 'DenseNet201' | 'ResNet50' | 'ResNet101';

/**
 * Options of {@link EmbeddingNet}: the shared vocabulary without the classifier options (the
 * model's top is the embedding; {@link EmbeddingClassifier} adds the classifier).
 */
export interface EmbeddingNetOptions extends Omit<
  BuilderOptions,
  'includeTop' | 'pooling' | 'classes' | 'classifierActivation'
> {
  /**
   * Backbone: a name (built here with Keras layer names, so its Keras weights load by name)
   * or a feature-extractor model (4-D output, globally average-pooled; 2-D output used as
   * is) whose layers the embedding network then shares. Default `'DenseNet169'`.
   */
  backbone?: EmbeddingBackbone | tfl.LayersModel;
  /** Units of the two hidden dense layers (ReLU). Default `[1024, 1024]`. */
  hiddenUnits?: [number, number];
  /** Embedding size (third dense layer, linear, then L2-normalised). Default 512. */
  embeddingDim?: number;
}

function trunk(x: Sym, backbone: EmbeddingBackbone, init: KernelInit): Sym {
  if (backbone.startsWith('DenseNet')) {
    const depth = Number(backbone.slice(8)) as 121 | 169 | 201;
    return densenetTrunk(x, { ...DENSENET_CONFIGS[depth], epsilon: 1.001e-5 }, init);
  }
  const depth = Number(backbone.slice(6)) as 50 | 101;
  return resnetTrunk(x, { ...RESNET_DEPTHS[depth], variant: 'keras', filters: 64 }, init);
}

/**
 * Backbone -> global average pooling (`avg_pool`) -> dense `embed_fc1`, `embed_fc2` (ReLU) ->
 * `embed_fc3` (linear, `embeddingDim`) -> `embedding` ({@link L2Normalize}).
 * Input `[batch, h, w, c]`, output `[batch, embeddingDim]` unit vectors.
 */
export function EmbeddingNet<O extends EmbeddingNetOptions>(options: O = {} as O): Built<O> {
  const { backbone = 'DenseNet169', hiddenUnits = [1024, 1024], embeddingDim = 512 } = options;
  const fn = 'EmbeddingNet';
  const r = resolveOptions(fn, options, {
    inputShape: [224, 224, 3],
    minSize: Math.max(DENSENET_MIN_SIZE, RESNET_MIN_SIZE),
    classes: 1,
    name: 'embedding_net',
  });
  if (typeof backbone === 'string') {
    const names: EmbeddingBackbone[] = ['DenseNet121', 'DenseNet169', 'DenseNet201', 'ResNet50', 'ResNet101'];
    checkOneOf(backbone, names, 'backbone', fn);
  } else if (!(backbone instanceof tfl.LayersModel)) {
    throw new Error(`${fn}: 'backbone' must be a backbone name or a tf.LayersModel`);
  }
  hiddenUnits.forEach((u, i) => checkPositiveInt(u, `hiddenUnits[${i}]`, fn));
  checkPositiveInt(embeddingDim, 'embeddingDim', fn);
  return buildWith(options, (init) => {
    const input =
      typeof backbone === 'string' ? tfl.input({ shape: r.inputShape, name: 'input' }) : backbone.inputs[0];
    const features = typeof backbone === 'string' ? trunk(input, backbone, init) : backbone.outputs[0];
    let x = features.rank === 4 ? globalPool(features, 'avg') : features;
    hiddenUnits.forEach((units, i) => {
      x = dense(x, { units, activation: 'relu', name: `embed_fc${i + 1}`, init });
    });
    x = dense(x, { units: embeddingDim, name: 'embed_fc3', init });
    x = apply(new L2Normalize({ name: 'embedding' }), x);
    return tfl.model({ inputs: input, outputs: x, name: r.name });
  });
}

/** Options of {@link EmbeddingClassifier}. */
export interface EmbeddingClassifierOptions {
  /** Number of classes. Default 2. */
  classes?: number;
  /** Output activation. Default `'softmax'`, or `'sigmoid'` when `classes` is 1. */
  classifierActivation?: ClassifierActivation;
  /** @deprecated Use `classifierActivation`; removed in the next release. */
  activation?: ClassifierActivation;
  /** Freeze every layer of the embedding network (train the classifier only). Default `false`. */
  freezeEmbedding?: boolean;
  /** Seed of the classifier's kernel initialiser. */
  seed?: number;
  /** Model name. Default `'embedding_classifier'`. */
  name?: string;
}

/**
 * Phase 3 of document 002: a dense `classifier` on the embedding of `embeddingNet`. The new
 * model shares the embedding network's layers (training it fine-tunes them unless
 * `freezeEmbedding`). Input as `embeddingNet`, output `[batch, classes]`.
 */
export function EmbeddingClassifier(
  embeddingNet: tfl.LayersModel,
  options: EmbeddingClassifierOptions = {},
): tfl.LayersModel {
  const { freezeEmbedding = false } = options;
  const fn = 'EmbeddingClassifier';
  const { name = 'embedding_classifier' } = options;
  const top = resolveTop(
    fn,
    { classes: options.classes, classifierActivation: options.classifierActivation ?? options.activation },
    2,
  );
  if (freezeEmbedding) for (const l of embeddingNet.layers) l.trainable = false;
  return buildWith({ seed: options.seed }, (init) => {
    const out = dense(embeddingNet.outputs[0], {
      units: top.classes,
      activation: top.classifierActivation,
      name: 'classifier',
      init,
    });
    return tfl.model({ inputs: embeddingNet.inputs, outputs: out, name });
  });
}
