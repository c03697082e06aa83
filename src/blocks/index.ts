/**
 * Reusable compositions of layers shared by several models: conv-BN-activation, residual units, dense blocks and UNet up/down parts.
 * @module blocks
 */
export {};
export * from './unet';
export * from './residual-unet';
export * from './conv-bn-act';
export * from './init-scope';
export * from './residual';
export * from './dense-block';
export * from './inception';
export * from './l2-normalize';
