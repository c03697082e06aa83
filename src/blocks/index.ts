/**
 * Reusable compositions of layers shared by several models: conv-BN-activation, residual units, dense blocks and UNet up/down parts.
 * @module blocks
 */
export {};
