/**
 * Explanations: Grad-CAM and its relatives, saliency, occlusion sensitivity, feature maps and heat-map overlays.
 * @module explain
 */
export {
  resolveLayer,
  runGraph,
  type LayerOverride,
  type LayerPath,
  type ResolvedLayer,
  type RunPlan,
  type RunResult,
} from './graph';
export type { TargetOptions } from './target';
export { layerGradients, type LayerGradients, type LayerOptions } from './gradients';
export {
  cam,
  gradCam,
  gradCamPlusPlus,
  normalizeMaps,
  type CamOptions,
  type GradCamOptions,
  type MapOptions,
} from './gradcam';
export {
  activationGrid,
  filterWeights,
  layerActivations,
  type ActivationGridOptions,
  type FilterWeightsOptions,
} from './activations';
export { occlusionSensitivity, saliency, type OcclusionOptions, type SaliencyOptions } from './saliency';
export { colormapLut, type Colormap } from './colormap';
export {
  heatmapToRgba,
  overlayHeatmap,
  saveHeatmapPng,
  type OverlayOptions,
  type RgbaImage,
} from './overlay';
