// Browser twin of node-files.ts (see tools/browser-twins.ts): bytes decode as in Node; a
// path needs Node's file system, so those calls throw naming the function.
import type * as tf from '@tensorflow/tfjs-core';
import { decodeDicomNamed } from './dicom';
import { decodeNifti } from './nifti';
import type * as node from './node-files';

export type { ReadDicomSeriesOptions } from './node-files';

function needsNode(fn: string): never {
  throw new Error(
    `${fn}: reading a file path needs Node; in the browser pass the file's bytes (File.arrayBuffer())`,
  );
}

/** Decodes DICOM bytes; a path throws in the browser. */
export const readDicom: typeof node.readDicom = async (pathOrBytes, options = {}) =>
  typeof pathOrBytes === 'string'
    ? needsNode('readDicom')
    : decodeDicomNamed('readDicom', pathOrBytes, '<bytes>', options);

/** Throws in the browser: a series is a folder. Decode each file's bytes and stack them. */
export const readDicomSeries: typeof node.readDicomSeries = async () => needsNode('readDicomSeries');

/** Decodes NIfTI bytes; a path throws in the browser. */
export const readNifti: typeof node.readNifti = async (pathOrBytes) =>
  typeof pathOrBytes === 'string' ? needsNode('readNifti') : decodeNifti(pathOrBytes, '<bytes>', 'readNifti');

/** Throws in the browser: decode the bytes with `decodeImage` and `imageToTensor`. */
export const readImage: typeof node.readImage = async (): Promise<tf.Tensor3D> => needsNode('readImage');
