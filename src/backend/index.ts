/**
 * Backend selection and the training kernels medinets registers for the wasm and cpu
 * backends.
 * @module backend
 */
// Side effect: registers the wasm / cpu training kernels when medinets is imported.
export { registerTrainingKernels } from './kernels/register';
export { listTrainingKernels, suspendTrainingKernels } from './kernels/registry';
export type { TrainingKernelInfo, TrainingKernelKind } from './kernels/registry';
export type { KernelTarget } from './kernels/util';
export { BROWSER_BACKEND_ORDER, DEFAULT_BACKEND_ORDER, setupBackend } from './setup';
export type { BackendName, BackendReport, SetupBackendOptions, SkippedBackend } from './setup';
export { defaultWasmThreads, enableWasmThreads, wasmThreadsInUse } from './wasm-threads';
export type { WasmThreadsOptions, WasmThreadsReport } from './wasm-threads';
export { disableNativeKernels, enableNativeKernels, nativeAddonPath, nativeKernelsInUse } from './native';
export type { NativeKernelsOptions, NativeKernelsReport } from './native';
