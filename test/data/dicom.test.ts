import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDicom, readDicom, readDicomSeries } from '../../src/data';

const DIR = join(__dirname, '../fixtures/data/dicom');

interface Expected {
  file: string;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  min: number;
  max: number;
  mean: number;
  sampleIndices: number[];
  sampleValues: number[];
  spacing: number[] | null;
  position: number[] | null;
  instanceNumber: number | null;
  modality: string;
}

const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected[];
const tmp = mkdtempSync(join(tmpdir(), 'medinets-dicom-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readDicom matches pydicom', () => {
  it.each(expected.map((e) => [e.file, e] as const))('%s', async (_n, e) => {
    const img = await readDicom(join(DIR, e.file));
    expect([img.rows, img.columns, img.frames, img.samplesPerPixel]).toEqual([
      e.rows,
      e.columns,
      e.frames,
      e.samplesPerPixel,
    ]);
    expect(img.pixels.length).toBe(e.rows * e.columns * e.frames * e.samplesPerPixel);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of img.pixels) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect(min).toBe(e.min);
    expect(max).toBe(e.max);
    expect(sum / img.pixels.length).toBeCloseTo(e.mean, 3);
    expect(e.sampleIndices.map((i) => img.pixels[i])).toEqual(e.sampleValues);
    if (e.spacing) expect(img.spacing).toEqual(e.spacing);
    if (e.position) img.position?.forEach((v, i) => expect(v).toBeCloseTo(e.position?.[i] as number, 4));
    expect(img.instanceNumber).toBe(e.instanceNumber);
    expect(img.meta.Modality).toBe(e.modality);
  });

  it('CT_small is in Hounsfield units: 128x128, -896..1167, mean -119.074', async () => {
    const img = await readDicom(new Uint8Array(readFileSync(join(DIR, 'CT_small.dcm'))));
    expect(img.rows).toBe(128);
    expect(img.rescale.intercept).toBe(-1024);
    const mean = img.pixels.reduce((s, v) => s + v, 0) / img.pixels.length;
    expect(mean).toBeCloseTo(-119.074, 3);
  });

  it('names the file when it is truncated, corrupt or missing', async () => {
    const bytes = new Uint8Array(readFileSync(join(DIR, 'CT_small.dcm')));
    const cut = join(tmp, 'cut.dcm');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    await expect(readDicom(cut)).rejects.toThrow(/readDicom: .*cut\.dcm: /);
    const junk = join(tmp, 'junk.dcm');
    writeFileSync(junk, new Uint8Array(300).fill(7));
    await expect(readDicom(junk)).rejects.toThrow(/junk\.dcm: not a readable DICOM/);
    await expect(readDicom(join(tmp, 'nope.dcm'))).rejects.toThrow(/nope\.dcm/);
    expect(() => decodeDicom(bytes.subarray(0, 200), 'head.dcm')).toThrow(/head\.dcm/);
  });
});

describe('readDicomSeries', () => {
  it('stacks slices along the slice normal, skipping non-DICOM files', async () => {
    const vol = await readDicomSeries(join(DIR, 'series'));
    expect(vol.shape).toEqual([3, 64, 64]);
    expect(vol.files.map((f) => f.split('/').pop())).toEqual(['b.dcm', 'c.dcm', 'a.dcm']);
    expect(vol.spacing[0]).toBeCloseTo(7.5, 6);
    expect(vol.spacing[1]).toBeCloseTo(0.3125, 6);
    const mr = await readDicom(join(DIR, 'MR_small.dcm'));
    const n = 64 * 64;
    for (let s = 0; s < 3; s++) {
      for (const p of [0, 100, 2000, n - 1])
        expect(vol.pixels[s * n + p]).toBe((mr.pixels[p] as number) + 1000 * s);
    }
  });

  it('reports empty folders and mixed series clearly', async () => {
    const empty = join(tmp, 'empty');
    const mixed = join(tmp, 'mixed');
    for (const d of [empty, mixed]) rmSync(d, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(empty);
    mkdirSync(mixed);
    await expect(readDicomSeries(empty)).rejects.toThrow(/no DICOM files in .*empty/);
    copyFileSync(join(DIR, 'CT_small.dcm'), join(mixed, '1.dcm'));
    copyFileSync(join(DIR, 'MR_small.dcm'), join(mixed, '2.dcm'));
    await expect(readDicomSeries(mixed)).rejects.toThrow(/holds 2 series/);
    const ct = await readDicom(join(DIR, 'CT_small.dcm'));
    const one = await readDicomSeries(mixed, { seriesInstanceUID: ct.meta.SeriesInstanceUID as string });
    expect(one.shape).toEqual([1, 128, 128]);
  });
});
