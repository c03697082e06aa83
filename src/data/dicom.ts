import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import * as dicomParserNs from 'dicom-parser';

// dicom-parser is a UMD bundle: under ESM interop its API may sit on `default`.
const dicomParser: typeof dicomParserNs =
  (dicomParserNs as unknown as { default?: typeof dicomParserNs }).default ?? dicomParserNs;

/** One decoded DICOM object (one file; all of its frames). */
export interface DicomImage {
  /** Rows (height) of a frame. */
  rows: number;
  /** Columns (width) of a frame. */
  columns: number;
  /** Number of frames (1 unless multi-frame). */
  frames: number;
  /** Samples per pixel (1 gray, 3 colour). */
  samplesPerPixel: number;
  /**
   * `frames * rows * columns * samplesPerPixel` values, frame-major then row-major,
   * samples interleaved, with the modality LUT applied: value * RescaleSlope +
   * RescaleIntercept, i.e. Hounsfield units for CT (raw stored values when absent).
   */
  pixels: Float32Array;
  /** PixelSpacing in mm as [row spacing, column spacing]; [1, 1] when the file has none. */
  spacing: [number, number];
  /** SliceThickness in mm, or null. */
  sliceThickness: number | null;
  /** ImagePositionPatient (mm), or null. */
  position: [number, number, number] | null;
  /** ImageOrientationPatient (row then column direction cosines), or null. */
  orientation: [number, number, number, number, number, number] | null;
  /** InstanceNumber, or null. */
  instanceNumber: number | null;
  /** The rescale that was applied. */
  rescale: {
    /** RescaleSlope (1 when absent). */
    slope: number;
    /** RescaleIntercept (0 when absent). */
    intercept: number;
  };
  /** Selected header fields as strings (absent ones omitted): Modality, SeriesInstanceUID, ... */
  meta: Record<string, string>;
}

const META_TAGS: Record<string, string> = {
  Modality: 'x00080060',
  PatientID: 'x00100020',
  StudyInstanceUID: 'x0020000d',
  SeriesInstanceUID: 'x0020000e',
  SOPInstanceUID: 'x00080018',
  SeriesDescription: 'x0008103e',
  BodyPartExamined: 'x00180015',
  Manufacturer: 'x00080070',
  PhotometricInterpretation: 'x00280004',
  TransferSyntaxUID: 'x00020010',
  WindowCenter: 'x00281050',
  WindowWidth: 'x00281051',
  BitsAllocated: 'x00280100',
  BitsStored: 'x00280101',
  PixelRepresentation: 'x00280103',
  RescaleType: 'x00281054',
};

const UNCOMPRESSED = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.1.99',
]);

function numbers(ds: dicomParserNs.DataSet, tag: string): number[] | null {
  const s = ds.string(tag);
  if (s === undefined || s.trim() === '') return null;
  const v = s.split('\\').map((p) => Number.parseFloat(p));
  return v.every(Number.isFinite) ? v : null;
}

/**
 * Decode DICOM bytes (uncompressed: implicit/explicit VR little endian, explicit big endian,
 * deflated). Compressed pixel data (JPEG, JPEG 2000, RLE...) is reported, not guessed at.
 * @param name what to call the file in errors (its path).
 */
export function decodeDicom(bytes: Uint8Array, name = '<bytes>'): DicomImage {
  const fail = (m: string): never => {
    throw new Error(`readDicom: ${name}: ${m}`);
  };
  let ds: dicomParserNs.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, {
      inflater: ((arr: Uint8Array, position: number) => {
        const inflated = inflateRawSync(arr.subarray(position));
        const full = new Uint8Array(position + inflated.length);
        full.set(arr.subarray(0, position), 0);
        full.set(inflated, position);
        return full;
      }) as unknown as (arr: Uint8Array, position: number) => void,
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return fail(`not a readable DICOM file (${msg})`);
  }
  const ts = ds.string('x00020010')?.trim() ?? '1.2.840.10008.1.2';
  const rows = ds.uint16('x00280010');
  const columns = ds.uint16('x00280011');
  const pixel = ds.elements.x7fe00010;
  if (!pixel || rows === undefined || columns === undefined)
    return fail('no image (missing Rows, Columns or PixelData)');
  if (!UNCOMPRESSED.has(ts) || pixel.encapsulatedPixelData) {
    return fail(
      `compressed transfer syntax ${ts} is not supported; decompress it first (e.g. gdcmconv --raw or dcmdjpeg)`,
    );
  }
  const bits = ds.uint16('x00280100') ?? 16;
  const stored = ds.uint16('x00280101') ?? bits;
  const signed = (ds.uint16('x00280103') ?? 0) === 1;
  const spp = ds.uint16('x00280002') ?? 1;
  const planar = ds.uint16('x00280006') ?? 0;
  const frames = Math.max(1, Number.parseInt(ds.string('x00280008') ?? '1', 10) || 1);
  if (![8, 16, 32].includes(bits)) return fail(`BitsAllocated ${bits} is not supported (8, 16 or 32)`);
  const perFrame = rows * columns * spp;
  const count = perFrame * frames;
  const need = (count * bits) / 8;
  const buf = ds.byteArray;
  if (pixel.dataOffset + need > buf.length || pixel.length < need) {
    return fail(
      `truncated pixel data: needs ${need} bytes, file holds ${Math.min(pixel.length, buf.length - pixel.dataOffset)}`,
    );
  }
  const little = ts !== '1.2.840.10008.1.2.2';
  const view = new DataView(buf.buffer, buf.byteOffset + pixel.dataOffset, need);
  const slope = numbers(ds, 'x00281053')?.[0] ?? 1;
  const intercept = numbers(ds, 'x00281052')?.[0] ?? 0;
  const shift = 32 - stored;
  const pixels = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let v: number;
    if (bits === 8) v = signed ? view.getInt8(i) : view.getUint8(i);
    else if (bits === 16) v = signed ? view.getInt16(2 * i, little) : view.getUint16(2 * i, little);
    else v = signed ? view.getInt32(4 * i, little) : view.getUint32(4 * i, little);
    // Signed data stored in fewer bits than allocated: sign-extend from BitsStored.
    if (signed && stored < bits) v = (v << shift) >> shift;
    pixels[i] = v * slope + intercept;
  }
  let out = pixels;
  if (spp > 1 && planar === 1) {
    // Colour-by-plane (RRR..GGG..BBB) to interleaved (RGBRGB..), frame by frame.
    out = new Float32Array(count);
    const n = rows * columns;
    for (let f = 0; f < frames; f++) {
      for (let s = 0; s < spp; s++)
        for (let p = 0; p < n; p++)
          out[f * perFrame + p * spp + s] = pixels[f * perFrame + s * n + p] as number;
    }
  }
  const spacing = numbers(ds, 'x00280030') ?? numbers(ds, 'x00181164');
  const position = numbers(ds, 'x00200032');
  const orientation = numbers(ds, 'x00200037');
  const instance = numbers(ds, 'x00200013');
  const thickness = numbers(ds, 'x00180050');
  const meta: Record<string, string> = {};
  for (const [key, tag] of Object.entries(META_TAGS)) {
    const el = ds.elements[tag];
    if (!el) continue;
    const isUs = key === 'BitsAllocated' || key === 'BitsStored' || key === 'PixelRepresentation';
    const v = isUs ? String(ds.uint16(tag)) : ds.string(tag);
    if (v !== undefined && v !== '') meta[key] = v.trim();
  }
  if (!meta.TransferSyntaxUID) meta.TransferSyntaxUID = ts;
  return {
    rows,
    columns,
    frames,
    samplesPerPixel: spp,
    pixels: out,
    spacing: spacing && spacing.length >= 2 ? [spacing[0] as number, spacing[1] as number] : [1, 1],
    sliceThickness: thickness?.[0] ?? null,
    position: position && position.length === 3 ? (position as [number, number, number]) : null,
    orientation: orientation && orientation.length === 6 ? (orientation as DicomImage['orientation']) : null,
    instanceNumber: instance?.[0] ?? null,
    rescale: { slope, intercept },
    meta,
  };
}

/**
 * Read a DICOM file (or decode its bytes) into pixels in the modality's units (Hounsfield
 * units for CT) with spacing, position and header fields. Errors name the file.
 */
export async function readDicom(pathOrBytes: string | Uint8Array): Promise<DicomImage> {
  if (typeof pathOrBytes !== 'string') return decodeDicom(pathOrBytes);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(pathOrBytes));
  } catch (e) {
    throw new Error(`readDicom: cannot read ${pathOrBytes} (${(e as Error).message})`);
  }
  return decodeDicom(bytes, pathOrBytes);
}

/** Options of {@link readDicomSeries}. */
export interface DicomSeriesOptions {
  /** Which series to read when the folder holds several (SeriesInstanceUID). */
  seriesInstanceUID?: string;
}

/** A series of slices stacked into a volume. */
export interface DicomVolume {
  /** `slices * rows * columns * samplesPerPixel` values, slice-major, in the modality's units. */
  pixels: Float32Array;
  /** `[slices, rows, columns]` (multi-frame files contribute one slice per frame). */
  shape: [number, number, number];
  /** Voxel spacing in mm as [between slices, row, column]. */
  spacing: [number, number, number];
  /** The files in volume order. */
  files: string[];
  /** The SeriesInstanceUID read ('' when the files carry none). */
  seriesInstanceUID: string;
  /** Header fields of the first slice. */
  meta: Record<string, string>;
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

/**
 * Read a folder of DICOM slices into one volume, ordered along the slice normal by
 * ImagePositionPatient (projected on the cross product of ImageOrientationPatient's row and
 * column directions), else by InstanceNumber, else by file name. Files that are not DICOM
 * (no `DICM` marker and no .dcm extension) are skipped; a corrupt DICOM file is an error
 * naming it, and so is a folder with several series unless `seriesInstanceUID` picks one.
 */
export async function readDicomSeries(dir: string, options: DicomSeriesOptions = {}): Promise<DicomVolume> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => d.name)
      .sort();
  } catch (e) {
    throw new Error(`readDicomSeries: cannot read folder ${dir} (${(e as Error).message})`);
  }
  const slices: Array<{ file: string; img: DicomImage }> = [];
  for (const n of names) {
    const file = join(dir, n);
    const bytes = new Uint8Array(await readFile(file));
    if (!looksLikeDicom(bytes, n)) continue;
    slices.push({ file, img: decodeDicom(bytes, file) });
  }
  if (!slices.length) throw new Error(`readDicomSeries: no DICOM files in ${dir}`);
  const uids = [...new Set(slices.map((s) => s.img.meta.SeriesInstanceUID ?? ''))];
  let chosen = slices;
  if (options.seriesInstanceUID !== undefined) {
    chosen = slices.filter((s) => (s.img.meta.SeriesInstanceUID ?? '') === options.seriesInstanceUID);
    if (!chosen.length)
      throw new Error(
        `readDicomSeries: ${dir} has no series ${options.seriesInstanceUID}; found ${uids.join(', ')}`,
      );
  } else if (uids.length > 1) {
    throw new Error(
      `readDicomSeries: ${dir} holds ${uids.length} series (${uids.join(', ')}); pass 'seriesInstanceUID' to pick one`,
    );
  }
  const first = (chosen[0] as { img: DicomImage }).img;
  for (const s of chosen) {
    if (
      s.img.rows !== first.rows ||
      s.img.columns !== first.columns ||
      s.img.samplesPerPixel !== first.samplesPerPixel
    ) {
      throw new Error(
        `readDicomSeries: ${s.file} is ${s.img.rows}x${s.img.columns}x${s.img.samplesPerPixel} but the series is ${first.rows}x${first.columns}x${first.samplesPerPixel}`,
      );
    }
  }
  let key: (s: { file: string; img: DicomImage }) => number;
  const o = first.orientation;
  const havePos = chosen.every((s) => s.img.position !== null) && o !== null;
  let normal: [number, number, number] = [0, 0, 1];
  if (havePos && o) {
    normal = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
    key = (s) => {
      const p = s.img.position as [number, number, number];
      return p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
    };
  } else if (chosen.every((s) => s.img.instanceNumber !== null)) key = (s) => s.img.instanceNumber as number;
  else key = () => 0;
  const ordered = chosen
    .map((s, i) => ({ s, k: key(s), i }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.s);
  let dz = first.sliceThickness ?? 1;
  if (havePos && ordered.length > 1) {
    const d: number[] = [];
    for (let i = 1; i < ordered.length; i++)
      d.push(Math.abs(key(ordered[i] as (typeof ordered)[0]) - key(ordered[i - 1] as (typeof ordered)[0])));
    d.sort((a, b) => a - b);
    const med = d[Math.floor(d.length / 2)] as number;
    if (med > 0) dz = med;
  }
  const frameSize = first.rows * first.columns * first.samplesPerPixel;
  const total = ordered.reduce((s, x) => s + x.img.frames, 0);
  const pixels = new Float32Array(total * frameSize);
  let off = 0;
  for (const s of ordered) {
    pixels.set(s.img.pixels, off);
    off += s.img.pixels.length;
  }
  return {
    pixels,
    shape: [total, first.rows, first.columns],
    spacing: [dz, first.spacing[0], first.spacing[1]],
    files: ordered.map((s) => s.file),
    seriesInstanceUID: uids.length === 1 ? (uids[0] as string) : (options.seriesInstanceUID ?? ''),
    meta: first.meta,
  };
}
