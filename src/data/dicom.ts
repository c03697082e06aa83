import * as dicomParserNs from 'dicom-parser';
import { inflateSync } from 'fflate';
import { TRANSFER_SYNTAXES, frameDecoder, loadFrameDecoder } from './dicom-codecs';
import { type PixelLayout, encapsulatedPixels, nativePixels } from './dicom-frames';
import type { DicomVoiLut, DicomWindow } from './dicom-window';

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
   * MONOCHROME1 images are reflected (see `inverted`) unless `monochrome1: 'keep'`.
   */
  pixels: Float32Array;
  /**
   * PhotometricInterpretation of `pixels`: as stored ('MONOCHROME2' when absent), except
   * 'RGB' for JPEG baseline colour frames, which the codec converts from YBR.
   */
  photometric: string;
  /**
   * True when the file was MONOCHROME1 (low values bright, as many CR/DX archives store
   * X-rays) and `pixels` were reflected so that high values are bright, as in MONOCHROME2:
   * `value' = invertConstant - value`. The windows are reflected the same way.
   */
  inverted: boolean;
  /** `slope * (stored min + stored max) + 2 * intercept`: the reflection of `inverted`. */
  invertConstant: number;
  /** Every window of the header (WindowCenter/WindowWidth may hold several), in pixel units. */
  windows: DicomWindow[];
  /** The default window: the header's first, or null (see {@link applyDicomWindow}). */
  window: DicomWindow | null;
  /** The first VOI LUT of the header's VOI LUT Sequence, or null. */
  voiLut: DicomVoiLut | null;
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
  /** The transfer syntax of the file. */
  transferSyntax: {
    /** Its UID, e.g. '1.2.840.10008.1.2.5'. */
    uid: string;
    /** Its name, e.g. 'RLE Lossless'. */
    name: string;
  };
  /** Selected header fields as strings (absent ones omitted): Modality, SeriesInstanceUID, ... */
  meta: Record<string, string>;
}

/** Options of {@link decodeDicom}. */
export interface DicomDecodeOptions {
  /**
   * MONOCHROME1 images: 'invert' reflects the values so that high is bright (and says so in
   * `inverted`); 'keep' returns the stored sense. Default 'invert'.
   */
  monochrome1?: 'invert' | 'keep';
  /**
   * Most samples (`rows * columns * frames * samplesPerPixel`) accepted; larger headers are
   * refused before anything is allocated. Default 2^28 (1 GiB of float32).
   */
  maxSamples?: number;
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

function numbers(ds: dicomParserNs.DataSet, tag: string): number[] | null {
  const s = ds.string(tag);
  if (s === undefined || s.trim() === '') return null;
  const v = s.split('\\').map((p) => Number.parseFloat(p));
  return v.every(Number.isFinite) ? v : null;
}

/** What dicom-parser threw: it throws strings, or `{ exception, dataSet }` objects. */
function parserMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  const ex = (e as { exception?: unknown } | null)?.exception;
  return typeof ex === 'string' ? ex : ex instanceof Error ? ex.message : 'unknown parser failure';
}

function inflater(arr: Uint8Array, position: number): Uint8Array {
  const inflated = inflateSync(arr.subarray(position));
  const full = new Uint8Array(position + inflated.length);
  full.set(arr.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

function readWindows(ds: dicomParserNs.DataSet, reflect: number | null): DicomWindow[] {
  const c = numbers(ds, 'x00281050') ?? [];
  const w = numbers(ds, 'x00281051') ?? [];
  const expl = (ds.string('x00281055') ?? '').split('\\');
  const f = (ds.string('x00281056') ?? 'LINEAR').trim().toUpperCase();
  const fn: DicomWindow['fn'] = f === 'SIGMOID' || f === 'LINEAR_EXACT' ? f : 'LINEAR';
  const out: DicomWindow[] = [];
  for (let i = 0; i < Math.min(c.length, w.length); i++) {
    const center = c[i] as number;
    out.push({
      center: reflect === null ? center : reflect - center,
      width: w[i] as number,
      explanation: (expl[i] ?? '').trim(),
      fn,
    });
  }
  return out;
}

function readVoiLut(ds: dicomParserNs.DataSet): DicomVoiLut | null {
  const item = ds.elements.x00283010?.items?.[0]?.dataSet;
  const desc = item?.elements.x00283002;
  const data = item?.elements.x00283006;
  if (!item || !desc || !data) return null;
  const entries = item.uint16('x00283002', 0) || 65536;
  // The first mapped value is US or SS by the image's pixel representation.
  const first =
    (ds.uint16('x00280103') ?? 0) === 1 ? item.int16('x00283002', 1) : item.uint16('x00283002', 1);
  const bits = item.uint16('x00283002', 2) ?? 16;
  const n = Math.min(entries, Math.floor(data.length / 2));
  const lut = new Uint16Array(n);
  for (let i = 0; i < n; i++) lut[i] = item.uint16('x00283006', i) ?? 0;
  return { firstMapped: first ?? 0, bits, data: lut, explanation: (item.string('x00283003') ?? '').trim() };
}

function decodeAs(fn: string, bytes: Uint8Array, name: string, options: DicomDecodeOptions): DicomImage {
  const prefix = `${fn}: ${name}: `;
  const fail = (m: string): never => {
    throw new Error(prefix + m);
  };
  const { monochrome1 = 'invert', maxSamples = 2 ** 28 } = options;
  if (monochrome1 !== 'invert' && monochrome1 !== 'keep')
    fail(`option 'monochrome1' must be 'invert' or 'keep'; got ${String(monochrome1)}`);
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array`);
  let ds: dicomParserNs.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, {
      inflater: inflater as unknown as (arr: Uint8Array, position: number) => void,
    });
  } catch (e) {
    const m = parserMessage(e);
    const cut = /past end|overread|beyond|end of buffer/i.test(m);
    return fail(`${cut ? 'truncated or corrupt' : 'not a readable'} DICOM file (dicom-parser: ${m})`);
  }
  try {
    return fromDataSet(ds, fail, monochrome1, maxSamples);
  } catch (e) {
    // Our own checks already name the file; anything else came from dicom-parser reading a
    // corrupt element (it throws strings) and is reported as such.
    if (e instanceof Error && e.message.startsWith(prefix)) throw e;
    return fail(`corrupt DICOM data (${parserMessage(e)})`);
  }
}

function fromDataSet(
  ds: dicomParserNs.DataSet,
  fail: (m: string) => never,
  monochrome1: 'invert' | 'keep',
  maxSamples: number,
): DicomImage {
  const uid = (ds.string('x00020010') ?? '').replace(/\0/g, '').trim() || '1.2.840.10008.1.2';
  const syntax = TRANSFER_SYNTAXES[uid];
  const rows = ds.uint16('x00280010');
  const columns = ds.uint16('x00280011');
  const pixel = ds.elements.x7fe00010;
  if (!pixel || rows === undefined || columns === undefined)
    return fail('no image (missing Rows, Columns or PixelData)');
  if (!syntax) return fail(`unknown transfer syntax ${uid}`);
  if (syntax.encoding === 'unsupported' || syntax.encoding === 'jpeg-extended')
    return fail(
      `transfer syntax ${uid} (${syntax.name}) is not supported; decompress it first (e.g. gdcmconv --raw)`,
    );
  const bits = ds.uint16('x00280100') ?? 16;
  const stored = ds.uint16('x00280101') ?? bits;
  const spp = ds.uint16('x00280002') ?? 1;
  const framesStr = ds.string('x00280008');
  const frames = framesStr === undefined ? 1 : Number.parseInt(framesStr, 10);
  if (rows < 1 || columns < 1) return fail(`image of ${rows}x${columns} pixels has no pixels`);
  if (!(Number.isInteger(frames) && frames >= 1))
    return fail(`NumberOfFrames '${framesStr}' is not a positive integer`);
  if (spp !== 1 && spp !== 3) return fail(`SamplesPerPixel ${spp} is not supported (1 or 3)`);
  if (![8, 16, 32].includes(bits)) return fail(`BitsAllocated ${bits} is not supported (8, 16 or 32)`);
  if (!(stored >= 1 && stored <= bits))
    return fail(`BitsStored ${stored} must be 1..BitsAllocated (${bits})`);
  const samples = rows * columns * frames * spp;
  if (samples > maxSamples)
    return fail(
      `${frames} frame(s) of ${rows}x${columns}x${spp} are ${samples} samples, more than maxSamples (${maxSamples})`,
    );
  const slope = numbers(ds, 'x00281053')?.[0] ?? 1;
  const intercept = numbers(ds, 'x00281052')?.[0] ?? 0;
  const signed = (ds.uint16('x00280103') ?? 0) === 1;
  const layout: PixelLayout = {
    rows,
    columns,
    frames,
    samplesPerPixel: spp,
    bitsAllocated: bits,
    bitsStored: stored,
    signed,
    planar: ds.uint16('x00280006') ?? 0,
    slope,
    intercept,
  };
  const storedPhotometric = (ds.string('x00280004') ?? 'MONOCHROME2').trim() || 'MONOCHROME2';
  let pixels: Float32Array;
  if (syntax.encoding === 'native')
    pixels = nativePixels(ds, pixel, layout, uid !== '1.2.840.10008.1.2.2', fail);
  else {
    if (syntax.encoding !== 'rle' && !frameDecoder(syntax.encoding))
      return fail(
        `transfer syntax ${uid} (${syntax.name}) needs its codec loaded first: use decodeDicomAsync or readDicom, which load it`,
      );
    pixels = encapsulatedPixels(dicomParser, ds, pixel, layout, syntax.encoding, storedPhotometric, fail);
  }
  // JPEG baseline colour comes out of the codec as RGB whatever YBR form it was stored in.
  const photometric =
    syntax.encoding === 'jpeg-baseline' && spp === 3 && storedPhotometric.startsWith('YBR')
      ? 'RGB'
      : storedPhotometric;
  const lo = signed ? -(2 ** (stored - 1)) : 0;
  const hi = signed ? 2 ** (stored - 1) - 1 : 2 ** stored - 1;
  const invertConstant = slope * (lo + hi) + 2 * intercept;
  const inverted = photometric === 'MONOCHROME1' && monochrome1 === 'invert';
  if (inverted) for (let i = 0; i < pixels.length; i++) pixels[i] = invertConstant - (pixels[i] as number);
  const windows = readWindows(ds, inverted ? invertConstant : null);
  const spacing = numbers(ds, 'x00280030') ?? numbers(ds, 'x00181164');
  const position = numbers(ds, 'x00200032');
  const orientation = numbers(ds, 'x00200037');
  const instance = numbers(ds, 'x00200013');
  const thickness = numbers(ds, 'x00180050');
  const meta: Record<string, string> = {};
  for (const [key, tag] of Object.entries(META_TAGS)) {
    if (!ds.elements[tag]) continue;
    const isUs = key === 'BitsAllocated' || key === 'BitsStored' || key === 'PixelRepresentation';
    const v = isUs ? String(ds.uint16(tag)) : ds.string(tag);
    if (v !== undefined && v !== '') meta[key] = v.trim();
  }
  if (!meta.TransferSyntaxUID) meta.TransferSyntaxUID = uid;
  return {
    rows,
    columns,
    frames,
    samplesPerPixel: spp,
    pixels,
    photometric,
    inverted,
    invertConstant,
    windows,
    window: windows[0] ?? null,
    voiLut: readVoiLut(ds),
    spacing: spacing && spacing.length >= 2 ? [spacing[0] as number, spacing[1] as number] : [1, 1],
    sliceThickness: thickness?.[0] ?? null,
    position: position && position.length === 3 ? (position as [number, number, number]) : null,
    orientation: orientation && orientation.length === 6 ? (orientation as DicomImage['orientation']) : null,
    instanceNumber: instance?.[0] ?? null,
    rescale: { slope, intercept },
    transferSyntax: { uid, name: syntax.name },
    meta,
  };
}

/**
 * Decode DICOM bytes, in Node or the browser: uncompressed (implicit/explicit VR little
 * endian, explicit big endian, deflated), RLE Lossless and JPEG baseline; JPEG lossless,
 * JPEG-LS and JPEG 2000 once their optional codec is loaded ({@link decodeDicomAsync} does
 * that). Other transfer syntaxes are refused with an error naming them.
 * @param bytes the file's bytes.
 * @param name what to call the file in errors (its path). Default '<bytes>'.
 * @throws Error naming `decodeDicom`, `name` and the problem (truncated, corrupt, too large,
 *   unsupported transfer syntax).
 */
export function decodeDicom(
  bytes: Uint8Array,
  name = '<bytes>',
  options: DicomDecodeOptions = {},
): DicomImage {
  return decodeAs('decodeDicom', bytes, name, options);
}

/** The transfer syntax UID of DICOM bytes, without decoding them (null if unreadable). */
function peekTransferSyntax(bytes: Uint8Array): string | null {
  try {
    const ds = dicomParser.parseDicom(bytes, { untilTag: 'x00020010' });
    return (ds.string('x00020010') ?? '').replace(/\0/g, '').trim() || null;
  } catch {
    return null;
  }
}

/** Load the optional codec `bytes` need; the error message when it is missing. */
export async function ensureDicomCodec(bytes: Uint8Array): Promise<string | null> {
  const uid = peekTransferSyntax(bytes);
  const syntax = uid ? TRANSFER_SYNTAXES[uid] : undefined;
  if (!uid || !syntax) return null;
  const missing = await loadFrameDecoder(syntax.encoding);
  return missing && `transfer syntax ${uid} (${syntax.name}): ${missing}`;
}

/**
 * Decode DICOM bytes like {@link decodeDicom}, first importing the optional codec the
 * transfer syntax needs (JPEG lossless, JPEG-LS, JPEG 2000).
 * @throws Error naming `decodeDicomAsync`, `name` and the problem, including a missing codec.
 */
export async function decodeDicomAsync(
  bytes: Uint8Array,
  name = '<bytes>',
  options: DicomDecodeOptions = {},
): Promise<DicomImage> {
  return decodeDicomNamed('decodeDicomAsync', bytes, name, options);
}

/** {@link decodeDicomAsync} with the calling function's name in errors. */
export async function decodeDicomNamed(
  fn: string,
  bytes: Uint8Array,
  name: string,
  options: DicomDecodeOptions,
): Promise<DicomImage> {
  if (bytes instanceof Uint8Array) {
    const missing = await ensureDicomCodec(bytes);
    if (missing) throw new Error(`${fn}: ${name}: ${missing}`);
  }
  return decodeAs(fn, bytes, name, options);
}
