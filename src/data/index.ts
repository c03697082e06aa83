/**
 * Data: PNG/JPEG, DICOM and NIfTI decoding, dataset folder layouts, splits and batching, and synthetic CT / X-ray phantoms.
 * @module data
 */
export * from './png';
export * from './ct-phantoms';
export * from './xray-phantoms';
export * from './ct-series-phantoms';
export * from './splits';
export * from './batching';
export * from './png-decode';
export * from './image';
export * from './dicom';
export * from './nifti';
export * from './dataset';
export * from './layouts';
export * from './volume';
