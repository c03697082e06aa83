// The decoders' fuzz targets: real fixtures and the header offsets worth lying in.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'fflate';
import { decodeDicomAsync, decodeImage, decodeNifti, decodePng } from '../../src/data';
import { crc32 } from '../../src/data/png';
import { PYDICOM_FILES } from '../data/pydicom-files';
import type { FuzzTarget } from './mutate';

const FIX = fileURLToPath(new URL('../fixtures/data', import.meta.url));
const read = (dir: string, f: string): { name: string; bytes: Uint8Array } => ({
  name: f,
  bytes: new Uint8Array(readFileSync(join(dir, f))),
});

/** Offsets of a DICOM file's Rows, Columns, BitsAllocated, NumberOfFrames values and element lengths. */
function dicomHotspots(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 132; i + 8 < b.length; i += 2) {
    // (0028,0010) Rows, (0028,0011) Columns, (0028,0100) BitsAllocated, (0028,0008) frames, (7FE0,0010) PixelData
    if (
      b[i] === 0x28 &&
      b[i + 1] === 0x00 &&
      [0x10, 0x11, 0x08].includes(b[i + 2] as number) &&
      b[i + 3] === 0x00
    )
      out.push(i + 4, i + 6, i + 8);
    if (b[i] === 0x28 && b[i + 1] === 0x00 && b[i + 2] === 0x00 && b[i + 3] === 0x01) out.push(i + 8);
    if (b[i] === 0xe0 && b[i + 1] === 0x7f && b[i + 2] === 0x10 && b[i + 3] === 0x00) out.push(i + 4, i + 8);
  }
  return out.slice(0, 64);
}

/** Recompute every chunk CRC a mutant still has room for, so header lies get past the CRC check. */
function fixPngCrcs(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  let pos = 8;
  while (pos + 12 <= b.length) {
    const len = v.getUint32(pos);
    if (pos + 12 + len > b.length) break;
    v.setUint32(pos + 8 + len, (crc32(b.subarray(pos + 4, pos + 8 + len)) ^ 0xffffffff) >>> 0);
    pos += 12 + len;
  }
  return b;
}

/** The four formats of issue 18 item 4. */
export function decoderTargets(): FuzzTarget[] {
  const dcmDir = join(FIX, 'dicom');
  const dicom = readdirSync(dcmDir)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => read(dcmDir, f));
  if (PYDICOM_FILES)
    for (const f of [
      'MR_small_RLE.dcm',
      'MR_small_jpeg_ls_lossless.dcm',
      'MR_small_jp2klossless.dcm',
      'SC_rgb_jpeg_dcmtk.dcm',
      'SC_rgb_rle_2frame.dcm',
      'dicomdirtests/77654033/CR1/6154',
    ])
      dicom.push(read(PYDICOM_FILES, f));
  const pngDir = join(FIX, 'png');
  const png = readdirSync(pngDir)
    .filter((f) => f.endsWith('.png'))
    .map((f) => ({ ...read(pngDir, f), hotspots: [16, 18, 20, 22, 24, 8, 33] }));
  const jpgDir = join(FIX, 'jpeg');
  const jpeg = readdirSync(jpgDir)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => read(jpgDir, f));
  const niiDir = join(FIX, 'nifti');
  const nifti = readdirSync(niiDir)
    .filter((f) => /\.nii(\.gz)?$/.test(f))
    .map((f) => read(niiDir, f))
    // mutate the uncompressed header too, not only the gzip stream around it
    .map((s) => (s.name.endsWith('.gz') ? { name: s.name.slice(0, -3), bytes: gunzipSync(s.bytes) } : s))
    .map((s) => ({ ...s, hotspots: [0, 40, 42, 44, 46, 48, 50, 52, 54, 70, 72, 108, 112, 16, 24, 32] }));
  return [
    {
      label: 'DICOM',
      seeds: dicom.map((s) => ({ ...s, hotspots: dicomHotspots(s.bytes) })),
      decode: (b) => decodeDicomAsync(b, 'fuzz.dcm'),
      errorPrefix: /^decodeDicomAsync: fuzz\.dcm: (?=\S)/,
    },
    {
      label: 'PNG',
      seeds: png,
      decode: (b) => decodePng(b, 'fuzz.png'),
      errorPrefix: /^decodePng: fuzz\.png: (?=\S)/,
      fixup: fixPngCrcs,
    },
    {
      label: 'JPEG',
      seeds: jpeg,
      decode: (b) => decodeImage(b, 'fuzz.jpg'),
      errorPrefix: /^(decodeImage|decodePng): fuzz\.jpg: (?=\S)/,
    },
    {
      label: 'NIfTI',
      seeds: nifti,
      decode: (b) => decodeNifti(b, 'fuzz.nii'),
      errorPrefix: /^decodeNifti: fuzz\.nii: (?=\S)/,
    },
  ];
}
