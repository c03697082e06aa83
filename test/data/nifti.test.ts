import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeNifti, readNifti } from '../../src/data';

const DIR = join(__dirname, '../fixtures/data/nifti');

interface Expected {
  file: string;
  shape: number[];
  zooms: number[];
  min: number;
  max: number;
  mean: number;
  sampleIndices: number[];
  sampleValues: number[];
  affine: number[][];
  littleEndian: boolean;
}

const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected[];

describe('readNifti matches nibabel', () => {
  it.each(expected.map((e) => [e.file, e] as const))('%s', async (_n, e) => {
    const img = await readNifti(join(DIR, e.file));
    expect(img.shape).toEqual(e.shape);
    expect(img.littleEndian).toBe(e.littleEndian);
    img.spacing.forEach((v, i) => expect(v).toBeCloseTo(e.zooms[i] as number, 5));
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of img.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    // float32 output vs nibabel's float64: relative 1e-6.
    expect(min).toBeCloseTo(e.min, 3);
    expect(max).toBeCloseTo(e.max, 2);
    expect(sum / img.data.length).toBeCloseTo(e.mean, 2);
    e.sampleIndices.forEach((k, i) => {
      expect(Math.abs((img.data[k] as number) - (e.sampleValues[i] as number))).toBeLessThanOrEqual(
        1e-6 * Math.max(1, Math.abs(e.sampleValues[i] as number)) + 1e-4,
      );
    });
    img.affine.forEach((row, r) =>
      row.forEach((v, c) => expect(v).toBeCloseTo(e.affine[r]?.[c] as number, 3)),
    );
  });

  it('applies scl_slope / scl_inter on big-endian data', async () => {
    const img = await readNifti(new Uint8Array(readFileSync(join(DIR, 'scaled_be.nii.gz'))));
    expect(img.scale).toEqual({ slope: 0.5, intercept: -10 });
    expect(img.littleEndian).toBe(false);
  });

  it('names the file when it is truncated, corrupt or not NIfTI', () => {
    const raw = new Uint8Array(readFileSync(join(DIR, 'functional.nii')));
    expect(() => decodeNifti(raw.subarray(0, raw.length - 100), 'f.nii')).toThrow(
      /decodeNifti: f\.nii: truncated/,
    );
    const gz = gzipSync(raw);
    expect(() => decodeNifti(gz.subarray(0, 200), 'f.nii.gz')).toThrow(
      /f\.nii\.gz: corrupt or truncated gzip/,
    );
    expect(() => decodeNifti(new Uint8Array(400), 'zeros.nii')).toThrow(/zeros\.nii: not a NIfTI/);
    return expect(readNifti(join(DIR, 'absent.nii'))).rejects.toThrow(/absent\.nii/);
  });
});

describe('niftiToSlices / dicomVolumeToSlices', () => {
  it('lay voxels out as [slices, rows, columns, 1] without leaking', async () => {
    const { niftiToSlices, dicomVolumeToSlices, readDicomSeries } = await import('../../src/data');
    const img = await readNifti(join(DIR, 'functional.nii'));
    const t = niftiToSlices(img, 1);
    expect(t.shape).toEqual([3, 21, 17, 1]);
    const [nx, ny] = [17, 21];
    const v = t.dataSync();
    // voxel (x=4, y=7, z=2, t=1)
    expect(v[2 * nx * ny + 7 * nx + 4]).toBe(img.data[1 * nx * ny * 3 + 2 * nx * ny + 7 * nx + 4]);
    expect(() => niftiToSlices(img, 20)).toThrow(/'volume'/);
    const vol = await readDicomSeries(join(__dirname, '../fixtures/data/dicom/series'));
    const d = dicomVolumeToSlices(vol);
    expect(d.shape).toEqual([3, 64, 64, 1]);
    t.dispose();
    d.dispose();
  });
});
