/**
 * Decoders of compressed DICOM pixel data. JPEG baseline goes through `jpeg-js` (a
 * dependency); JPEG lossless, JPEG-LS and JPEG 2000 through maintained codecs that are
 * optional dependencies (`jpeg-lossless-decoder-js`, `@cornerstonejs/codec-charls`,
 * `@cornerstonejs/codec-openjpeg`), imported the first time a file needs them.
 */
import jpeg from 'jpeg-js';
import { codestreamSize, jpegMemoryCapMB, jpegTooSparse } from './jpeg-header';

/** How a transfer syntax stores its pixels. */
export type PixelEncoding =
  | 'native'
  | 'rle'
  | 'jpeg-baseline'
  | 'jpeg-extended'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg-2000'
  | 'unsupported';

/** Transfer syntaxes by UID: name and pixel encoding (PS3.5 section 10 and Annex A). */
export const TRANSFER_SYNTAXES: Readonly<Record<string, { name: string; encoding: PixelEncoding }>> = {
  '1.2.840.10008.1.2': { name: 'Implicit VR Little Endian', encoding: 'native' },
  '1.2.840.10008.1.2.1': { name: 'Explicit VR Little Endian', encoding: 'native' },
  '1.2.840.10008.1.2.1.99': { name: 'Deflated Explicit VR Little Endian', encoding: 'native' },
  '1.2.840.10008.1.2.2': { name: 'Explicit VR Big Endian', encoding: 'native' },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', encoding: 'rle' },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', encoding: 'jpeg-baseline' },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', encoding: 'jpeg-extended' },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless (Process 14)', encoding: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.70': { name: 'JPEG Lossless (Process 14, SV1)', encoding: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', encoding: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Near-Lossless', encoding: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 (Lossless Only)', encoding: 'jpeg-2000' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', encoding: 'jpeg-2000' },
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile', encoding: 'unsupported' },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264', encoding: 'unsupported' },
  '1.2.840.10008.1.2.4.201': { name: 'High-Throughput JPEG 2000 (Lossless Only)', encoding: 'unsupported' },
  '1.2.840.10008.1.2.4.203': { name: 'High-Throughput JPEG 2000', encoding: 'unsupported' },
};

/** What a frame decoder is told about the frame, from the DICOM header. */
export interface FrameInfo {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  /** PhotometricInterpretation: YBR_* JPEG frames are converted to RGB, RGB ones are not. */
  photometric: string;
  /** Throws an Error naming the caller, the file and the problem. */
  fail: (m: string) => never;
}

/** Decodes one frame to pixel-interleaved little-endian samples of `bitsAllocated` bits. */
type FrameDecoder = (encoded: Uint8Array, info: FrameInfo) => Uint8Array;

/** The optional package each encoding needs. */
export const CODEC_PACKAGES: Readonly<Partial<Record<PixelEncoding, string>>> = {
  'jpeg-lossless': 'jpeg-lossless-decoder-js',
  'jpeg-ls': '@cornerstonejs/codec-charls',
  'jpeg-2000': '@cornerstonejs/codec-openjpeg',
};

const loaded: Partial<Record<PixelEncoding, FrameDecoder>> = { 'jpeg-baseline': decodeJpegBaseline };

function checkSize(encoded: Uint8Array, info: FrameInfo, what: string): void {
  const s = codestreamSize(encoded);
  if (s === null) info.fail(`${what} frame has no readable frame header (corrupt or truncated)`);
  else if (s.width !== info.columns || s.height !== info.rows || s.components !== info.samplesPerPixel)
    info.fail(
      `${what} frame is ${s.width}x${s.height}x${s.components} but the DICOM header says ${info.columns}x${info.rows}x${info.samplesPerPixel}`,
    );
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  return typeof e === 'number' ? `code ${e}` : 'unknown failure';
}

function decodeJpegBaseline(encoded: Uint8Array, info: FrameInfo): Uint8Array {
  if (info.bitsAllocated !== 8)
    info.fail(`JPEG baseline frames are 8-bit; BitsAllocated is ${info.bitsAllocated}`);
  checkSize(encoded, info, 'JPEG');
  const sparse = jpegTooSparse(encoded, info.columns, info.rows);
  if (sparse) info.fail(sparse);
  let d: { width: number; height: number; data: Uint8Array };
  try {
    // DICOM says in the header whether the colour stream is YCbCr; JFIF/Adobe guesses do not apply.
    const colorTransform = info.samplesPerPixel === 3 ? info.photometric.startsWith('YBR') : undefined;
    d = jpeg.decode(encoded, {
      useTArray: true,
      formatAsRGBA: false,
      maxMemoryUsageInMB: jpegMemoryCapMB(encoded),
      ...(colorTransform === undefined ? {} : { colorTransform }),
    });
  } catch (e) {
    return info.fail(`corrupt JPEG frame (jpeg-js: ${message(e)})`);
  }
  if (info.samplesPerPixel === 3) return d.data;
  const out = new Uint8Array(info.rows * info.columns);
  for (let i = 0; i < out.length; i++) out[i] = d.data[3 * i] as number;
  return out;
}

/** Bytes of a decoder's output view, copied so the codec's memory can be freed. */
function bytesOf(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  return v instanceof ArrayBuffer
    ? new Uint8Array(v.slice(0))
    : new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

function checkLength(out: Uint8Array, info: FrameInfo, what: string): Uint8Array {
  const want = info.rows * info.columns * info.samplesPerPixel * (info.bitsAllocated / 8);
  if (out.length !== want) info.fail(`${what} decoder returned ${out.length} bytes; the frame needs ${want}`);
  return out;
}

interface WasmDecoder {
  getEncodedBuffer(n: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
type WasmFactory = (opts: Record<string, unknown>) => Promise<Record<string, new () => WasmDecoder>>;

async function importDefault<T>(spec: string): Promise<T> {
  // A variable specifier: bundlers leave the optional package alone unless it is used.
  const m = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as { default?: T };
  return (m.default ?? m) as T;
}

async function wasmDecoder(spec: string, cls: string, what: string): Promise<FrameDecoder> {
  const factory = await importDefault<WasmFactory>(spec);
  // openjpeg logs every header it reads; keep the codecs quiet.
  const module = await factory({ print: () => undefined, printErr: () => undefined });
  const Ctor = module[cls] as new () => WasmDecoder;
  return (encoded, info) => {
    if (info.bitsAllocated !== 8 && info.bitsAllocated !== 16)
      info.fail(`${what} frames of BitsAllocated ${info.bitsAllocated} are not supported (8 or 16)`);
    checkSize(encoded, info, what);
    const d = new Ctor();
    try {
      d.getEncodedBuffer(encoded.length).set(encoded);
      d.decode();
      return checkLength(bytesOf(d.getDecodedBuffer()), info, what);
    } catch (e) {
      return info.fail(`corrupt ${what} frame (${spec}: ${message(e)})`);
    } finally {
      d.delete();
    }
  };
}

async function load(encoding: PixelEncoding): Promise<FrameDecoder> {
  if (encoding === 'jpeg-ls')
    return wasmDecoder('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder', 'JPEG-LS');
  if (encoding === 'jpeg-2000')
    return wasmDecoder('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder', 'JPEG 2000');
  const { Decoder } = (await import(
    /* @vite-ignore */ /* webpackIgnore: true */ 'jpeg-lossless-decoder-js' as string
  )) as {
    Decoder: new () => {
      decode(b: ArrayBuffer, offset: number, length: number, numBytes: number): ArrayBufferView;
    };
  };
  return (encoded, info) => {
    if (info.bitsAllocated !== 8 && info.bitsAllocated !== 16)
      info.fail(`JPEG lossless frames of BitsAllocated ${info.bitsAllocated} are not supported (8 or 16)`);
    checkSize(encoded, info, 'JPEG lossless');
    try {
      const out = new Decoder().decode(
        encoded.buffer as ArrayBuffer,
        encoded.byteOffset,
        encoded.length,
        info.bitsAllocated / 8,
      );
      return checkLength(bytesOf(out), info, 'JPEG lossless');
    } catch (e) {
      return info.fail(`corrupt JPEG lossless frame (jpeg-lossless-decoder-js: ${message(e)})`);
    }
  };
}

/**
 * Import the codec an encoding needs, once. Resolves to an error message when the optional
 * package is missing (the caller reports it with the transfer syntax's name).
 */
export async function loadFrameDecoder(encoding: PixelEncoding): Promise<string | null> {
  if (loaded[encoding] || !(encoding in CODEC_PACKAGES)) return null;
  try {
    loaded[encoding] = await load(encoding);
    return null;
  } catch (e) {
    return `the optional package ${CODEC_PACKAGES[encoding]} could not be loaded (${message(e)}); install it with npm install ${CODEC_PACKAGES[encoding]}`;
  }
}

/** The decoder of an encoding if it is loaded (JPEG baseline always is). */
export function frameDecoder(encoding: PixelEncoding): FrameDecoder | undefined {
  return loaded[encoding];
}
