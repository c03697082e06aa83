/**
 * Data: PNG/JPEG, DICOM and NIfTI decoding, dataset folder layouts, splits and batching, and synthetic CT / X-ray phantoms.
 * @module data
 */
export * from './png';
