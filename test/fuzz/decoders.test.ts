import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDicom, decodeImage, decodeNifti, decodePng } from '../../src/data';
import { crc32 } from '../../src/data/png';
import { allocatedBy, fuzz, summarise } from './mutate';
import { decoderTargets } from './targets';

// Issue 18 item 4, the CI share: a seeded few thousand mutants of the real fixtures
// (npm run fuzz runs 100,000). Every case decodes or throws an Error naming the decoder.
const CASES = 750;

describe('decoders survive mutated real files', () => {
  it.each(decoderTargets().map((t) => [t.label, t] as const))('%s', async (_l, t) => {
    // The bound is for hangs (a loop on a lying length), not speed: the machine is shared.
    const r = await fuzz(t, { cases: CASES, seed: 18, timeBoundMs: 10_000 });
    console.log(summarise(r));
    expect(r.raw).toEqual([]);
    expect(r.slow).toEqual([]);
    expect(r.decoded + r.namedErrors).toBe(CASES);
  });
});

function pngClaiming(width: number, height: number): Uint8Array {
  const b = new Uint8Array(readFileSync(join(__dirname, '../fixtures/data/png/gray8.png')));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setUint32(16, width);
  v.setUint32(20, height);
  v.setUint32(29, (crc32(b.subarray(12, 29)) ^ 0xffffffff) >>> 0);
  return b;
}

describe('huge headers are refused before allocation', () => {
  it('PNG of 1x(2^31-1) and 13x(2^31-1) pixels', () => {
    for (const w of [1, 13]) {
      const b = pngClaiming(w, 2 ** 31 - 1);
      expect(() => decodePng(b, 'huge.png')).toThrow(/^decodePng: huge\.png: .* more than maxSamples/);
      expect(allocatedBy(() => decodePng(b, 'huge.png'))).toBeLessThan(64 * 2 ** 20);
    }
    expect(() => decodePng(pngClaiming(2 ** 31, 1), 'huge.png')).toThrow(/exceeds the PNG limit/);
  });

  it('DICOM claiming 65535x65535 pixels in 2^31 frames', () => {
    const b = new Uint8Array(readFileSync(join(__dirname, '../fixtures/data/dicom/MR_small.dcm')));
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 132; i + 8 < b.length; i += 2) {
      // (0028,0010) Rows and (0028,0011) Columns, explicit VR 'US' with a 2-byte length
      if (v.getUint16(i, true) === 0x0028 && [0x0010, 0x0011].includes(v.getUint16(i + 2, true)))
        v.setUint16(i + 8, 0xffff, true);
    }
    expect(() => decodeDicom(b, 'huge.dcm')).toThrow(/^decodeDicom: huge\.dcm: .*more than maxSamples/);
    expect(allocatedBy(() => decodeDicom(b, 'huge.dcm'))).toBeLessThan(64 * 2 ** 20);
  });

  it('NIfTI claiming 2^31 rows, or negative dimensions', () => {
    const b = new Uint8Array(readFileSync(join(__dirname, '../fixtures/data/nifti/anatomical.nii')));
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const le = v.getInt32(0, true) === 348;
    const huge = b.slice();
    new DataView(huge.buffer).setInt16(42, 32767, le);
    new DataView(huge.buffer).setInt16(44, 32767, le);
    new DataView(huge.buffer).setInt16(46, 32767, le);
    expect(() => decodeNifti(huge, 'huge.nii')).toThrow(
      /^decodeNifti: huge\.nii: header claims .* more than maxVoxels/,
    );
    expect(allocatedBy(() => decodeNifti(huge, 'huge.nii'))).toBeLessThan(64 * 2 ** 20);
    const neg = b.slice();
    new DataView(neg.buffer).setInt16(44, -3, le);
    expect(() => decodeNifti(neg, 'neg.nii')).toThrow(
      /^decodeNifti: neg\.nii: dim\[2\] = -3 is not a positive integer/,
    );
  });
});

describe('fuzz regressions', () => {
  it('a JPEG whose frame header lies about its size fails at once (jpeg-lying-frame.jpg)', () => {
    const b = new Uint8Array(readFileSync(join(__dirname, '../fixtures/data/fuzz/jpeg-lying-frame.jpg')));
    expect(() => decodeImage(b, 'lying.jpg')).toThrow(
      /^decodeImage: lying\.jpg: corrupt or unsupported JPEG \(jpeg-js: maxMemoryUsageInMB/,
    );
    // gray.jpg's frame header claiming 5912x2582 pixels in 355 bytes
    const g = new Uint8Array(readFileSync(join(__dirname, '../fixtures/data/jpeg/gray.jpg')));
    const sof = g.findIndex((v, i) => v === 0xff && g[i + 1] === 0xc0);
    const lie = g.slice();
    new DataView(lie.buffer).setUint16(sof + 5, 2582);
    new DataView(lie.buffer).setUint16(sof + 7, 5912);
    expect(() => decodeImage(lie, 'lie.jpg')).toThrow(
      /^decodeImage: lie\.jpg: a 455-byte JPEG cannot hold 5912x2582 pixels/,
    );
  });
});
