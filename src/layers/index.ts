/**
 * Custom tfjs-layers layers: deformable convolution v2, squeeze-and-excitation family (SE, cSE, sSE, scSE), ECA, ECAsE and FPRM.
 * @module layers
 */
export type { CallKwargs, LayerBaseOptions } from './layer-options';
export * from './attention-ops';
export * from './squeeze-excite';
export * from './spatial-se';
export * from './scse';
export * from './eca';
export * from './ecase';
export * from './deform-conv-math';
export * from './deform-conv-kernels';
export * from './deform-conv-composed';
export { deformConv2d, type DeformConv2dOptions, type DeformConvImpl, type IntPair } from './deform-conv-op';
export * from './deform-conv';
export * from './fprm';
export * from './upsample-bilinear';
