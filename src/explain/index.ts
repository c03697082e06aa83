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
export * from './activations';
export * from './saliency';
export * from './colormap';
export * from './overlay';
