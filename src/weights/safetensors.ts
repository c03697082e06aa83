/**
 * Reading safetensors files (timm, Hugging Face): an 8-byte little-endian header length, a
 * JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the
 * raw little-endian data. Format: https://github.com/huggingface/safetensors#format.
 */
import { WeightsError } from './errors';
import { decodeElements, ELEMENT_BYTES, sizeOf, type ElementType, type RawWeights } from './raw';

const DTYPES: Record<string, ElementType> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Header length of a safetensors file, or -1 when `bytes` do not start like one. */
export function safetensorsHeaderLength(bytes: Uint8Array): number {
  if (bytes.length < 10) return -1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  return n >= 2 && n <= 100_000_000 && bytes[8] === 0x7b ? n : -1;
}

/**
 * Reads the tensors of a safetensors file, by name, in the file's layout.
 * @param bytes The file's contents.
 * @param file The file's name for error messages.
 * @param fn The public function reading it, for error messages.
 */
export function readSafetensors(bytes: Uint8Array, file = '<bytes>', fn = 'readSafetensors'): RawWeights {
  const n = safetensorsHeaderLength(bytes);
  if (n < 0)
    throw new WeightsError(fn, file, 'expected a safetensors file (8-byte header length, then JSON)');
  if (8 + n > bytes.length) throw new WeightsError(fn, file, 'truncated: the JSON header runs past the end');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new WeightsError(fn, file, 'a corrupt safetensors header (not JSON)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new WeightsError(fn, file, 'a corrupt safetensors header (expected a JSON object of tensors)');
  }
  const base = 8 + n;
  const out: RawWeights = new Map();
  // Every claim is checked before anything is allocated: the data a shape needs must lie
  // inside the file, so a header claiming 2^31 x 2^31 elements fails here, not in an allocator.
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = (typeof value === 'object' && value !== null ? value : {}) as Partial<Entry>;
    const type = typeof e.dtype === 'string' && Object.hasOwn(DTYPES, e.dtype) ? DTYPES[e.dtype] : undefined;
    if (type === undefined)
      throw new WeightsError(fn, file, `tensor '${name}' has unsupported dtype ${JSON.stringify(e.dtype)}`);
    const shape = e.shape as unknown;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new WeightsError(
        fn,
        file,
        `tensor '${name}' has shape ${JSON.stringify(shape)}; expected a list of non-negative integers`,
      );
    }
    const offsets = e.data_offsets as unknown;
    const [begin, end] = Array.isArray(offsets) ? (offsets as unknown[]) : [];
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !Number.isSafeInteger(begin) ||
      !Number.isSafeInteger(end) ||
      (begin as number) < 0 ||
      (end as number) < (begin as number)
    ) {
      throw new WeightsError(
        fn,
        file,
        `tensor '${name}' has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with 0 <= begin <= end`,
      );
    }
    const size = sizeOf(shape as number[]);
    if ((end as number) - (begin as number) !== size * ELEMENT_BYTES[type]) {
      throw new WeightsError(
        fn,
        file,
        `tensor '${name}' of shape [${shape.join(', ')}] ${e.dtype} needs ${size * ELEMENT_BYTES[type]} bytes; its offsets span ${(end as number) - (begin as number)}`,
      );
    }
    if (base + (end as number) > bytes.length) {
      throw new WeightsError(fn, file, `tensor '${name}' has offsets outside the file (truncated?)`);
    }
    out.set(name, {
      shape: [...(shape as number[])],
      data: decodeElements(bytes, base + (begin as number), size, type),
    });
  }
  return out;
}
