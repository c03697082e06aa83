/**
 * Explanations: Grad-CAM and its relatives, saliency, occlusion sensitivity, feature maps and heat-map overlays.
 * @module explain
 */
export {};
