/**
 * Seeded augmentations on NHWC batches: mixup, CutMix, Mosaic, spatial and intensity transforms, composable with compose().
 * @module augment
 */
export type { Sample, SeedLike, RangeLike, RandomOptions, Transform } from './sample';
export type { Interpolation, FillMode } from './sampler';
export type { ResampleOptions } from './warp';
export { type FlipMode, type FlipOptions, flip } from './flip';
export {
  type AffineOptions,
  type RotateOptions,
  type ZoomOptions,
  type ShearOptions,
  type TranslateOptions,
  affine,
  rotate,
  zoom,
  shear,
  translate,
} from './affine';
export {
  type RandomCropOptions,
  type CenterCropOptions,
  type RandomResizedCropOptions,
  type ResizeOptions,
  randomCrop,
  centerCrop,
  randomResizedCrop,
  resize,
} from './crop';
export { type ElasticOptions, elasticDeform } from './elastic';
export { type GaussianBlurOptions, gaussianBlur } from './blur';
export {
  type IntensityOptions,
  type BrightnessOptions,
  type ContrastOptions,
  type GammaOptions,
  type MultiplyOptions,
  type ShiftRgbOptions,
  type GaussianNoiseOptions,
  type GrayscaleOptions,
  brightness,
  contrast,
  gamma,
  multiply,
  shiftRgb,
  gaussianNoise,
  grayscale,
} from './intensity';
export {
  type ShiftHsvOptions,
  type ColorJitterOptions,
  rgbToHsv,
  hsvToRgb,
  shiftHsv,
  colorJitter,
} from './color';
export { type EqualizeOptions, equalize } from './equalize';
export {
  type NormalizeStats,
  type NormalizeOptions,
  type RescaleIntensityOptions,
  type CtWindow,
  type WindowPreset,
  type WindowPresets,
  type CtWindowOptions,
  WINDOW_PRESETS,
  computeStats,
  normalize,
  rescaleIntensity,
  ctWindow,
  window,
} from './normalize';
export { smoothLabels } from './labels';
export type { MixMode } from './mix-plan';
export {
  type MixResult,
  type MixedSample,
  type MixOptions,
  type MixupOptions,
  type CutmixOptions,
  mixup,
  cutmix,
} from './mix';
export { type TwoTargetResult, type MixLossFn, mixupPairs, cutmixPairs, mixupLoss } from './mix-pairs';
export { type MosaicOptions, type MosaicResult, mosaic } from './mosaic';
export { type MixerOptions, Mixer } from './mixer';
export { type Step, type Pipeline, type ComposeOptions, step, compose } from './compose';
export {
  type RandomLayerArgs,
  type RandomFlipArgs,
  type ResampleLayerArgs,
  type RandomRotationArgs,
  type RandomZoomArgs,
  type RandomTranslationArgs,
  type RandomContrastArgs,
  type RandomBrightnessArgs,
  type LayerFactor,
  RandomImageLayer,
  RandomFlip,
  RandomRotation,
  RandomZoom,
  RandomTranslation,
  RandomContrast,
  RandomBrightness,
} from './layers';
