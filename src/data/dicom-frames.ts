import type * as dicomParserNs from 'dicom-parser';
import { type PixelEncoding, frameDecoder } from './dicom-codecs';
import { decodeRleFrame } from './dicom-rle';

type DicomParser = typeof dicomParserNs;

/** The pixel layout read from the header. */
export interface PixelLayout {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  planar: number;
  slope: number;
  intercept: number;
}

/**
 * Stored samples to modality values (value * slope + intercept), sign-extending signed data
 * stored in fewer bits than allocated.
 */
function toModality(
  view: DataView,
  count: number,
  l: PixelLayout,
  little: boolean,
  out: Float32Array,
  at: number,
): void {
  const shift = 32 - l.bitsStored;
  const sext = l.signed && l.bitsStored < l.bitsAllocated;
  for (let i = 0; i < count; i++) {
    let v: number;
    if (l.bitsAllocated === 8) v = l.signed ? view.getInt8(i) : view.getUint8(i);
    else if (l.bitsAllocated === 16)
      v = l.signed ? view.getInt16(2 * i, little) : view.getUint16(2 * i, little);
    else v = l.signed ? view.getInt32(4 * i, little) : view.getUint32(4 * i, little);
    if (sext) v = (v << shift) >> shift;
    out[at + i] = v * l.slope + l.intercept;
  }
}

/** Colour-by-plane (RRR..GGG..BBB) to interleaved (RGBRGB..), frame by frame. */
function interleave(px: Float32Array, l: PixelLayout): Float32Array {
  const n = l.rows * l.columns;
  const per = n * l.samplesPerPixel;
  const out = new Float32Array(px.length);
  for (let f = 0; f < l.frames; f++)
    for (let s = 0; s < l.samplesPerPixel; s++)
      for (let p = 0; p < n; p++)
        out[f * per + p * l.samplesPerPixel + s] = px[f * per + s * n + p] as number;
  return out;
}

/** Uncompressed pixel data: every frame back to back in the element's value. */
export function nativePixels(
  ds: dicomParserNs.DataSet,
  el: dicomParserNs.Element,
  l: PixelLayout,
  little: boolean,
  fail: (m: string) => never,
): Float32Array {
  const count = l.rows * l.columns * l.samplesPerPixel * l.frames;
  const need = (count * l.bitsAllocated) / 8;
  const have = Math.max(0, Math.min(el.length, ds.byteArray.length - el.dataOffset));
  if (have < need) fail(`truncated pixel data: needs ${need} bytes, file holds ${have}`);
  const buf = ds.byteArray;
  const view = new DataView(buf.buffer, buf.byteOffset + el.dataOffset, need);
  const out = new Float32Array(count);
  toModality(view, count, l, little, out, 0);
  return l.samplesPerPixel > 1 && l.planar === 1 ? interleave(out, l) : out;
}

/** The bytes of frame `f` of encapsulated pixel data (PS3.5 A.4). */
function encapsulatedFrame(
  parser: DicomParser,
  ds: dicomParserNs.DataSet,
  el: dicomParserNs.Element,
  f: number,
  frames: number,
): Uint8Array {
  const fragments = el.fragments ?? [];
  if (frames === 1) return parser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length);
  if ((el.basicOffsetTable ?? []).length) return parser.readEncapsulatedImageFrame(ds, el, f);
  if (fragments.length === frames) return parser.readEncapsulatedPixelDataFromFragments(ds, el, f, 1);
  return parser.readEncapsulatedImageFrame(ds, el, f, parser.createJPEGBasicOffsetTable(ds, el));
}

/** Compressed pixel data: each frame through its decoder into little-endian samples. */
export function encapsulatedPixels(
  parser: DicomParser,
  ds: dicomParserNs.DataSet,
  el: dicomParserNs.Element,
  l: PixelLayout,
  encoding: PixelEncoding,
  photometric: string,
  fail: (m: string) => never,
): Float32Array {
  if (!el.encapsulatedPixelData) fail(`a compressed transfer syntax, but the pixel data is not encapsulated`);
  if (encoding !== 'rle' && l.bitsAllocated !== 8 && l.bitsAllocated !== 16)
    fail(`compressed frames of BitsAllocated ${l.bitsAllocated} are not supported (8 or 16)`);
  const n = l.rows * l.columns * l.samplesPerPixel;
  const out = new Float32Array(n * l.frames);
  const bytesPer = l.bitsAllocated / 8;
  const decode = frameDecoder(encoding);
  for (let f = 0; f < l.frames; f++) {
    const enc = encapsulatedFrame(parser, ds, el, f, l.frames);
    const raw =
      encoding === 'rle'
        ? decodeRleFrame(enc, l.rows * l.columns, l.samplesPerPixel, bytesPer, fail)
        : (decode as NonNullable<typeof decode>)(enc, { ...l, photometric, fail });
    toModality(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), n, l, true, out, f * n);
  }
  return out;
}
