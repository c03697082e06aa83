/**
 * Custom tfjs-layers layers: deformable convolution v2, squeeze-and-excitation family (SE, cSE, sSE, scSE), ECA, ECAsE, FPRM, bilinear upsampling, L2 normalisation, Inception-ResNet's scaled residual sum, a fixed per-channel affine map and the ImageNet backbones' input preprocessing.
 * @module layers
 */
export type { CallKwargs, LayerBaseOptions } from './layer-options';
export { AttentionGate, type AttentionOptions } from './attention-base';
export type { AttentionCombine, EcaPooling } from './attention-ops';
export { ChannelSE, SqueezeExcite, type SqueezeExciteOptions } from './squeeze-excite';
export { SpatialSE, type SpatialSEOptions } from './spatial-se';
export { SCSE, type SCSEOptions } from './scse';
export { ECA, ecaKernelSize, type ECAOptions } from './eca';
export { ECAsE, type ECAsEOptions } from './ecase';
export { deformConv2d, type DeformConv2dOptions, type DeformConvImpl, type IntPair } from './deform-conv-op';
export {
  DeformConv2D,
  type DeformConv2DOptions,
  type DeformModulation,
  type DeformPadding,
} from './deform-conv';
export { FPRM, type FPRMFusion, type FPRMInterpolation, type FPRMOptions } from './fprm';
export { UpsampleBilinear, type UpsampleBilinearOptions } from './upsample-bilinear';
export { L2Normalize, type L2NormalizeOptions } from './l2-normalize';
export { ScaledResidual, type ScaledResidualOptions } from './scaled-residual';
export { ChannelAffine, type ChannelAffineOptions } from './channel-affine';
export {
  PreprocessInput,
  type PreprocessInputOptions,
  type PreprocessMode,
  preprocessInput,
} from './preprocess-input';
