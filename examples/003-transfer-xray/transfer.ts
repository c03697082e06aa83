/**
 * Document 003's transfer models: an ImageNet backbone without its top, fed RGB pixels in
 * [0, 1] that the model rescales and preprocesses the backbone's own way (Keras
 * `preprocess_input`), global average pooling, dense 64 ReLU, dropout 0.3, dense 2 sigmoid.
 * The backbone is pretrained (`--weights`, or nsfwjs' InceptionV3) or random; frozen whole
 * ("base frozen, new head"), or all but its last stage ("the last layers fine-tuned"), or not
 * at all (random weights have nothing worth keeping).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { PreprocessInput, type PreprocessMode } from 'medinets/layers';
import {
  InceptionResNetV2,
  InceptionV3,
  ResNet50,
  ResNet152,
  loadWeights,
  setBatchNormMomentum,
  type LoadWeightsReport,
} from 'medinets/models';
import {
  NSFWJS,
  frozenBatchNormInference,
  nsfwjsInceptionV3,
  stopGradientThrough,
} from '../common/pretrained';

/** The document's transfer backbones available as builders. */
export const TRANSFER_MODELS = ['InceptionV3', 'InceptionResNetV2', 'ResNet50', 'ResNet152'] as const;
/** A transfer backbone. */
export type TransferName = (typeof TRANSFER_MODELS)[number];

/** keras.applications' preprocess_input mode of each backbone. */
const MODE: Record<TransferName, PreprocessMode> = {
  InceptionV3: 'tf',
  InceptionResNetV2: 'tf',
  ResNet50: 'caffe',
  ResNet152: 'caffe',
};

/** What the backbone trains. */
export type TransferTraining = 'head' | 'last-stage' | 'all';

/** How to build one transfer model. */
export interface TransferSpec {
  name: TransferName;
  size: number;
  /** ResNet stem / first-stage width (64 = the real one); reduced in quick mode. */
  filters: number;
  /** A weights file or directory, `'nsfwjs'` (InceptionV3), or `undefined` for random weights. */
  weights?: string;
  training: TransferTraining;
  bnMomentum: number;
  seed: number;
  /** Where nsfwjs' model is rebuilt. */
  cacheDir: string;
}

/** A built transfer model and what loading its weights did. */
export interface Transfer {
  model: tfl.LayersModel;
  report?: LoadWeightsReport;
}

function backbone(spec: TransferSpec): tfl.LayersModel {
  const opts = {
    inputShape: [spec.size, spec.size, 3] as [number, number, number],
    includeTop: false,
    pooling: 'avg' as const,
    seed: spec.seed,
  };
  if (spec.name === 'InceptionV3') return InceptionV3(opts);
  if (spec.name === 'InceptionResNetV2') return InceptionResNetV2(opts);
  // A file for torchvision's ResNet (stride on the 3x3 conv) needs its variant.
  const variant = spec.weights && /\.(pth|pt|safetensors)$/i.test(spec.weights) ? 'torchvision' : 'keras';
  const build = spec.name === 'ResNet50' ? ResNet50 : ResNet152;
  return build({ ...opts, filters: spec.filters, variant });
}

/**
 * Loads `source` into a backbone (`'nsfwjs'`: nsfwjs' InceptionV3). Strict by Keras' `by_name`
 * rule: every backbone weight must be in the file; a file's classifier is reported, unused.
 */
export async function loadBackboneWeights(
  base: tfl.LayersModel,
  source: string,
  cacheDir: string,
): Promise<LoadWeightsReport> {
  return loadWeights(base, source === NSFWJS ? nsfwjsInceptionV3(cacheDir) : source);
}

/** The first layer index of the backbone's last stage (ResNet `conv5_*`, InceptionV3 from `mixed9`'s inputs, InceptionResNetV2 after `mixed_7a`). */
function lastStageStart(base: tfl.LayersModel, name: TransferName): number {
  if (name === 'InceptionV3') return base.layers.findIndex((l) => l.name === 'mixed8') + 1;
  // InceptionResNetV2: the block8 units and conv_7b after the last reduction (mixed_7a).
  if (name === 'InceptionResNetV2') return base.layers.findIndex((l) => l.name === 'mixed_7a') + 1;
  return base.layers.findIndex((l) => l.name.startsWith('conv5_'));
}

/** Builds the transfer model of `spec`, its backbone's weights loaded and the right layers frozen. */
export async function transferModel(spec: TransferSpec): Promise<Transfer> {
  const base = backbone(spec);
  const report = spec.weights ? await loadBackboneWeights(base, spec.weights, spec.cacheDir) : undefined;
  if (spec.bnMomentum !== 0.99) setBatchNormMomentum(base, spec.bnMomentum);
  if (spec.training !== 'all') {
    const start = spec.training === 'head' ? base.layers.length : lastStageStart(base, spec.name);
    base.layers.forEach((l, i) => (l.trainable = i >= start));
  }
  if (spec.training === 'head') stopGradientThrough(base);
  else frozenBatchNormInference(base);
  const input = tfl.input({ shape: [spec.size, spec.size, 3], name: 'pixels' });
  let x = tfl.layers.rescaling({ scale: 255, name: 'to_255' }).apply(input) as tfl.SymbolicTensor;
  x = new PreprocessInput({ mode: MODE[spec.name], name: 'preprocess' }).apply(x) as tfl.SymbolicTensor;
  x = base.apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .dense({
      units: 64,
      activation: 'relu',
      name: 'head_fc64',
      kernelInitializer: tfl.initializers.heNormal({ seed: spec.seed }),
    })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: 0.3, name: 'head_dropout', seed: spec.seed }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({
      units: 2,
      activation: 'sigmoid',
      name: 'head_output',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: spec.seed + 1 }),
    })
    .apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out, name: `${spec.name.toLowerCase()}_transfer` });
  return { model, report };
}
