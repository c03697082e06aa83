/**
 * Backend selection and the training kernels medinets registers for the wasm and cpu
 * backends.
 * @module backend
 */
export * from './setup';
export * from './wasm-threads';
// Side effect: registers the wasm / cpu training kernels when medinets is imported.
export * from './kernels/index';
export { disableNativeKernels, enableNativeKernels, nativeAddonPath, nativeKernelsInUse } from './native';
export type { NativeKernelsOptions, NativeKernelsReport } from './native';
