/**
 * Explanations: Grad-CAM and its relatives, saliency, occlusion sensitivity, feature maps and heat-map overlays.
 * @module explain
 */
export * from './graph';
export * from './target';
export * from './gradients';
export * from './gradcam';
export * from './activations';
export * from './saliency';
export * from './colormap';
export * from './overlay';
