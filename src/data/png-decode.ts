import { unzlibSync } from 'fflate';
import { crc32 } from './png';

/** A decoded PNG: row-major samples, `channels` per pixel, palette expanded. */
export interface DecodedPng {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA (palette images become 3 or 4). */
  channels: 1 | 2 | 3 | 4;
  /** 8 or 16: the sample range is 0..2^bitDepth - 1 (1/2/4-bit images are scaled to 8-bit). */
  bitDepth: 8 | 16;
  /** `width * height * channels` samples. */
  data: Uint8Array | Uint16Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7: Array<[number, number, number, number]> = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undo the per-row filters of one (sub)image in place; returns the offset after it. */
function unfilter(
  raw: Uint8Array,
  offset: number,
  rows: number,
  stride: number,
  bpp: number,
  fail: (m: string) => never,
): Uint8Array {
  const out = new Uint8Array(rows * stride);
  for (let y = 0; y < rows; y++) {
    const f = raw[offset + y * (stride + 1)];
    const src = offset + y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x] as number;
      const a = x >= bpp ? (out[row + x - bpp] as number) : 0;
      const b = y > 0 ? (out[prev + x] as number) : 0;
      const c = x >= bpp && y > 0 ? (out[prev + x - bpp] as number) : 0;
      let r: number;
      switch (f) {
        case 0:
          r = v;
          break;
        case 1:
          r = v + a;
          break;
        case 2:
          r = v + b;
          break;
        case 3:
          r = v + ((a + b) >> 1);
          break;
        case 4:
          r = v + paeth(a, b, c);
          break;
        default:
          return fail(`unknown filter type ${f} on row ${y}`);
      }
      out[row + x] = r & 0xff;
    }
  }
  return out;
}

/**
 * Decode a PNG file: 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA and palette (with tRNS
 * transparency), every filter type, Adam7 interlacing. Chunk CRCs are verified, so a
 * corrupt or truncated file fails with an error naming `name`; a header claiming more than
 * `maxSamples` samples is refused before anything is allocated, and inflation stops at the
 * size the header implies. TypeScript on fflate's inflate, so it runs in Node and the
 * browser. (fast-png 8 was tried and rejected: it fails on valid sub-byte Adam7 images.)
 * @param bytes the file's bytes.
 * @param name what to call the file in errors (its path). Default '<bytes>'.
 * @param maxSamples most `width * height * channels` accepted. Default 2^28.
 */
export function decodePng(bytes: Uint8Array, name = '<bytes>', maxSamples = 2 ** 28): DecodedPng {
  const fail = (m: string): never => {
    throw new Error(`decodePng: ${name}: ${m}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array`);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = -1;
  let interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) fail(`truncated chunk header at byte ${pos}`);
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + len > bytes.length) fail(`truncated '${type}' chunk at byte ${pos} (needs ${len} bytes)`);
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    const crc = view.getUint32(pos + 8 + len);
    if ((crc32(bytes.subarray(pos + 4, pos + 8 + len)) ^ 0xffffffff) >>> 0 !== crc)
      fail(`CRC mismatch in '${type}' chunk (corrupt file)`);
    if (type === 'IHDR') {
      if (len !== 13) fail(`IHDR chunk of ${len} bytes (13 expected)`);
      if (width) fail('a second IHDR chunk');
      const h = new DataView(body.buffer, body.byteOffset, body.byteLength);
      width = h.getUint32(0);
      height = h.getUint32(4);
      depth = body[8] as number;
      colorType = body[9] as number;
      interlace = body[12] as number;
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    pos += 12 + len;
  }
  if (!width || !height) fail('missing IHDR chunk');
  if (!(colorType in CHANNELS)) fail(`unsupported colour type ${colorType}`);
  if (![1, 2, 4, 8, 16].includes(depth)) fail(`unsupported bit depth ${depth}`);
  if (colorType === 3 && !palette) fail('palette image without a PLTE chunk');
  if (!idat.length) fail('no image data (IDAT)');
  if (!ended) fail('truncated file (no IEND chunk)');
  if (width > 2 ** 31 - 1 || height > 2 ** 31 - 1)
    fail(`${width}x${height} exceeds the PNG limit of 2^31 - 1`);
  if (interlace !== 0 && interlace !== 1) fail(`unknown interlace method ${interlace}`);
  if ((colorType === 3 && depth === 16) || (colorType !== 0 && colorType !== 3 && depth < 8))
    fail(`bit depth ${depth} is not allowed for colour type ${colorType}`);
  const nch = CHANNELS[colorType] as number;
  const bitsPP = nch * depth;
  const bpp = Math.max(1, bitsPP >> 3);
  const outCh = (colorType === 3 ? (trns ? 4 : 3) : nch) as 1 | 2 | 3 | 4;
  const outDepth: 8 | 16 = depth === 16 ? 16 : 8;
  // Refuse huge headers before allocating anything (issue 18: a 1x(2^31-1) file used to be
  // refused only after a 2 GiB buffer).
  if (width * height * outCh > maxSamples)
    fail(
      `${width}x${height}x${outCh} = ${width * height * outCh} samples, more than maxSamples (${maxSamples})`,
    );
  const passes: Array<[number, number, number, number]> = interlace ? ADAM7 : [[0, 0, 1, 1]];
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw > 0 && ph > 0) expected += ph * (Math.ceil((pw * bitsPP) / 8) + 1);
  }
  const joined = new Uint8Array(idat.reduce((s, c) => s + c.length, 0));
  idat.reduce((o, c) => (joined.set(c, o), o + c.length), 0);
  let raw: Uint8Array;
  try {
    // Inflate into a buffer of the size the header implies: a small stream that inflates
    // to gigabytes stops there.
    raw = unzlibSync(joined, { out: new Uint8Array(expected) });
  } catch (e) {
    return fail(`corrupt compressed data (fflate: ${(e as Error).message})`);
  }
  const data =
    outDepth === 16 ? new Uint16Array(width * height * outCh) : new Uint8Array(width * height * outCh);
  const maxv = (1 << depth) - 1;
  let offset = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * bitsPP) / 8);
    if (offset + ph * (stride + 1) > raw.length) fail('truncated image data');
    const rows = unfilter(raw, offset, ph, stride, bpp, fail);
    offset += ph * (stride + 1);
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const o = ((y0 + y * dy) * width + x0 + x * dx) * outCh;
        for (let c = 0; c < nch; c++) {
          let v: number;
          if (depth === 16) {
            const p = y * stride + (x * nch + c) * 2;
            v = ((rows[p] as number) << 8) | (rows[p + 1] as number);
          } else if (depth === 8) v = rows[y * stride + x * nch + c] as number;
          else {
            const bit = x * depth;
            v = ((rows[y * stride + (bit >> 3)] as number) >> (8 - depth - (bit & 7))) & maxv;
          }
          if (colorType === 3) {
            if (v * 3 + 2 >= (palette as Uint8Array).length) fail(`palette index ${v} out of range`);
            for (let k = 0; k < 3; k++) data[o + k] = (palette as Uint8Array)[v * 3 + k] as number;
            if (trns) data[o + 3] = v < trns.length ? (trns[v] as number) : 255;
          } else {
            data[o + c] = depth < 8 ? Math.round((v * 255) / maxv) : v;
          }
        }
      }
    }
  }
  return { width, height, channels: outCh, bitDepth: outDepth, data };
}
