import { gunzipSync } from 'fflate';
import * as nifti from 'nifti-reader-js';

/** A decoded NIfTI-1 or NIfTI-2 image. */
export interface NiftiImage {
  /** Image dimensions as stored: [nx, ny, nz, nt, ...] (trailing 1s of dim beyond dim[0] dropped). */
  shape: number[];
  /**
   * Voxel values with the header's scaling applied (value * scl_slope + scl_inter when
   * scl_slope is non-zero and finite), in file order: x fastest, then y, z, t.
   */
  data: Float32Array;
  /** Voxel sizes (pixdim) for each dimension of `shape` (mm / seconds as the units say). */
  spacing: number[];
  /** Voxel-to-world 4x4 affine (sform when sform_code > 0, else qform), row-major. */
  affine: number[][];
  /** NIfTI datatype code of the stored samples (e.g. 4 = int16, 16 = float32). */
  datatypeCode: number;
  /** Whether the file was little-endian. */
  littleEndian: boolean;
  /** 1 or 2. */
  version: 1 | 2;
  /** The applied scaling. */
  scale: {
    /** scl_slope (1 when the file does not scale). */
    slope: number;
    /** scl_inter (0 when the file does not scale). */
    intercept: number;
  };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Options of {@link decodeNifti}. */
export interface NiftiDecodeOptions {
  /** Most voxels accepted; larger headers are refused before anything is allocated. Default 2^28. */
  maxVoxels?: number;
}

const BYTES_PER: Record<number, number> = {
  2: 1,
  4: 2,
  8: 4,
  16: 4,
  64: 8,
  256: 1,
  512: 2,
  768: 4,
  1024: 8,
  1280: 8,
};

/**
 * Decode NIfTI bytes (.nii, or gzip-compressed .nii.gz; NIfTI-1 and NIfTI-2; either byte
 * order) with `nifti-reader-js` for the header and our own typed reads for the voxels, in
 * Node or the browser (gzip through fflate). Corrupt, truncated or implausible input
 * (negative or zero dimensions, a header claiming more than `maxVoxels`) fails with an
 * error naming `name`, before the voxels are allocated.
 * @param name what to call the file in errors. Default '<bytes>'.
 * @param fn the function named in errors. Default 'decodeNifti'.
 */
export function decodeNifti(
  bytes: Uint8Array,
  name = '<bytes>',
  fn = 'decodeNifti',
  options: NiftiDecodeOptions = {},
): NiftiImage {
  const fail = (m: string): never => {
    throw new Error(`${fn}: ${name}: ${m}`);
  };
  const { maxVoxels = 2 ** 28 } = options;
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array`);
  let buf = toArrayBuffer(bytes);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      buf = toArrayBuffer(gunzipSync(bytes));
    } catch (e) {
      return fail(`corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  let isNifti = false;
  try {
    isNifti = nifti.isNIFTI(buf);
  } catch {
    isNifti = false;
  }
  if (!isNifti) return fail('not a NIfTI-1/2 file (bad header size or magic)');
  let header: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    header = nifti.readHeader(buf);
  } catch (e) {
    return fail(`unreadable header (nifti-reader-js: ${e instanceof Error ? e.message : String(e)})`);
  }
  const ndim = header.dims[0] as number;
  if (!(ndim >= 1 && ndim <= 7)) return fail(`invalid dim[0] = ${ndim} (1 to 7)`);
  const shape = header.dims.slice(1, 1 + ndim).map(Number);
  const bad = shape.findIndex((d) => !(Number.isInteger(d) && d >= 1));
  if (bad >= 0) return fail(`dim[${bad + 1}] = ${shape[bad]} is not a positive integer`);
  while (shape.length > 1 && shape[shape.length - 1] === 1) shape.pop();
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > maxVoxels)
    return fail(`header claims ${shape.join('x')} = ${count} voxels, more than maxVoxels (${maxVoxels})`);
  const code = header.datatypeCode;
  const bytesPer = BYTES_PER[code];
  if (bytesPer === undefined)
    return fail(`datatype ${code} is not supported (integer and real scalar types are)`);
  const offset = Number(header.vox_offset);
  if (!(Number.isInteger(offset) && offset >= 0))
    return fail(`vox_offset ${header.vox_offset} is not a byte offset`);
  if (offset + count * bytesPer > buf.byteLength) {
    return fail(
      `truncated: ${count} voxels of ${bytesPer} bytes need ${offset + count * bytesPer} bytes, file holds ${buf.byteLength}`,
    );
  }
  const view = new DataView(buf, offset, count * bytesPer);
  const le = header.littleEndian;
  const slopeRaw = header.scl_slope;
  const scaled = Number.isFinite(slopeRaw) && slopeRaw !== 0;
  const slope = scaled ? slopeRaw : 1;
  const intercept = scaled && Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let v: number;
    switch (code) {
      case 2:
        v = view.getUint8(i);
        break;
      case 256:
        v = view.getInt8(i);
        break;
      case 4:
        v = view.getInt16(2 * i, le);
        break;
      case 512:
        v = view.getUint16(2 * i, le);
        break;
      case 8:
        v = view.getInt32(4 * i, le);
        break;
      case 768:
        v = view.getUint32(4 * i, le);
        break;
      case 16:
        v = view.getFloat32(4 * i, le);
        break;
      case 64:
        v = view.getFloat64(8 * i, le);
        break;
      case 1024:
        v = Number(view.getBigInt64(8 * i, le));
        break;
      default:
        v = Number(view.getBigUint64(8 * i, le));
    }
    data[i] = v * slope + intercept;
  }
  return {
    shape,
    data,
    spacing: header.pixDims.slice(1, 1 + shape.length),
    affine: header.affine.map((r) => r.slice()),
    datatypeCode: code,
    littleEndian: le,
    version: nifti.isNIFTI2(buf) ? 2 : 1,
    scale: { slope, intercept },
  };
}
