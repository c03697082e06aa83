/**
 * Reading Keras HDF5 weights with jsfive (a maintained pure-JS HDF5 reader that runs in
 * browsers and Node). Two layouts, both from Keras 2's `hdf5_format.py`:
 * - `model.save_weights('w.h5')` and the keras.applications files
 *   (`*_weights_tf_dim_ordering_tf_kernels[_notop].h5`): root attribute `layer_names`; one
 *   group per layer with attribute `weight_names` (`conv1_conv/kernel:0`, ...), each a
 *   dataset at that path inside the layer's group;
 * - `model.save('m.h5')`: the same under the group `model_weights`.
 * Tensors come out keyed `layer/weight` (`conv1_conv/kernel`), already in TF.js layout.
 */
import * as hdf5 from 'jsfive';
import { describeThrown, WeightsError } from './errors';
import { sizeOf, type RawWeights } from './raw';

/** True when `bytes` start with the HDF5 signature. */
export function isHdf5(bytes: Uint8Array): boolean {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && sig.every((b, i) => bytes[i] === b);
}

// jsfive pads fixed-length strings with NULs.
const clean = (s: unknown): string => String(s).replace(/\0+$/, '');

function strings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(clean);
}

/**
 * Reads the weights of a Keras HDF5 file, keyed `layer/weight` in Keras' (= TF.js') layout.
 * @param bytes The file's contents.
 * @param file The file's name for error messages.
 * @param fn The public function reading it, for error messages.
 */
export function readKerasH5(bytes: Uint8Array, file = '<bytes>', fn = 'readKerasH5'): RawWeights {
  if (!isHdf5(bytes)) throw new WeightsError(fn, file, 'expected an HDF5 file (Keras .h5)');
  // jsfive parses lazily (attributes and data on first access) and trusts the file: every
  // access is inside a try, and its TypeErrors, RangeErrors and thrown strings become
  // WeightsErrors naming what was being read.
  let root: hdf5.Group;
  try {
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    root = new hdf5.File(buf, file);
    guardAttributeCounts(root);
    if (!('layer_names' in root.attrs) && root.keys.includes('model_weights')) {
      root = root.get('model_weights') as hdf5.Group;
    }
    if (!('layer_names' in root.attrs)) {
      throw new WeightsError(
        fn,
        file,
        "an HDF5 file without Keras' 'layer_names' attribute: expected Keras save_weights or model.save output",
      );
    }
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(fn, file, `a corrupt or truncated HDF5 file (${describeThrown(e)})`);
  }
  const out: RawWeights = new Map();
  let where = 'layer_names';
  try {
    for (const layer of strings(root.attrs.layer_names)) {
      where = `layer '${layer}'`;
      const group = root.get(layer);
      if (!(group instanceof hdf5.Group)) throw new Error('not a group');
      for (const weightName of strings(group.attrs.weight_names)) {
        where = `weight '${layer}/${weightName}'`;
        const ds = group.get(weightName);
        if (!(ds instanceof hdf5.Dataset)) throw new Error('not a dataset');
        const short = weightName.split('/').pop()?.replace(/:\d+$/, '') ?? weightName;
        const shape = checkedShape(ds, bytes.length);
        const value = ds.value as ArrayLike<number>;
        if (value == null || value.length !== sizeOf(shape)) {
          throw new Error(`${value?.length ?? 0} values for shape [${shape.join(', ')}]`);
        }
        out.set(`${layer}/${short}`, { shape, data: Float32Array.from(value) });
      }
    }
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(fn, file, `a corrupt Keras weights layout at ${where} (${describeThrown(e)})`);
  }
  return out;
}

const GUARDED = Symbol.for('medinets.jsfiveAttributeGuard');
type AttrValueFn = (dtype: unknown, buf: ArrayBuffer, count: number, offset: number) => unknown[];

/**
 * jsfive 0.4 reads an attribute's values in a loop over the count its dataspace claims, past
 * the end of the file without complaint (reads there return nothing): a flipped byte in a
 * dimension made one 15 kB file take 50 s. Every value takes at least one byte of the file,
 * so a count beyond the bytes left is refused first. Patched once on jsfive's (unexported)
 * data-object class, found through the file's root group; left alone if jsfive changes shape.
 */
function guardAttributeCounts(root: hdf5.Group): void {
  const objects = (root as unknown as { _dataobjects?: object })._dataobjects;
  const proto =
    objects == null ? undefined : (Object.getPrototypeOf(objects) as Record<string | symbol, unknown>);
  if (proto == null || proto[GUARDED] != null || typeof proto._attr_value !== 'function') return;
  const stock = proto._attr_value as AttrValueFn;
  proto[GUARDED] = stock;
  proto._attr_value = function guardedAttrValue(this: unknown, dtype, buf, count, offset): unknown[] {
    const room = (buf?.byteLength ?? 0) - offset;
    if (!Number.isSafeInteger(count) || count < 0 || count > room) {
      throw new Error(`an attribute claims ${count} values with ${room} bytes left in the file`);
    }
    return stock.call(this, dtype, buf, count, offset);
  } satisfies AttrValueFn;
}

// A deflate-compressed chunk inflates at most 1032-fold; uncompressed data lies in the file.
const MAX_DEFLATE_RATIO = 1032;

/** The dataset's shape, refused when the file cannot hold that many elements (before jsfive allocates them). */
function checkedShape(ds: hdf5.Dataset, fileBytes: number): number[] {
  const shape = ds.shape as unknown;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const dtype = String(ds.dtype);
  const item = Number(/(\d+)$/.exec(dtype)?.[1] ?? 1);
  const filtered = (ds as unknown as { _dataobjects?: { filter_pipeline?: unknown } })._dataobjects
    ?.filter_pipeline;
  const limit = filtered == null ? fileBytes : fileBytes * MAX_DEFLATE_RATIO;
  if (sizeOf(shape) * item > limit) {
    throw new Error(`shape [${shape.join(', ')}] of ${dtype} claims more bytes than the file can hold`);
  }
  return [...(shape as number[])];
}
