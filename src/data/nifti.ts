import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
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

/**
 * Decode NIfTI bytes (.nii, or gzip-compressed .nii.gz; NIfTI-1 and NIfTI-2; either byte
 * order) with `nifti-reader-js` for the header and our own typed reads for the voxels.
 * Corrupt or truncated input fails with an error naming `name`.
 */
export function decodeNifti(bytes: Uint8Array, name = '<bytes>'): NiftiImage {
  const fail = (m: string): never => {
    throw new Error(`readNifti: ${name}: ${m}`);
  };
  let buf = toArrayBuffer(bytes);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      buf = toArrayBuffer(new Uint8Array(gunzipSync(bytes)));
    } catch (e) {
      return fail(`corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  if (!nifti.isNIFTI(buf)) return fail('not a NIfTI-1/2 file (bad header size or magic)');
  let header: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    header = nifti.readHeader(buf);
  } catch (e) {
    return fail(`unreadable header (${(e as Error).message})`);
  }
  const ndim = header.dims[0] as number;
  if (!(ndim >= 1 && ndim <= 7)) return fail(`invalid dim[0] = ${ndim}`);
  const shape = header.dims.slice(1, 1 + ndim);
  while (shape.length > 1 && shape[shape.length - 1] === 1) shape.pop();
  const count = shape.reduce((a, b) => a * b, 1);
  const code = header.datatypeCode;
  const size: Record<number, number> = {
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
  const bytesPer = size[code];
  if (bytesPer === undefined)
    return fail(`datatype ${code} is not supported (integer and real scalar types are)`);
  const offset = Number(header.vox_offset);
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

/** Read a .nii / .nii.gz file (or decode its bytes). Errors name the file. */
export async function readNifti(pathOrBytes: string | Uint8Array): Promise<NiftiImage> {
  if (typeof pathOrBytes !== 'string') return decodeNifti(pathOrBytes);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(pathOrBytes));
  } catch (e) {
    throw new Error(`readNifti: cannot read ${pathOrBytes} (${(e as Error).message})`);
  }
  return decodeNifti(bytes, pathOrBytes);
}
