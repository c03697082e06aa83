/**
 * The metric-learning models of document 002 (DenseNet169 on COVID-CT): a backbone without
 * its classifier, three dense layers and an L2-normalised 512-d embedding trained with a
 * triplet loss (phase 2), then a linear classifier on the embedding (phase 3).
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { applyLayer, type Sym } from '../blocks/conv-bn-act';
import { kernelInit } from '../blocks/init-scope';
import { L2Normalize } from '../blocks/l2-normalize';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import {
  type Built,
  type TopActivation,
  type ImageShape,
  backboneHead,
  buildBackbone,
  checkInputShape,
  resolveBackbone,
} from './backbone-options';
import { DENSENET_CONFIGS, DENSENET_MIN_SIZE, densenetTrunk } from './densenet';
import { RESNET_DEPTHS, RESNET_MIN_SIZE, resnetTrunk } from './resnet';

/** Backbones an {@link EmbeddingNet} can sit on. */
export type EmbeddingBackbone = 'DenseNet121' | 'DenseNet169' | 'DenseNet201' | 'ResNet50' | 'ResNet101';

/** Options of {@link EmbeddingNet}. */
export interface EmbeddingNetOptions {
  /**
   * Backbone: a name (built here with Keras layer names, so its Keras weights load by name)
   * or a feature-extractor model (4-D output, globally average-pooled; 2-D output used as
   * is) whose layers the embedding network then shares. Default `'DenseNet169'`.
   */
  backbone?: EmbeddingBackbone | tfl.LayersModel;
  /** `[height, width, channels]` of a named backbone. Default `[224, 224, 3]`. */
  inputShape?: ImageShape;
  /** Units of the two hidden dense layers (ReLU). Default `[1024, 1024]`. */
  hiddenUnits?: [number, number];
  /** Embedding size (third dense layer, linear, then L2-normalised). Default 512. */
  embeddingDim?: number;
  /** Backbone weights to load by name: path/URL (the builder then returns a Promise) or tensors. */
  weights?: string | tf.NamedTensorMap;
  /** Seed of the kernel initialisers. */
  seed?: number;
  /** Build with zero kernels. Default: `true` when `weights` is given. */
  zeroInit?: boolean;
  /** Model name. Default `'embedding_net'`. */
  name?: string;
}

function trunk(x: Sym, backbone: EmbeddingBackbone): Sym {
  if (backbone.startsWith('DenseNet')) {
    const depth = Number(backbone.slice(8)) as 121 | 169 | 201;
    return densenetTrunk(x, { ...DENSENET_CONFIGS[depth], epsilon: 1.001e-5 });
  }
  const depth = Number(backbone.slice(6)) as 50 | 101;
  return resnetTrunk(x, { ...RESNET_DEPTHS[depth], variant: 'keras', filters: 64 });
}

/**
 * Backbone -> global average pooling (`avg_pool`) -> dense `embed_fc1`, `embed_fc2` (ReLU) ->
 * `embed_fc3` (linear, `embeddingDim`) -> `embedding` ({@link L2Normalize}).
 * Input `[batch, h, w, c]`, output `[batch, embeddingDim]` unit vectors.
 */
export function EmbeddingNet<O extends EmbeddingNetOptions>(options: O = {} as O): Built<O> {
  const {
    backbone = 'DenseNet169',
    inputShape = [224, 224, 3],
    hiddenUnits = [1024, 1024],
    embeddingDim = 512,
    name = 'embedding_net',
  } = options;
  if (typeof backbone === 'string') {
    const names: EmbeddingBackbone[] = ['DenseNet121', 'DenseNet169', 'DenseNet201', 'ResNet50', 'ResNet101'];
    checkOneOf(backbone, names, 'backbone', 'EmbeddingNet');
    checkInputShape('EmbeddingNet', inputShape, Math.max(DENSENET_MIN_SIZE, RESNET_MIN_SIZE));
  } else if (!(backbone instanceof tfl.LayersModel)) {
    throw new Error(`EmbeddingNet: 'backbone' must be a backbone name or a tf.LayersModel`);
  }
  hiddenUnits.forEach((u, i) => checkPositiveInt(u, `hiddenUnits[${i}]`, 'EmbeddingNet'));
  checkPositiveInt(embeddingDim, 'embeddingDim', 'EmbeddingNet');
  const r = resolveBackbone('EmbeddingNet', { inputShape, includeTop: false, pooling: 'avg' }, 32);
  return buildBackbone(options, () => {
    const input =
      typeof backbone === 'string' ? tfl.input({ shape: inputShape, name: 'input' }) : backbone.inputs[0];
    const features = typeof backbone === 'string' ? trunk(input, backbone) : backbone.outputs[0];
    let x = features.rank === 4 ? backboneHead(features, r) : features;
    hiddenUnits.forEach((units, i) => {
      x = applyLayer(
        tfl.layers.dense({
          units,
          activation: 'relu',
          name: `embed_fc${i + 1}`,
          kernelInitializer: kernelInit(),
        }),
        x,
      );
    });
    x = applyLayer(
      tfl.layers.dense({ units: embeddingDim, name: 'embed_fc3', kernelInitializer: kernelInit() }),
      x,
    );
    x = applyLayer(new L2Normalize({ name: 'embedding' }), x);
    return tfl.model({ inputs: input, outputs: x, name });
  });
}

/** Options of {@link EmbeddingClassifier}. */
export interface EmbeddingClassifierOptions {
  /** Number of classes. Default 2. */
  classes?: number;
  /** Output activation. Default `'softmax'`. */
  activation?: TopActivation;
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
  const {
    classes = 2,
    activation = 'softmax',
    freezeEmbedding = false,
    name = 'embedding_classifier',
  } = options;
  checkPositiveInt(classes, 'classes', 'EmbeddingClassifier');
  checkOneOf(activation, ['softmax', 'sigmoid', 'linear'], 'activation', 'EmbeddingClassifier');
  if (freezeEmbedding) for (const l of embeddingNet.layers) l.trainable = false;
  return buildBackbone({ seed: options.seed }, () => {
    const out = applyLayer(
      tfl.layers.dense({ units: classes, activation, name: 'classifier', kernelInitializer: kernelInit() }),
      embeddingNet.outputs[0],
    );
    return tfl.model({ inputs: embeddingNet.inputs, outputs: out, name });
  });
}
