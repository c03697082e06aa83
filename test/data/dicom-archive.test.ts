import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyDicomWindow,
  decodeDicom,
  decodeDicomAsync,
  readDicom,
  readDicomSeries,
  stackDicomSeries,
} from '../../src/data';
import { PYDICOM_FILES, RUN_PYDICOM } from './pydicom-files';

// Reference values from pydicom: test/fixtures/data/make_dicomdir_fixtures.py.
interface ImageRef {
  file: string;
  modality: string;
  photometric: string;
  rows: number;
  columns: number;
  slope: number;
  intercept: number;
  windowCenter: number[] | null;
  windowWidth: number[] | null;
  pixels: number[];
  invertConstant?: number;
  inverted?: number[];
  windowed?: number[];
}
interface CompressedRef {
  file: string;
  reference: string;
  transferSyntax: string;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  sum: number;
  min: number;
  max: number;
  sampleIndices: number[];
  sampleValues: number[];
}
const REF = JSON.parse(readFileSync(join(__dirname, '../fixtures/data/dicomdir/expected.json'), 'utf8')) as {
  images: ImageRef[];
  compressed: CompressedRef[];
};
const FILES = PYDICOM_FILES ?? '/nonexistent/pydicom/test_files';
const OURS = join(__dirname, '../fixtures/data/dicom');
const tmp = mkdtempSync(join(tmpdir(), 'medinets-dicomdir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe.runIf(RUN_PYDICOM)("pydicom's dicomdirtests (CT, CR, MR) as archives hold them", () => {
  it('finds the files of python3-pydicom (apt) — required under CI', () => {
    expect(PYDICOM_FILES, 'install python3-pydicom (apt-get install python3-pydicom)').not.toBeNull();
  });

  it.each(REF.images.map((r) => [r.file, r] as const))('%s matches pydicom', async (_f, r) => {
    const img = await readDicom(join(FILES, r.file));
    expect([img.rows, img.columns, img.meta.Modality, img.photometric]).toEqual([
      r.rows,
      r.columns,
      r.modality,
      r.photometric,
    ]);
    expect(img.rescale).toEqual({ slope: r.slope, intercept: r.intercept });
    const mono1 = r.photometric === 'MONOCHROME1';
    expect(img.inverted).toBe(mono1);
    // float32 pixels against pydicom's float64 modality LUT
    expect(maxDiff(img.pixels, mono1 ? (r.inverted as number[]) : r.pixels)).toBeLessThan(1e-3);
    const raw = decodeDicom(new Uint8Array(readFileSync(join(FILES, r.file))), r.file, {
      monochrome1: 'keep',
    });
    expect(raw.inverted).toBe(false);
    expect(maxDiff(raw.pixels, r.pixels)).toBeLessThan(1e-3);
    if (r.windowCenter) {
      expect(raw.windows.map((w) => [w.center, w.width])).toEqual(
        r.windowCenter.map((c, i) => [c, r.windowWidth?.[i]]),
      );
      expect(raw.window?.fn).toBe('LINEAR');
      expect(maxDiff(applyDicomWindow(raw), r.windowed as number[])).toBeLessThan(1e-5);
      if (mono1) {
        // The default window is reflected with the pixels: same picture, inverted grey scale.
        expect(img.window?.center).toBeCloseTo((r.invertConstant as number) - r.windowCenter[0]!, 6);
        const a = applyDicomWindow(img);
        const b = applyDicomWindow(raw);
        let m = 0;
        for (let i = 0; i < a.length; i++)
          m = Math.max(m, Math.abs((a[i] as number) - (1 - (b[i] as number))));
        expect(m).toBeLessThan(1e-3);
      }
    }
  });

  it('CR X-rays are MONOCHROME1, inverted by default and said so', async () => {
    const cr = REF.images.filter((r) => r.modality === 'CR');
    expect(cr.length).toBe(3);
    for (const r of cr) expect((await readDicom(join(FILES, r.file))).inverted).toBe(true);
  });

  it('warns about the 202 mm gap of 77654033/CT2 (z = -99.5, 103.0, 104.3, 105.5)', async () => {
    const vol = await readDicomSeries(join(FILES, 'dicomdirtests/77654033/CT2'));
    expect(vol.shape[0]).toBe(4);
    expect(vol.spacing[0]).toBeCloseTo(1.25, 2);
    expect(vol.warnings.map((w) => w.code)).toEqual(['gap']);
    expect(vol.warnings[0]?.message).toMatch(/202\.5 mm between .*17106 and .*17136.*1\.25 mm/);
    await expect(
      readDicomSeries(join(FILES, 'dicomdirtests/77654033/CT2'), { onIrregular: 'error' }),
    ).rejects.toThrow(/readDicomSeries: .*CT2: gap: 202\.5 mm/);
  });

  it('an evenly spaced series (98892001/CT5N, 2.5 mm) has no warnings', async () => {
    const vol = await readDicomSeries(join(FILES, 'dicomdirtests/98892001/CT5N'));
    expect(vol.shape).toEqual([5, 16, 16]);
    expect(vol.spacing[0]).toBeCloseTo(2.5, 4);
    expect(vol.warnings).toEqual([]);
    expect(vol.window).toMatchObject({ center: 40, width: 400 });
  });

  it('names mixed orientations (98892001/CT2N; 98892003/MR700, radial slices)', async () => {
    for (const d of ['98892001/CT2N', '98892003/MR700']) {
      const vol = await readDicomSeries(join(FILES, 'dicomdirtests', d));
      expect(vol.warnings.map((w) => w.code)).toContain('mixed-orientation');
    }
  });

  it('names duplicate positions (a slice of 98892001/CT5N twice)', async () => {
    const dir = join(tmp, 'duplicate');
    cpSync(join(FILES, 'dicomdirtests/98892001/CT5N'), dir, { recursive: true });
    cpSync(join(dir, '2693'), join(dir, '2693-copy'));
    const vol = await readDicomSeries(dir);
    expect(vol.shape[0]).toBe(6);
    expect(vol.warnings.map((w) => w.code)).toEqual(['duplicate-position']);
    expect(vol.warnings[0]?.files.map((f) => f.split('/').pop()).sort()).toEqual(['2693', '2693-copy']);
  });

  it('names slices of another size and leaves them out', async () => {
    const dir = join(FILES, 'dicomdirtests/98892001/CT5N');
    const slices = await Promise.all(
      ['2062', '2392', '2693', '3023', '3353'].map(async (f) => ({
        file: f,
        image: await readDicom(join(dir, f)),
      })),
    );
    const small = { ...slices[4]!.image, rows: 8, pixels: slices[4]!.image.pixels.subarray(0, 8 * 16) };
    const vol = stackDicomSeries([...slices.slice(0, 4), { file: 'small', image: small }]);
    expect(vol.shape).toEqual([4, 16, 16]);
    expect(vol.warnings.map((w) => [w.code, w.files])).toEqual([['mixed-size', ['small']]]);
    expect(() =>
      stackDicomSeries([...slices.slice(0, 4), { file: 'small', image: small }], { onIrregular: 'error' }),
    ).toThrow(/stackDicomSeries: the slices: mixed-size: 1 slice\(s\) differ/);
  });

  it('refuses JPEG Extended 12-bit (JPEG-lossy.dcm), naming the transfer syntax', async () => {
    await expect(readDicom(join(FILES, 'JPEG-lossy.dcm'))).rejects.toThrow(
      /readDicom: .*JPEG-lossy\.dcm: transfer syntax 1\.2\.840\.10008\.1\.2\.4\.51 \(JPEG Extended \(Process 2 & 4\)\) is not supported/,
    );
  });

  it.each(REF.compressed.map((r) => [r.file, r] as const))('%s decodes to its reference', async (_f, r) => {
    const img = await readDicom(join(FILES, r.file));
    expect(img.transferSyntax.uid).toBe(r.transferSyntax);
    expect([img.rows, img.columns, img.frames, img.samplesPerPixel]).toEqual([
      r.rows,
      r.columns,
      r.frames,
      r.samplesPerPixel,
    ]);
    const lossy = r.transferSyntax === '1.2.840.10008.1.2.4.50';
    const got = r.sampleIndices.map((i) => img.pixels[i] as number);
    expect(maxDiff(got, r.sampleValues)).toBeLessThanOrEqual(lossy ? 3 : 1e-3);
    if (!lossy) {
      expect(img.pixels.reduce((s, v) => s + v, 0)).toBeCloseTo(r.sum, 0);
      expect(Math.min(...img.pixels)).toBe(r.min);
      expect(Math.max(...img.pixels)).toBe(r.max);
    }
  });
});

describe('compressed transfer syntaxes', () => {
  it('decodes JPEG Lossless SV1 (DCMTK) to the pixels of the uncompressed original', async () => {
    const ref = await readDicom(join(OURS, 'MR_small.dcm'));
    const bytes = new Uint8Array(readFileSync(join(OURS, 'MR_small_jpeg_lossless.dcm')));
    const img = await decodeDicomAsync(bytes, 'lossless.dcm');
    expect(img.transferSyntax.name).toMatch(/JPEG Lossless/);
    expect(Array.from(img.pixels)).toEqual(Array.from(ref.pixels));
  });

  it('explains a truncated file instead of "[object Object]"', () => {
    const bytes = new Uint8Array(readFileSync(join(OURS, 'CT_small.dcm')));
    for (const n of [200, 1000, 3000, bytes.length - 10]) {
      let msg = '';
      try {
        decodeDicom(bytes.subarray(0, n), 'cut.dcm');
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(/^decodeDicom: cut\.dcm: (truncated|not a readable|no image|corrupt)/);
      expect(msg).not.toMatch(/object Object/);
    }
  });
});

describe('VOI LUT', () => {
  it('reads the VOI LUT Sequence and applies it as pydicom does (MR_small_voilut.dcm)', async () => {
    const ref = (
      JSON.parse(readFileSync(join(__dirname, '../fixtures/data/dicomdir/expected.json'), 'utf8')) as {
        voiLut: { file: string; firstMapped: number; entries: number; windowed: number[] };
      }
    ).voiLut;
    const img = await readDicom(join(OURS, ref.file));
    expect(img.window).toBeNull();
    expect(img.voiLut).toMatchObject({ firstMapped: ref.firstMapped, bits: 16, explanation: 'SQRT' });
    expect(img.voiLut?.data.length).toBe(ref.entries);
    expect(maxDiff(applyDicomWindow(img), ref.windowed)).toBeLessThan(1e-6);
  });
});
