/**
 * Reader of InVesalius 3 projects (`.inv3`): a gzipped tar holding `main.plist` (an Apple
 * property list naming the volume file, its dtype, shape and voxel spacing) and the raw
 * volume itself (`matrix.dat`, row-major, little-endian). Parsed with nanotar and plist.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseTar } from 'nanotar';
import { parse as parsePlist } from 'plist';

/** A CT volume in Hounsfield units. */
export interface Inv3Volume {
  /** `[slices, rows, columns]`. */
  shape: [number, number, number];
  /** Voxels, row-major (`slice * rows * columns + row * columns + column`), HU. */
  hu: Int16Array;
  /** Voxel size in mm, `[x, y, z]` as the project stores it. */
  spacing: [number, number, number];
  /** The project's name and modality, e.g. `ProMED CT 0051`, `CT`. */
  name: string;
  /** Modality. */
  modality: string;
}

interface MainPlist {
  matrix: { dtype: string; filename: string; shape: number[] };
  spacing: number[];
  name: string;
  modality: string;
}

/** Read an `.inv3` project's CT volume. */
export function readInv3(path: string): Inv3Volume {
  const files = parseTar(gunzipSync(readFileSync(path)));
  const byName = (base: string): Uint8Array => {
    const f = files.find((e) => e.name === base || e.name.endsWith(`/${base}`));
    if (!f?.data) throw new Error(`readInv3: ${path} has no ${base}`);
    return f.data;
  };
  const main = parsePlist(new TextDecoder().decode(byName('main.plist'))) as unknown as MainPlist;
  const { dtype, filename, shape } = main.matrix;
  if (dtype !== 'int16' || shape.length !== 3) {
    throw new Error(`readInv3: ${path}: expected an int16 3-D matrix; got ${dtype} [${shape.join(', ')}]`);
  }
  const bytes = byName(filename);
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== n * 2) {
    throw new Error(
      `readInv3: ${filename} holds ${bytes.byteLength} bytes; [${shape.join(', ')}] int16 needs ${n * 2}`,
    );
  }
  // numpy memmap writes native order, little-endian on the machines InVesalius runs on.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hu = new Int16Array(n);
  for (let i = 0; i < n; i++) hu[i] = view.getInt16(i * 2, true);
  return {
    shape: shape as [number, number, number],
    hu,
    spacing: main.spacing as [number, number, number],
    name: main.name,
    modality: main.modality,
  };
}
