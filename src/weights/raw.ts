/**
 * Tensors as the readers return them: plain float arrays and shapes in the file's own layout
 * (PyTorch OIHW, Keras HWIO), so that nothing touches TF.js memory or the model before the
 * loader has matched every name.
 */

/** One tensor read from a weights file, row-major in the file's layout. */
export interface RawTensor {
  /** Dimensions in the file's order. */
  shape: number[];
  /** Values, converted to float32 (integer tensors such as `num_batches_tracked` too). */
  data: Float32Array;
}

/** Tensors of a file by their name in the file (`layer1.0.conv1.weight`, `conv1_conv/kernel`). */
export type RawWeights = Map<string, RawTensor>;

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
// Typed arrays use the platform's byte order; the files are little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half (binary16) bits to a float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits (the high half of a float32) to a float. */
export function bfloat16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** Element types the readers understand, with their size in bytes. */
export const ELEMENT_BYTES = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
} as const;

/** An element type of {@link ELEMENT_BYTES}. */
export type ElementType = keyof typeof ELEMENT_BYTES;

/**
 * Decodes `count` little-endian elements of `type` starting at `byteOffset` of `bytes` into
 * float32. The caller has checked the range. Aligned float32 comes back as a view of `bytes`,
 * not a copy (a ResNet-50 checkpoint is 94 MB): the readers' callers only read it.
 */
export function decodeElements(
  bytes: Uint8Array,
  byteOffset: number,
  count: number,
  type: ElementType,
): Float32Array {
  if (type === 'float32' && (bytes.byteOffset + byteOffset) % 4 === 0 && LITTLE_ENDIAN) {
    return new Float32Array(bytes.buffer, bytes.byteOffset + byteOffset, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + byteOffset, count * ELEMENT_BYTES[type]);
  const out = new Float32Array(count);
  switch (type) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'bfloat16':
      for (let i = 0; i < count; i++) out[i] = bfloat16ToFloat(view.getUint16(i * 2, true));
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'int64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'uint8':
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}
