/**
 * Seeded augmentations on NHWC batches: mixup, CutMix, Mosaic, spatial and intensity transforms, composable with compose().
 * @module augment
 */
export type { Sample, SeedLike, RangeLike } from './sample';
export type { Interpolation, FillMode } from './warp';
export {
  type RandomOptions,
  type ResampleOptions,
  type FlipMode,
  type FlipOptions,
  type AffineOptions,
  type RotateOptions,
  type ZoomOptions,
  type ShearOptions,
  type TranslateOptions,
  type RandomCropOptions,
  type RandomResizedCropOptions,
  type ResizeOptions,
  flip,
  affine,
  rotate,
  zoom,
  shear,
  translate,
  randomCrop,
  centerCrop,
  randomResizedCrop,
  resize,
} from './spatial';
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
export {
  type MixMode,
  type MixResult,
  type MixedSample,
  type TwoTargetResult,
  type MixOptions,
  type MixupOptions,
  type CutmixOptions,
  type MixLossFn,
  mixup,
  cutmix,
  mixupPairs,
  cutmixPairs,
  mixupLoss,
} from './mix';
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
