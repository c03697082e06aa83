/**
 * Frame headers of JPEG-family code streams, read before any codec runs: a header claiming a
 * huge image is refused before the codec allocates or loops over it.
 */

/**
 * The width, height and component count a JPEG (SOFn / JPEG-LS SOF55) or JPEG 2000 (SIZ)
 * code stream declares, read before any codec runs so that a header claiming a huge image
 * is refused before the codec allocates for it.
 */
export function codestreamSize(b: Uint8Array): { width: number; height: number; components: number } | null {
  if (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51 && b.length >= 42) {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const width = v.getUint32(8) - v.getUint32(16);
    const height = v.getUint32(12) - v.getUint32(20);
    return { width, height, components: v.getUint16(40) };
  }
  if (b[0] !== 0xff || b[1] !== 0xd8) return null;
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return null;
    const m = b[p + 1] as number;
    if (m === 0xff) {
      p++; // fill byte
      continue;
    }
    const len = ((b[p + 2] as number) << 8) | (b[p + 3] as number);
    const sof = (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xf7;
    if (sof) {
      if (p + 10 > b.length) return null;
      return {
        height: ((b[p + 5] as number) << 8) | (b[p + 6] as number),
        width: ((b[p + 7] as number) << 8) | (b[p + 8] as number),
        components: b[p + 9] as number,
      };
    }
    p += 2 + len;
  }
  return null;
}

/**
 * Why a Huffman-coded JPEG cannot hold `width x height` pixels in `bytes.length` bytes, or
 * null. Every 8x8 block costs at least one bit (its DC code) even in a progressive file, so
 * a valid image has at most 512 pixels per byte; allowing twice that still stops a
 * 400-byte file that claims 16384x16384 pixels, on which jpeg-js spends tens of seconds.
 */
export function jpegTooSparse(bytes: Uint8Array, width: number, height: number): string | null {
  const limit = 1024 * bytes.length + 65536;
  return width * height > limit
    ? `a ${bytes.length}-byte JPEG cannot hold ${width}x${height} pixels (corrupt frame header)`
    : null;
}

/**
 * jpeg-js's memory cap for `bytes`: a valid file needs at least one bit per 8x8 block, so its
 * coefficient blocks (256 bytes each, up to 4 components) need at most about 8 KiB per input
 * byte; twice that, at least 16 MiB and at most 1 GiB. A frame header that lies about its
 * size or sampling factors then fails at once in jpeg-js instead of allocating (and looping
 * over) millions of blocks.
 */
export function jpegMemoryCapMB(bytes: Uint8Array): number {
  return Math.min(1024, Math.max(16, Math.ceil(bytes.length / 64)));
}
