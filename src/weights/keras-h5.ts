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
import { WeightsError } from './errors';
import type { RawWeights } from './raw';

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
  let root: hdf5.Group;
  try {
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    root = new hdf5.File(buf, file);
    if (!('layer_names' in root.attrs) && root.keys.includes('model_weights')) {
      root = root.get('model_weights') as hdf5.Group;
    }
  } catch (e) {
    throw new WeightsError(fn, file, `a corrupt or truncated HDF5 file (${(e as Error).message})`);
  }
  if (!('layer_names' in root.attrs)) {
    throw new WeightsError(
      fn,
      file,
      "an HDF5 file without Keras' 'layer_names' attribute: expected Keras save_weights or model.save output",
    );
  }
  const out: RawWeights = new Map();
  try {
    for (const layer of strings(root.attrs.layer_names)) {
      const group = root.get(layer) as hdf5.Group;
      for (const weightName of strings(group.attrs.weight_names)) {
        const ds = group.get(weightName) as hdf5.Dataset;
        const short = weightName.split('/').pop()?.replace(/:\d+$/, '') ?? weightName;
        const shape = [...(ds.shape as number[])];
        const value = ds.value as ArrayLike<number>;
        out.set(`${layer}/${short}`, { shape, data: Float32Array.from(value) });
      }
    }
  } catch (e) {
    throw new WeightsError(fn, file, `a corrupt Keras weights layout (${(e as Error).message})`);
  }
  return out;
}
