import * as tf from '@tensorflow/tfjs-core';
import type { DicomVolume } from './dicom-series';
import type { NiftiImage } from './nifti';

/**
 * A DICOM series volume as a batch of slices for a 2D network.
 * @returns `[slices, rows, columns, samplesPerPixel]` float32 (the caller disposes it).
 */
export function dicomVolumeToSlices(volume: DicomVolume): tf.Tensor4D {
  const [s, r, c] = volume.shape;
  const channels = volume.pixels.length / (s * r * c);
  return tf.tensor4d(volume.pixels, [s, r, c, channels], 'float32');
}

/**
 * Axial slices of a NIfTI volume (file order is x fastest, so each z-slice is a
 * `[ny, nx]` image as stored; no reorientation is applied).
 * @param volume which 3D volume of a 4D series (the t index). Default 0.
 * @returns `[nz, ny, nx, 1]` float32 (the caller disposes it).
 */
export function niftiToSlices(img: NiftiImage, volume = 0): tf.Tensor4D {
  const [nx = 1, ny = 1, nz = 1, nt = 1] = img.shape;
  if (!Number.isInteger(volume) || volume < 0 || volume >= nt) {
    throw new Error(`niftiToSlices: 'volume' must be an integer in [0, ${nt - 1}]; got ${volume}`);
  }
  const n = nx * ny * nz;
  return tf.tensor4d(img.data.subarray(volume * n, (volume + 1) * n), [nz, ny, nx, 1], 'float32');
}
