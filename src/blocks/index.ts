/**
 * Reusable compositions of layers shared by several models: the graph kit (`apply`,
 * `conv2d`, `convBnAct` with Keras or PyTorch padding, and the explicit {@link KernelInit}
 * seeding), residual units, dense blocks, Inception and Inception-ResNet modules, MobileNetV2's inverted residuals and the UNet and residual-UNet
 * parts.
 * @module blocks
 */
export {
  type Sym,
  type BlockActivation,
  type Conv2DOptions,
  type DenseOptions,
  apply,
  zeroPad,
  conv2d,
  dense,
  activation,
} from './graph';
export { type InitializerInstance, type KernelInitOptions, KernelInit } from './init';
export {
  type BatchNormConstants,
  type ConvBnActNames,
  type ConvBnActOptions,
  TORCH_BN,
  convBnAct,
} from './conv-bn-act';
export { type ResidualUnitOptions, basicUnit, bottleneckUnit } from './residual';
export { type DenseBlockOptions, denseBlock, denseLayer, transitionBlock } from './dense-block';
export {
  type InceptionContext,
  KerasNamer,
  inceptionA,
  inceptionC,
  inceptionConv,
  inceptionE,
  inceptionReductionA,
  inceptionReductionB,
} from './inception';
export {
  type InceptionResNetBlockType,
  type IrConvOptions,
  inceptionResNetBlock,
  inceptionResNetStem,
  irConv,
  mixed5b,
  mixed6a,
  mixed7a,
} from './inception-resnet';
export {
  type InvertedResidualOptions,
  correctPad,
  invertedResidual,
  makeDivisible,
} from './inverted-residual';
export {
  type UpsampleMode,
  type UNetPartOptions,
  type DoubleConvOptions,
  type UNetUpOptions,
  doubleConv,
  outConv,
  padOrCropTo,
  torchConvBnRelu,
  unetDown,
  unetUp,
} from './unet';
export {
  type AttentionFn,
  type ResidualStageOptions,
  type ResidualUNetClassifierHeadOptions,
  type ResidualUNetFeatures,
  type ResidualUNetHeadPooling,
  type ResidualUNetTrunkOptions,
  type StageEntryFn,
  type StageProjection,
  convEntry,
  residualStage,
  residualUNetClassifierHead,
  residualUNetSegmentHead,
  residualUNetTrunk,
} from './residual-unet';
export {
  /** @deprecated Moved to `medinets/layers` (it is a layer, not a graph block); import it from there. */
  type L2NormalizeOptions,
  /** @deprecated Moved to `medinets/layers` (it is a layer, not a graph block); import it from there. */
  L2Normalize,
} from '../layers/l2-normalize';
export { applyLayer } from './deprecated';
