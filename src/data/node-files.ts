/**
 * Reading by path: the Node-only half of the decoders (the byte decoders beside this file
 * import no Node built-in and run in the browser too).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '../util/checks';
import { type DicomDecodeOptions, type DicomImage, decodeDicomNamed } from './dicom';
import { type DicomSeriesOptions, type DicomSlice, type DicomVolume, stackDicomSeries } from './dicom-series';
import { type ImageReadOptions, decodeImage, imageToTensor } from './image';
import { type NiftiImage, decodeNifti } from './nifti';

async function bytesOf(fn: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new Error(`${fn}: cannot read ${path} (${(e as Error).message})`);
  }
}

/**
 * Read a DICOM file (or decode its bytes) into pixels in the modality's units (Hounsfield
 * units for CT) with spacing, position, window and header fields, loading the optional codec
 * a compressed transfer syntax needs (see {@link decodeDicom}). Errors name the file.
 */
export async function readDicom(
  pathOrBytes: string | Uint8Array,
  options: DicomDecodeOptions = {},
): Promise<DicomImage> {
  if (typeof pathOrBytes !== 'string') return decodeDicomNamed('readDicom', pathOrBytes, '<bytes>', options);
  return decodeDicomNamed('readDicom', await bytesOf('readDicom', pathOrBytes), pathOrBytes, options);
}

function looksLikeDicom(bytes: Uint8Array, file: string): boolean {
  if (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  )
    return true;
  return /\.(dcm|dicom|ima)$/i.test(file);
}

/** Options of {@link readDicomSeries}: the stacking options and the decoding options. */
export interface ReadDicomSeriesOptions extends DicomSeriesOptions, DicomDecodeOptions {}

/**
 * Read a folder of DICOM slices into one volume (see {@link stackDicomSeries}: order along
 * the slice normal, and `warnings` for gaps, duplicate positions, mixed orientations and
 * sizes). Files that are not DICOM (no `DICM` marker and no .dcm extension) are skipped; a
 * corrupt DICOM file is an error naming it, and so is a folder with several series unless
 * `seriesInstanceUID` picks one.
 */
export async function readDicomSeries(
  dir: string,
  options: ReadDicomSeriesOptions = {},
): Promise<DicomVolume> {
  const fn = 'readDicomSeries';
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => d.name)
      .sort();
  } catch (e) {
    throw new Error(`${fn}: cannot read folder ${dir} (${(e as Error).message})`);
  }
  const slices: DicomSlice[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const bytes = await bytesOf(fn, file);
    if (!looksLikeDicom(bytes, n)) continue;
    slices.push({ file, image: await decodeDicomNamed(fn, bytes, file, options) });
  }
  return stackDicomSeries(slices, options, dir, fn);
}

/** Read a .nii / .nii.gz file (or decode its bytes). Errors name the file. */
export async function readNifti(pathOrBytes: string | Uint8Array): Promise<NiftiImage> {
  if (typeof pathOrBytes !== 'string') return decodeNifti(pathOrBytes, '<bytes>', 'readNifti');
  return decodeNifti(await bytesOf('readNifti', pathOrBytes), pathOrBytes, 'readNifti');
}

/**
 * Read a PNG or JPEG file into a float32 `[height, width, channels]` tensor (the caller
 * disposes it). Errors name the file.
 */
export async function readImage(path: string, options: ImageReadOptions = {}): Promise<tf.Tensor3D> {
  const { scale = 'none' } = options;
  checkOneOf(scale, ['none', 'unit'], 'scale', 'readImage');
  if (options.channels !== undefined && ![1, 3, 4].includes(options.channels)) {
    throw new Error(`readImage: 'channels' must be 1, 3 or 4; got ${options.channels}`);
  }
  return imageToTensor(decodeImage(await bytesOf('readImage', path), path, options), scale);
}
