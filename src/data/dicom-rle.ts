/**
 * DICOM RLE Lossless (transfer syntax 1.2.840.10008.1.2.5, PS3.5 Annex G): a 64-byte header
 * of up to 15 segment offsets, then one PackBits segment per byte plane, most significant
 * byte of each sample first. No maintained JavaScript package decodes it on its own, and the
 * format is a dozen lines, so it lives here.
 */

/**
 * Decode one RLE frame into pixel-interleaved little-endian bytes (the layout of an
 * uncompressed explicit-little-endian frame with PlanarConfiguration 0).
 * @param fail throws an Error naming the caller and the problem.
 */
export function decodeRleFrame(
  frame: Uint8Array,
  pixels: number,
  samplesPerPixel: number,
  bytesPerSample: number,
  fail: (m: string) => never,
): Uint8Array {
  if (frame.length < 64) fail(`RLE frame of ${frame.length} bytes is shorter than its 64-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const want = samplesPerPixel * bytesPerSample;
  if (segments !== want)
    fail(
      `RLE header lists ${segments} segments; ${samplesPerPixel} samples of ${bytesPerSample} bytes need ${want}`,
    );
  const out = new Uint8Array(pixels * want);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end > frame.length || end < start)
      fail(`RLE segment ${s + 1} spans bytes ${start}..${end} of a ${frame.length}-byte frame`);
    // Segment s holds byte (bytesPerSample - 1 - s % bytesPerSample) of sample floor(s / bytesPerSample).
    const sample = Math.floor(s / bytesPerSample);
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    let o = sample * bytesPerSample + byte;
    let written = 0;
    let p = start;
    while (p < end && written < pixels) {
      const n = frame[p++] as number;
      if (n < 128) {
        const count = n + 1;
        if (p + count > end) fail(`RLE segment ${s + 1} literal run overruns the segment`);
        for (let k = 0; k < count && written < pixels; k++, written++, o += want)
          out[o] = frame[p + k] as number;
        p += count;
      } else if (n > 128) {
        if (p >= end) fail(`RLE segment ${s + 1} replicate run overruns the segment`);
        const v = frame[p++] as number;
        for (let k = 0; k < 257 - n && written < pixels; k++, written++, o += want) out[o] = v;
      } // n === 128: no operation
    }
    if (written < pixels) fail(`RLE segment ${s + 1} decodes ${written} of ${pixels} pixels (truncated)`);
  }
  return out;
}
