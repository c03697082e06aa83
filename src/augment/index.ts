/**
 * Seeded augmentations on NHWC batches: mixup, CutMix, Mosaic, spatial and intensity transforms, composable with compose().
 * @module augment
 */
export {};
