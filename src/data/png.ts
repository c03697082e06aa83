import { zlibSync } from 'fflate';

/** Pixels to encode as PNG: `data` is row-major, `channels` values per pixel. */
export interface PngImage {
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** `width * height * channels` samples: 0-255 for 8-bit, 0-65535 for 16-bit. */
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  /** Bits per sample. Default 8. */
  bitDepth?: 8 | 16;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG chunks use it. */
export function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++)
    c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, (crc32(out.subarray(4, 8 + body.length)) ^ 0xffffffff) >>> 0);
  return out;
}

const COLOR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

/**
 * Encode pixels as a PNG file (8- or 16-bit gray, gray+alpha, RGB or RGBA; no interlace).
 * Compresses with fflate, so it runs in Node and the browser without a native image library.
 * @returns the bytes of the file.
 */
export function encodePng(image: PngImage): Uint8Array {
  const { width, height, channels, data, bitDepth = 8 } = image;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`encodePng: 'width' and 'height' must be positive integers; got ${width}x${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) {
    throw new Error(`encodePng: 'channels' must be 1, 2, 3 or 4; got ${channels}`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(
      `encodePng: 'data' must hold width*height*channels = ${width * height * channels} samples; got ${data.length}`,
    );
  }
  const bps = bitDepth / 8;
  const stride = width * channels * bps;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1);
    raw[row] = 0; // filter: none
    for (let i = 0; i < width * channels; i++) {
      const v = data[y * width * channels + i] as number;
      if (bps === 1) raw[row + 1 + i] = v;
      else {
        raw[row + 1 + 2 * i] = (v >>> 8) & 0xff;
        raw[row + 2 + 2 * i] = v & 0xff;
      }
    }
  }
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = COLOR_TYPE[channels];
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlibSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
