/**
 * Reading `torch.save` checkpoints: the zip archive PyTorch writes since 1.6
 * (`archive/data.pkl` + `archive/data/<key>`, read with fflate) and the legacy format
 * (`_use_new_zipfile_serialization=False`: a magic-number pickle, protocol, system info,
 * the object pickle, the storage-key list, then each storage as an int64 element count and
 * its raw bytes). A bare `state_dict` and one wrapped as `{state_dict}` or `{model}` are
 * accepted; a `module.` prefix (DataParallel) is removed.
 */
import { unzipSync } from 'fflate';
import { describeThrown, WeightsError } from './errors';
import { decodeElements, ELEMENT_BYTES, sizeOf, type RawTensor, type RawWeights } from './raw';
import { unpickleTorch, type TorchStorage, type TorchTensorRef } from './torch-pickle';

// The first pickle of a legacy file: protocol 2, LONG1 of torch/serialization.py's
// MAGIC_NUMBER 0x1950a86a20f9469cfc6c, STOP. Compared as bytes: pickleparser reads LONG1
// only up to 2^53.
const LEGACY_MAGIC = [
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
];

/** True when `bytes` start as a zip archive (PK\x03\x04). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

/** True when `bytes` start as a pickle of protocol 2 or later (what torch.save writes). */
export function isPickle(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

function isTensor(v: unknown): v is TorchTensorRef {
  return typeof v === 'object' && v !== null && (v as TorchTensorRef).kind === 'tensor';
}

/** Picks the state dict out of what was pickled: bare, `{state_dict}` or `{model}`. */
function stateDict(value: unknown, fn: string, file: string): Map<string, TorchTensorRef> {
  let dict = value;
  if (dict instanceof Map) {
    for (const key of ['state_dict', 'model', 'model_state_dict', 'state_dict_ema']) {
      if (dict.get(key) instanceof Map) {
        dict = dict.get(key);
        break;
      }
    }
  }
  if (!(dict instanceof Map)) {
    throw new WeightsError(fn, file, 'expected a state_dict (a dict of tensors), found another object');
  }
  const out = new Map<string, TorchTensorRef>();
  for (const [k, v] of dict as Map<unknown, unknown>) {
    if (typeof k === 'string' && isTensor(v)) out.set(k, v);
  }
  if (out.size === 0) {
    throw new WeightsError(fn, file, 'expected a state_dict of tensors, found a dict without tensors');
  }
  const keys = [...out.keys()];
  if (keys.every((k) => k.startsWith('module.'))) {
    return new Map(keys.map((k) => [k.slice('module.'.length), out.get(k) as TorchTensorRef]));
  }
  return out;
}

/** Materialises a (possibly strided) tensor view of a storage as a contiguous float32 tensor. */
function materialise(
  ref: TorchTensorRef,
  storage: Uint8Array,
  name: string,
  fn: string,
  file: string,
): RawTensor {
  const { shape, stride, offset } = ref;
  const size = sizeOf(shape);
  const elem = ELEMENT_BYTES[ref.storage.type];
  const available = Math.floor(storage.length / elem);
  // The last element any index touches must lie inside the storage.
  const last = offset + shape.reduce((acc, d, i) => acc + (d > 0 ? (d - 1) * stride[i] : 0), 0);
  if (size > 0 && last >= available) {
    throw new WeightsError(fn, file, `tensor '${name}' reaches past its storage (truncated file?)`);
  }
  const contiguous = shape.every((_, i) => stride[i] === sizeOf(shape.slice(i + 1)) || shape[i] === 1);
  if (contiguous) {
    return { shape: [...shape], data: decodeElements(storage, offset * elem, size, ref.storage.type) };
  }
  const all = decodeElements(storage, 0, available, ref.storage.type);
  const data = new Float32Array(size);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < size; k++) {
    let src = offset;
    for (let d = 0; d < shape.length; d++) src += idx[d] * stride[d];
    data[k] = all[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { shape: [...shape], data };
}

// A deflate stream inflates at most 1032-fold: a larger claimed size is a lie.
const MAX_DEFLATE_RATIO = 1032;

/**
 * Checks the zip directory's claims before fflate acts on them: fflate 0.8 loops over the
 * entry count of the end-of-directory record (up to 2^32 with zip64) even past the end of the
 * data, and allocates each entry's claimed uncompressed size before inflating.
 */
function checkZipDirectory(bytes: Uint8Array, fn: string, file: string): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record, searched as fflate searches it.
  let e = bytes.length - 22;
  while (e > 0 && bytes.length - e <= 65558 && v.getUint32(e, true) !== 0x06054b50) e--;
  if (e <= 0 || bytes.length - e > 65558) return; // fflate reports the missing record
  let count = v.getUint16(e + 8, true);
  if (e >= 20 && v.getUint32(e - 20, true) === 0x07064b50) {
    const ze = v.getUint32(e - 12, true);
    if (ze + 36 <= bytes.length && v.getUint32(ze, true) === 0x06064b50) count = v.getUint32(ze + 32, true);
  }
  // A central directory header takes at least 46 bytes.
  if (count * 46 > bytes.length) {
    throw new WeightsError(
      fn,
      file,
      `a corrupt zip archive: its directory claims ${count} entries, more than ${bytes.length} bytes can hold`,
    );
  }
}

function readZip(bytes: Uint8Array, fn: string, file: string): RawWeights {
  let entries: Record<string, Uint8Array>;
  checkZipDirectory(bytes, fn, file);
  try {
    entries = unzipSync(bytes, {
      filter: ({ name, size, originalSize, compression }) => {
        if (compression !== 0 && originalSize > MAX_DEFLATE_RATIO * Math.min(size, bytes.length) + 64) {
          throw new WeightsError(
            fn,
            file,
            `a corrupt zip archive: entry '${name}' claims ${originalSize} bytes from ${size} compressed`,
          );
        }
        return true;
      },
    });
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(fn, file, `a corrupt or truncated zip archive (${describeThrown(e)})`);
  }
  const pkl = Object.keys(entries).find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (pkl === undefined) {
    throw new WeightsError(fn, file, "a zip archive without '<name>/data.pkl': not a torch.save checkpoint");
  }
  const root = pkl.slice(0, -'data.pkl'.length);
  const order = entries[`${root}byteorder`];
  if (order !== undefined && new TextDecoder().decode(order) !== 'little') {
    throw new WeightsError(fn, file, 'a big-endian checkpoint; expected little-endian storages');
  }
  const { value } = unpickleTorch(entries[pkl], 0, { fn, file });
  const out: RawWeights = new Map();
  for (const [name, ref] of stateDict(value, fn, file)) {
    const data = entries[`${root}data/${ref.storage.key}`];
    if (data === undefined) {
      throw new WeightsError(
        fn,
        file,
        `storage '${ref.storage.key}' of tensor '${name}' is missing from the archive`,
      );
    }
    out.set(name, materialise(ref, data, name, fn, file));
  }
  return out;
}

function readLegacy(bytes: Uint8Array, fn: string, file: string): RawWeights {
  const all = new Map<string, TorchStorage>();
  const opts = { fn, file, storages: all };
  if (!LEGACY_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new WeightsError(fn, file, 'a pickle that is not a torch.save checkpoint (no torch magic number)');
  }
  const protocol = unpickleTorch(bytes, LEGACY_MAGIC.length, opts);
  const sysInfo = unpickleTorch(bytes, protocol.end, opts);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new WeightsError(fn, file, 'a big-endian checkpoint; expected little-endian storages');
  }
  // Storages are met while unpickling the object; remember them to read their bytes after.
  const main = unpickleTorch(bytes, sysInfo.end, opts);
  const keys = unpickleTorch(bytes, main.end, opts);
  if (!Array.isArray(keys.value)) throw new WeightsError(fn, file, 'the storage-key list is missing');
  const dict = stateDict(main.value, fn, file);
  const storages = new Map<string, Uint8Array>();
  let pos = keys.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value as unknown[]) {
    const storage = all.get(String(key));
    if (storage === undefined) throw new WeightsError(fn, file, `storage '${String(key)}' is never named`);
    if (pos + 8 > bytes.length) throw new WeightsError(fn, file, 'truncated: a storage header is missing');
    const count = Number(view.getBigInt64(pos, true));
    const nbytes = count * ELEMENT_BYTES[storage.type];
    if (count < 0 || pos + 8 + nbytes > bytes.length) {
      throw new WeightsError(fn, file, `truncated: storage '${String(key)}' needs ${nbytes} bytes`);
    }
    storages.set(storage.key, bytes.subarray(pos + 8, pos + 8 + nbytes));
    pos += 8 + nbytes;
  }
  const out: RawWeights = new Map();
  for (const [name, ref] of dict) {
    const data = storages.get(ref.storage.key);
    if (data === undefined) throw new WeightsError(fn, file, `storage of tensor '${name}' is missing`);
    out.set(name, materialise(ref, data, name, fn, file));
  }
  return out;
}

/**
 * Reads the tensors of a `torch.save` checkpoint (zip or legacy) from its bytes, by their
 * state-dict names, in PyTorch's layout (conv weights OIHW).
 * @param bytes The file's contents.
 * @param file The file's name for error messages.
 * @param fn The public function reading it, for error messages.
 */
export function readTorch(bytes: Uint8Array, file = '<bytes>', fn = 'readTorch'): RawWeights {
  if (isZip(bytes)) return readZip(bytes, fn, file);
  if (isPickle(bytes)) return readLegacy(bytes, fn, file);
  throw new WeightsError(fn, file, 'expected a torch.save checkpoint (a zip archive or a pickle)');
}
