/**
 * Backend selection and the training kernels medinets registers for the wasm and cpu
 * backends.
 * @module backend
 */
export * from './setup';
