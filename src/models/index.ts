/**
 * Model builders: VGG, ResNet, DenseNet, Inception, Inception-ResNet-v2, MobileNetV2, UNet, ResUNet, ResUNet-ECSA, ResUNet-FPRM, DResUNet, Res-Dense fusion and the small CNNs of the source documents.
 * All take one options vocabulary ({@link BuilderOptions}) plus their family's options.
 * @module models
 */
export {
  type BuilderOptions,
  type Built,
  type ClassifierActivation,
  type ImageShape,
  type ModelHead,
  type Pooling,
  type WeightsFromPath,
} from './options';
export { type VGGOptions, VGG11, VGG13, VGG16, VGG19 } from './vgg';
export {
  type ResNetGenericOptions,
  type ResNetLayout,
  type ResNetOptions,
  RESNET_DEPTHS,
  ResNet,
  ResNet18,
  ResNet34,
  ResNet50,
  ResNet101,
  ResNet152,
} from './resnet';
export {
  type DenseNetGenericOptions,
  type DenseNetLayout,
  type DenseNetOptions,
  DENSENET_CONFIGS,
  DenseNet,
  DenseNet121,
  DenseNet161,
  DenseNet169,
  DenseNet201,
} from './densenet';
export { type InceptionV3Options, InceptionV3 } from './inception-v3';
export { type InceptionResNetV2Options, InceptionResNetV2 } from './inception-resnet-v2';
export { type MobileNetV2Options, MobileNetV2 } from './mobilenet-v2';
export {
  type FusionTrunks,
  type ResDenseFusionOptions,
  DENSENET_PREFIX,
  RESNET_PREFIX,
  ResDenseFusion,
  fusionTrunks,
} from './res-dense-fusion';
export {
  type PneumoniaCNNOptions,
  type VGG16TransferOptions,
  PneumoniaCNN,
  VGG16Transfer,
} from './pneumonia-cnn';
export {
  type EmbeddingBackbone,
  type EmbeddingClassifierOptions,
  type EmbeddingNetOptions,
  EmbeddingClassifier,
  EmbeddingNet,
} from './embedding-net';
export { type SimpleCNNOptions, type SmallVGGOptions, SimpleCNN, SmallVGG } from './small-cnns';
export { type UNetFamilyOptions, type UNetOptions, UNet } from './unet';
export { type ResUNetOptions, ResUNet, ResUNetECSA, ResUNetFPRM } from './resunet';
export { type DResUNetOptions, DResUNet } from './dresunet';
export { loadedWeightsReport } from './builder-weights';
export {
  type LoadByNameOptions,
  type WeightLoadReport,
  loadWeightsByName,
  readWeightsManifest,
  setWeightsByName,
  weightReport,
} from './deprecated-weights';
// The loader of every weights format, beside the builders it loads into.
export {
  type LoadWeightsOptions,
  type LoadWeightsReport,
  type ShapeMismatch,
  WeightsError,
  loadWeights,
} from '../weights';
export {
  type LayerSource,
  type LayerSummary,
  type ModelSummary,
  freezeUpTo,
  summary,
  unfreezeFrom,
} from './freeze';
export { setBatchNormMomentum } from './batch-norm-momentum';
export { foldBatchNorm } from './fold-batch-norm';
export {
  type ModelBuilders,
  type ModelEntry,
  type ModelName,
  type ModelOptions,
  buildModel,
  buildModelAsync,
  describeModel,
  isModelName,
  listModels,
} from './registry';
export {
  type BackboneOptions,
  type ThesisHead,
  type ThesisModelOptions,
  type ThesisVGGOptions,
  type TopActivation,
  ThesisVGG,
} from './deprecated';
