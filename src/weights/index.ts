/**
 * Pretrained weights without Python: PyTorch checkpoints (torchvision, timm), safetensors,
 * Keras HDF5 and the TF.js layers format, loaded into medinets' builders by layer name.
 * @module weights
 */
export { WeightsError } from './errors';
export { loadWeights, type LoadWeightsOptions, type LoadWeightsReport, type ShapeMismatch } from './load';
export type { WeightsFormat, WeightsSource } from './read';
export { registerFileRouter } from './file-io';
