/**
 * medinets: medical-imaging networks, augmentations, metrics and explanations for
 * TensorFlow.js. Importing it registers the fast training kernels for the wasm and cpu
 * backends (a side effect), then re-exports every folder.
 * @module medinets
 */
export * from './backend';
export * from './layers';
export * from './blocks';
export * from './models';
export * from './weights';
export * from './augment';
export * from './metrics';
export * from './explain';
export * from './data';
export * from './train';
export * from './plot';
export { Rng, makeRng } from './util/random';

import { registerFileRouter } from './weights/file-io';

// model.save('file://dir') and loadLayersModel('file://...') in Node without tfjs-node.
registerFileRouter();
